//! Lots, item codes and traces: allocate a lot of a product, issue its item
//! trace codes in bulk, read a code in any of its forms, and trace a unit
//! back to its origin or forward to everything it reached.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use suyuan_core::codes::trace::TraceUnit;
use suyuan_core::epcis::canonical_web_uri;
use suyuan_store::trace::lineage::Direction;
use suyuan_store::trace::report::TraceReport;
use suyuan_store::trace::units::{IssuedItems, LotFilter, NewLot, Unit};
use suyuan_store::Page;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id, ValidJson, ValidQuery};
use crate::AppState;

/// Allocate a lot (batch ID: date + site + sequence) of one of the caller's
/// products.
#[utoipa::path(post, path = "/lots", tag = "trace", request_body = NewLot,
    responses((status = 401, body = Problem), (status = 201, body = Unit), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_lot(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<NewLot>,
) -> ApiResult<(StatusCode, Json<Unit>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_lot(&caller, &req).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LotListQuery {
    /// `active`, `non_conformant`, …
    pub status: Option<String>,
    /// Lots of one of the caller's products.
    pub product_id: Option<uuid::Uuid>,
    /// Registered on or after this date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Registered on or before this date (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub after: Option<uuid::Uuid>,
}

/// The lots the caller's organisation holds or owns, with filters.
#[utoipa::path(get, path = "/lots", tag = "trace", params(LotListQuery),
    responses((status = 401, body = Problem), (status = 200, body = Page<Unit>), (status = 422, body = Problem)))]
pub async fn list_lots(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<LotListQuery>,
) -> ApiResult<Json<Page<Unit>>> {
    let page = crate::extract::ListQuery {
        limit: q.limit,
        after: q.after,
        org_id: None,
    }
    .page()?;
    let filter = LotFilter {
        status: q.status,
        product_id: q.product_id,
        from: q.from,
        to: q.to,
    };
    Ok(Json(state.store.list_lots(&caller, &filter, page).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueItems {
    /// 1 to 100,000.
    pub count: usize,
    /// For a non-conformant lot: why codes are issued all the same (kept in
    /// the logged issue record; the items are non-conformant too).
    pub non_conformance_override: Option<String>,
}

/// Issue item trace codes for a lot the caller holds (up to 100,000 at once).
#[utoipa::path(post, path = "/lots/{id}/items", tag = "trace", params(("id" = uuid::Uuid, Path)),
    request_body = IssueItems,
    responses((status = 401, body = Problem), (status = 201, body = IssuedItems), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn issue_items(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<IssueItems>,
) -> ApiResult<(StatusCode, Json<IssuedItems>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .store
                .issue_items(&caller, id, req.count, req.non_conformance_override.as_deref())
                .await?,
        ),
    ))
}

/// A unit the caller owns or holds.
#[utoipa::path(get, path = "/units/{id}", tag = "trace", params(("id" = uuid::Uuid, Path)),
    responses((status = 401, body = Problem), (status = 200, body = Unit), (status = 404, body = Problem)))]
pub async fn get_unit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Unit>> {
    Ok(Json(state.store.get_unit(&caller, id).await?))
}

/// A code in every form.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeForms {
    /// lot, item or logistic.
    pub kind: String,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub serial: Option<String>,
    pub sscc: Option<String>,
    /// The flat trace code, when the unit is one the platform issued.
    pub flat_code: Option<String>,
    pub element_string: String,
    pub digital_link: String,
    /// The identifier events use (Digital Link on id.gs1.org).
    pub canonical: String,
}

/// Every form of a unit's code, under the platform's public URL.
pub fn code_forms(unit: &TraceUnit, public_url: &str) -> Result<CodeForms, ApiError> {
    let invalid = |e: suyuan_core::Invalid| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh).with_field("code")
    };
    Ok(CodeForms {
        kind: match unit {
            TraceUnit::Lot { .. } => "lot",
            TraceUnit::Item { .. } => "item",
            TraceUnit::Logistic { .. } => "logistic",
        }
        .into(),
        gtin: unit.gtin().map(|g| g.as_str().to_owned()),
        batch: unit.batch().map(str::to_owned),
        serial: unit.serial().map(str::to_owned),
        sscc: unit.sscc().map(|s| s.as_str().to_owned()),
        flat_code: unit.flat_code(),
        element_string: unit.element_string().map_err(invalid)?.to_human(),
        digital_link: unit.digital_link(public_url).map_err(invalid)?,
        canonical: suyuan_store::trace::canonical_epc(unit).map_err(invalid)?,
    })
}

/// Reads a code typed or scanned in any form: a flat trace code, a GS1
/// element string or scanner data, a Digital Link, or an EPC URN.
pub fn parse_code(input: &str) -> Result<TraceUnit, ApiError> {
    let input = input.trim();
    match TraceUnit::parse_any(input) {
        Ok(u) => Ok(u),
        Err(first) => canonical_web_uri(input)
            .and_then(|dl| TraceUnit::parse_any(&dl).ok())
            .ok_or_else(|| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, first.code, first.en, first.zh)
                    .with_field("code")
            }),
    }
}

/// The canonical identifier to trace: a unit code in any form, or any other
/// URI (an input lot, a plot) as it is.
pub fn trace_target(input: &str) -> Result<String, ApiError> {
    match parse_code(input) {
        Ok(unit) => suyuan_store::trace::canonical_epc(&unit).map_err(|e| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh).with_field("code")
        }),
        Err(e)
            if input.starts_with("urn:")
                || input.starts_with("http")
                || uuid::Uuid::parse_str(input.trim()).is_ok() =>
        {
            let _ = e;
            Ok(canonical_web_uri(input).unwrap_or_else(|| input.trim().to_owned()))
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CodeQuery {
    /// The code in any form.
    pub code: String,
}

/// Read a code: every form of the unit it names.
#[utoipa::path(get, path = "/codes/parse", security(()), tag = "trace", params(CodeQuery),
    responses((status = 200, body = CodeForms), (status = 422, body = Problem)))]
pub async fn parse(
    State(state): State<AppState>,
    ValidQuery(q): ValidQuery<CodeQuery>,
) -> ApiResult<Json<CodeForms>> {
    let unit = parse_code(&q.code)?;
    Ok(Json(code_forms(&unit, &state.config.public_url)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TraceQuery {
    /// The code in any form, or the URI of an input lot or place.
    pub code: String,
    /// Most lineage steps to walk (default 50).
    pub max_depth: Option<u32>,
}

async fn run_trace(
    state: &AppState,
    caller: &suyuan_store::Caller,
    q: &TraceQuery,
    dir: Direction,
) -> ApiResult<Json<TraceReport>> {
    let target = trace_target(&q.code)?;
    let depth = q.max_depth.unwrap_or(50).clamp(1, 1000);
    Ok(Json(state.store.trace(caller, &target, dir, depth).await?))
}

/// Trace back: every upstream unit, event, organisation, place and input lot.
#[utoipa::path(get, path = "/trace/back", tag = "trace", params(TraceQuery),
    responses((status = 401, body = Problem), (status = 200, body = TraceReport), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn trace_back(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<TraceQuery>,
) -> ApiResult<Json<TraceReport>> {
    run_trace(&state, &caller, &q, Direction::Back).await
}

/// Trace forward: every downstream lot, item, pallet and shipment and every
/// organisation that received them (what a recall must reach).
#[utoipa::path(get, path = "/trace/forward", tag = "trace", params(TraceQuery),
    responses((status = 401, body = Problem), (status = 200, body = TraceReport), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn trace_forward(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<TraceQuery>,
) -> ApiResult<Json<TraceReport>> {
    run_trace(&state, &caller, &q, Direction::Forward).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TraceExportQuery {
    /// The code in any form, or the URI of an input lot or place.
    pub code: String,
    /// back or forward (default forward).
    pub direction: Option<String>,
    /// xlsx (default) or csv.
    pub format: Option<String>,
    /// Most lineage steps to walk (default 50).
    pub max_depth: Option<u32>,
}

/// A trace as a sortable spreadsheet: one row per event and unit (trace
/// code, product, quantity, place and GLN, time, business step, both
/// sides of a hand-over, the despatch advice), as XLSX or CSV.
#[utoipa::path(get, path = "/trace/export", tag = "trace", params(TraceExportQuery),
    responses((status = 200, description = "The table", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<TraceExportQuery>,
) -> ApiResult<axum::response::Response> {
    let format = crate::export::ExportFormat::parse(q.format.as_deref())?;
    let dir = match q.direction.as_deref().unwrap_or("forward") {
        "forward" => Direction::Forward,
        "back" => Direction::Back,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "trace_direction",
                "the direction is back or forward",
                "方向应为 back 或 forward",
            )
            .with_field("direction"))
        }
    };
    let target = trace_target(&q.code)?;
    let depth = q.max_depth.unwrap_or(50).clamp(1, 1000);
    let report = state.store.trace(&caller, &target, dir, depth).await?;
    let rows = state.store.trace_rows(&report).await?;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let table = crate::export::Table {
        sheet: if dir == Direction::Forward {
            "正向追溯 forward"
        } else {
            "逆向追溯 back"
        }
        .into(),
        headers: vec![
            "追溯码 trace code",
            "GTIN",
            "批号 lot",
            "产品 product",
            "数量 quantity",
            "单位 unit",
            "地点 place",
            "地点 GLN",
            "时间 time (UTC)",
            "业务步骤 business step",
            "记录类型 record kind",
            "记录方 recorded by",
            "交接对方 other party",
            "发货单 despatch advice",
            "事件 event ID",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.epc.clone(),
                    opt(&r.gtin),
                    opt(&r.lot),
                    opt(&r.product_name),
                    r.quantity.map(|q| q.to_string()).unwrap_or_default(),
                    opt(&r.uom),
                    opt(&r.place_name),
                    opt(&r.place_gln),
                    r.event_time.clone(),
                    opt(&r.biz_step),
                    opt(&r.record_kind),
                    r.recorded_by.clone(),
                    opt(&r.other_party),
                    opt(&r.despatch_ref),
                    r.event_id.clone(),
                ]
            })
            .collect(),
    };
    crate::export::download(&table, format, "trace")
}
