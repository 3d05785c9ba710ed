//! A place's, product's, supplier's or input's own page in the console:
//! what it is now, the edit form (prefilled with its current content) that
//! records a new version, the button deactivating or activating it, and
//! every version it had (who, when, what changed).
//!
//! The edit form posts the fields of the create form; the console builds
//! the API's `PUT` body from them (with the fields the form does not show,
//! such as a place's boundary, kept as they are), parses it with the API's
//! strict parser and calls the store function the API calls, so a refusal
//! (`field_fixed`, a check of the create) is the API's, shown beside the
//! field it names. Every form carries the session's CSRF token.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use serde_json::{Map, Value};
use suyuan_store::master_log::RecordKind;
use uuid::Uuid;

use super::archives::at;
use super::layout::{csrf_field, esc, page, table};
use super::master::{body, inputs, list_of, List};
use super::{error_page, Console, Fields, Lang, PageResult, Posted};
use crate::error::{deliberate, ApiError};
use crate::extract::parse_json;
use crate::AppState;

/// The kind of a list's entries; `None` for a list that is not versioned.
fn kind_of(slug: &str) -> Option<RecordKind> {
    match slug {
        "places" => Some(RecordKind::Place),
        "products" => Some(RecordKind::Product),
        "suppliers" => Some(RecordKind::Supplier),
        "inputs" => Some(RecordKind::Input),
        _ => None,
    }
}

/// Request fields the form does not show, kept as they are by an edit.
fn kept(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Place => &[
            "location",
            "polygon",
            "crops",
            "environment_tests",
            "temperature_controlled",
            "temperature_min",
            "temperature_max",
        ],
        RecordKind::Product => &["company_prefix", "description"],
        _ => &[],
    }
}

/// The list, kind and id a page's path names.
fn named(
    c: &Console,
    slug: &str,
    id: &str,
) -> Result<(&'static List, RecordKind, Uuid), axum::response::Response> {
    let list = list_of(c, slug)?;
    let kind = kind_of(slug).ok_or_else(|| error_page(c.lang, ApiError::not_found("page")))?;
    let id = Uuid::parse_str(id).map_err(|_| error_page(c.lang, ApiError::not_found("record")))?;
    Ok((list, kind, id))
}

/// The entry as the API shows it, and its history's versions.
async fn current(
    state: &AppState,
    c: &Console,
    kind: RecordKind,
    id: Uuid,
) -> Result<(Value, Vec<Value>), ApiError> {
    let s = &state.store;
    let json = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
    let (entry, history) = match kind {
        RecordKind::Place => (
            json(serde_json::to_value(s.get_place(&c.caller, id).await?)),
            json(serde_json::to_value(s.place_history(&c.caller, id).await?)),
        ),
        RecordKind::Product => (
            json(serde_json::to_value(s.get_product(&c.caller, id).await?)),
            json(serde_json::to_value(s.product_history(&c.caller, id).await?)),
        ),
        RecordKind::Supplier => (
            json(serde_json::to_value(s.get_supplier(&c.caller, id).await?)),
            json(serde_json::to_value(s.supplier_history(&c.caller, id).await?)),
        ),
        _ => (
            json(serde_json::to_value(s.get_input(&c.caller, id).await?)),
            json(serde_json::to_value(s.input_history(&c.caller, id).await?)),
        ),
    };
    let versions = history["versions"].as_array().cloned().unwrap_or_default();
    Ok((entry, versions))
}

/// A value as a form field or a cell shows it.
fn shown(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The form's fields valued with the entry's current content.
fn prefilled(list: &List, entry: &Value) -> Fields {
    Fields(
        list.fields
            .iter()
            .map(|f| (f.0.to_owned(), shown(entry.get(f.0))))
            .collect(),
    )
}

pub(crate) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let (list, kind, id) = named(&c, &slug, &id)?;
    entry_page(&state, &c, list, kind, id, None, None).await
}

/// What a version is called.
fn action_name(lang: Lang, action: &str) -> &'static str {
    match action {
        "created" => lang.pick("创建", "Created"),
        "edited" => lang.pick("修改", "Edited"),
        "deactivated" => lang.pick("停用", "Deactivated"),
        "activated" => lang.pick("启用", "Activated"),
        _ => "",
    }
}

/// The history table: each version, who, when, and the fields it changed.
fn history(lang: Lang, list: &List, versions: &[Value]) -> String {
    let mut rows = Vec::new();
    let mut before: Option<&Value> = None;
    for v in versions {
        let record = &v["record"];
        let changed: Vec<String> = match before {
            None => Vec::new(),
            Some(prev) => list
                .fields
                .iter()
                .filter(|f| prev.get(f.0) != record.get(f.0))
                .map(|f| {
                    format!(
                        "{}：{} → {}",
                        esc(lang.pick(f.2, f.3)),
                        esc(&shown(prev.get(f.0))),
                        esc(&shown(record.get(f.0)))
                    )
                })
                .collect(),
        };
        rows.push(vec![
            v["version"].to_string(),
            esc(action_name(lang, v["action"].as_str().unwrap_or(""))),
            esc(v["acting_username"].as_str().unwrap_or("—")),
            esc(&at(v["recorded_at"].as_i64().unwrap_or_default())),
            changed.join("<br>"),
        ]);
        before = Some(record);
    }
    let head = [
        lang.pick("版本", "Version"),
        lang.pick("操作", "Action"),
        lang.pick("操作人", "By"),
        lang.pick("时间", "When"),
        lang.pick("变更内容", "What changed"),
    ];
    table(&head, &rows)
}

async fn entry_page(
    state: &AppState,
    c: &Console,
    list: &List,
    kind: RecordKind,
    id: Uuid,
    posted: Option<&Fields>,
    problem: Option<ApiError>,
) -> PageResult {
    let lang = c.lang;
    let (entry, versions) = current(state, c, kind, id)
        .await
        .map_err(|e| error_page(lang, e))?;
    let name = shown(entry.get("name"));
    let active = entry["active"] != Value::Bool(false);
    let mut b = format!(
        "<nav class=\"sub\"><a class=\"btn alt\" href=\"/console/master/{}\">{}</a></nav><h1>{}</h1>",
        list.slug,
        esc(lang.pick(list.zh, list.en)),
        esc(&name)
    );
    if !active {
        let _ = write!(
            b,
            "<p class=\"err\" id=\"deactivated\">{}</p>",
            lang.pick(
                "已停用：新记录不能引用它。",
                "Deactivated: no new record names it."
            )
        );
    }
    if kind == RecordKind::Product {
        let _ = write!(
            b,
            "<p><a href=\"/console/products/{id}\">{}</a></p>",
            lang.pick("认证及其变更历史", "Certifications and their history")
        );
    }
    let manages =
        entry["org_id"] == c.caller.org_id.to_string() && c.caller.require_verified_recorder().is_ok();
    let field = problem.as_ref().and_then(|e| e.field.clone());
    let said = problem
        .as_ref()
        .map(|e| esc(lang.pick(&e.zh, &e.en)))
        .unwrap_or_default();
    if problem.is_some() && !list.fields.iter().any(|f| Some(f.0) == field.as_deref()) {
        let _ = write!(b, "<p class=\"err\" id=\"form-refused\">{said}</p>");
    }
    if manages {
        let f = posted.cloned().unwrap_or_else(|| prefilled(list, &entry));
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/master/{}/{id}\">{}<h2>{}</h2>{}\
             <button id=\"save\">{}</button></form>",
            list.slug,
            csrf_field(c),
            lang.pick("修改（记为新版本）", "Edit (recorded as a new version)"),
            inputs(state, c, list, &f, field.as_deref(), &said).await?,
            lang.pick("保存修改", "Save changes")
        );
        let (action, label) = if active {
            ("deactivate", lang.pick("停用", "Deactivate"))
        } else {
            ("activate", lang.pick("启用", "Activate"))
        };
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/master/{}/{id}/{action}\">{}\
             <button class=\"alt\" id=\"{action}\">{label}</button></form>",
            list.slug,
            csrf_field(c),
        );
    }
    let _ = write!(
        b,
        "<h2>{}</h2><div class=\"card\" id=\"history\">{}</div>",
        lang.pick("版本历史", "Version history"),
        history(lang, list, &versions)
    );
    let status = problem.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(deliberate((status, Html(page(c, &name, &b))).into_response()))
}

/// The `PUT` body: the form's fields, and those it does not show as the
/// entry holds them.
fn edit_body(list: &List, kind: RecordKind, entry: &Value, f: &Fields) -> Result<Vec<u8>, ApiError> {
    let mut o: Map<String, Value> = serde_json::from_slice(&body(list, f)?).unwrap_or_default();
    for k in kept(kind) {
        match entry.get(*k) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(v) => {
                o.insert((*k).to_owned(), v.clone());
            }
        }
    }
    Ok(serde_json::to_vec(&Value::Object(o)).unwrap_or_default())
}

/// Records a new version, exactly as the API's `PUT` does.
pub(crate) async fn edit(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Posted(c, f): Posted,
) -> PageResult {
    let (list, kind, id) = named(&c, &slug, &id)?;
    let (s, caller) = (&state.store, &c.caller);
    let result: Result<(), ApiError> = async {
        let (entry, _) = current(&state, &c, kind, id).await?;
        let bytes = edit_body(list, kind, &entry, &f)?;
        match kind {
            RecordKind::Place => s
                .edit_place(caller, id, &parse_json(&bytes)?, None)
                .await
                .map(drop),
            RecordKind::Product => s
                .edit_product(caller, id, &parse_json(&bytes)?, None)
                .await
                .map(drop),
            RecordKind::Supplier => s
                .edit_supplier(caller, id, &parse_json(&bytes)?, None)
                .await
                .map(drop),
            _ => s
                .edit_input(caller, id, &parse_json(&bytes)?, None)
                .await
                .map(drop),
        }
        .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/master/{}/{id}", list.slug)).into_response()),
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(error_page(c.lang, e)),
        Err(e) => entry_page(&state, &c, list, kind, id, Some(&f), Some(e)).await,
    }
}

async fn set_active(state: &AppState, slug: &str, id: &str, c: &Console, active: bool) -> PageResult {
    let (list, kind, id) = named(c, slug, id)?;
    match state.store.set_entry_active(&c.caller, kind, id, active).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/master/{}/{id}", list.slug)).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status == StatusCode::NOT_FOUND {
                return Err(error_page(c.lang, e));
            }
            entry_page(state, c, list, kind, id, None, Some(e)).await
        }
    }
}

/// Deactivates the entry, exactly as `POST …/deactivate` does.
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Posted(c, _): Posted,
) -> PageResult {
    set_active(&state, &slug, &id, &c, false).await
}

/// Activates the entry again, exactly as `POST …/activate` does.
pub(crate) async fn activate(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Posted(c, _): Posted,
) -> PageResult {
    set_active(&state, &slug, &id, &c, true).await
}
