//! The complaints inbox (R-8.1.2 e): the consumers' complaints about the
//! organisation's units (held or owned), or, for an officer, about the
//! organisations in its jurisdiction, with those not acknowledged within
//! 3 working days flagged first. A complaint's page shows what the
//! consumer wrote, the phone number masked, the photos, the history and,
//! for a recorder of the holder or owner or an officer of the
//! jurisdiction, a form to move it on (acknowledge, investigate, answer,
//! reject) with a reply the consumer reads on the public status page, with
//! who answered. Each change is a logged record naming the organisation
//! and the user who acted.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};
use suyuan_core::complaints::{Category, Status};
use suyuan_store::complaints::ComplaintEntry;

use super::layout::{csrf_field, esc, page, table};
use super::{store_error, Console, PageResult, Posted, T};
use crate::AppState;

fn time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| super::layout::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

fn status_name(c: &Console, s: &str) -> String {
    Status::parse(s).map_or_else(|_| s.to_owned(), |s| c.lang.pick(s.zh(), s.en()).to_owned())
}

fn category_name(c: &Console, s: &str) -> String {
    Category::parse(s).map_or_else(|_| s.to_owned(), |k| c.lang.pick(k.zh(), k.en()).to_owned())
}

fn row(c: &Console, e: &ComplaintEntry) -> Vec<String> {
    let flag = if e.overdue {
        format!(" <span class=\"bad overdue\">{}</span>", c.t(T::Overdue))
    } else {
        String::new()
    };
    vec![
        format!(
            "<a href=\"/console/complaints/{r}\">{r}</a>",
            r = esc(&e.reference)
        ),
        format!("<code>{}</code>", esc(&e.unit_epc)),
        esc(&category_name(c, &e.category)),
        format!("{}{flag}", esc(&status_name(c, &e.status))),
        esc(&time(e.filed_at)),
    ]
}

/// The inbox: overdue complaints first (flagged), then all, newest first.
pub(crate) async fn inbox(State(state): State<AppState>, c: Console) -> PageResult {
    let entries = state
        .store
        .complaint_inbox(&c.caller, suyuan_store::now_ms())
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let head = [
        c.t(T::Reference),
        c.t(T::Units),
        c.t(T::Category),
        c.t(T::Status),
        c.t(T::Filed),
    ];
    let mut b = format!("<h1>{}</h1>", c.t(T::ComplaintInbox));
    let overdue: Vec<Vec<String>> = entries.iter().filter(|e| e.overdue).map(|e| row(&c, e)).collect();
    if !overdue.is_empty() {
        let _ = write!(
            b,
            "<div class=\"card\" id=\"overdue\"><p class=\"warn\">{}</p>{}</div>",
            c.t(T::OverdueNote),
            table(&head, &overdue)
        );
    }
    let all: Vec<Vec<String>> = entries.iter().map(|e| row(&c, e)).collect();
    if all.is_empty() {
        let _ = write!(b, "<div class=\"card\"><p>{}</p></div>", c.t(T::NoneYet));
    } else {
        let _ = write!(b, "<div class=\"card\">{}</div>", table(&head, &all));
    }
    Ok(Html(page(&c, c.t(T::Complaints), &b)).into_response())
}

/// One complaint, its history and, for the enterprise, the answer form.
pub(crate) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(reference): Path<String>,
) -> PageResult {
    let d = state
        .store
        .complaint_detail(&c.caller, &reference)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let e = &d.entry;
    let r = esc(&e.reference);
    let mut b = format!(
        "<h1>{} {r}</h1><div class=\"card\"><dl class=\"cols\">\
         <dt>{}</dt><dd><code>{}</code></dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd id=\"status\">{}{}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        c.t(T::Complaints),
        c.t(T::Units),
        esc(&e.unit_epc),
        c.t(T::Category),
        esc(&category_name(&c, &e.category)),
        c.t(T::Status),
        esc(&status_name(&c, &e.status)),
        if e.overdue {
            format!(" <span class=\"bad\">{}</span>", c.t(T::Overdue))
        } else {
            String::new()
        },
        c.t(T::Filed),
        esc(&time(e.filed_at)),
        c.t(T::AcknowledgeBy),
        esc(&time(e.acknowledge_by - 1)),
        c.t(T::Description),
        esc(&e.description).replace('\n', "<br>"),
        c.t(T::Phone),
        esc(e.phone_masked.as_deref().unwrap_or("—")),
    );
    for (i, t) in d.photo_types.iter().enumerate() {
        let _ = write!(
            b,
            "<a href=\"/console/complaints/{r}/photos/{n}\"><img src=\"/console/complaints/{r}/photos/{n}\" \
             alt=\"{} {n} ({})\" class=\"thumb\"></a>",
            c.t(T::Photos),
            esc(t),
            n = i + 1
        );
    }
    let _ = write!(b, "</div><div class=\"card\"><h2>{}</h2><ul>", c.t(T::History));
    let _ = write!(
        b,
        "<li>{} · {}</li>",
        esc(&time(e.filed_at)),
        esc(&status_name(&c, "received"))
    );
    for u in &d.updates {
        let _ = write!(
            b,
            "<li>{} · <b>{}</b> · {}{}</li>",
            esc(&time(u.at)),
            esc(&status_name(&c, &u.status)),
            esc(&format!(
                "{} {}",
                u.org_name.as_deref().unwrap_or_default(),
                u.username.as_deref().unwrap_or_default()
            )),
            u.reply
                .as_deref()
                .map(|r| format!("<br>{}", esc(r)))
                .unwrap_or_default()
        );
    }
    b.push_str("</ul></div>");
    b.push_str(&answer_form(&c, e));
    Ok(Html(page(&c, c.t(T::Complaints), &b)).into_response())
}

/// The form moving a complaint on, for a member of its holder or owner,
/// or an officer of the jurisdiction (who sees the complaint only then).
fn answer_form(c: &Console, e: &ComplaintEntry) -> String {
    let own = [&e.holder_org_id, &e.owner_org_id]
        .iter()
        .any(|o| **o == c.caller.org_id.to_string());
    if !own && c.caller.officer_jurisdiction().is_none() {
        return format!("<p class=\"muted\">{}</p>", c.t(T::ReadOnly));
    }
    let Ok(current) = Status::parse(&e.status) else {
        return String::new();
    };
    if current.next().is_empty() {
        return String::new();
    }
    let options: String = current
        .next()
        .iter()
        .map(|s| {
            format!(
                "<option value=\"{}\">{}</option>",
                s.as_str(),
                esc(c.lang.pick(s.zh(), s.en()))
            )
        })
        .collect();
    format!(
        "<form class=\"card\" method=\"post\" action=\"/console/complaints/{r}/status\">{csrf}\
         <h2>{title}</h2><label for=\"status-select\">{status_l}</label>\
         <select id=\"status-select\" name=\"status\">{options}</select>\
         <label for=\"reply\">{reply_l}</label><textarea id=\"reply\" name=\"reply\" maxlength=\"2000\"></textarea>\
         <button id=\"change-status\">{go}</button></form>",
        r = esc(&e.reference),
        csrf = csrf_field(c),
        title = c.t(T::ChangeStatus),
        status_l = c.t(T::Status),
        reply_l = c.t(T::Reply),
        go = c.t(T::ChangeStatus),
    )
}

/// Moves a complaint on; back to its page.
pub(crate) async fn change(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Posted(c, f): Posted,
) -> PageResult {
    state
        .store
        .update_complaint(&c.caller, &reference, &f.text("status"), f.get("reply"))
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/complaints/{}", form_path(&reference))).into_response())
}

/// A path segment, percent-encoded.
fn form_path(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A photo of a complaint the caller may read, as the image it is.
pub(crate) async fn photo(
    State(state): State<AppState>,
    c: Console,
    Path((reference, n)): Path<(String, i64)>,
) -> PageResult {
    let (media_type, bytes) = state
        .store
        .complaint_photo(&c.caller, &reference, n)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
