//! The EPCIS 2.0 REST binding at `/epcis`: capture (`POST /epcis/capture`,
//! 202 with `Location`; `GET /epcis/capture/{id}` for the job and its
//! per-event errors) and query (`GET /epcis/events` with the standard
//! parameters, `GET /epcis/events/{eventID}`), answering EPCISQueryDocuments.
//!
//! Its contract is GS1's EPCIS 2.0 REST binding; what this server accepts
//! (the record kinds, their schemas at `/schemas/records/{kind}.json`) and
//! answers is described in `/api/openapi.json` too (tag `epcis`, shapes in
//! [`crate::epcis_doc`]). A capture document is JSON-LD: it is read
//! only when sent as `application/json` or `application/ld+json` (any
//! `application/*+json`), else 415 naming `Content-Type`; a query parameter
//! given twice is refused (400 `repeated_parameter`; lists are
//! `|`-separated).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use suyuan_core::epcis::{canonical_web_uri, digital_link_as_urn, parse_timestamp, KnownPrefixes};
use suyuan_store::trace::capture::{CaptureJob, ErrorBehaviour};
use suyuan_store::trace::query::EventQuery;
use suyuan_store::Store;
use uuid::Uuid;

use crate::epcis_doc::{EpcisDocument, EpcisQueryDocument};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{refuse_repeated_parameters, Auth, JsonBytes};
use crate::AppState;

/// Largest EPCIS document accepted by one capture.
pub const MAX_CAPTURE_BYTES: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/epcis/capture", post(capture))
        .route("/epcis/capture/{id}", get(capture_job))
        .route("/epcis/events", get(events))
        .route("/epcis/events/{event_id}", get(event))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CAPTURE_BYTES))
}

fn bad(code: &str, field: &str, en: String, zh: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, en, zh).with_field(field)
}

/// Capture an EPCIS 2.0 document (JSON-LD).
///
/// Each event is checked, then stored, in one transaction: with `GS1-Capture-Error-Behaviour: rollback`
/// (the default) a bad event refuses the whole document and every bad event
/// is reported; with `proceed` the good events are stored. An event with
/// `agri:recordKind` is one of the record kinds, and must follow that kind's
/// JSON Schema (`/schemas/records/{kind}.json`; the list at
/// `/schemas/records`, examples at `/examples/records/{kind}.json`, the
/// explanation at `/docs/records`); its references (places, input lots,
/// operators) must be the organisation's. The answer is the finished job:
/// `success`, `errors` (each naming the event by index, the field, a stable
/// `code`, English and Chinese), `warnings` (e.g. a lot made
/// non-conformant), the `eventIDs`. Capturing an event again is idempotent.
#[utoipa::path(post, path = "/epcis/capture", tag = "epcis",
    request_body(content = EpcisDocument, content_type = "application/ld+json",
        description = "An EPCISDocument; also accepted as application/json (any application/*+json)."),
    params(
        ("GS1-Capture-Error-Behaviour" = Option<String>, Header, pattern = "^(rollback|proceed)?$",
            description = "rollback (default): a bad event refuses the document; proceed: the good events are stored.")
    ),
    responses(
        (status = 202, body = CaptureJob, description = "The capture job, finished (see success and errors).",
            headers(("Location" = String, description = "/epcis/capture/{captureID}"))),
        (status = 400, body = Problem, description = "Not JSON, not an EPCISDocument (its envelope), or a bad header value."),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "The organisation may not record (not verified, suspended, or the platform operator)."),
        (status = 413, body = Problem, description = "Over 32 MiB."),
        (status = 415, body = Problem, description = "Not sent as JSON."),
    ))]
pub async fn capture(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    // An empty header is no header.
    let behaviour = match headers
        .get("GS1-Capture-Error-Behaviour")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    {
        None | Some("rollback") => ErrorBehaviour::Rollback,
        Some("proceed") => ErrorBehaviour::Proceed,
        Some(other) => {
            return Err(bad(
                "capture_error_behaviour",
                "GS1-Capture-Error-Behaviour",
                format!("'{other}' is not rollback or proceed"),
                format!("“{other}”不是 rollback 或 proceed"),
            ))
        }
    };
    let doc: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not well-formed JSON: {e}"),
            format!("请求体不是合法的 JSON：{e}"),
        )
    })?;
    let job = state.store.capture(&caller, &doc, behaviour).await?;
    state.metrics.count_capture(&job);
    if let Some(e) = document_error(&job) {
        // Not an EPCISDocument at all: every event is refused before any is
        // read, which the EPCIS REST binding answers 400 (the job is kept).
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, &e.code, &e.detail, &e.detail_zh).with_field(&e.field),
        );
    }
    let location = format!("/epcis/capture/{}", job.capture_id);
    let mut resp = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// The first error of a capture that failed on the document itself (its
/// envelope: type, schemaVersion, creationDate, @context, epcisBody), with no
/// event read.
fn document_error(job: &CaptureJob) -> Option<&suyuan_store::trace::capture::CaptureError> {
    let whole = !job.success && job.captured == 0 && job.errors.iter().all(|e| e.event_index.is_none());
    job.errors.first().filter(|_| whole)
}

/// A capture job of the caller's organisation.
///
/// Its outcome, errors and warnings, as the capture answered them.
#[utoipa::path(get, path = "/epcis/capture/{id}", tag = "epcis",
    params(("id" = uuid::Uuid, Path, description = "The captureID.")),
    responses((status = 200, body = CaptureJob), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn capture_job(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("capture job"))?;
    Ok(Json(state.store.capture_job(&caller, id).await?).into_response())
}

/// Splits a `|`-separated parameter value.
fn list(v: &str) -> Vec<String> {
    v.split('|')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn time_param(name: &str, v: &str) -> Result<i64, ApiError> {
    parse_timestamp(v).map(|t| t.timestamp_millis()).map_err(|_| {
        bad(
            "invalid_query",
            name,
            format!("{name}: '{v}' is not an ISO 8601 date-time with a time zone"),
            format!("{name}：“{v}”不是带时区的 ISO 8601 时间"),
        )
    })
}

/// Parses the standard query parameters; unknown ones are refused.
pub fn parse_query(raw: Option<&str>) -> Result<EventQuery, ApiError> {
    refuse_repeated_parameters(raw.unwrap_or(""))?;
    let mut q = EventQuery {
        per_page: 100,
        ..Default::default()
    };
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let (k, v) = (k.as_ref(), v.as_ref());
        match k {
            "eventType" => q.event_types.extend(list(v)),
            "GE_eventTime" => q.ge_event_time = Some(time_param(k, v)?),
            "LT_eventTime" => q.lt_event_time = Some(time_param(k, v)?),
            "GE_recordTime" => q.ge_record_time = Some(time_param(k, v)?),
            "LT_recordTime" => q.lt_record_time = Some(time_param(k, v)?),
            "EQ_bizStep" => q.biz_steps.extend(list(v)),
            "EQ_disposition" => q.dispositions.extend(list(v)),
            "EQ_bizLocation" => q.biz_locations.extend(list(v)),
            "EQ_readPoint" => q.read_points.extend(list(v)),
            "MATCH_epc" => q.match_epc.extend(list(v)),
            "MATCH_anyEPC" => q.match_any_epc.extend(list(v)),
            "MATCH_epcClass" => q.match_epc_class.extend(list(v)),
            "MATCH_parentID" => q.match_parent_id.extend(list(v)),
            "MATCH_inputEPC" => q.match_input_epc.extend(list(v)),
            "MATCH_outputEPC" => q.match_output_epc.extend(list(v)),
            "EQ_agri_recordKind" => q.record_kinds.extend(list(v)),
            "perPage" => {
                q.per_page = v.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                    bad(
                        "invalid_query",
                        k,
                        "perPage is 1 to 1000".into(),
                        "perPage 应在 1 至 1000 之间".into(),
                    )
                })?
            }
            "nextPageToken" => {
                q.after = Some(Uuid::parse_str(v).map_err(|_| {
                    bad(
                        "invalid_query",
                        k,
                        "nextPageToken is not one this server issued".into(),
                        "nextPageToken 无效".into(),
                    )
                })?)
            }
            other => {
                return Err(bad(
                    "invalid_query",
                    other,
                    format!("unknown or unsupported query parameter {other}"),
                    format!("不支持的查询参数 {other}"),
                ))
            }
        }
    }
    Ok(q)
}

/// The `GS1-EPC-Format` a client asked for; EPC URNs with the registered
/// company prefixes they are formed with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EpcFormat {
    AsCaptured,
    DigitalLink,
    EpcUrn(KnownPrefixes),
}

/// The answer's `GS1-EPC-Format`. For `Always_EPC_URN` the registered
/// company prefixes are read here, once per request
/// ([`Store::registered_company_prefixes`]).
async fn epc_format(store: &Store, headers: &HeaderMap) -> ApiResult<EpcFormat> {
    let value = headers
        .get("GS1-EPC-Format")
        .map(|v| v.to_str().unwrap_or("(not text)"))
        .filter(|v| !v.is_empty());
    match value {
        None | Some("Always_GS1_Digital_Link") | Some("No_Preference") => Ok(EpcFormat::DigitalLink),
        Some("Always_EPC_URN") => Ok(EpcFormat::EpcUrn(store.registered_company_prefixes().await?)),
        Some("Never_Translates") => Ok(EpcFormat::AsCaptured),
        Some(other) => Err(bad(
            "epc_format",
            "GS1-EPC-Format",
            format!(
                "'{other}' is not a GS1-EPC-Format value (No_Preference, Always_GS1_Digital_Link, \
                 Always_EPC_URN, Never_Translates)"
            ),
            format!(
                "“{other}”不是有效的 GS1-EPC-Format 值（No_Preference、Always_GS1_Digital_Link、\
                 Always_EPC_URN、Never_Translates）"
            ),
        )),
    }
}

/// Applies `conv` to every field of an event where EPCIS 2.0 carries an EPC
/// (a GS1 key as EPC URN or Digital Link): the EPC lists, `parentID`, the
/// `epcClass` of the quantity lists, the read point and business location,
/// sources and destinations, business transaction identifiers, and the
/// sensors' `deviceID`. `conv` answers the new spelling, or `None` to keep
/// the value as it is.
fn rewrite_epcs(event: &mut Value, conv: &dyn Fn(&str) -> Option<String>) {
    let one = |v: &mut Value| {
        if let Some(new) = v.as_str().and_then(conv) {
            *v = Value::String(new);
        }
    };
    let field = |v: Option<&mut Value>, key: &str| {
        if let Some(x) = v.and_then(|v| v.get_mut(key)) {
            one(x);
        }
    };
    let Some(obj) = event.as_object_mut() else { return };
    for key in ["epcList", "childEPCs", "inputEPCList", "outputEPCList"] {
        if let Some(Value::Array(items)) = obj.get_mut(key) {
            items.iter_mut().for_each(one);
        }
    }
    if let Some(p) = obj.get_mut("parentID") {
        one(p);
    }
    for (list, key) in [
        ("quantityList", "epcClass"),
        ("childQuantityList", "epcClass"),
        ("inputQuantityList", "epcClass"),
        ("outputQuantityList", "epcClass"),
        ("sourceList", "source"),
        ("destinationList", "destination"),
        ("bizTransactionList", "bizTransaction"),
    ] {
        if let Some(Value::Array(items)) = obj.get_mut(list) {
            items.iter_mut().for_each(|i| field(Some(i), key));
        }
    }
    field(obj.get_mut("readPoint"), "id");
    field(obj.get_mut("bizLocation"), "id");
    if let Some(Value::Array(sensors)) = obj.get_mut("sensorElementList") {
        for sensor in sensors {
            field(sensor.get_mut("sensorMetadata"), "deviceID");
            if let Some(Value::Array(reports)) = sensor.get_mut("sensorReport") {
                reports.iter_mut().for_each(|r| field(Some(r), "deviceID"));
            }
        }
    }
}

/// An EPC URN as its canonical Digital Link URI.
fn urn_to_dl(s: &str) -> Option<String> {
    s.starts_with("urn:epc:").then(|| canonical_web_uri(s)).flatten()
}

/// A Digital Link URI as its EPC URN. The company prefix length comes only
/// from the prefixes registered with products (exactly one must start the
/// key's digits); a Digital Link with no such prefix, or that a URN cannot
/// express exactly, is returned as captured. The REST binding's OpenAPI
/// (`epcis-rest-openapi.yaml`, parameter `GS1-EPC-Format`) says only
/// "Always_EPC_URN: URIs are returned as URN"; a URN cannot be formed without
/// the prefix length, and guessing one would name another object, so the
/// identifier is left in the form it was captured in.
fn dl_to_urn(s: &str, prefixes: &KnownPrefixes) -> Option<String> {
    digital_link_as_urn(s, prefixes)
}

/// The JSON-LD context of our documents: the standard one plus our prefix.
fn context() -> Value {
    json!(["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"agri": suyuan_core::stages::AGRI_NS}])
}

fn query_document(mut events: Vec<Value>, format: &EpcFormat) -> Value {
    match format {
        EpcFormat::AsCaptured => {}
        EpcFormat::DigitalLink => events.iter_mut().for_each(|e| rewrite_epcs(e, &urn_to_dl)),
        EpcFormat::EpcUrn(prefixes) => {
            let conv = |s: &str| dl_to_urn(s, prefixes);
            events.iter_mut().for_each(|e| rewrite_epcs(e, &conv));
        }
    }
    json!({
        "@context": context(),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}}
    })
}

/// Query events (EPCIS SimpleEventQuery as REST parameters).
///
/// The caller's organisation's events and those about the units it holds or held. Lists
/// are `|`-separated; a parameter given twice or unknown is refused (400).
/// Pages: `perPage`, then `nextPageToken` from the `Link` or
/// `GS1-Next-Page-Token` header.
#[utoipa::path(get, path = "/epcis/events", tag = "epcis",
    params(
        ("eventType" = Option<String>, Query, description = "ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent (|-separated)."),
        ("GE_eventTime" = Option<String>, Query, format = DateTime, description = "eventTime at or after (ISO 8601 with a time zone)."),
        ("LT_eventTime" = Option<String>, Query, format = DateTime, description = "eventTime before."),
        ("GE_recordTime" = Option<String>, Query, format = DateTime, description = "recordTime at or after."),
        ("LT_recordTime" = Option<String>, Query, format = DateTime, description = "recordTime before."),
        ("EQ_bizStep" = Option<String>, Query, description = "bizStep, any spelling (|-separated)."),
        ("EQ_disposition" = Option<String>, Query, description = "disposition (|-separated)."),
        ("EQ_bizLocation" = Option<String>, Query, description = "bizLocation id (|-separated)."),
        ("EQ_readPoint" = Option<String>, Query, description = "readPoint id (|-separated)."),
        ("MATCH_epc" = Option<String>, Query, description = "An EPC of epcList or childEPCs (|-separated)."),
        ("MATCH_anyEPC" = Option<String>, Query, description = "An EPC in any role, parentID included."),
        ("MATCH_epcClass" = Option<String>, Query, description = "A lot (epcClass) of the quantity lists."),
        ("MATCH_parentID" = Option<String>, Query, description = "parentID."),
        ("MATCH_inputEPC" = Option<String>, Query, description = "An input of a TransformationEvent."),
        ("MATCH_outputEPC" = Option<String>, Query, description = "An output of a TransformationEvent."),
        ("EQ_agri_recordKind" = Option<String>, Query, description = "Record kinds (agri:recordKind), e.g. pest_control|harvest."),
        ("perPage" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "1 to 1000 (default 100)."),
        ("nextPageToken" = Option<String>, Query, format = Uuid, description = "From the previous page."),
        ("GS1-EPC-Format" = Option<String>, Header, pattern = "^(No_Preference|Always_GS1_Digital_Link|Always_EPC_URN|Never_Translates)?$", description = "No_Preference or Always_GS1_Digital_Link (default), Always_EPC_URN, Never_Translates."),
    ),
    responses(
        (status = 200, body = EpcisQueryDocument, headers(
            ("Link" = String, description = "The next page: </epcis/events?…>; rel=\"next\""),
            ("GS1-Next-Page-Token" = String, description = "The next page's token."))),
        (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let format = epc_format(&state.store, &headers).await?;
    let q = parse_query(raw.as_deref())?;
    let page = state.store.query_events(&caller, &q).await?;
    let mut resp = Json(query_document(page.events, &format)).into_response();
    if let Some(next) = page.next {
        // The same query, next page.
        let mut params: Vec<(String, String)> =
            form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
                .filter(|(k, _)| k != "nextPageToken")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        params.push(("nextPageToken".into(), next.to_string()));
        let qs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        if let Ok(v) = HeaderValue::from_str(&format!("</epcis/events?{qs}>; rel=\"next\"")) {
            resp.headers_mut().insert(header::LINK, v);
        }
        if let Ok(v) = HeaderValue::from_str(&next.to_string()) {
            resp.headers_mut().insert("GS1-Next-Page-Token", v);
        }
    }
    Ok(resp)
}

/// One event by its eventID.
///
/// Followed by its error declaration if it was corrected; 404 for an event the caller may not read.
#[utoipa::path(get, path = "/epcis/events/{eventID}", tag = "epcis",
    params(
        ("eventID" = String, Path, description = "The eventID, percent-encoded."),
        ("GS1-EPC-Format" = Option<String>, Header, pattern = "^(No_Preference|Always_GS1_Digital_Link|Always_EPC_URN|Never_Translates)?$", description = "As for /epcis/events."),
    ),
    responses((status = 200, body = EpcisQueryDocument), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
pub async fn event(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    Path(event_id): Path<String>,
) -> ApiResult<Response> {
    let format = epc_format(&state.store, &headers).await?;
    let events = state.store.get_event(&caller, &event_id).await?;
    Ok(Json(query_document(events, &format)).into_response())
}
