//! Organisations: self-registration, the operator's review queue and
//! decisions, duties.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use suyuan_core::model::{Duty, OrgKind, OrgStatus};
use suyuan_store::orgs::{DutyAssignment, NewOrganisation, OrgDuty, OrgFilter, Organisation, StatusChange};
use suyuan_store::users::{NewUser, Priority, User};
use suyuan_store::Page;
use utoipa::ToSchema;

use super::hash_password_blocking;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id, OptionalJson, ValidJson, ValidQuery};
use crate::AppState;

/// A self-registration: the organisation and its first admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub organisation: NewOrganisation,
    pub admin: NewUser,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub organisation: Organisation,
    pub admin: User,
}

/// Register an organisation (public). It starts `pending` until the operator
/// verifies it; a credit code failing its checksum is queued for review.
#[utoipa::path(post, path = "/registrations", security(()), tag = "organisations",
    request_body = Registration,
    responses((status = 201, body = Registered), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ValidJson(req): ValidJson<Registration>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    // Validate cheaply before paying for the password hash.
    req.admin
        .validate(req.organisation.kind)
        .map_err(|e| e.prefixed("admin"))?;
    // Anonymous: its hashing yields to signed-in and clean sign-in work.
    let hash = hash_password_blocking(req.admin.password.clone(), Priority::Suspect).await?;
    let (organisation, admin) = state.store.register(&req.organisation, &req.admin, &hash).await?;
    Ok((StatusCode::CREATED, Json(Registered { organisation, admin })))
}

/// Register an organisation on someone's behalf (operator).
#[utoipa::path(post, path = "/organisations", tag = "organisations",
    request_body = NewOrganisation,
    responses((status = 401, body = Problem), (status = 201, body = Organisation), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_organisation(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<NewOrganisation>,
) -> ApiResult<(StatusCode, Json<Organisation>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_organisation(&caller, &req).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrgListQuery {
    pub status: Option<OrgStatus>,
    pub kind: Option<OrgKind>,
    /// Only registrations whose credit code failed its checksum.
    pub needs_review: Option<bool>,
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub after: Option<uuid::Uuid>,
}

/// Organisations the caller may see: all (operator), the jurisdiction
/// (regulator), or its own.
#[utoipa::path(get, path = "/organisations", tag = "organisations",
    params(OrgListQuery),
    responses((status = 401, body = Problem), (status = 200, body = Page<Organisation>)))]
pub async fn list_organisations(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<OrgListQuery>,
) -> ApiResult<Json<Page<Organisation>>> {
    let page = crate::extract::ListQuery {
        limit: q.limit,
        after: q.after,
        org_id: None,
    }
    .page()?;
    let filter = OrgFilter {
        status: q.status,
        kind: q.kind,
        needs_review: q.needs_review,
    };
    Ok(Json(
        state.store.list_organisations(&caller, &filter, page).await?,
    ))
}

#[utoipa::path(get, path = "/organisations/{id}", tag = "organisations",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 401, body = Problem), (status = 200, body = Organisation), (status = 404, body = Problem)))]
pub async fn get_organisation(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(state.store.get_organisation(&caller, id).await?))
}

/// The reason for a decision.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Required to suspend; at most 500 characters.
    pub reason: Option<String>,
}

async fn decide(
    state: &AppState,
    caller: &suyuan_store::Caller,
    id: uuid::Uuid,
    change: StatusChange,
    d: &Decision,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(
        state
            .store
            .change_organisation_status(caller, id, change, d.reason.as_deref())
            .await?,
    ))
}

/// Verify a pending organisation (operator).
#[utoipa::path(post, path = "/organisations/{id}/verify", tag = "organisations",
    params(("id" = uuid::Uuid, Path)), request_body = Decision,
    responses((status = 401, body = Problem), (status = 200, body = Organisation), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    OptionalJson(d): OptionalJson<Decision>,
) -> ApiResult<Json<Organisation>> {
    decide(&state, &caller, id, StatusChange::Verify, &d).await
}

/// Suspend an organisation (operator); a reason is required.
#[utoipa::path(post, path = "/organisations/{id}/suspend", tag = "organisations",
    params(("id" = uuid::Uuid, Path)), request_body = Decision,
    responses((status = 401, body = Problem), (status = 200, body = Organisation), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn suspend(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    OptionalJson(d): OptionalJson<Decision>,
) -> ApiResult<Json<Organisation>> {
    decide(&state, &caller, id, StatusChange::Suspend, &d).await
}

/// Restore a suspended organisation (operator).
#[utoipa::path(post, path = "/organisations/{id}/restore", tag = "organisations",
    params(("id" = uuid::Uuid, Path)), request_body = Decision,
    responses((status = 401, body = Problem), (status = 200, body = Organisation), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn restore(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    OptionalJson(d): OptionalJson<Decision>,
) -> ApiResult<Json<Organisation>> {
    decide(&state, &caller, id, StatusChange::Restore, &d).await
}

/// The responsible person of each duty (R-4.3.4.1).
#[utoipa::path(get, path = "/organisations/{id}/duties", tag = "organisations",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 401, body = Problem), (status = 200, body = Vec<OrgDuty>), (status = 404, body = Problem)))]
pub async fn list_duties(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<OrgDuty>>> {
    Ok(Json(state.store.list_duties(&caller, id).await?))
}

/// Name the person responsible for a duty of the caller's organisation
/// (organisation admin).
#[utoipa::path(put, path = "/duties/{duty}", tag = "organisations",
    params(("duty" = Duty, Path)), request_body = DutyAssignment,
    responses((status = 401, body = Problem), (status = 200, body = OrgDuty), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_duty(
    State(state): State<AppState>,
    Auth(caller): Auth,
    axum::extract::Path(duty): axum::extract::Path<String>,
    ValidJson(a): ValidJson<DutyAssignment>,
) -> ApiResult<Json<OrgDuty>> {
    let duty = Duty::parse(&duty)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.code, e.en, e.zh).with_field("duty"))?;
    Ok(Json(state.store.set_duty(&caller, duty, &a).await?))
}
