//! Login, logout and "who am I". A login answers with a bearer token for the
//! API and sets the same token as an HttpOnly session cookie for the web
//! (`SameSite=Strict`, `Secure` when the public URL is https), with the CSRF
//! token a browser sends with its state-changing requests ([`crate::csrf`]).
//! Logout ends the session it is sent with; an API key is revoked, not
//! logged out. Repeated failures lock the account for a while, per
//! client and per account (see [`super::signin`]).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::model::{OrgKind, OrgStatus, Role};
use suyuan_store::Credential;
use utoipa::ToSchema;
use uuid::Uuid;

use super::signin::{bad_credentials, check_password, Checked};
use crate::client::ClientAddr;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{request_secret, Auth, ValidJson, SESSION_COOKIE};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// For a browser using the session cookie instead: send it in the
    /// `X-CSRF-Token` header of every request but GET, HEAD and OPTIONS.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub me: Me,
}

/// The caller's identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: Uuid,
    pub username: String,
    pub org_id: Uuid,
    pub org_kind: OrgKind,
    pub org_status: OrgStatus,
    pub role: Role,
    pub jurisdiction: Option<String>,
}

impl From<suyuan_store::Caller> for Me {
    fn from(c: suyuan_store::Caller) -> Self {
        Me {
            user_id: c.user_id,
            username: c.username,
            org_id: c.org_id,
            org_kind: c.org_kind,
            org_status: c.org_status,
            role: c.role,
            jurisdiction: c.jurisdiction,
        }
    }
}

/// Sign in. Throttled per client and per account: repeated failures lock
/// the (account, client) pair, many from all clients lock the account, many
/// from one client lock the client (429 with `Retry-After`); an unknown
/// username is answered exactly like a known one.
#[utoipa::path(post, path = "/auth/login", security(()), tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    ValidJson(req): ValidJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    if req.username.len() > 64 || req.password.len() > 256 {
        return Err(bad_credentials());
    }
    let user_id = match check_password(&state, client, &req.username, req.password).await? {
        Checked::Right(user_id) => user_id,
        Checked::Wrong => return Err(bad_credentials()),
    };
    let session = state.store.open_session(user_id).await?;
    let caller = state
        .store
        .caller_for_secret(&session.token)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let cookie = session_cookie(&state, &session.token, suyuan_store::users::SESSION_MS / 1000);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginResponse {
            csrf_token: crate::csrf::token_for(&session.token),
            token: session.token,
            expires_at: session.expires_at,
            me: caller.into(),
        }),
    ))
}

/// The `Set-Cookie` value of the session cookie (`max_age` 0 clears it):
/// for this site's pages only (`SameSite=Strict`), out of scripts' reach
/// (`HttpOnly`), and only over https when the site is served so (`Secure`).
pub(crate) fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.https
        || state
            .config
            .public_url
            .to_ascii_lowercase()
            .starts_with("https://")
    {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Sign out: ends the session of the token or cookie sent.
///
/// Only that session ends; the user's other sessions go on. An API key is
/// not a session: logging out with one is refused (403
/// `logout_needs_session`) and the key keeps working; revoke it with
/// `DELETE /api/v1/api-keys/{id}`.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub async fn logout(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    match caller.credential {
        Credential::Session => {}
        Credential::ApiKey(id) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "logout_needs_session",
                format!(
                    "an API key is not a session and cannot be logged out; to stop it working, revoke it \
                     with DELETE /api/v1/api-keys/{id}"
                ),
                format!(
                    "API 密钥不是会话，不能登出；如需停用，请调用 DELETE /api/v1/api-keys/{id} 吊销该密钥"
                ),
            )
            .with_field("Authorization"))
        }
        Credential::Cli => return Err(ApiError::unauthenticated()),
    }
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(secret) = request_secret(&parts) {
        state.store.close_session(&secret).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
    ))
}

/// Who am I.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(Auth(caller): Auth) -> Json<Me> {
    Json(caller.into())
}
