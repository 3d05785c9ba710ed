//! Login, logout and "who am I". A login answers with a bearer token for the
//! API and sets the same token as an HttpOnly session cookie for the web
//! (`SameSite=Strict`, `Secure` when the public URL is https), with the CSRF
//! token a browser sends with its state-changing requests ([`crate::csrf`]).
//! Logout ends the session it is sent with; an API key is revoked, not
//! logged out. Repeated failures lock the account for a while.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::model::{OrgKind, OrgStatus, Role};
use suyuan_store::{now_ms, Credential};
use utoipa::ToSchema;
use uuid::Uuid;

use super::verify_password_blocking;
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

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong username or password",
        "用户名或密码错误",
    )
}

fn locked() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
        "too many failed logins; the account is locked for 15 minutes",
        "登录失败次数过多，账户已锁定 15 分钟",
    )
}

/// An argon2id hash to verify against when the user does not exist, so that
/// timing does not reveal which usernames exist. Made once per process.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| suyuan_store::users::hash_password("suyuan-no-such-user").unwrap_or_default())
        .clone()
}

/// Sign in.
#[utoipa::path(post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ValidJson(req): ValidJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    if req.username.len() > 64 || req.password.len() > 256 {
        return Err(bad_credentials());
    }
    let Some(rec) = state.store.login_record(&req.username).await? else {
        let dummy = tokio::task::spawn_blocking(dummy_hash).await.unwrap_or_default();
        verify_password_blocking(req.password, dummy).await?;
        return Err(bad_credentials());
    };
    if rec.locked_until.is_some_and(|t| t > now_ms()) {
        return Err(locked());
    }
    let ok = verify_password_blocking(req.password, rec.password_hash).await?;
    if !ok || rec.disabled {
        tracing::info!(user_id = %rec.user_id, "failed login");
        return Err(match state.store.record_login_failure(rec.user_id).await? {
            Some(_) => locked(),
            None => bad_credentials(),
        });
    }
    let session = state.store.open_session(rec.user_id).await?;
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
fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state
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
/// not a session: logging out with one is refused (400
/// `logout_needs_session`) and the key keeps working; revoke it with
/// `DELETE /api/v1/api-keys/{id}`.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem),
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
                StatusCode::BAD_REQUEST,
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
