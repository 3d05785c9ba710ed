//! Sign-in and sign-out. The password is checked exactly as the API's login
//! checks it (the same throttling, the same answer for an unknown user,
//! [`crate::api::signin`]), the session is the API's, and its cookie is the
//! one the API's login sets. The sign-in form has no session yet and so no
//! CSRF token; it must still come from a page of this site, so that
//! another site cannot sign a browser into an account of its choosing.

use axum::extract::{FromRequestParts as _, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::{bare, esc};
use super::{i18n, Posted, T};
use crate::api::auth::session_cookie;
use crate::api::signin::{bad_credentials, check_password, Checked};
use crate::client::ClientAddr;
use crate::error::{deliberate, ApiError};
use crate::extract::{read_body, LenientQuery};
use crate::AppState;

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Only a console page may be where sign-in leads (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/console/",
    }
}

fn login_page(lang: i18n::Lang, next: &str, username: &str, error: Option<&ApiError>) -> String {
    let err = error.map_or(String::new(), |e| {
        format!(
            "<p class=\"err\" id=\"login-error\">{}</p>",
            esc(lang.pick(&e.zh, &e.en))
        )
    });
    let other = lang.other();
    let body = format!(
        "<div class=\"card\">{err}<form method=\"post\" action=\"/console/login\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label for=\"username\">{u}</label><input id=\"username\" name=\"username\" value=\"{name}\" autocomplete=\"username\" required>\
         <label for=\"password\">{p}</label><input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <button id=\"sign-in\">{s}</button></form></div>\
         <p><a href=\"/console/login?lang={ol}\" lang=\"{oh}\">{sw}</a></p>",
        next = esc(next),
        u = T::Username.get(lang),
        name = esc(username),
        p = T::Password.get(lang),
        s = T::SignIn.get(lang),
        ol = other.param(),
        oh = other.html(),
        sw = T::Switch.get(lang),
    );
    bare(lang, T::SignIn.get(lang), &body)
}

/// The sign-in page.
pub(crate) async fn form(req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let lang = i18n::language(&parts);
    let next = match LenientQuery::<Next>::from_request_parts(&mut parts, &()).await {
        Ok(LenientQuery(n)) => n.next,
        Err(_) => None,
    };
    Html(login_page(lang, safe_next(next.as_deref()), "", None)).into_response()
}

/// A form posted without a session (so without a CSRF token): its
/// language and fields, once it is known to come from a page of this site;
/// else the error page.
pub(super) async fn site_form(state: &AppState, req: Request) -> Result<SiteForm, Response> {
    let (parts, body) = req.into_parts();
    let lang = i18n::language(&parts);
    if let Err(e) = crate::csrf::check_same_origin(&parts.headers, &state.config) {
        return Err(super::error_page(lang, e));
    }
    let bytes = read_body(Request::from_parts(parts, body), state)
        .await
        .map_err(|e| super::error_page(lang, e))?;
    let fields = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(SiteForm { lang, fields })
}

/// A form posted without a session, from a page of this site.
pub(super) struct SiteForm {
    pub(super) lang: i18n::Lang,
    fields: Vec<(String, String)>,
}

impl SiteForm {
    /// A field's value ("" when absent).
    pub(super) fn get(&self, k: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Checks the password and opens a session: the cookie, then on to `next`.
pub(crate) async fn submit(State(state): State<AppState>, client: ClientAddr, req: Request) -> Response {
    let form = match site_form(&state, req).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let (lang, get) = (form.lang, |k: &str| form.get(k));
    let (username, password) = (get("username").trim().to_owned(), get("password").to_owned());
    let next = safe_next(Some(get("next"))).to_owned();
    let refuse = |e: ApiError| {
        deliberate((e.status, Html(login_page(lang, &next, &username, Some(&e)))).into_response())
    };
    if username.is_empty() || username.len() > 64 || password.len() > 256 {
        return refuse(bad_credentials());
    }
    let user_id = match check_password(&state, client, &username, password).await {
        Ok(Checked::Right(id)) => id,
        Ok(Checked::Wrong) => return refuse(bad_credentials()),
        Err(e) => return refuse(e),
    };
    let session = match state.store.open_session(user_id).await {
        Ok(s) => s,
        Err(e) => return refuse(e.into()),
    };
    let cookie = session_cookie(&state, &session.token, suyuan_store::users::SESSION_MS / 1000);
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, next.clone())],
    )
        .into_response()
}

/// Ends this session and clears its cookie.
pub(crate) async fn logout(State(state): State<AppState>, Posted(c, _): Posted) -> Response {
    if let Err(e) = state.store.close_session(&c.session).await {
        return super::store_error(c.lang, e);
    }
    (
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
        Redirect::to("/console/login"),
    )
        .into_response()
}
