//! The record kinds for the people who integrate: every kind's JSON Schema
//! (`GET /schemas/records/{kind}.json`, `application/schema+json`, with an
//! index at `GET /schemas/records`), a complete example document
//! (`GET /examples/records/{kind}.json`), and a page explaining them all
//! (`GET /docs/records`, Chinese first, `?lang=en` for English).
//!
//! Everything here is read from the declarations in `suyuan_core::stages`
//! (profiles, field types, examples) and the schemas are the very ones
//! capture validates records against, so none of it can drift from what
//! the platform enforces. Public, no sign-in; nothing loaded from outside.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use suyuan_core::stages::examples::{example_document, example_event};
use suyuan_core::stages::schema::{biz_step_forms, record_schema, std_field};
use suyuan_core::stages::values::{agri_field, example};
use suyuan_core::stages::{agri_fields_of, input_kind, profile, Field, RecordKind, Stage, AGRI_NS, PROFILES};

use crate::docs::{esc, STYLE};
use crate::error::{ApiError, ApiResult};
use crate::public::{language, Lang};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schemas/records", get(index))
        .route("/schemas/records/{file}", get(schema))
        .route("/examples/records/{file}", get(example_doc))
        .route("/docs/records", get(page))
}

/// The path of a kind's schema.
pub fn schema_path(kind: RecordKind) -> String {
    format!("/schemas/records/{}.json", kind.as_str())
}

/// The path of a kind's example document.
pub fn example_path(kind: RecordKind) -> String {
    format!("/examples/records/{}.json", kind.as_str())
}

/// The kind a `{kind}.json` file name names.
fn kind_of(file: &str) -> Result<RecordKind, ApiError> {
    file.strip_suffix(".json")
        .and_then(RecordKind::parse)
        .ok_or_else(|| ApiError::not_found("record kind"))
}

fn base(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

/// Every record kind with the addresses of its schema, example and docs.
async fn index(State(state): State<AppState>) -> Json<Value> {
    let base = base(&state);
    let kinds: Vec<Value> = PROFILES
        .iter()
        .map(|p| {
            json!({
                "kind": p.kind.as_str(),
                "name_zh": p.kind.zh(),
                "name_en": p.kind.en(),
                "stage": p.stage.as_str(),
                "event_type": p.event_type.as_str(),
                "biz_steps": p.biz_steps,
                "schema": format!("{base}{}", schema_path(p.kind)),
                "example": format!("{base}{}", example_path(p.kind)),
                "docs": format!("{base}/docs/records#{}", p.kind.as_str()),
            })
        })
        .collect();
    Json(json!({
        "title": "suyuan 记录类型 · record kinds",
        "description": "每种记录类型的 JSON Schema（draft 2020-12），平台校验记录时所用的正是这些 Schema。\
                        The JSON Schema (draft 2020-12) of each record kind: the very schemas the platform validates records against.",
        "namespace": AGRI_NS,
        "kinds": kinds,
    }))
}

fn json_response(value: Value, content_type: &'static str) -> Response {
    let mut resp = Json(value).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// One kind's schema, with its address as `$id`.
async fn schema(State(state): State<AppState>, Path(file): Path<String>) -> ApiResult<Response> {
    let kind = kind_of(&file)?;
    let mut s = record_schema(kind).clone();
    if let Some(o) = s.as_object_mut() {
        o.insert(
            "$id".into(),
            json!(format!("{}{}", base(&state), schema_path(kind))),
        );
    }
    Ok(json_response(s, "application/schema+json"))
}

/// One kind's example document.
async fn example_doc(Path(file): Path<String>) -> ApiResult<Response> {
    let kind = kind_of(&file)?;
    Ok(json_response(example_document(kind), "application/json"))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

async fn page(headers: HeaderMap, Query(q): Query<PageQuery>) -> ApiResult<Html<String>> {
    let lang = language(q.lang.as_deref(), &headers)?;
    Ok(Html(render(lang)))
}

pub(crate) const PAGE_STYLE: &str =
    ".t{overflow-x:auto}table{border-collapse:collapse;margin:.25em 0 .75em;font-size:.92em}\
th,td{border:1px solid #cfdccf;padding:.2em .45em;text-align:left;vertical-align:top}th{background:#eef3ee}\
section{border-top:1px solid #cfdccf;margin-top:1.2em}nav a{margin-right:.6em;white-space:nowrap}\
pre{font-size:.85em}td code{word-break:break-all}";

fn intro(lang: Lang) -> String {
    let (zh, en) = (
        format!(
            "每条农事、检测、采后处理、贮运和销售记录都是一个 EPCIS 2.0 事件，通过 <code>POST /epcis/capture</code> 提交\
             （见<a href=\"/api/docs\">接口文档</a>），以 <code>agri:recordKind</code> 标明记录类型；文档的 <code>@context</code> \
             须将前缀 <code>agri</code> 绑定到 <code>{AGRI_NS}</code>。每个事件还须有 <code>type</code>、<code>eventTime</code>、\
             <code>eventTimeZoneOffset</code>，除 TransformationEvent 外还须有 <code>action</code>；建议给出 <code>eventID</code>\
             （<code>urn:uuid:…</code>）。标准 EPCIS 字段和其他命名空间的字段可以自由添加；<code>agri:</code> 字段仅限下表所列。\
             每种记录类型都有机器可读的 JSON Schema（<a href=\"/schemas/records\">索引</a>），平台校验记录时使用的正是这些 Schema；\
             被拒绝时，错误给出事件序号、字段名、稳定的错误代码和中英文说明。下列示例文档合起来是一个完整的生产季：\
             登记其中所引用的机构、场所（GLN）、投入品采购和人员后即可依次提交。"
        ),
        format!(
            "Every record of field work, testing, post-harvest handling, storage, transport and sale is an EPCIS 2.0 event \
             sent to <code>POST /epcis/capture</code> (see the <a href=\"/api/docs\">API docs</a>), its kind named by \
             <code>agri:recordKind</code>; the document's <code>@context</code> binds the prefix <code>agri</code> to \
             <code>{AGRI_NS}</code>. Every event also has <code>type</code>, <code>eventTime</code>, \
             <code>eventTimeZoneOffset</code>, and but for a TransformationEvent <code>action</code>; give an \
             <code>eventID</code> (<code>urn:uuid:…</code>). Standard EPCIS fields and other namespaces' fields are free; \
             <code>agri:</code> fields are only those listed. Each kind has a machine-readable JSON Schema \
             (<a href=\"/schemas/records\">index</a>): the very schemas the platform validates records against. A refusal \
             names the event's index, the field, a stable error code, in English and Chinese. Together the example documents \
             are one season: once the organisations, places (GLNs), input purchases and people they name are registered, \
             they are accepted in turn."
        ),
    );
    format!("<p>{}</p>", lang.pick(&zh, &en))
}

fn contents(lang: Lang) -> String {
    let mut out = format!("<nav><h2>{}</h2>", lang.pick("目录", "Contents"));
    for stage in Stage::ALL {
        let kinds: Vec<String> = PROFILES
            .iter()
            .filter(|p| p.stage == *stage)
            .map(|p| format!("<a href=\"#{}\">{}</a>", p.kind.as_str(), esc(name(lang, p.kind))))
            .collect();
        if !kinds.is_empty() {
            let _ = write!(
                out,
                "<p><b>{}</b>: {}</p>",
                lang.pick(stage.zh(), stage.en()),
                kinds.join(" ")
            );
        }
    }
    out.push_str("</nav>");
    out
}

fn name(lang: Lang, kind: RecordKind) -> &'static str {
    match lang {
        Lang::Zh => kind.zh(),
        Lang::En => kind.en(),
    }
}

/// One row of the fields table.
fn row(out: &mut String, key: &str, label: &str, required: &str, words: &str, example: &str) {
    let _ = write!(
        out,
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(key),
        esc(label),
        esc(required),
        esc(words),
        example
    );
}

fn fields(lang: Lang, kind: RecordKind) -> String {
    let event = example_event(kind);
    let mut out = format!(
        "<div class=\"t\"><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        lang.pick("字段", "Field"),
        lang.pick("名称", "Name"),
        lang.pick("必填", "Required"),
        lang.pick("取值", "Value"),
        lang.pick("示例", "Example")
    );
    for f in profile(kind).required {
        let (keys, req): (&[&str], &str) = match f {
            Field::Std(k) => (std::slice::from_ref(k), lang.pick("是", "yes")),
            Field::AnyStd(ks) => (ks, lang.pick("至少其一", "at least one of these")),
            Field::Agri(_) => continue,
        };
        for k in keys {
            if let Some(d) = std_field(k) {
                row(
                    &mut out,
                    k,
                    lang.pick(d.zh, d.en),
                    req,
                    lang.pick(d.words_zh, d.words_en),
                    "",
                );
            }
        }
    }
    for (n, required) in agri_fields_of(kind) {
        let Some(f) = agri_field(n) else { continue };
        let (en, zh) = f.ty.words();
        let mut words = lang.pick(&zh, &en).to_owned();
        if let (Some(input), "inputLot") = (input_kind(kind), n) {
            let _ = write!(
                words,
                "{}",
                lang.pick(
                    &format!("；须为“{}”类投入品", input.zh()),
                    &format!("; a purchase of {}", input.en())
                )
            );
        }
        let req = if required {
            lang.pick("是", "yes")
        } else {
            lang.pick("否", "no")
        };
        // The value in this kind's example, else the field's own example.
        let value = event
            .get(format!("agri:{n}"))
            .cloned()
            .unwrap_or_else(|| example(f));
        let ex = format!("<code>{}</code>", esc(&value.to_string()));
        row(
            &mut out,
            &format!("agri:{n}"),
            lang.pick(f.zh, f.en),
            req,
            &words,
            &ex,
        );
    }
    out.push_str("</table></div>");
    out
}

fn kind_section(lang: Lang, kind: RecordKind) -> String {
    let p = profile(kind);
    let steps: Vec<String> = p
        .biz_steps
        .iter()
        .map(|s| {
            let forms = biz_step_forms(s);
            let also = if forms.len() > 1 {
                format!(
                    " ({} {})",
                    lang.pick("或", "or"),
                    forms[1..].iter().map(|f| esc(f)).collect::<Vec<_>>().join(", ")
                )
            } else {
                String::new()
            };
            format!("<code>{}</code>{also}", esc(s))
        })
        .collect();
    let (schema, example_url) = (schema_path(kind), example_path(kind));
    let doc = serde_json::to_string_pretty(&example_document(kind)).unwrap_or_default();
    format!(
        "<section id=\"{k}\"><h2>{name} <code>{k}</code></h2><div class=\"t\"><table>\
         <tr><th>{stage_l}</th><td>{stage}</td></tr><tr><th>{type_l}</th><td><code>{ty}</code></td></tr>\
         <tr><th>bizStep</th><td>{steps}</td></tr>\
         <tr><th>JSON Schema</th><td><a href=\"{schema}\">{schema}</a></td></tr>\
         <tr><th>{ex_l}</th><td><a href=\"{example_url}\">{example_url}</a></td></tr></table></div>\
         <h3>{fields_l}</h3>{fields}<h3>{ex_l}</h3><pre>{doc}</pre></section>",
        k = kind.as_str(),
        name = esc(name(lang, kind)),
        stage_l = lang.pick("阶段", "Stage"),
        stage = lang.pick(p.stage.zh(), p.stage.en()),
        type_l = lang.pick("EPCIS 事件类型", "EPCIS event type"),
        ty = p.event_type.as_str(),
        steps = steps.join(lang.pick("；", "; ")),
        ex_l = lang.pick("示例文档", "Example document"),
        fields_l = lang.pick("字段", "Fields"),
        fields = fields(lang, kind),
        doc = esc(&doc),
    )
}

/// The page in one language.
fn render(lang: Lang) -> String {
    let title = lang.pick("记录类型与字段", "Record kinds and their fields");
    let other = lang.other();
    let mut out = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title} · 溯源 suyuan</title>\
         <style>{STYLE}{PAGE_STYLE}</style></head><body><p><a href=\"/docs/records?lang={}\">{}</a> · \
         <a href=\"/api/docs\">{}</a></p><h1>{title}</h1>{}{}",
        lang.html(),
        other.param(),
        other.pick("中文", "English"),
        lang.pick("接口文档", "API docs"),
        intro(lang),
        contents(lang)
    );
    for p in PROFILES {
        out.push_str(&kind_section(lang, p.kind));
    }
    out.push_str("</body></html>");
    out
}
