//! The enterprise web console under `/console`: what a cooperative's clerk,
//! a packing house's line manager or a receiving desk does from a browser
//! (R-5.3.3.x), on a phone or a desktop, in Simplified Chinese by default
//! and in English with `?lang=en` (remembered in a cookie).
//!
//! **Rendering.** Pages are written by plain Rust functions into strings,
//! like the consumer page ([`crate::public`]), not by a template engine:
//! the pages are few and small, the escaping is one function ([`esc`])
//! every value goes through, the compiler checks every value a page needs,
//! and the server crate takes no new dependency. The layout, the style
//! sheet and the fixed texts each live in one place ([`layout`],
//! [`i18n`]); every screen is one file. No page loads anything from
//! elsewhere, and no page needs JavaScript.
//!
//! **Sessions.** Sign-in at `/console/login` opens the same session the API
//! opens (`POST /api/v1/auth/login`), held in the same HttpOnly,
//! `SameSite=Strict` cookie (`Secure` when the public URL is https). Every
//! form carries the session's CSRF token ([`crate::csrf::token_for`]) and
//! every POST must come from a page of this site ([`crate::csrf`]); both are
//! checked by the [`Posted`] extractor before a handler runs, so a refused
//! post changes nothing. Pages act through the store with the signed-in
//! caller, exactly as the API does: another tenant's record is not found
//! (404), and a pending or suspended organisation's writes are refused with
//! the API's own error.

// Handlers answer `Result<Response, Response>`: a page or an error page,
// both sent as they are; boxing the error would buy nothing.
#![allow(clippy::result_large_err)]

mod archives;
mod archives_entry;
mod archives_forms;
mod archives_html;
mod audit;
mod backups;
mod certifications;
mod charts;
mod complaints;
mod dashboard;
mod device_forms;
mod devices;
mod i18n;
mod lab;
mod labels;
mod layout;
mod webhooks;
pub(crate) use layout::STYLE;
mod login;
mod lots;
mod master;
mod master_entry;
mod operator;
mod org;
mod product;
mod quality;
mod recordform;
mod records;
mod regulator;
mod reset;
mod shipments;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use suyuan_store::{Caller, Credential};

use crate::error::{deliberate, ApiError};
use crate::extract::{presented_credential, Presented};
use crate::AppState;
pub(crate) use i18n::{Lang, T};
pub(crate) use layout::{esc, local_time};

/// Largest archive form with its file: the attachment's limit and the fields.
const UPLOAD_BYTES: usize = suyuan_core::archives::MAX_ATTACHMENT_BYTES + 64 * 1024;

/// The cookie remembering the console's language.
pub const LANG_COOKIE: &str = "suyuan_lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(dashboard::show))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route("/console/reset", get(reset::form).post(reset::submit))
        .route("/console/records", get(records::index))
        .route(
            "/console/records/new/{kind}",
            get(recordform::blank).post(recordform::submit),
        )
        .route("/console/record", get(records::show))
        .route("/console/record/correct", post(records::correct))
        .route("/console/lots", get(lots::index).post(lots::create))
        .route("/console/lots/{id}", get(lots::show))
        .route("/console/lots/{id}/items", post(lots::issue))
        .route("/console/lots/{id}/labels", post(labels::print))
        .route("/console/search", get(lots::search))
        .route("/console/shipments", get(shipments::incoming))
        .route("/console/devices", get(devices::index))
        .route("/console/devices/{id}/disable", post(devices::disable))
        .route("/console/devices/{id}/enable", post(devices::enable))
        .route("/console/devices/{id}/place", post(device_forms::move_to))
        .route("/console/devices/{id}/attach", post(device_forms::attach))
        .route("/console/devices/{id}/detach", post(device_forms::detach))
        .route("/console/devices/webhook", post(webhooks::save))
        .route("/console/devices/webhook/delete", post(webhooks::remove))
        .route("/console/shipments/receive", post(shipments::receive))
        .route("/console/org", get(org::show))
        .route("/console/master/{slug}", get(master::show).post(master::create))
        .route(
            "/console/master/{slug}/{id}",
            get(master_entry::show).post(master_entry::edit),
        )
        .route(
            "/console/master/{slug}/{id}/deactivate",
            post(master_entry::deactivate),
        )
        .route(
            "/console/master/{slug}/{id}/activate",
            post(master_entry::activate),
        )
        .route("/console/products/{id}", get(product::show))
        .route("/console/products/{id}/certifications", post(product::add))
        .route(
            "/console/products/{id}/certifications/{certification}/withdraw",
            post(product::withdraw),
        )
        .route("/console/org/users", post(org::create_user))
        .route("/console/org/users/{id}/role", post(org::change_role))
        .route("/console/org/users/{id}/disable", post(org::disable_user))
        .route("/console/org/keys", post(org::create_key))
        .route("/console/org/keys/{id}/revoke", post(org::revoke_key))
        .route(
            "/console/certificates",
            get(quality::certificates).post(quality::issue),
        )
        .route("/console/recalls", get(quality::recalls).post(quality::start))
        .route("/console/recalls/{id}/act", post(quality::act))
        .route("/console/complaints", get(complaints::inbox))
        .route("/console/complaints/{reference}", get(complaints::show))
        .route("/console/complaints/{reference}/status", post(complaints::change))
        .route(
            "/console/complaints/{reference}/photos/{n}",
            get(complaints::photo),
        )
        .route("/console/operator", get(operator::queue))
        .route("/console/operator/health", get(operator::health))
        .route("/console/operator/orgs/{id}", get(operator::organisation))
        .route("/console/operator/orgs/{id}/{action}", post(operator::decide))
        .route("/console/operator/users/{id}/unlock", post(operator::unlock))
        .route("/console/operator/users/{id}/reset", post(operator::reset))
        .route("/console/audit", get(audit::index))
        .route("/console/security", get(audit::security))
        .route("/console/security/blocks/{id}/unblock", post(audit::unblock))
        .route("/console/regulator", get(regulator::dashboard))
        .route("/console/regulator/orgs/{id}", get(regulator::enterprise))
        .route("/console/regulator/orgs/{id}/sampling", post(regulator::sampling))
        .route(
            "/console/regulator/orgs/{id}/inspections",
            post(regulator::inspection),
        )
        .route("/console/regulator/orgs/{id}/archives", get(archives::officer))
        .route("/console/archives", get(archives::index))
        .route("/console/archives/attachments/{id}", get(archives::attachment))
        .route("/console/archives/{kind}/{id}", get(archives_entry::entry))
        .route(
            "/console/archives/documents",
            post(archives_forms::document).layer(DefaultBodyLimit::max(UPLOAD_BYTES)),
        )
        .route(
            "/console/archives/trainings",
            post(archives_forms::training).layer(DefaultBodyLimit::max(UPLOAD_BYTES)),
        )
        .route("/console/archives/customers", post(archives_forms::customer))
        .route("/console/archives/audits", post(archives_forms::audit))
        .route(
            "/console/archives/nonconformities",
            post(archives_forms::nonconformity),
        )
        .route("/console/lab", get(lab::samples))
        .route("/console/lab/results", post(lab::results))
        .route("/console/lab/reports/{id}/pdf", get(lab::report_pdf))
        .route("/console/regulator/sampling-tasks", post(lab::sampling_task))
        .layer(axum::middleware::from_fn(remember_language))
}

/// `?lang=en` or `?lang=zh` on any console page sets the language cookie,
/// so the choice follows the clerk from page to page.
async fn remember_language(req: Request, next: Next) -> Response {
    let chosen = req.uri().query().and_then(i18n::lang_param);
    let mut resp = next.run(req).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/console; SameSite=Strict; Max-Age=31536000",
            lang.param()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// A signed-in console user: the store's caller, the session's secret (for
/// the CSRF token of its forms) and the page language.
pub(crate) struct Console {
    pub caller: Caller,
    pub session: String,
    pub lang: Lang,
    /// The page's own path and query, for the language switch.
    pub here: String,
}

impl Console {
    pub fn t(&self, text: T) -> &'static str {
        text.get(self.lang)
    }

    /// The CSRF token every form of this session carries.
    pub fn csrf(&self) -> String {
        crate::csrf::token_for(&self.session)
    }
}

/// Not signed in: to the sign-in page, which comes back here afterwards.
fn to_login(parts: &Parts) -> Response {
    let here = parts.uri.path_and_query().map_or("/console/", |p| p.as_str());
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Redirect::to(&format!("/console/login?next={next}")).into_response()
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = i18n::language(parts);
        // The console is for browsers: only the session cookie signs in.
        let Some(Presented::Cookie(session)) = presented_credential(parts) else {
            return Err(to_login(parts));
        };
        let caller = match state.store.caller_for_secret(&session).await {
            Ok(Some(c)) if c.credential == Credential::Session => c,
            Ok(_) => return Err(to_login(parts)),
            Err(e) => return Err(error_page(lang, ApiError::from(e))),
        };
        crate::audit::note_caller(&caller).map_err(|e| error_page(lang, e))?;
        // The language switch reloads this page: a page answering a post
        // switches on the dashboard instead of posting again.
        let here = if parts.method == axum::http::Method::GET {
            parts.uri.path_and_query().map_or("/console/", |p| p.as_str())
        } else {
            "/console/"
        }
        .to_owned();
        Ok(Console {
            caller,
            session,
            lang,
            here,
        })
    }
}

/// The fields of a posted form, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }
}

/// A form posted by a signed-in user from a page of this site with its
/// session's CSRF token; anything else is refused (403) before the handler
/// runs, so a forged post stores nothing.
pub(crate) struct Posted(pub Console, pub Fields);

/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let console = Console::from_request_parts(&mut parts, state).await?;
        let lang = console.lang;
        crate::csrf::check_same_origin(&parts.headers, &state.config).map_err(|e| error_page(lang, e))?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(error_page(
                lang,
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "a console form is posted as application/x-www-form-urlencoded",
                    "控制台表单须以 application/x-www-form-urlencoded 提交",
                )
                .with_field("Content-Type"),
            ));
        }
        let bytes = crate::extract::read_body(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| error_page(lang, e))?;
        let fields = Fields(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        );
        check_form_token(&console, &fields)?;
        Ok(Posted(console, fields))
    }
}

/// A posted form carries its session's CSRF token (403 otherwise), for
/// every kind of console form.
pub(crate) fn check_form_token(console: &Console, fields: &Fields) -> Result<(), Response> {
    if crate::csrf::check(&console.session, fields.get(CSRF_FIELD).unwrap_or("")) {
        return Ok(());
    }
    Err(error_page(
        console.lang,
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_token_invalid",
            "this form is not one of your session's pages (its CSRF token is missing or wrong); reload the page and try again",
            "该表单不是本会话的页面提交的（CSRF 令牌缺失或有误），请刷新页面后重试",
        )
        .with_field(CSRF_FIELD),
    ))
}

/// An error as a console page (not a problem document): its status, the
/// message in the page's language and the stable code.
pub(crate) fn error_page(lang: Lang, e: ApiError) -> Response {
    let body = format!(
        "<div class=\"card\"><p class=\"err\">{}</p><p><small>{}: {}</small></p>\
         <p><a href=\"/console/\">{}</a></p></div>",
        esc(lang.pick(&e.zh, &e.en)),
        T::Code.get(lang),
        esc(&e.code),
        T::Dashboard.get(lang),
    );
    let title = if e.status == StatusCode::NOT_FOUND {
        T::NotFound.get(lang)
    } else {
        T::Refused.get(lang)
    };
    let mut resp = (e.status, Html(layout::bare(lang, title, &body))).into_response();
    resp.extensions_mut().insert(crate::error::ProblemCode(e.code));
    deliberate(resp)
}

/// The store's answer as a console error page.
pub(crate) fn store_error(lang: Lang, e: suyuan_store::StoreError) -> Response {
    error_page(lang, ApiError::from(e))
}

/// A console result: a page, or an error page.
pub(crate) type PageResult = Result<Response, Response>;
