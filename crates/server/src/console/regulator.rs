//! The regulator's console (R-5.3.3.3, R-8.2.4), for officers and their
//! jurisdiction only: the enterprises with their verification status and
//! when each last recorded (those silent for 30 days flagged), the lots
//! that are not conformant with why and a link to where their units went,
//! and an enterprise's page with its inspections (巡查) and records
//! sampling checks, each run and recorded from a form, and a link to its
//! archives of chapter 4.3 (`super::archives::officer`). Enterprise records
//! are read, never changed; an enterprise outside the jurisdiction is not
//! found (404). Everyone but an officer is refused (403).

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use chrono::{Duration, NaiveDate};
use suyuan_store::oversight::{OversightRecord, INSPECTION_CONCLUSIONS};
use uuid::Uuid;

use super::layout::{csrf_field, esc, page, table};
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::error::ApiError;
use crate::AppState;

/// Days without a record after which an enterprise is flagged.
pub const SILENT_DAYS: i64 = 30;

fn time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| super::layout::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

fn kind_name(c: &Console, kind: &str) -> String {
    suyuan_core::model::OrgKind::parse(kind)
        .map_or_else(|_| kind.to_owned(), |k| c.lang.pick(k.zh(), k.en()).to_owned())
}

fn status_name(c: &Console, status: &str) -> String {
    suyuan_core::model::OrgStatus::parse(status)
        .map_or_else(|_| status.to_owned(), |s| c.lang.pick(s.zh(), s.en()).to_owned())
}

/// The dashboard: enterprises, flagged lots.
pub(crate) async fn dashboard(State(state): State<AppState>, c: Console) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let enterprises = state
        .store
        .jurisdiction_enterprises(&c.caller)
        .await
        .map_err(err)?;
    let lots = state
        .store
        .jurisdiction_flagged_lots(&c.caller, 200)
        .await
        .map_err(err)?;
    let silent_since = suyuan_store::now_ms() - SILENT_DAYS * 24 * 3600 * 1000;
    let rows: Vec<Vec<String>> = enterprises
        .iter()
        .map(|e| {
            let last = match e.last_recorded {
                Some(t) if t >= silent_since => esc(&time(t)),
                Some(t) => format!(
                    "{} <span class=\"bad silent\">{}</span>",
                    esc(&time(t)),
                    c.t(T::Silent)
                ),
                None => format!("<span class=\"bad silent\">{}</span>", c.t(T::NeverRecorded)),
            };
            vec![
                format!(
                    "<a href=\"/console/regulator/orgs/{}\">{}</a>",
                    esc(&e.id),
                    esc(&e.name)
                ),
                esc(&kind_name(&c, &e.kind)),
                esc(&status_name(&c, &e.status)),
                esc(&e.region),
                last,
            ]
        })
        .collect();
    let overdue = state
        .store
        .complaint_inbox(&c.caller, suyuan_store::now_ms())
        .await
        .map_err(err)?
        .iter()
        .filter(|x| x.overdue)
        .count();
    let overdue_note = if overdue > 0 {
        format!(
            " <span class=\"bad\" id=\"overdue-complaints\">{} {overdue}</span>",
            c.t(T::Overdue)
        )
    } else {
        String::new()
    };
    let mut b = format!(
        "<h1>{}</h1><nav class=\"sub\"><a href=\"/console/complaints\">{}</a>{overdue_note}</nav>\
         <div class=\"card\" id=\"enterprises\"><h2>{} ({})</h2>{}</div>",
        c.t(T::Jurisdiction),
        c.t(T::ComplaintInbox),
        c.t(T::Enterprises),
        enterprises.len(),
        table(
            &[
                c.t(T::Organisation),
                c.t(T::Kind),
                c.t(T::Status),
                c.t(T::Region),
                c.t(T::LastRecorded)
            ],
            &rows
        )
    );
    let lot_rows: Vec<Vec<String>> = lots
        .iter()
        .map(|l| {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("code", &l.epc)
                .finish();
            vec![
                format!(
                    "<a href=\"/console/search?{}\"><code>{}</code></a>",
                    esc(&q),
                    esc(&l.epc)
                ),
                esc(&super::layout::status_name(c.lang, &l.status)),
                esc(c.lang.pick(
                    l.reason_zh.as_deref().or(l.reason.as_deref()).unwrap_or(""),
                    l.reason.as_deref().unwrap_or(""),
                )),
                esc(&l.owner),
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<div class=\"card\" id=\"flagged-lots\"><h2>{}</h2>{}</div>",
        c.t(T::FlaggedLots),
        if lot_rows.is_empty() {
            c.t(T::NoneYet).to_owned()
        } else {
            table(
                &[c.t(T::Lot), c.t(T::Status), c.t(T::Reason), c.t(T::Organisation)],
                &lot_rows,
            )
        }
    );
    let agencies = state
        .store
        .list_organisations(
            &c.caller,
            &suyuan_store::orgs::OrgFilter {
                status: Some(suyuan_core::model::OrgStatus::Verified),
                kind: Some(suyuan_core::model::OrgKind::TestingAgency),
                needs_review: None,
            },
            suyuan_store::PageRequest::first(suyuan_store::PageRequest::MAX_LIMIT),
        )
        .await
        .map_err(err)?;
    let options: Vec<(String, String)> = agencies
        .items
        .iter()
        .map(|a| (a.id.to_string(), a.name.clone()))
        .collect();
    let _ = write!(
        b,
        "<form class=\"card\" method=\"post\" action=\"/console/regulator/sampling-tasks\">{csrf}<h2>{title}</h2>\
         <label for=\"task-code\">{lot}</label><input id=\"task-code\" name=\"code\" required>\
         <label for=\"agency\">{agency_l}</label>{agencies}\
         <label for=\"sample_id\">{sample_l}</label><input id=\"sample_id\" name=\"sample_id\" required>\
         <button id=\"assign-task\">{title}</button></form>",
        csrf = csrf_field(&c),
        title = c.t(T::SamplingTask),
        lot = c.t(T::Lot),
        agency_l = c.t(T::Agency),
        agencies = super::layout::select(&c, "agency", &options, ""),
        sample_l = c.t(T::SampleId),
    );
    Ok(Html(page(&c, c.t(T::Jurisdiction), &b)).into_response())
}

/// One record of an inspection or a sampling check.
fn record_html(c: &Console, r: &OversightRecord) -> String {
    let mut s = format!(
        "<div class=\"card oversight\"><p><b>{}</b> · {} · <span class=\"conclusion\">{}</span></p>",
        esc(c.lang.pick(
            if r.kind == "inspection" {
                "巡查"
            } else {
                "记录抽查"
            },
            if r.kind == "inspection" {
                "Inspection"
            } else {
                "Records sampling check"
            }
        )),
        esc(&time(r.at)),
        esc(&r.conclusion),
    );
    if r.kind == "inspection" {
        let _ = write!(s, "<p>{}</p>", esc(&r.findings).replace('\n', "<br>"));
    } else {
        let _ = write!(
            s,
            "<p>{} – {} · {} {} · {} {}</p><ul>",
            esc(&time(r.period_from.unwrap_or(0))),
            esc(&time(r.period_to.unwrap_or(0))),
            r.sample_size.unwrap_or(0),
            c.t(T::Drawn),
            r.failed.unwrap_or(0),
            c.t(T::Failed),
        );
        let v: serde_json::Value = serde_json::from_str(&r.findings).unwrap_or_default();
        for rec in v["records"].as_array().into_iter().flatten() {
            let found: Vec<&str> = rec["found"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .collect();
            let _ = write!(
                s,
                "<li><code>{}</code> {} {}</li>",
                esc(rec["event_id"].as_str().unwrap_or("")),
                if found.is_empty() { "✓" } else { "✗" },
                esc(&found.join("; "))
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>");
    s
}

/// An enterprise: its activity, the forms for an inspection and a records
/// sampling check, and what was recorded before.
pub(crate) async fn enterprise(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<Uuid>,
) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let e = state
        .store
        .jurisdiction_enterprise(&c.caller, id)
        .await
        .map_err(err)?;
    let records = state.store.oversight_records(&c.caller, id).await.map_err(err)?;
    // The form's dates are China's (`day_start` reads them at UTC+8): from
    // 16:00 UTC on, today there is tomorrow in UTC.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let conclusions: String = INSPECTION_CONCLUSIONS
        .iter()
        .map(|k| {
            let label = if *k == "satisfactory" {
                T::Satisfactory
            } else {
                T::Rectify
            };
            format!("<option value=\"{k}\">{}</option>", c.t(label))
        })
        .collect();
    let mut b = format!(
        "<h1>{name}</h1><nav class=\"sub\"><a id=\"archives\" href=\"/console/regulator/orgs/{id}/archives\">{archives}</a></nav>\
         <div class=\"card\"><dl class=\"cols\"><dt>{kind_l}</dt><dd>{kind}</dd><dt>{status_l}</dt><dd>{status}</dd>\
         <dt>{region_l}</dt><dd>{region}</dd><dt>{last_l}</dt><dd>{last}</dd></dl></div>\
         <form class=\"card\" method=\"post\" action=\"/console/regulator/orgs/{id}/sampling\">{csrf}<h2>{check}</h2>\
         <label for=\"from\">{from_l}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{from}\">\
         <label for=\"to\">{to_l}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{to}\">\
         <label for=\"n\">{n_l}</label><input id=\"n\" name=\"n\" type=\"number\" min=\"1\" max=\"100\" value=\"10\">\
         <button id=\"run-check\">{check}</button></form>\
         <form class=\"card\" method=\"post\" action=\"/console/regulator/orgs/{id}/inspections\">{csrf}<h2>{insp}</h2>\
         <label for=\"findings\">{findings_l}</label><textarea id=\"findings\" name=\"findings\" maxlength=\"4000\" required></textarea>\
         <label for=\"conclusion\">{concl_l}</label><select id=\"conclusion\" name=\"conclusion\">{conclusions}</select>\
         <button id=\"record-inspection\">{insp}</button></form>",
        name = esc(&e.name),
        archives = c.lang.pick("质量管理档案", "Quality management archives"),
        kind_l = c.t(T::Kind),
        kind = esc(&kind_name(&c, &e.kind)),
        status_l = c.t(T::Status),
        status = esc(&status_name(&c, &e.status)),
        region_l = c.t(T::Region),
        region = esc(&e.region),
        last_l = c.t(T::LastRecorded),
        last = e.last_recorded.map(time).unwrap_or_else(|| c.t(T::NeverRecorded).to_owned()),
        csrf = csrf_field(&c),
        check = c.t(T::RecordsCheck),
        from_l = c.t(T::PeriodFrom),
        from = today - Duration::days(365),
        to_l = c.t(T::PeriodTo),
        to = today,
        n_l = c.t(T::SampleSize),
        insp = c.t(T::Inspection),
        findings_l = c.t(T::Findings),
        concl_l = c.t(T::Conclusion),
    );
    for r in &records {
        b.push_str(&record_html(&c, r));
    }
    Ok(Html(page(&c, &e.name, &b)).into_response())
}

/// A day typed in a form, as the start of that day in China (ms).
fn day_start(c: &Console, field: &str, value: &str) -> Result<i64, axum::response::Response> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis() - 8 * 3600 * 1000)
        .ok_or_else(|| {
            error_page(
                c.lang,
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "date_format",
                    "a date is written YYYY-MM-DD",
                    "日期格式应为 YYYY-MM-DD",
                )
                .with_field(field),
            )
        })
}

/// Runs and records a records sampling check.
pub(crate) async fn sampling(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted(c, f): Posted,
) -> PageResult {
    let from = day_start(&c, "from", &f.text("from"))?;
    let to = day_start(&c, "to", &f.text("to"))? + 24 * 3600 * 1000;
    let n = f.text("n").parse::<i64>().unwrap_or(0);
    state
        .store
        .records_sampling_check(&c.caller, id, from, to, n)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/regulator/orgs/{id}")).into_response())
}

/// Records an inspection's findings.
pub(crate) async fn inspection(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted(c, f): Posted,
) -> PageResult {
    state
        .store
        .record_inspection(&c.caller, id, &f.text("findings"), &f.text("conclusion"))
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/regulator/orgs/{id}")).into_response())
}
