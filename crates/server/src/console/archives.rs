//! The archives of chapter 4.3 in the console (`/console/archives`): the
//! management documents with their current version and effective date,
//! customers and distributors, training sessions, internal audits and the
//! nonconformities they found (those past their due date flagged), each
//! with a form recording a new one; an entry's page lists every version.
//! Documents and training sessions carry a file, posted as
//! `multipart/form-data` ([`super::archives_forms::Uploaded`]); the forms
//! are handled in [`super::archives_forms`], an entry's page in
//! [`super::archives_entry`]. An officer reads an enterprise's archives
//! within its jurisdiction through the API; the pages are the
//! organisation's own.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use suyuan_core::archives::{CustomerKind, DocumentKind};
use suyuan_store::archives::AttachmentInfo;
use suyuan_store::PageRequest;
use uuid::Uuid;

use super::layout::{csrf_field, esc, hidden, page, select, table};
use super::{store_error, Console, Lang, PageResult};
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

fn kinds<K: Copy>(
    l: Lang,
    all: &[K],
    s: fn(K) -> &'static str,
    zh: fn(K) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|k| (s(*k).to_owned(), l.pick(zh(*k), s(*k)).to_owned()))
        .collect()
}

/// A labelled input.
fn input(id: &str, label: &str, ty: &str, required: bool, value: &str) -> String {
    format!(
        "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" type=\"{ty}\" value=\"{}\"{}>",
        esc(label),
        esc(value),
        if required { " required" } else { "" }
    )
}

fn area(id: &str, label: &str, value: &str) -> String {
    format!(
        "<label for=\"{id}\">{}</label><textarea id=\"{id}\" name=\"{id}\">{}</textarea>",
        esc(label),
        esc(value)
    )
}

fn file_input(c: &Console) -> String {
    format!(
        "<label for=\"file\">{}</label><input id=\"file\" name=\"file\" type=\"file\" \
         accept=\".pdf,.png,.jpg,.jpeg,.docx,.xlsx\">",
        c.lang.pick(
            "附件（PDF、PNG、JPEG、DOCX、XLSX，不超过 10 MiB）",
            "File (PDF, PNG, JPEG, DOCX, XLSX, at most 10 MiB)"
        )
    )
}

/// The form recording a document (a new one, or the next version of
/// `entry` with its current values).
pub(crate) fn document_form(
    c: &Console,
    entry: Option<(Uuid, &suyuan_store::archives::documents::Document)>,
) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let (title, kind, name, from, summary, target) = match entry {
        Some((id, d)) => (
            l("记录新版本", "Record a new version"),
            d.kind.as_str(),
            d.title.as_str(),
            d.effective_from.as_str(),
            d.summary.as_deref().unwrap_or(""),
            hidden("entry", &id.to_string()),
        ),
        None => (l("新增文件", "New document"), "", "", "", "", String::new()),
    };
    format!(
        "<form class=\"card\" method=\"post\" action=\"/console/archives/documents\" enctype=\"multipart/form-data\">\
         {}{target}<h2>{title}</h2><label for=\"kind\">{}</label>{}{}{}{}{}<button>{}</button></form>",
        csrf_field(c),
        l("类别", "Kind"),
        select(c, "kind", &kinds(c.lang, DocumentKind::ALL, DocumentKind::as_str, DocumentKind::zh), kind),
        input("title", l("标题", "Title"), "text", true, name),
        input("effective_from", l("生效日期", "Effective from"), "date", true, from),
        area("summary", l("摘要", "Summary"), summary),
        file_input(c),
        l("保存", "Save"),
    )
}

fn customer_form(c: &Console) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    format!(
        "<form class=\"card\" method=\"post\" action=\"/console/archives/customers\">{}<h2>{}</h2>\
         <label for=\"kind\">{}</label>{}{}{}{}{}{}{}{}<button>{}</button></form>",
        csrf_field(c),
        l("新增客户或经销商", "New customer or distributor"),
        l("类别", "Kind"),
        select(
            c,
            "kind",
            &kinds(c.lang, CustomerKind::ALL, CustomerKind::as_str, CustomerKind::zh),
            ""
        ),
        input("name", l("名称", "Name"), "text", true, ""),
        input("uscc", l("统一社会信用代码", "Credit code"), "text", false, ""),
        input(
            "party_org_id",
            l(
                "平台机构 ID（发货对象）",
                "Organisation on the platform (shipments' addressee)"
            ),
            "text",
            false,
            ""
        ),
        input("contact_name", l("联系人", "Contact"), "text", false, ""),
        input("contact_phone", l("电话", "Phone"), "tel", false, ""),
        input("address", l("地址", "Address"), "text", false, ""),
        area("note", l("备注", "Note"), ""),
        l("保存", "Save"),
    )
}

fn training_form(c: &Console) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    format!(
        "<form class=\"card\" method=\"post\" action=\"/console/archives/trainings\" enctype=\"multipart/form-data\">\
         {}<h2>{}</h2>{}{}{}{}{}{}<button>{}</button></form>",
        csrf_field(c),
        l("新增培训", "New training session"),
        input("held_on", l("日期", "Date"), "date", true, ""),
        input("topic", l("主题", "Topic"), "text", true, ""),
        area("content", l("内容", "Content"), ""),
        input("trainer", l("培训人", "Trainer"), "text", true, ""),
        area("attendees", l("参加人员（每行一人）", "Attendees (one per line)"), ""),
        file_input(c),
        l("保存", "Save"),
    )
}

fn audit_form(c: &Console) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    format!(
        "<form class=\"card\" method=\"post\" action=\"/console/archives/audits\">{}<h2>{}</h2>{}{}{}{}{}<button>{}</button></form>",
        csrf_field(c),
        l("新增内部审核", "New internal audit"),
        input("audited_on", l("审核日期", "Date"), "date", true, ""),
        input("scope", l("审核范围", "Scope"), "text", true, ""),
        input("auditor", l("审核员", "Auditor"), "text", true, ""),
        area(
            "checklist",
            l(
                "检查项（每行一项：检查内容|conforms/nonconforms/not_applicable|说明）",
                "Checklist (one per line: item|conforms/nonconforms/not_applicable|note)"
            ),
            ""
        ),
        area("findings", l("审核发现", "Findings"), ""),
        l("保存", "Save"),
    )
}

/// The form recording a nonconformity of `audit`, or the next version of
/// the nonconformity `entry` (its action done, verified, closed).
pub(crate) fn nc_form(
    c: &Console,
    audit: Option<Uuid>,
    current: Option<&suyuan_store::archives::audits::Nonconformity>,
) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let v = |f: fn(&suyuan_store::archives::audits::Nonconformity) -> &str| current.map(f).unwrap_or("");
    let target = match (audit, current) {
        (_, Some(n)) => hidden("entry", &n.stamp.entry_id.to_string()),
        (Some(a), None) => hidden("audit", &a.to_string()),
        (None, None) => String::new(),
    };
    let statuses = vec![
        ("open".to_owned(), l("待整改", "open").to_owned()),
        ("closed".to_owned(), l("已关闭", "closed").to_owned()),
    ];
    format!(
        "<form class=\"card\" method=\"post\" action=\"/console/archives/nonconformities\">{}{target}<h2>{}</h2>\
         {}{}{}{}{}<label for=\"status\">{}</label>{}{}<button>{}</button></form>",
        csrf_field(c),
        if current.is_some() {
            l("记录整改与验证", "Record the action and its verification")
        } else {
            l("新增不符合项", "New nonconformity")
        },
        area("description", l("不符合事实", "Nonconformity"), v(|n| &n.description)),
        area("cause", l("原因", "Cause"), v(|n| &n.cause)),
        area("corrective_action", l("纠正措施", "Corrective action"), v(|n| &n.corrective_action)),
        input("owner", l("责任人", "Owner"), "text", true, v(|n| &n.owner)),
        input("due_on", l("整改期限", "Due"), "date", true, v(|n| &n.due_on)),
        l("状态", "Status"),
        select(c, "status", &statuses, current.map_or("open", |n| n.status.as_str())),
        area(
            "verification",
            l("验证记录（关闭时必填）", "Verification (required to close)"),
            v(|n| n.verification.as_deref().unwrap_or(""))
        ),
        l("保存", "Save"),
    )
}

/// The archives: each kind's current entries and a form for a new one.
pub(crate) async fn index(State(state): State<AppState>, c: Console) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let all = PageRequest::first(PageRequest::MAX_LIMIT);
    let writes = c.caller.require_verified_recorder().is_ok();
    let mut b = format!("<h1>{}</h1>", l("档案", "Archives"));
    let docs = state.store.documents(&c.caller, all).await.map_err(err)?;
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
        b.push_str(&document_form(&c, None));
    }
    let customers = state.store.customers(&c.caller, None, all).await.map_err(err)?;
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
        b.push_str(&customer_form(&c));
    }
    let trainings = state.store.trainings(&c.caller, all).await.map_err(err)?;
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
        b.push_str(&training_form(&c));
    }
    audits_section(&state, &c, writes, &mut b).await?;
    Ok(Html(page(&c, l("档案", "Archives"), &b)).into_response())
}

async fn audits_section(
    state: &AppState,
    c: &Console,
    writes: bool,
    b: &mut String,
) -> Result<(), axum::response::Response> {
    let err = |e| store_error(c.lang, e);
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let all = PageRequest::first(PageRequest::MAX_LIMIT);
    let audits = state.store.audits(&c.caller, all).await.map_err(err)?;
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
        b.push_str(&audit_form(c));
    }
    let ncs = state.store.nonconformities(&c.caller, all).await.map_err(err)?;
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
