//! Records: the list of record kinds by stage (each opening its form,
//! [`super::recordform`]), a record's page (its fields, named; its versions;
//! its correction), and the lists the forms pick from ([`choices`]).
//!
//! A correction is an EPCIS error declaration, captured like any record:
//! the record as stored, with `errorDeclaration` (its time and reason)
//! added. Only the organisation that recorded it may declare it wrong; the
//! store refuses anyone else, as it refuses the API.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{json, Value};
use suyuan_core::model::InputKind;
use suyuan_core::stages::values::agri_field;
use suyuan_core::stages::{RecordKind, Stage, AGRI_PREFIX};
use suyuan_store::trace::capture::ErrorBehaviour;
use suyuan_store::trace::units::LotFilter;

use super::layout::{csrf_field, esc, event_name, hidden, local_time, page, select};
use super::recordform::PICK;
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::error::ApiError;
use crate::extract::LenientQuery;
use crate::AppState;

/// Every kind, by stage.
pub(crate) async fn index(c: Console) -> PageResult {
    let mut b = format!("<h1>{}</h1>", c.t(T::NewRecord));
    for stage in Stage::ALL {
        let kinds: Vec<&RecordKind> = RecordKind::ALL
            .iter()
            .filter(|k| suyuan_core::stages::profile(**k).stage == *stage)
            .collect();
        if kinds.is_empty() {
            continue;
        }
        let _ = write!(
            b,
            "<div class=\"card\"><h2>{}</h2><nav class=\"sub\">",
            c.lang.pick(stage.zh(), stage.en())
        );
        for k in kinds {
            let _ = write!(
                b,
                "<a class=\"btn alt\" id=\"new-{0}\" href=\"/console/records/new/{0}\">{1}</a>",
                k.as_str(),
                esc(c.lang.pick(k.zh(), k.en()))
            );
        }
        b.push_str("</nav></div>");
    }
    Ok(Html(page(&c, c.t(T::Records), &b)).into_response())
}

/// What a form picks from, as (value, label).
#[derive(Debug, Default)]
pub(crate) struct Choices {
    pub places: Vec<(String, String)>,
    /// Lots by canonical identifier.
    pub lots: Vec<(String, String)>,
    /// Input lots: value, the input's kind, label.
    pub purchases: Vec<(String, InputKind, String)>,
    pub partners: Vec<(String, String)>,
    /// Shipments on their way, by despatch advice.
    pub shipments: Vec<(String, String)>,
    /// The organisation's customers and distributors (for a sale's buyer),
    /// by canonical identifier.
    pub customers: Vec<(String, String)>,
}

/// The lists a form of `kind` picks from.
pub(crate) async fn choices(
    state: &AppState,
    c: &Console,
    kind: RecordKind,
) -> Result<Choices, axum::response::Response> {
    let s = &state.store;
    let err = |e| store_error(c.lang, e);
    let own = Some(c.caller.org_id);
    let places = s.list_places(&c.caller, own, PICK).await.map_err(err)?;
    let products = s.list_products(&c.caller, own, PICK).await.map_err(err)?;
    let lots = s
        .list_lots(&c.caller, &LotFilter::default(), PICK)
        .await
        .map_err(err)?;
    let inputs = s.list_inputs(&c.caller, own, PICK).await.map_err(err)?;
    let purchases = s.list_purchases(&c.caller, own, PICK).await.map_err(err)?;
    let partners = s.partners(&c.caller).await.map_err(err)?;
    let shipments = if kind == RecordKind::Receiving {
        s.incoming_shipments(&c.caller).await.map_err(err)?
    } else {
        Vec::new()
    };
    let customers = if kind == RecordKind::Sale {
        s.customers(&c.caller, own, None, PICK).await.map_err(err)?.items
    } else {
        Vec::new()
    };
    let lang = c.lang;
    Ok(Choices {
        places: places
            .items
            .iter()
            .map(|p| {
                (
                    p.id.to_string(),
                    format!("{} ({})", p.name, lang.pick(p.kind.zh(), p.kind.en())),
                )
            })
            .collect(),
        lots: lots
            .items
            .iter()
            .rev()
            .map(|u| {
                let product = product_name(&products.items, u);
                (
                    u.epc.clone(),
                    format!("{} {}", u.batch.as_deref().unwrap_or(&u.epc), product),
                )
            })
            .collect(),
        purchases: purchases
            .items
            .iter()
            .filter_map(|p| {
                let input = inputs.items.iter().find(|i| i.id == p.input_id)?;
                Some((
                    format!("{}{}", suyuan_core::refs::INPUT_LOT_URN, p.id),
                    input.kind,
                    format!("{} · {} ({})", input.name, p.lot_number, p.purchased_on),
                ))
            })
            .collect(),
        partners: partners
            .iter()
            .map(|p| (p.id.to_string(), p.name.clone()))
            .collect(),
        shipments: shipments
            .iter()
            .map(|sh| {
                (
                    sh.despatch_ref.clone(),
                    format!(
                        "{} · {} · {}",
                        sh.from_org_name,
                        local_time(&sh.shipped_at, "+08:00"),
                        sh.despatch_ref
                    ),
                )
            })
            .collect(),
        customers: customers
            .iter()
            .map(|x| {
                (
                    suyuan_core::refs::customer_canonical(x.stamp.entry_id),
                    format!("{} ({})", x.name, lang.pick(&x.kind_zh, &x.kind)),
                )
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub(crate) struct RecordQuery {
    id: String,
    /// Set after storing: how many warnings capture gave.
    stored: Option<u32>,
}

/// A record's page: every version of it (the record and, if declared wrong,
/// the declaration), its fields named, and the correction form.
pub(crate) async fn show(
    State(state): State<AppState>,
    c: Console,
    LenientQuery(q): LenientQuery<RecordQuery>,
) -> PageResult {
    record_page(&state, &c, &q.id, q.stored.map(|_| &[][..])).await
}

/// A record's page; `stored` (with the warnings capture gave) when it was
/// just stored.
pub(crate) async fn record_page(
    state: &AppState,
    c: &Console,
    id: &str,
    stored: Option<&[String]>,
) -> PageResult {
    let q = RecordQuery {
        id: id.to_owned(),
        stored: stored.map(|w| u32::try_from(w.len()).unwrap_or(u32::MAX)),
    };
    let versions = state
        .store
        .get_event(&c.caller, &q.id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let Some(first) = versions.first() else {
        return Err(error_page(c.lang, ApiError::not_found("record")));
    };
    let name = event_name(
        c.lang,
        first
            .get(format!("{AGRI_PREFIX}:recordKind"))
            .and_then(Value::as_str),
        first.get("bizStep").and_then(Value::as_str),
    );
    let mut b = format!("<h1>{}</h1>", esc(&name));
    if q.stored.is_some() {
        let _ = write!(b, "<p class=\"ok\" id=\"stored\">{}</p>", c.t(T::Stored));
    }
    for w in stored.unwrap_or_default() {
        let _ = write!(b, "<p class=\"warn\">{}</p>", esc(w));
    }
    for v in &versions {
        b.push_str(&version_card(c, v));
    }
    let declared = versions.iter().any(|v| v.get("errorDeclaration").is_some());
    if !declared {
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/record/correct\">{}{}\
             <h2>{}</h2><label for=\"reason\">{}</label>{}<button class=\"alt\" id=\"declare\">{}</button></form>",
            csrf_field(c),
            hidden("id", &q.id),
            c.t(T::Correct),
            c.t(T::CorrectReason),
            select(
                c,
                "reason",
                &[
                    ("incorrect_data".into(), c.t(T::IncorrectData).into()),
                    ("did_not_occur".into(), c.t(T::DidNotOccur).into())
                ],
                "incorrect_data"
            ),
            c.t(T::Correct)
        );
    }
    Ok(Html(page(c, &name, &b)).into_response())
}

/// One version of a record: its time, place, units and fields.
fn version_card(c: &Console, v: &Value) -> String {
    let lang = c.lang;
    let mut b = String::from("<div class=\"card\"><dl class=\"cols\">");
    if let Some(d) = v.get("errorDeclaration") {
        let reason = d.get("reason").and_then(Value::as_str).unwrap_or("");
        let _ = write!(
            b,
            "<dt>{}</dt><dd class=\"bad\">{} · {}</dd>",
            c.t(T::Declared),
            esc(d.get("declarationTime").and_then(Value::as_str).unwrap_or("")),
            esc(reason)
        );
    }
    let time = v
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            local_time(
                &t.with_timezone(&chrono::Utc),
                v.get("eventTimeZoneOffset")
                    .and_then(Value::as_str)
                    .unwrap_or("+08:00"),
            )
        });
    let _ = write!(
        b,
        "<dt>{}</dt><dd>{}</dd>",
        c.t(T::Time),
        esc(&time.unwrap_or_default())
    );
    if let Some(step) = v.get("bizStep").and_then(Value::as_str) {
        let _ = write!(
            b,
            "<dt>bizStep</dt><dd>{}</dd>",
            esc(&event_name(lang, None, Some(step)))
        );
    }
    for (key, value) in v.as_object().into_iter().flatten() {
        let label = match key.strip_prefix(&format!("{AGRI_PREFIX}:")) {
            Some("recordKind") => continue,
            Some(name) => agri_field(name).map_or(name.to_owned(), |a| lang.pick(a.zh, a.en).to_owned()),
            None if [
                "bizLocation",
                "epcList",
                "quantityList",
                "inputQuantityList",
                "outputQuantityList",
                "childQuantityList",
                "childEPCs",
                "parentID",
                "destinationList",
                "bizTransactionList",
                "inputEPCList",
                "outputEPCList",
                "disposition",
            ]
            .contains(&key.as_str()) =>
            {
                key.clone()
            }
            None => continue,
        };
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Array(a) if a.is_empty() => continue,
            other => other.to_string(),
        };
        let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", esc(&label), esc(&text));
    }
    let _ = write!(
        b,
        "</dl><p><small><code>{}</code></small></p></div>",
        esc(v.get("eventID").and_then(Value::as_str).unwrap_or(""))
    );
    b
}

/// Declares a record wrong: captures its error declaration.
pub(crate) async fn correct(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let id = f.text("id");
    let versions = state
        .store
        .get_event(&c.caller, &id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let Some(mut event) = versions.into_iter().next() else {
        return Err(error_page(c.lang, ApiError::not_found("record")));
    };
    let reason = match f.get("reason") {
        Some(r @ ("incorrect_data" | "did_not_occur")) => r.to_owned(),
        _ => "incorrect_data".to_owned(),
    };
    if let Some(o) = event.as_object_mut() {
        o.remove("recordTime");
        o.insert(
            "errorDeclaration".into(),
            json!({"declarationTime": chrono::Utc::now().to_rfc3339(), "reason": reason}),
        );
    }
    let doc = document(event);
    let job = state
        .store
        .capture(&c.caller, &doc, ErrorBehaviour::Rollback)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    state.metrics.count_capture(&job);
    if let Some(e) = refusal(&job) {
        return Err(error_page(c.lang, e));
    }
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", &id)
        .finish();
    Ok(Redirect::to(&format!("/console/record?{q}")).into_response())
}

/// The EPCIS document of one event, as the API takes it.
pub(crate) fn document(event: Value) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {AGRI_PREFIX: suyuan_core::stages::AGRI_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": chrono::Utc::now().to_rfc3339(),
        "epcisBody": {"eventList": [event]}
    })
}

/// Captures one event as the signed-in caller (the API's capture, rolled
/// back on any refusal); answers its eventID, or the refusal as a page.
pub(crate) async fn store_event(
    state: &crate::AppState,
    c: &super::Console,
    event: Value,
) -> Result<String, axum::response::Response> {
    let job = state
        .store
        .capture(
            &c.caller,
            &document(event),
            suyuan_store::trace::capture::ErrorBehaviour::Rollback,
        )
        .await
        .map_err(|e| super::store_error(c.lang, e))?;
    state.metrics.count_capture(&job);
    if let Some(e) = refusal(&job) {
        return Err(super::error_page(c.lang, e));
    }
    Ok(job.event_ids.first().cloned().unwrap_or_default())
}

/// To a just-stored record's page.
pub(crate) fn to_stored(event_id: &str) -> axum::response::Response {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", event_id)
        .append_pair("stored", "0")
        .finish();
    axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!("/console/record?{q}")))
}

/// The first refusal of a capture job, as the API words a refused request.
pub(crate) fn refusal(job: &suyuan_store::trace::capture::CaptureJob) -> Option<ApiError> {
    job.errors.first().map(|e| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &e.code,
            e.detail.clone(),
            e.detail_zh.clone(),
        )
        .with_field(e.field.clone())
    })
}

/// The name of the product a unit is of (by its GTIN), or nothing.
pub(crate) fn product_name<'a>(
    products: &'a [suyuan_store::products::Product],
    unit: &suyuan_store::trace::units::Unit,
) -> &'a str {
    products
        .iter()
        .find(|p| Some(&p.gtin) == unit.gtin.as_ref())
        .map_or("", |p| p.name.as_str())
}
