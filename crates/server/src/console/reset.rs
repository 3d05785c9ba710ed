//! The password-reset page, where the one-time link an organisation's admin
//! or the platform operator issues leads (`/console/reset?token=…`): the
//! user sets the new password here, so whoever issued the link never sees
//! it. The token is checked, the password rule applied and the reset
//! completed exactly as `POST /api/v1/auth/password-reset` does (the token
//! spent, the user's sessions ended, its sign-in locks lifted). The form
//! has no session and so no CSRF token; like the sign-in form it must come
//! from a page of this site.

use axum::extract::{FromRequestParts as _, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use suyuan_store::users::{check_password_rule_for, Priority};

use super::i18n;
use super::layout::{bare, esc};
use crate::api::hash_password_blocking;
use crate::error::{deliberate, ApiError};
use crate::extract::LenientQuery;
use crate::AppState;

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// The link to the page for `token`.
pub(crate) fn reset_link(public_url: &str, token: &str) -> String {
    let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    format!("{}/console/reset?token={token}", public_url.trim_end_matches('/'))
}

fn reset_page(lang: i18n::Lang, token: &str, error: Option<&ApiError>) -> String {
    let err = error.map_or(String::new(), |e| {
        format!(
            "<p class=\"err\" id=\"reset-error\">{}</p>",
            esc(lang.pick(&e.zh, &e.en))
        )
    });
    let body = format!(
        "<div class=\"card\">{err}<form method=\"post\" action=\"/console/reset\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <label for=\"password\">{p}</label><input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"new-password\" required>\
         <label for=\"confirm\">{c}</label><input id=\"confirm\" type=\"password\" name=\"confirm\" autocomplete=\"new-password\" required>\
         <p><small>{rule}</small></p><button id=\"set-password\">{go}</button></form></div>",
        token = esc(token),
        p = lang.pick("新密码", "New password"),
        c = lang.pick("再次输入新密码", "The new password again"),
        rule = lang.pick(
            "链接仅可使用一次，24 小时内有效；设置后须用新密码重新登录。",
            "The link works once within 24 hours; sign in again with the new password afterwards."
        ),
        go = lang.pick("设置新密码", "Set the new password"),
    );
    bare(lang, lang.pick("重置密码", "Reset the password"), &body)
}

/// The form.
pub(crate) async fn form(req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let lang = i18n::language(&parts);
    let token = match LenientQuery::<TokenQuery>::from_request_parts(&mut parts, &()).await {
        Ok(LenientQuery(q)) => q.token.unwrap_or_default(),
        Err(_) => String::new(),
    };
    Html(reset_page(lang, &token, None)).into_response()
}

/// Sets the password; on to the sign-in page.
pub(crate) async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let form = match super::login::site_form(&state, req).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let lang = form.lang;
    let (token, password) = (form.get("token").to_owned(), form.get("password").to_owned());
    let refuse =
        |e: ApiError| deliberate((e.status, Html(reset_page(lang, &token, Some(&e)))).into_response());
    if password != form.get("confirm") {
        return refuse(
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "passwords_differ",
                "the two passwords differ",
                "两次输入的密码不一致",
            )
            .with_field("confirm"),
        );
    }
    if let Err(e) = check_password_rule_for("password", &password) {
        return refuse(e.into());
    }
    // A refused token costs no hash.
    if let Err(e) = state.store.check_password_reset(&token).await {
        return refuse(e.into());
    }
    let hash = match hash_password_blocking(password, Priority::Clean).await {
        Ok(h) => h,
        Err(e) => return refuse(e),
    };
    if let Err(e) = state.store.complete_password_reset(&token, &hash).await {
        return refuse(e.into());
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/console/login")]).into_response()
}
