//! GS1 Company Prefixes: an organisation claims one with its registration
//! certificate's number; the operator checks the certificate and verifies or
//! rejects the claim. A verified prefix makes its organisation the only one
//! that registers products and commissions units under it
//! (`suyuan_core::authority`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use suyuan_store::prefixes::{NewPrefixClaim, PrefixClaim};
use suyuan_store::Page;

use super::orgs::Decision;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, OptionalJson, ValidJson, ValidQuery};
use crate::AppState;

/// Claim a company prefix for the caller's organisation (its admin).
#[utoipa::path(post, path = "/company-prefixes", tag = "organisations", request_body = NewPrefixClaim,
    responses((status = 401, body = Problem), (status = 201, body = PrefixClaim), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn claim(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<NewPrefixClaim>,
) -> ApiResult<(StatusCode, Json<PrefixClaim>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.claim_company_prefix(&caller, &req).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PrefixListQuery {
    /// `claimed` (the operator's review queue), `verified` or `rejected`.
    pub status: Option<String>,
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub after: Option<uuid::Uuid>,
}

/// Claims: the caller's organisation's, or all (operator).
#[utoipa::path(get, path = "/company-prefixes", tag = "organisations", params(PrefixListQuery),
    responses((status = 401, body = Problem), (status = 200, body = Page<PrefixClaim>)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<PrefixListQuery>,
) -> ApiResult<Json<Page<PrefixClaim>>> {
    let page = crate::extract::ListQuery {
        limit: q.limit,
        after: q.after,
        org_id: None,
    }
    .page()?;
    Ok(Json(
        state
            .store
            .list_company_prefixes(&caller, q.status.as_deref(), page)
            .await?,
    ))
}

/// Verify a claim: the operator checked the registration certificate.
#[utoipa::path(post, path = "/company-prefixes/{id}/verify", tag = "organisations",
    params(("id" = uuid::Uuid, Path)), request_body = Decision,
    responses((status = 401, body = Problem), (status = 200, body = PrefixClaim), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    OptionalJson(d): OptionalJson<Decision>,
) -> ApiResult<Json<PrefixClaim>> {
    decide(&state, &caller, id, true, &d).await
}

/// Reject a claim, with the reason (operator).
#[utoipa::path(post, path = "/company-prefixes/{id}/reject", tag = "organisations",
    params(("id" = uuid::Uuid, Path)), request_body = Decision,
    responses((status = 401, body = Problem), (status = 200, body = PrefixClaim), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    OptionalJson(d): OptionalJson<Decision>,
) -> ApiResult<Json<PrefixClaim>> {
    decide(&state, &caller, id, false, &d).await
}

/// The operator's decision on a claim.
async fn decide(
    state: &AppState,
    caller: &suyuan_store::Caller,
    id: uuid::Uuid,
    verify: bool,
    d: &Decision,
) -> ApiResult<Json<PrefixClaim>> {
    Ok(Json(
        state
            .store
            .decide_company_prefix(caller, id, verify, d.reason.as_deref())
            .await?,
    ))
}
