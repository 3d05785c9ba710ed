//! The testing agency's console: the samples entrusted to it (by the
//! holder, or by a regulator's sampling task), and for each a results form
//! (one test item a line: item, result, limit and the standard both come
//! from). Each item's verdict and the report's conclusion are computed
//! ([`suyuan_core::testing`]); the report is stored as the lot's `testing`
//! record through the same capture as the API, signed with the agency's
//! key, so a failed test makes the lot non-conformant exactly as a
//! `testing` record posted to `/epcis/capture` does. A sample the agency
//! never received is not found, and nothing is stored. Each report is
//! printed as an A4 PDF whose QR code opens its public page `/r/{id}`
//! (the agency's own only: `Store::own_test_report`).
//!
//! Also here: a regulator's sampling task (抽检), the officer's `sampling`
//! record naming a lot in its jurisdiction and the agency to test it.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use serde_json::{json, Value};
use suyuan_core::refs::ORG_URN;
use suyuan_core::stages::{RecordKind, AGRI_PREFIX};

use super::layout::{csrf_field, esc, hidden, page, table};
use super::records::{store_event, to_stored};
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::error::ApiError;
use crate::AppState;

fn time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| super::layout::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

/// The samples received, with a results form for each not yet tested.
pub(crate) async fn samples(State(state): State<AppState>, c: Console) -> PageResult {
    let samples = state
        .store
        .entrusted_samples(&c.caller)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let rows: Vec<Vec<String>> = samples
        .iter()
        .map(|s| {
            vec![
                format!("<code>{}</code>", esc(&s.epc)),
                esc(s.sample_id.as_deref().unwrap_or("")),
                esc(&s.sampled_by),
                esc(&time(s.sampled_at)),
                match s.report {
                    Some(id) => format!(
                        "✓ <a href=\"/r/{id}\">{}</a> · <a id=\"report-pdf-{id}\" href=\"/console/lab/reports/{id}/pdf\">PDF</a>",
                        c.lang.pick("报告", "report")
                    ),
                    None if s.tested => "✓".into(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    let mut b = format!(
        "<h1>{}</h1><div class=\"card\">{}</div>",
        c.t(T::Samples),
        if rows.is_empty() {
            c.t(T::NoneYet).to_owned()
        } else {
            table(
                &[
                    c.t(T::Lot),
                    c.t(T::SampleId),
                    c.t(T::SampledBy),
                    c.t(T::Time),
                    c.t(T::Tested),
                ],
                &rows,
            )
        }
    );
    for (i, s) in samples.iter().enumerate().filter(|(_, s)| !s.tested) {
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/lab/results\">{csrf}{epc}{sample}\
             <h2>{title} <code>{lot}</code></h2><label for=\"items-{i}\">{items_l} <small>{help}</small></label>\
             <textarea id=\"items-{i}\" name=\"items\" required></textarea>\
             <button id=\"sign-report-{i}\">{go}</button></form>",
            csrf = csrf_field(&c),
            epc = hidden("epc", &s.epc),
            sample = hidden("sample_id", s.sample_id.as_deref().unwrap_or("")),
            title = c.t(T::Results),
            lot = esc(&s.epc),
            items_l = c.t(T::TestItems),
            help = c.t(T::TestItemsLines),
            go = c.t(T::SignReport),
        );
    }
    Ok(Html(page(&c, c.t(T::Samples), &b)).into_response())
}

/// Stores a report: the `testing` record of an entrusted sample.
pub(crate) async fn results(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let epc = f.text("epc");
    let samples = state.store.entrusted_samples(&c.caller).await.map_err(err)?;
    let Some(sample) = samples.iter().find(|s| s.epc == epc) else {
        return Err(error_page(c.lang, ApiError::not_found("sample")));
    };
    let items = suyuan_core::testing::parse_items(&f.text("items")).map_err(|e| {
        error_page(
            c.lang,
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh).with_field("items"),
        )
    })?;
    let agency = state
        .store
        .get_organisation(&c.caller, c.caller.org_id)
        .await
        .map_err(err)?;
    let mut event = skeleton(RecordKind::Testing, &sample.epc);
    event[format!("{AGRI_PREFIX}:sampleId")] = json!(sample
        .sample_id
        .clone()
        .unwrap_or_else(|| sample.sampling_event.clone()));
    event[format!("{AGRI_PREFIX}:testItems")] =
        json!(items.iter().map(|i| i.to_json()).collect::<Vec<Value>>());
    event[format!("{AGRI_PREFIX}:conclusion")] = json!(suyuan_core::testing::conclusion(&items));
    event[format!("{AGRI_PREFIX}:agency")] = json!(agency.name);
    let id = store_event(&state, &c, event).await?;
    Ok(to_stored(&id))
}

/// A report of the agency printed (A4 PDF, its QR code the report's
/// public page `/r/{id}`); another organisation's is not found.
pub(crate) async fn report_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    c: Console,
) -> PageResult {
    let not_found = || error_page(c.lang, ApiError::not_found("test report"));
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let report = state
        .store
        .own_test_report(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    crate::api::test_reports::pdf_of(&report, &state.config.public_url).map_err(|e| error_page(c.lang, e))
}

/// An event of `kind` naming `epc` (a lot: one kilogram of it), now.
fn skeleton(kind: RecordKind, epc: &str) -> Value {
    let example = suyuan_core::stages::examples::example_event(kind);
    json!({
        "type": example["type"],
        "action": example["action"],
        "bizStep": example["bizStep"],
        "eventID": format!("urn:uuid:{}", uuid::Uuid::now_v7()),
        "eventTime": chrono::Utc::now().to_rfc3339(),
        "eventTimeZoneOffset": "+08:00",
        "quantityList": [{"epcClass": epc, "quantity": 1.0, "uom": "KGM"}],
        format!("{AGRI_PREFIX}:recordKind"): kind.as_str(),
    })
}

/// A regulator's sampling task: the officer's `sampling` record of a lot
/// in its jurisdiction, entrusting the named agency with the sample.
pub(crate) async fn sampling_task(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    if c.caller.officer_jurisdiction().is_none() {
        return Err(store_error(
            c.lang,
            suyuan_store::StoreError::forbidden(
                "officer_only",
                "only a regulator's officer assigns sampling tasks",
                "只有监管人员可以下达抽检任务",
            ),
        ));
    }
    let unit = crate::api::trace::parse_code(&f.text("code")).map_err(|e| error_page(c.lang, e))?;
    let epc = suyuan_store::trace::canonical_epc(&unit).map_err(|e| {
        error_page(
            c.lang,
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh).with_field("code"),
        )
    })?;
    let mut event = skeleton(RecordKind::Sampling, &epc);
    event["destinationList"] =
        json!([{"type": "owning_party", "destination": format!("{ORG_URN}{}", f.text("agency"))}]);
    event[format!("{AGRI_PREFIX}:sampleId")] = json!(f.text("sample_id"));
    store_event(&state, &c, event).await?;
    Ok(Redirect::to("/console/regulator").into_response())
}
