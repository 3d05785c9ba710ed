//! The API's self-description: the OpenAPI 3.1 document at
//! `/api/openapi.json` and a readable docs page at `/api/docs`.
//!
//! The docs page is rendered on the server from the same document, with no
//! script and nothing loaded from outside the binary: many users sit on farm
//! networks or behind firewalls.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Doc, RefOr};
use utoipa::{Modify, OpenApi};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "suyuan 溯源 API",
        description = "Agricultural product quality traceability platform (农产品质量追溯管理系统). \
Errors are application/problem+json with a stable `code`, the offending `field`, and English (`detail`) and \
Chinese (`detail_zh`) messages. Lists are paged with `limit` and the `next_cursor` of the previous page as `after`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
    tags(
        (name = "auth", description = "Sign in and out"),
        (name = "organisations", description = "Organisations, verification, duties"),
        (name = "users", description = "Users and API keys"),
        (name = "places", description = "Bases, plots, packing houses, warehouses, stores, vehicles"),
        (name = "products", description = "Products and certifications"),
        (name = "inputs", description = "Suppliers, inputs, purchases"),
        (name = "trace", description = "Lots, trace codes, trace back and forward"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from /api/v1/auth/login, or an API key (syk_…)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::extract::SESSION_COOKIE,
                "The browser's session (set by /api/v1/auth/login; never an API key). A request other than \
                 GET, HEAD or OPTIONS sent with it also needs the login's csrf_token in X-CSRF-Token and an \
                 Origin (or Referer) of this site, else 403.",
            ))),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
        .route("/", get(home))
}

async fn openapi_json(State(state): State<AppState>) -> Json<Doc> {
    Json((*state.openapi).clone())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:960px;margin:auto;padding:1em;line-height:1.5;color:#1d2a1d}\
h1{color:#2f6b2f}code{background:#eef3ee;padding:0 .25em;border-radius:3px}\
.op{border:1px solid #cfdccf;border-radius:6px;margin:.5em 0;padding:.5em .75em}\
.m{display:inline-block;min-width:4em;font-weight:bold;text-transform:uppercase}\
.get{color:#1f5fa8}.post{color:#2f7d32}.put{color:#a86a1f}.delete{color:#b3261e}\
details summary{cursor:pointer}pre{white-space:pre-wrap;background:#f6f8f6;padding:.5em;overflow-x:auto}";

async fn docs_page(State(state): State<AppState>) -> Html<String> {
    let doc = &state.openapi;
    let mut out = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} 接口文档</title><style>{STYLE}</style></head><body><h1>{}</h1><p>{}</p>\
         <p>机器可读文档 / machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a></p>",
        esc(&doc.info.title),
        esc(&doc.info.title),
        esc(doc.info.description.as_deref().unwrap_or(""))
    );
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("delete", &item.delete),
            ("patch", &item.patch),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let _ = write!(
                out,
                "<div class=\"op\"><details><summary><span class=\"m {method}\">{method}</span> <code>{}</code> {}</summary>",
                esc(path),
                esc(op.summary.as_deref().or(op.description.as_deref()).unwrap_or(""))
            );
            if let Some(body) = &op.request_body {
                if let Some(content) = body.content.get("application/json") {
                    let _ = write!(
                        out,
                        "<p>请求体 / request body:</p><pre>{}</pre>",
                        esc(&schema_text(&content.schema))
                    );
                }
            }
            out.push_str("<p>响应 / responses: ");
            for status in op.responses.responses.keys() {
                let _ = write!(out, "<code>{}</code> ", esc(status));
            }
            out.push_str("</p></details></div>");
        }
    }
    out.push_str("</body></html>");
    Html(out)
}

fn schema_text(schema: &Option<RefOr<utoipa::openapi::schema::Schema>>) -> String {
    match schema {
        Some(RefOr::Ref(r)) => r
            .ref_location
            .trim_start_matches("#/components/schemas/")
            .to_owned(),
        Some(RefOr::T(s)) => serde_json::to_string_pretty(s).unwrap_or_default(),
        None => String::new(),
    }
}

async fn home() -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>溯源 suyuan</title>\
         <style>{STYLE}</style></head><body><h1>溯源 · 农产品质量追溯平台</h1>\
         <p>suyuan — agricultural product quality traceability platform.</p>\
         <ul><li><a href=\"/api/docs\">接口文档 / API documentation</a></li>\
         <li><a href=\"/readyz\">服务状态 / readiness</a></li></ul></body></html>"
    ))
}
