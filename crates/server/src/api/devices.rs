//! Devices (R-5.3.2.1, R-7.2.3): the organisation's registry (register,
//! list, disable, enable, move to another place, attach to and detach
//! from lots and units), readings sent by a device with its own token
//! (the plain JSON form or SenML, RFC 8428), the readings listed for the
//! organisation, and the alerts of the periodic check.
//!
//! A device authenticates with `Authorization: Bearer <device token>`; a
//! missing or wrong token, an unknown or disabled device answers 401
//! `device_refused` and stores nothing but the refusal (with its reason).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use suyuan_core::devices::{check_plain, check_senml, ReadingsIn};
use suyuan_store::devices::alerts::Alert;
use suyuan_store::devices::readings::{Ingested, ReadingsPage};
use suyuan_store::devices::units::{DeviceAttachments, UnitAttachment};
use suyuan_store::devices::{Channel, Device, NewDevice, NewDeviceToken, Proof};
use suyuan_store::{now_ms, Page, StoreError};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id, ListQuery, ValidJson, ValidQuery};
use crate::AppState;

/// Register a device of the caller's organisation (a recorder of a
/// verified organisation). The token in the answer is shown only this
/// once: the device sends it as a bearer token and derives its MQTT
/// signing key from it. `place` must be one of the organisation's places
/// (422 naming `place`).
#[utoipa::path(post, path = "/devices", tag = "devices", request_body = NewDevice,
    responses((status = 201, body = NewDeviceToken), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<NewDevice>,
) -> ApiResult<(StatusCode, Json<NewDeviceToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_device(&caller, &req).await?),
    ))
}

/// The devices the caller may read: its organisation's (an officer: the
/// jurisdiction's), with their state and latest reading.
#[utoipa::path(get, path = "/devices", tag = "devices", params(ListQuery),
    responses((status = 200, body = Page<Device>), (status = 401, body = Problem)))]
pub async fn list_devices(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Device>>> {
    Ok(Json(state.store.list_devices(&caller, q.page()?).await?))
}

/// Disable a device: its readings are refused (401) until it is enabled
/// again. Logged.
#[utoipa::path(post, path = "/devices/{id}/disable", tag = "devices", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Device), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn disable_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Device>> {
    Ok(Json(state.store.set_device_enabled(&caller, id, false).await?))
}

/// Enable a disabled device again. Logged.
#[utoipa::path(post, path = "/devices/{id}/enable", tag = "devices", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Device), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn enable_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Device>> {
    Ok(Json(state.store.set_device_enabled(&caller, id, true).await?))
}

/// One device the caller may read, with its GIAI and the place it is
/// attached to now.
#[utoipa::path(get, path = "/devices/{id}", tag = "devices", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Device), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Device>> {
    Ok(Json(state.store.get_device(&caller, id).await?))
}

/// Where a device is moved to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveDevice {
    /// The id of another of the organisation's places.
    pub place: String,
}

/// Move a device of the caller's organisation (a recorder of a verified
/// organisation) to another of its places. Logged (`device_move`) with, in
/// the same transaction, the EPCIS AssociationEvents DELETE from the old
/// place and ADD to the new one (when the device has a GIAI and the places
/// GLNs: see the device's `epcis_note`). Readings from then on belong to
/// the new place. 422 naming `place` for a place not the organisation's.
#[utoipa::path(post, path = "/devices/{id}/place", tag = "devices", params(("id" = uuid::Uuid, Path)),
    request_body = MoveDevice,
    responses((status = 200, body = Device), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn move_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<MoveDevice>,
) -> ApiResult<Json<Device>> {
    Ok(Json(state.store.move_device(&caller, id, &req.place).await?))
}

/// The lot or unit a device is attached to or detached from.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitCode {
    /// The unit's code in any form: a flat trace code, a GS1 element
    /// string or scanner data, a Digital Link, an EPC URN (a lot, an item
    /// or an SSCC).
    pub code: String,
}

/// Attach a device of the caller's organisation (a recorder of a verified
/// organisation) to a lot or unit the organisation holds (a truck logger
/// travelling with a lot, a logger in a pallet). Logged
/// (`device_attachment`) with, in the same transaction, an EPCIS
/// AssociationEvent ADD (bizStep `installing`, parentID the device's GIAI,
/// the lot in `childQuantityList`, a unit in `childEPCs`) when the device
/// has a GIAI. While attached, its readings count for the unit's cold chain
/// and trace conditions. Attaching it again changes nothing. 422 naming
/// `code` for an unknown unit (`unit_unknown`) or one another organisation
/// holds (`unit_not_held`); 404 for a device of another organisation.
#[utoipa::path(post, path = "/devices/{id}/attach", tag = "devices", params(("id" = uuid::Uuid, Path)),
    request_body = UnitCode,
    responses((status = 200, body = UnitAttachment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn attach_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<UnitCode>,
) -> ApiResult<Json<UnitAttachment>> {
    attach_or_detach(&state, &caller, id, &req.code, true).await
}

/// Detach a device from a lot or unit it is attached to (the organisation
/// still holding the unit). Logged (`device_attachment`) with an EPCIS
/// AssociationEvent DELETE (bizStep `removing`) when the device has a
/// GIAI; its readings from then on no longer count for the unit. 422
/// naming `code` when it is not attached (`device_not_attached`).
#[utoipa::path(post, path = "/devices/{id}/detach", tag = "devices", params(("id" = uuid::Uuid, Path)),
    request_body = UnitCode,
    responses((status = 200, body = UnitAttachment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn detach_device(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<UnitCode>,
) -> ApiResult<Json<UnitAttachment>> {
    attach_or_detach(&state, &caller, id, &req.code, false).await
}

/// Attaches (`attach`) or detaches device `id` and the unit of `code`
/// (also for the console's forms).
pub(crate) async fn attach_or_detach(
    state: &AppState,
    caller: &suyuan_store::Caller,
    id: uuid::Uuid,
    code: &str,
    attach: bool,
) -> ApiResult<Json<UnitAttachment>> {
    let epc = super::complaints::unit_of(code)?;
    Ok(Json(state.store.attach_to_unit(caller, id, &epc, attach).await?))
}

/// Where a device the caller may read has been (its places, oldest first,
/// the last where it is now) and the lots and units it is attached to now.
#[utoipa::path(get, path = "/devices/{id}/attachments", tag = "devices", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = DeviceAttachments), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn device_attachments(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<DeviceAttachments>> {
    Ok(Json(state.store.device_attachments(&caller, id).await?))
}

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "device_refused",
        "this device is unknown, disabled, or its token is wrong",
        "设备未注册、已停用或令牌错误",
    )
}

/// Parses and checks a batch body: SenML when the content type is
/// `application/senml+json`, the plain form otherwise.
pub fn parse_batch(
    senml: bool,
    body: &[u8],
    now: i64,
) -> Result<Vec<suyuan_core::devices::Reading>, ApiError> {
    let malformed = |e: serde_json::Error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_json",
            format!("the body is not a batch of readings: {e}"),
            "请求体不是读数批次",
        )
        .with_field("readings")
    };
    let checked = if senml {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
        check_senml(&v, now)
    } else {
        let b: ReadingsIn = serde_json::from_slice(body).map_err(malformed)?;
        check_plain(&b, now)
    };
    checked.map_err(|(field, invalid)| StoreError::invalid(field, invalid).into())
}

/// A device sends a batch of readings with its own token. Body: the plain
/// form `{"readings":[{"time","quantity","value","unit"}]}` (`application/json`)
/// or a SenML pack (`application/senml+json`: `bn`, `bt`, `bu`, `n`, `u`,
/// `v`, `t`). At most 10,000 readings; units are SenML's (temperature
/// `Cel`, humidity `%RH`, soil moisture `%` …), values plausible, times not
/// in the future (5 minutes of skew allowed). A reading already stored
/// (same device, quantity and time) is counted as a duplicate and dropped;
/// late and out-of-order readings are accepted. The batch is one logged
/// record. 401 for a wrong token or an unknown or disabled device: nothing
/// stored.
#[utoipa::path(post, path = "/devices/{id}/readings", tag = "devices",
    params(("id" = String, Path)), request_body = ReadingsIn,
    responses((status = 202, body = Ingested), (status = 401, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn post_readings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    cert: Option<axum::Extension<suyuan_store::client_certs::CertPrincipal>>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Ingested>)> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
        .to_owned();
    // A device's client certificate (mutual TLS) stands for its token, for
    // its own readings only.
    let proof = match cert.as_ref().map(|c| &c.0) {
        Some(suyuan_store::client_certs::CertPrincipal::Device(d)) if d.to_string() == id.trim() => {
            Proof::Certificate
        }
        Some(suyuan_store::client_certs::CertPrincipal::Device(_)) => return Err(refused()),
        _ => Proof::Token(&token),
    };
    let device = state
        .store
        .authenticate_device(&id, proof, Channel::Http)
        .await?
        .map_err(|_| refused())?;
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let senml = match mime.as_str() {
        "application/senml+json" => true,
        "application/json" => false,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send readings as application/json or application/senml+json",
                "读数须以 application/json 或 application/senml+json 提交",
            )
            .with_field("Content-Type"))
        }
    };
    let readings = parse_batch(senml, &body, now_ms())?;
    let done = state.store.ingest_readings(&device, readings).await?;
    Ok((StatusCode::ACCEPTED, Json(done)))
}

/// A time range and page size of readings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadingsQuery {
    /// RFC 3339: readings at or after this time.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339: readings before this time.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// Readings per page, 1 to 1000 (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

fn time_param(name: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .map(|s| {
            suyuan_core::devices::parse_time(name.to_owned(), s)
                .map_err(|(f, i)| ApiError::new(StatusCode::BAD_REQUEST, i.code, i.en, i.zh).with_field(f))
        })
        .transpose()
}

/// A device's readings, oldest first (organisation users; an officer of
/// the jurisdiction). Page on with `from` = the answer's `next`.
#[utoipa::path(get, path = "/devices/{id}/readings", tag = "devices",
    params(("id" = uuid::Uuid, Path), ReadingsQuery),
    responses((status = 200, body = ReadingsPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_readings(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidQuery(q): ValidQuery<ReadingsQuery>,
) -> ApiResult<Json<ReadingsPage>> {
    let from = time_param("from", &q.from)?;
    let to = time_param("to", &q.to)?;
    Ok(Json(
        state
            .store
            .list_readings(
                &caller,
                id,
                from,
                to,
                crate::extract::limit_within(q.limit, 200, 1000)?,
            )
            .await?,
    ))
}

/// Alerts of the organisation's devices (an officer: of the jurisdiction's
/// organisations): `silent` (no reading within the device kind's window,
/// at most 2 hours) and `excursion` (a cold room's or truck logger's
/// temperature outside its place's range, with its duration and extreme).
#[utoipa::path(get, path = "/alerts", tag = "devices", params(ListQuery),
    responses((status = 200, body = Page<Alert>), (status = 401, body = Problem)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Alert>>> {
    Ok(Json(state.store.list_alerts(&caller, q.page()?).await?))
}
