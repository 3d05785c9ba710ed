//! The archives of chapter 4.3 in the console (`/console/archives`): the
//! management documents with their current version and effective date,
//! customers and distributors, training sessions, internal audits and the
//! nonconformities they found (those past their due date flagged), each
//! with a form recording a new one; an entry's page lists every version
//! and carries the form of its next one. Documents and training sessions
//! carry a file, posted as `multipart/form-data`
//! ([`super::archives_forms::Uploaded`]); the forms are drawn in
//! [`super::archives_html`] and handled in [`super::archives_forms`], an
//! entry's page is [`super::archives_entry`]. An officer reads an
//! enterprise's archives within its jurisdiction, read only, from the
//! regulator's console ([`officer`], `/console/regulator/orgs/{id}/archives`).

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use suyuan_store::archives::AttachmentInfo;
use suyuan_store::PageRequest;
use uuid::Uuid;

use super::archives_html::{audit_form, customer_form, document_form, training_form, Filled};
use super::layout::{esc, page, table};
use super::{store_error, Console, PageResult};
use crate::extract::Id;
use crate::AppState;

/// A time in ms as China time.
pub(crate) fn at(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| super::layout::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

pub(crate) fn file_link(a: &Option<AttachmentInfo>) -> String {
    match a {
        Some(a) => format!(
            "<a href=\"/console/archives/attachments/{}\">{}</a> <small>{} KiB</small>",
            a.id,
            esc(&a.file_name),
            (a.size_bytes + 1023) / 1024
        ),
        None => "—".into(),
    }
}

pub(crate) fn entry_link(kind: &str, entry: Uuid, text: &str) -> String {
    format!("<a href=\"/console/archives/{kind}/{entry}\">{}</a>", esc(text))
}

/// The archives: each kind's current entries and a form for a new one.
pub(crate) async fn index(State(state): State<AppState>, c: Console) -> PageResult {
    let writes = c.caller.require_verified_recorder().is_ok();
    let mut b = format!("<h1>{}</h1>", c.lang.pick("档案", "Archives"));
    sections(&state, &c, None, writes, &mut b).await?;
    Ok(Html(page(&c, c.lang.pick("档案", "Archives"), &b)).into_response())
}

/// An enterprise's archives for an officer of its jurisdiction, read
/// only; an enterprise outside it is not found.
pub(crate) async fn officer(State(state): State<AppState>, c: Console, Path(id): Path<Uuid>) -> PageResult {
    let e = state
        .store
        .jurisdiction_enterprise(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let title = format!("{} · {}", e.name, c.lang.pick("档案", "Archives"));
    let mut b = format!(
        "<h1>{}</h1><p><a href=\"/console/regulator/orgs/{id}\">{}</a></p>",
        esc(&title),
        esc(&e.name)
    );
    sections(&state, &c, Some(id), false, &mut b).await?;
    Ok(Html(page(&c, &title, &b)).into_response())
}

/// Each archive's current entries the caller may read (with `org`, that
/// organisation's only), each with the form of a new one when `writes`.
async fn sections(
    state: &AppState,
    c: &Console,
    org: Option<Uuid>,
    writes: bool,
    b: &mut String,
) -> Result<(), Response> {
    let err = |e| store_error(c.lang, e);
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let all = PageRequest::first(PageRequest::MAX_LIMIT);
    let docs = state.store.documents(&c.caller, org, all).await.map_err(err)?;
    let rows: Vec<Vec<String>> = docs
        .items
        .iter()
        .map(|d| {
            vec![
                esc(c.lang.pick(&d.kind_zh, &d.kind)),
                entry_link("documents", d.stamp.entry_id, &d.title),
                format!("v{}", d.stamp.version),
                esc(&d.effective_from),
                file_link(&d.attachment),
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<h2 id=\"documents\">{}</h2>",
        l("管理文件与制度", "Management documents")
    );
    b.push_str(&table(
        &[
            l("类别", "Kind"),
            l("标题", "Title"),
            l("版本", "Version"),
            l("生效日期", "Effective"),
            l("附件", "File"),
        ],
        &rows,
    ));
    if writes {
        b.push_str(&document_form(c, None, &Filled::default()));
    }
    let customers = state
        .store
        .customers(&c.caller, org, None, all)
        .await
        .map_err(err)?;
    let rows: Vec<Vec<String>> = customers
        .items
        .iter()
        .map(|x| {
            vec![
                esc(c.lang.pick(&x.kind_zh, &x.kind)),
                entry_link("customers", x.stamp.entry_id, &x.name),
                esc(x.party_name.as_deref().unwrap_or("—")),
                esc(x.contact_phone.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<h2 id=\"customers\">{}</h2>",
        l("客户与经销商", "Customers and distributors")
    );
    b.push_str(&table(
        &[
            l("类别", "Kind"),
            l("名称", "Name"),
            l("平台机构", "On the platform"),
            l("电话", "Phone"),
        ],
        &rows,
    ));
    if writes {
        b.push_str(&customer_form(c, None, &Filled::default()));
    }
    let trainings = state.store.trainings(&c.caller, org, all).await.map_err(err)?;
    let rows: Vec<Vec<String>> = trainings
        .items
        .iter()
        .map(|t| {
            vec![
                esc(&t.held_on),
                entry_link("trainings", t.stamp.entry_id, &t.topic),
                esc(&t.trainer),
                t.attendees.len().to_string(),
                file_link(&t.attachment),
            ]
        })
        .collect();
    let _ = write!(b, "<h2 id=\"trainings\">{}</h2>", l("培训档案", "Training"));
    b.push_str(&table(
        &[
            l("日期", "Date"),
            l("主题", "Topic"),
            l("培训人", "Trainer"),
            l("人数", "Attendees"),
            l("资料", "Material"),
        ],
        &rows,
    ));
    if writes {
        b.push_str(&training_form(c, None, &Filled::default()));
    }
    audits_section(state, c, org, writes, b).await
}

async fn audits_section(
    state: &AppState,
    c: &Console,
    org: Option<Uuid>,
    writes: bool,
    b: &mut String,
) -> Result<(), Response> {
    let err = |e| store_error(c.lang, e);
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let all = PageRequest::first(PageRequest::MAX_LIMIT);
    let audits = state.store.audits(&c.caller, org, all).await.map_err(err)?;
    let rows: Vec<Vec<String>> = audits
        .items
        .iter()
        .map(|a| {
            vec![
                esc(&a.audited_on),
                entry_link("audits", a.stamp.entry_id, &a.scope),
                esc(&a.auditor),
                a.checklist
                    .iter()
                    .filter(|i| i.result == "nonconforms")
                    .count()
                    .to_string(),
            ]
        })
        .collect();
    let _ = write!(b, "<h2 id=\"audits\">{}</h2>", l("内部审核", "Internal audits"));
    b.push_str(&table(
        &[
            l("日期", "Date"),
            l("范围", "Scope"),
            l("审核员", "Auditor"),
            l("不符合检查项", "Items not conforming"),
        ],
        &rows,
    ));
    if writes {
        b.push_str(&audit_form(c, None, &Filled::default()));
    }
    let ncs = state
        .store
        .nonconformities(&c.caller, org, all)
        .await
        .map_err(err)?;
    let rows: Vec<Vec<String>> = ncs
        .items
        .iter()
        .map(|n| {
            let status = match (n.status.as_str(), n.overdue) {
                ("closed", _) => l("已关闭", "closed").to_owned(),
                (_, true) => format!("<strong class=\"err\">{}</strong>", l("已逾期", "overdue")),
                _ => l("待整改", "open").to_owned(),
            };
            vec![
                entry_link("nonconformities", n.stamp.entry_id, &n.description),
                esc(&n.owner),
                esc(&n.due_on),
                status,
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<h2 id=\"nonconformities\">{}</h2>",
        l("不符合项", "Nonconformities")
    );
    b.push_str(&table(
        &[
            l("不符合事实", "Nonconformity"),
            l("责任人", "Owner"),
            l("期限", "Due"),
            l("状态", "Status"),
        ],
        &rows,
    ));
    Ok(())
}

/// An attachment of the organisation's archives, as a download.
pub(crate) async fn attachment(State(state): State<AppState>, c: Console, Id(id): Id) -> PageResult {
    let (info, bytes) = state
        .store
        .attachment(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(crate::api::archives::attachment_response(&info, bytes))
}
