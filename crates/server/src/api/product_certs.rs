//! A product's certifications changed over time (see
//! `suyuan_store::certifications`): listed with their ids, one added to an
//! existing product, one withdrawn. Each change is a logged row state with
//! the acting user, in the change's transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use suyuan_store::certifications::HeldCertification;
use suyuan_store::products::Certification;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id, ValidJson};
use crate::AppState;

/// The certifications a product holds now, with the ids they are withdrawn by.
#[utoipa::path(get, path = "/products/{id}/certifications", tag = "products",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<HeldCertification>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<HeldCertification>>> {
    Ok(Json(state.store.held_certifications(&caller, id).await?))
}

/// Add a certification to an existing product of the caller's organisation
/// (a verified recorder or admin). Checked as at the product's creation:
/// 422 naming `number`, `valid_from`, `valid_until` (`validity_order`) or
/// `certifications` (`list_too_long`, at most 20).
#[utoipa::path(post, path = "/products/{id}/certifications", tag = "products",
    params(("id" = Uuid, Path)), request_body = Certification,
    responses((status = 201, body = HeldCertification), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<Certification>,
) -> ApiResult<(StatusCode, Json<HeldCertification>)> {
    let held = state.store.add_certification(&caller, id, &req).await?;
    Ok((StatusCode::CREATED, Json(held)))
}

/// Withdraw a certification from a product of the caller's organisation (a
/// verified recorder or admin): it is no longer shown, and its withdrawal
/// is logged with who withdrew it.
#[utoipa::path(delete, path = "/products/{id}/certifications/{certification_id}", tag = "products",
    params(("id" = Uuid, Path), ("certification_id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((product, cert)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let ids = Uuid::parse_str(&product).and_then(|p| Uuid::parse_str(&cert).map(|c| (p, c)));
    let (product, cert) = ids.map_err(|_| ApiError::not_found("record"))?;
    state.store.withdraw_certification(&caller, product, cert).await?;
    Ok(StatusCode::NO_CONTENT)
}
