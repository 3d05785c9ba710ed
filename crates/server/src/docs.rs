//! The API's self-description: the OpenAPI 3.1 document at
//! `/api/openapi.json` and a readable docs page at `/api/docs`.
//!
//! The docs page is rendered on the server from the same document
//! ([`crate::docs_page`]), with no script and nothing loaded from outside the
//! binary: many users sit on farm networks or behind firewalls. The record
//! kinds have a page of their own ([`crate::records_doc`]).

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Doc;
use utoipa::{Modify, OpenApi};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "suyuan 溯源 API",
        description = "Agricultural product quality traceability platform (农产品质量追溯管理系统). \
Errors are application/problem+json with a stable `code`, the offending `field`, and English (`detail`) and \
Chinese (`detail_zh`) messages. Lists are paged with `limit` and the `next_cursor` of the previous page as `after`. \
Records (sowing, spraying, harvest, testing, packing, shipping …) are EPCIS 2.0 events captured at `/epcis/capture` \
with `agri:recordKind`; each kind's fields are a JSON Schema at `/schemas/records/{kind}.json` (list: `/schemas/records`, \
examples: `/examples/records/{kind}.json`), explained at `/docs/records`.",
        license(name = "Apache-2.0")
    ),
    paths(crate::epcis::capture, crate::epcis::capture_job, crate::epcis::events, crate::epcis::event),
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
        (name = "quality", description = "承诺达标合格证 (certificates), recalls and drills, exports"),
        (name = "archives", description = "Archives of chapter 4.3: management documents, customers and distributors, training, internal audits and nonconformities, attachments, season dossiers"),
        (name = "complaints", description = "Consumers' complaints: filing, public status, inboxes"),
        (name = "devices", description = "Devices, their readings (HTTP, MQTT, SenML) and alerts"),
        (name = "epcis", description = "EPCIS 2.0 capture and query: the records (see /docs/records)"),
        (name = "operations", description = "Backups and their restore drills (the operator)"),
        (name = "security", description = "The audit trail and the block list of intrusion defence"),
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

async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json((*state.openapi).clone())
}

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) const STYLE: &str = "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:960px;margin:auto;padding:1em;line-height:1.5;color:#1d2a1d}\
h1{color:#2f6b2f}code{background:#eef3ee;padding:0 .25em;border-radius:3px}\
.op{border:1px solid #cfdccf;border-radius:6px;margin:.5em 0;padding:.5em .75em}\
.m{display:inline-block;min-width:4em;font-weight:bold;text-transform:uppercase}\
.get{color:#1f5fa8}.post{color:#2f7d32}.put{color:#a86a1f}.delete{color:#b3261e}\
details summary{cursor:pointer}pre{white-space:pre-wrap;background:#f6f8f6;padding:.5em;overflow-x:auto}";

async fn docs_page(State(state): State<AppState>) -> Html<String> {
    Html(crate::docs_page::render(&state.openapi))
}

async fn home() -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>溯源 suyuan</title>\
         <style>{STYLE}</style></head><body><h1>溯源 · 农产品质量追溯平台</h1>\
         <p>suyuan — agricultural product quality traceability platform.</p>\
         <ul><li><a href=\"/api/docs\">接口文档 / API documentation</a></li>\
         <li><a href=\"/docs/records\">记录类型与字段 / record kinds and their fields</a></li>\
         <li><a href=\"/readyz\">服务状态 / readiness</a></li></ul></body></html>"
    ))
}
