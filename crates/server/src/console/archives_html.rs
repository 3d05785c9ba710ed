//! The forms of the archives (`/console/archives`) as HTML: a new entry's,
//! and an entry's next version prefilled with its current one. Each form is
//! drawn from a [`Filled`]: the values it shows and, after a refused post,
//! the refusal beside the input of the field it names (the inputs are named
//! as the store names its fields), so that a refused form comes back as it
//! was sent.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use suyuan_core::archives::{CustomerKind, DocumentKind};
use suyuan_store::archives::audits::{Audit, Nonconformity};
use suyuan_store::archives::customers::Customer;
use suyuan_store::archives::documents::Document;
use suyuan_store::archives::training::Training;
use uuid::Uuid;

use super::layout::{csrf_field, esc, hidden, page, select};
use super::{error_page, Console, Fields, Lang, T};
use crate::error::{deliberate, ApiError, ProblemCode};

/// What a form shows: its values, and the refusal of the field it names.
#[derive(Debug, Default)]
pub(crate) struct Filled {
    pub values: Fields,
    /// The refused field (as the store names it) and why, in the page's
    /// language.
    pub problem: Option<(String, String)>,
}

/// The input a refused field belongs to: `checklist[1].result` to
/// `checklist`, an attachment to the file.
fn input_of(field: &str) -> &str {
    match field.split(['[', '.']).next().unwrap_or(field) {
        "attachment" => "file",
        base => base,
    }
}

impl Filled {
    /// A form showing these values.
    pub(crate) fn of(values: Vec<(&str, String)>) -> Filled {
        Filled {
            values: Fields(values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
            problem: None,
        }
    }

    fn value(&self, id: &str) -> &str {
        self.values
            .0
            .iter()
            .find(|(k, _)| k == id)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The refusal shown beside input `id`, if it is that input's.
    fn err(&self, id: &str) -> String {
        match &self.problem {
            Some((field, message)) if input_of(field) == id => format!(
                "<p class=\"err\" data-field=\"{}\">{}</p>",
                esc(field),
                esc(message)
            ),
            _ => String::new(),
        }
    }

    /// A labelled input.
    fn input(&self, id: &str, label: &str, ty: &str, required: bool) -> String {
        format!(
            "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" type=\"{ty}\" value=\"{}\"{}>{}",
            esc(label),
            esc(self.value(id)),
            if required { " required" } else { "" },
            self.err(id)
        )
    }

    fn area(&self, id: &str, label: &str) -> String {
        format!(
            "<label for=\"{id}\">{}</label><textarea id=\"{id}\" name=\"{id}\">{}</textarea>{}",
            esc(label),
            esc(self.value(id)),
            self.err(id)
        )
    }

    fn pick(&self, c: &Console, id: &str, label: &str, options: &[(String, String)]) -> String {
        format!(
            "<label for=\"{id}\">{}</label>{}{}",
            esc(label),
            select(c, id, options, self.value(id)),
            self.err(id)
        )
    }
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

fn file_input(c: &Console, f: &Filled) -> String {
    format!(
        "<label for=\"file\">{}</label><input id=\"file\" name=\"file\" type=\"file\" \
         accept=\".pdf,.png,.jpg,.jpeg,.docx,.xlsx\">{}",
        c.lang.pick(
            "附件（PDF、PNG、JPEG、DOCX、XLSX，不超过 10 MiB；新版本不选则沿用原文件）",
            "File (PDF, PNG, JPEG, DOCX, XLSX, at most 10 MiB; a new version without one keeps the previous file)"
        ),
        f.err("file")
    )
}

/// A form of the archives: posted to `/console/archives/{kind}` with the
/// session's CSRF token and `target` (the entry or audit it is for).
fn form(
    c: &Console,
    kind: &str,
    multipart: bool,
    target: String,
    title: &str,
    f: &Filled,
    body: String,
) -> String {
    format!(
        "<form class=\"card\" id=\"{kind}-form\" method=\"post\" action=\"/console/archives/{kind}\"{}>{}{target}\
         <h2>{}</h2>{}{body}<button>{}</button></form>",
        if multipart {
            " enctype=\"multipart/form-data\""
        } else {
            ""
        },
        csrf_field(c),
        esc(title),
        if f.problem.is_some() {
            format!("<p class=\"warn\" id=\"form-refused\">{}</p>", c.t(T::FixBelow))
        } else {
            String::new()
        },
        c.lang.pick("保存", "Save"),
    )
}

fn entry_field(entry: Option<Uuid>) -> String {
    entry.map_or_else(String::new, |e| hidden("entry", &e.to_string()))
}

fn version_title(c: &Console, entry: Option<Uuid>, new: (&'static str, &'static str)) -> &'static str {
    match entry {
        Some(_) => c.lang.pick("修改（记录新版本）", "Edit (records a new version)"),
        None => c.lang.pick(new.0, new.1),
    }
}

/// A management document's form: a new one, or the next version of `entry`.
pub(crate) fn document_form(c: &Console, entry: Option<Uuid>, f: &Filled) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let body = [
        f.pick(
            c,
            "kind",
            l("类别", "Kind"),
            &kinds(c.lang, DocumentKind::ALL, DocumentKind::as_str, DocumentKind::zh),
        ),
        f.input("title", l("标题", "Title"), "text", true),
        f.input("effective_from", l("生效日期", "Effective from"), "date", true),
        f.area("summary", l("摘要", "Summary")),
        file_input(c, f),
    ]
    .concat();
    let title = version_title(c, entry, ("新增文件", "New document"));
    form(c, "documents", true, entry_field(entry), title, f, body)
}

pub(crate) fn document_values(d: &Document) -> Filled {
    Filled::of(vec![
        ("kind", d.kind.clone()),
        ("title", d.title.clone()),
        ("effective_from", d.effective_from.clone()),
        ("summary", d.summary.clone().unwrap_or_default()),
    ])
}

/// A customer's or distributor's form.
pub(crate) fn customer_form(c: &Console, entry: Option<Uuid>, f: &Filled) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let body = [
        f.pick(
            c,
            "kind",
            l("类别", "Kind"),
            &kinds(c.lang, CustomerKind::ALL, CustomerKind::as_str, CustomerKind::zh),
        ),
        f.input("name", l("名称", "Name"), "text", true),
        f.input("uscc", l("统一社会信用代码", "Credit code"), "text", false),
        f.input(
            "party_org_id",
            l(
                "平台机构 ID（发货对象）",
                "Organisation on the platform (shipments' addressee)",
            ),
            "text",
            false,
        ),
        f.input("contact_name", l("联系人", "Contact"), "text", false),
        f.input("contact_phone", l("电话", "Phone"), "tel", false),
        f.input("address", l("地址", "Address"), "text", false),
        f.area("note", l("备注", "Note")),
    ]
    .concat();
    let title = version_title(c, entry, ("新增客户或经销商", "New customer or distributor"));
    form(c, "customers", false, entry_field(entry), title, f, body)
}

pub(crate) fn customer_values(x: &Customer) -> Filled {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    Filled::of(vec![
        ("kind", x.kind.clone()),
        ("name", x.name.clone()),
        ("uscc", o(&x.uscc)),
        (
            "party_org_id",
            x.party_org_id.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("contact_name", o(&x.contact_name)),
        ("contact_phone", o(&x.contact_phone)),
        ("address", o(&x.address)),
        ("note", o(&x.note)),
    ])
}

/// A training session's form, with its material.
pub(crate) fn training_form(c: &Console, entry: Option<Uuid>, f: &Filled) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let body = [
        f.input("held_on", l("日期", "Date"), "date", true),
        f.input("topic", l("主题", "Topic"), "text", true),
        f.area("content", l("内容", "Content")),
        f.input("trainer", l("培训人", "Trainer"), "text", true),
        f.area("attendees", l("参加人员（每行一人）", "Attendees (one per line)")),
        file_input(c, f),
    ]
    .concat();
    let title = version_title(c, entry, ("新增培训", "New training session"));
    form(c, "trainings", true, entry_field(entry), title, f, body)
}

pub(crate) fn training_values(t: &Training) -> Filled {
    Filled::of(vec![
        ("held_on", t.held_on.clone()),
        ("topic", t.topic.clone()),
        ("content", t.content.clone()),
        ("trainer", t.trainer.clone()),
        ("attendees", t.attendees.join("\n")),
    ])
}

/// An internal audit's form; the checklist one item a line.
pub(crate) fn audit_form(c: &Console, entry: Option<Uuid>, f: &Filled) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let body = [
        f.input("audited_on", l("审核日期", "Date"), "date", true),
        f.input("scope", l("审核范围", "Scope"), "text", true),
        f.input("auditor", l("审核员", "Auditor"), "text", true),
        f.area(
            "checklist",
            l(
                "检查项（每行一项：检查内容|conforms/nonconforms/not_applicable|说明）",
                "Checklist (one per line: item|conforms/nonconforms/not_applicable|note)",
            ),
        ),
        f.area("findings", l("审核发现", "Findings")),
    ]
    .concat();
    let title = version_title(c, entry, ("新增内部审核", "New internal audit"));
    form(c, "audits", false, entry_field(entry), title, f, body)
}

pub(crate) fn audit_values(a: &Audit) -> Filled {
    let lines: Vec<String> = a
        .checklist
        .iter()
        .map(|i| match &i.note {
            Some(n) => format!("{}|{}|{n}", i.item, i.result),
            None => format!("{}|{}", i.item, i.result),
        })
        .collect();
    Filled::of(vec![
        ("audited_on", a.audited_on.clone()),
        ("scope", a.scope.clone()),
        ("auditor", a.auditor.clone()),
        ("checklist", lines.join("\n")),
        ("findings", a.findings.clone().unwrap_or_default()),
    ])
}

/// A nonconformity's form: a new one found by `audit`, or the next version
/// of `entry` (its action done, verified, closed).
pub(crate) fn nc_form(c: &Console, audit: Option<Uuid>, entry: Option<Uuid>, f: &Filled) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let target = match (audit, entry) {
        (_, Some(e)) => hidden("entry", &e.to_string()),
        (Some(a), None) => hidden("audit", &a.to_string()),
        (None, None) => String::new(),
    };
    let statuses = vec![
        ("open".to_owned(), l("待整改", "open").to_owned()),
        ("closed".to_owned(), l("已关闭", "closed").to_owned()),
    ];
    let body = [
        f.area("description", l("不符合事实", "Nonconformity")),
        f.area("cause", l("原因", "Cause")),
        f.area("corrective_action", l("纠正措施", "Corrective action")),
        f.input("owner", l("责任人", "Owner"), "text", true),
        f.input("due_on", l("整改期限", "Due"), "date", true),
        f.pick(c, "status", l("状态", "Status"), &statuses),
        f.area(
            "verification",
            l("验证记录（关闭时必填）", "Verification (required to close)"),
        ),
    ]
    .concat();
    let title = if entry.is_some() {
        l("记录整改与验证", "Record the action and its verification")
    } else {
        l("新增不符合项", "New nonconformity")
    };
    form(c, "nonconformities", false, target, title, f, body)
}

pub(crate) fn nc_values(n: &Nonconformity) -> Filled {
    Filled::of(vec![
        ("description", n.description.clone()),
        ("cause", n.cause.clone()),
        ("corrective_action", n.corrective_action.clone()),
        ("owner", n.owner.clone()),
        ("due_on", n.due_on.clone()),
        ("status", n.status.clone()),
        ("verification", n.verification.clone().unwrap_or_default()),
    ])
}

/// A new nonconformity's form starts open.
pub(crate) fn nc_blank() -> Filled {
    Filled::of(vec![("status", "open".to_owned())])
}

/// The answer to a refused form: a refusal naming a field (422) shows the
/// form again as it was sent, the refusal beside that field; any other
/// error is an error page.
pub(crate) fn refused(
    c: &Console,
    e: ApiError,
    values: Fields,
    draw: impl FnOnce(&Filled) -> String,
) -> Response {
    let field = e
        .field
        .clone()
        .filter(|_| e.status == StatusCode::UNPROCESSABLE_ENTITY);
    let Some(field) = field else {
        return error_page(c.lang, e);
    };
    let filled = Filled {
        values,
        problem: Some((field, c.lang.pick(&e.zh, &e.en).to_owned())),
    };
    let title = c.lang.pick("档案", "Archives");
    let body = format!(
        "<h1>{title}</h1><p><a href=\"/console/archives\">{}</a></p>{}",
        c.lang.pick("返回档案", "Back to the archives"),
        draw(&filled)
    );
    let mut resp = (StatusCode::UNPROCESSABLE_ENTITY, Html(page(c, title, &body))).into_response();
    resp.extensions_mut().insert(ProblemCode(e.code));
    deliberate(resp)
}
