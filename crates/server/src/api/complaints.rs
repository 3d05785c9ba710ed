//! Consumers' complaints (R-8.1.2 e): filing one without signing in, its
//! public status by reference, and the inboxes of the organisations and
//! officers it reaches. Photos come by the consumer page's form
//! (`POST /complaints`, multipart). The producer or holder, or an officer
//! of the jurisdiction, moves a complaint on and answers it in the console
//! or by `POST /complaints/{reference}/updates`: the same store function,
//! the same scope. See `suyuan_store::complaints` for the records and the
//! scopes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use suyuan_store::complaints::{ComplaintEntry, NewComplaint, PublicComplaint};
use utoipa::ToSchema;

use crate::client::ClientAddr;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, ValidJson};
use crate::AppState;

/// A complaint as a consumer files it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRequest {
    /// The unit's trace code in any form the consumer page accepts (a
    /// Digital Link, an element string, a flat code, an EPC URI).
    pub code: String,
    /// `quality`, `counterfeit`, `label` or `other`.
    pub category: String,
    /// What is wrong: 5 to 2000 characters.
    pub description: String,
    /// A phone number to call back (stored encrypted, shown masked).
    pub phone: Option<String>,
}

/// The complaint's reference and where its status is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintFiled {
    pub reference: String,
    /// The public status page of the complaint.
    pub status_url: String,
    /// When it must be acknowledged by (ms since the epoch).
    pub acknowledge_by: i64,
}

/// The canonical code of a unit as a consumer types it.
pub(crate) fn unit_of(code: &str) -> Result<String, ApiError> {
    let unit = super::trace::parse_code(code)?;
    suyuan_store::trace::canonical_epc(&unit)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh).with_field("code"))
}

/// Counts a complaint from `addr`: 429 with `Retry-After` past the limit.
pub(crate) fn admit(state: &AppState, addr: ClientAddr) -> Result<(), ApiError> {
    state.complaint_limiter.hit(addr.0).map_err(|secs| {
        state.metrics.rate_limited("complaint");
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_complaints",
            "too many complaints from your address; try again later (see Retry-After)",
            "您的地址提交投诉过于频繁，请稍后再试",
        )
        .with_retry_after(secs)
    })
}

/// The public status page of a complaint.
pub(crate) fn status_url(state: &AppState, reference: &str) -> String {
    format!(
        "{}/complaints/{reference}",
        state.config.public_url.trim_end_matches('/')
    )
}

/// File a complaint about a unit (public, no sign-in; rate-limited per
/// client address). Answers its reference and status page.
#[utoipa::path(post, path = "/complaints", security(()), tag = "complaints",
    request_body = ComplaintRequest,
    responses((status = 201, body = ComplaintFiled), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn file_complaint(
    State(state): State<AppState>,
    addr: ClientAddr,
    ValidJson(req): ValidJson<ComplaintRequest>,
) -> ApiResult<(StatusCode, Json<ComplaintFiled>)> {
    admit(&state, addr)?;
    let filed = state
        .store
        .file_complaint(NewComplaint {
            unit_epc: unit_of(&req.code)?,
            category: req.category,
            description: req.description,
            phone: req.phone,
            photos: Vec::new(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ComplaintFiled {
            status_url: status_url(&state, &filed.reference),
            reference: filed.reference,
            acknowledge_by: filed.acknowledge_by,
        }),
    ))
}

/// A complaint's status (public: no description, no phone number).
#[utoipa::path(get, path = "/complaints/{reference}", security(()), tag = "complaints",
    params(("reference" = String, Path)),
    responses((status = 200, body = PublicComplaint), (status = 404, body = Problem)))]
pub async fn complaint_status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> ApiResult<Json<PublicComplaint>> {
    Ok(Json(state.store.complaint_status(&reference).await?))
}

/// The complaints the caller may read: about its organisation's units, or,
/// for an officer, about organisations in its jurisdiction; `overdue`
/// marks those not acknowledged in time.
#[utoipa::path(get, path = "/complaints", tag = "complaints",
    responses((status = 401, body = Problem), (status = 200, body = Vec<ComplaintEntry>)))]
pub async fn complaint_inbox(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<ComplaintEntry>>> {
    Ok(Json(
        state
            .store
            .complaint_inbox(&caller, suyuan_store::now_ms())
            .await?,
    ))
}

/// A change of a complaint's status, with the answer to the consumer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintUpdateRequest {
    /// `acknowledged`, `investigating`, `answered` or `rejected`, as the
    /// complaint's current status allows.
    pub status: String,
    /// The answer shown on the public status page: required to answer or
    /// reject, at most 2000 characters.
    pub reply: Option<String>,
}

/// Move a complaint on, answering the consumer: a recorder of the unit's
/// producer or holder, or an officer whose jurisdiction covers either (the
/// same rule as the console). Anyone else is told it is not found; a
/// member who may not record is refused (403). Answers the public status.
#[utoipa::path(post, path = "/complaints/{reference}/updates", tag = "complaints",
    params(("reference" = String, Path)),
    request_body = ComplaintUpdateRequest,
    responses((status = 201, body = PublicComplaint), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_complaint(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(reference): Path<String>,
    ValidJson(req): ValidJson<ComplaintUpdateRequest>,
) -> ApiResult<(StatusCode, Json<PublicComplaint>)> {
    state
        .store
        .update_complaint(&caller, &reference, &req.status, req.reply.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.complaint_status(&reference).await?),
    ))
}
