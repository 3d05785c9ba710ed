//! Users of an organisation, their administration by the organisation's
//! admin (disable, enable, unlock, role, sessions, password resets), a
//! user's own password, and API keys for system-to-system use.
//!
//! Every user route is scoped by the store: another organisation's user
//! answers 404, and the platform operator, which administers organisations
//! but does not act inside them, is refused (`operator_not_member`), except
//! to unlock an account or issue a password reset (the user sets the new
//! password), which it may do for any organisation's user.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use suyuan_store::users::{
    check_password_rule_for, ApiKey, NewApiKeySecret, NewUser, PasswordChange, PasswordReset,
    PasswordResetToken, Priority, SessionInfo, User, UserChange,
};
use suyuan_store::Page;
use utoipa::ToSchema;

use super::hash_password_blocking;
use super::signin::{check_password, Checked};
use crate::client::ClientAddr;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{request_secret, Auth, Id, ListQuery, ValidJson, ValidQuery};
use crate::AppState;

/// Create a user in an organisation: its admin; the operator only the first
/// `org_admin` of an organisation that has no user yet (403
/// `operator_not_member` otherwise).
#[utoipa::path(post, path = "/organisations/{id}/users", tag = "users",
    params(("id" = uuid::Uuid, Path)), request_body = NewUser,
    responses((status = 401, body = Problem), (status = 201, body = User), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(org_id): Id,
    ValidJson(req): ValidJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    state.store.check_new_user(&caller, org_id, &req).await?;
    let hash = hash_password_blocking(req.password.clone(), Priority::Clean).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_user(&caller, org_id, &req, &hash).await?),
    ))
}

/// Users of an organisation (its own members, or any for the operator).
#[utoipa::path(get, path = "/organisations/{id}/users", tag = "users",
    params(("id" = uuid::Uuid, Path), ListQuery),
    responses((status = 401, body = Problem), (status = 200, body = Page<User>), (status = 404, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(org_id): Id,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(state.store.list_users(&caller, org_id, q.page()?).await?))
}

/// A user of the caller's organisation (any, for the operator).
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 401, body = Problem), (status = 200, body = User), (status = 404, body = Problem)))]
pub async fn get_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.get_user(&caller, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "ERP sync".
    pub name: String,
}

/// Create an API key acting as the caller. The secret is shown only in this
/// response; store it safely. A caller using an API key cannot create keys
/// (403 `key_cannot_mint_keys`).
#[utoipa::path(post, path = "/api-keys", tag = "users", request_body = NewApiKey,
    responses((status = 401, body = Problem), (status = 201, body = NewApiKeySecret), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<NewApiKeySecret>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_api_key(&caller, &req.name).await?),
    ))
}

/// API keys: the caller's own, or all of the organisation's for its admin.
#[utoipa::path(get, path = "/api-keys", tag = "users", params(ListQuery),
    responses((status = 401, body = Problem), (status = 200, body = Page<ApiKey>)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<ApiKey>>> {
    Ok(Json(state.store.list_api_keys(&caller, q.page()?).await?))
}

/// Revoke an API key (the caller's own, or any of its organisation's for an
/// admin); it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "users", params(("id" = uuid::Uuid, Path)),
    responses((status = 401, body = Problem), (status = 204), (status = 404, body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state.store.revoke_api_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a user's role, display name or jurisdiction (its organisation's
/// admin). The role must suit the organisation's kind (422
/// `role_not_for_kind`); the last enabled admin keeps its role (409
/// `last_admin`).
#[utoipa::path(patch, path = "/users/{id}", tag = "users",
    params(("id" = uuid::Uuid, Path)), request_body = UserChange,
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(change): ValidJson<UserChange>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.change_user(&caller, id, &change).await?))
}

/// Disable a user (its organisation's admin): it can no longer sign in, its
/// API keys are revoked and its sessions end. Not oneself (403
/// `cannot_disable_self`), not the last enabled admin (409 `last_admin`).
#[utoipa::path(post, path = "/users/{id}/disable", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn disable_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.disable_user(&caller, id).await?))
}

/// Enable a disabled user again (its organisation's admin). Revoked keys
/// and ended sessions stay so.
#[utoipa::path(post, path = "/users/{id}/enable", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn enable_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.enable_user(&caller, id).await?))
}

/// Lift a user's sign-in locks, from every client (its organisation's
/// admin, or the platform operator for any organisation's user; logged as
/// the user's `unlocked` state, shown to the organisation's admin).
#[utoipa::path(post, path = "/users/{id}/unlock", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unlock_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.unlock_user(&caller, id).await?))
}

/// A user's open sessions, newest first, without their tokens (the user
/// itself, or its organisation's admin).
#[utoipa::path(get, path = "/users/{id}/sessions", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(state.store.list_sessions(&caller, id).await?))
}

/// Sign a user out everywhere: end every session of theirs (the user
/// itself, or its organisation's admin). Their API keys are unaffected.
#[utoipa::path(post, path = "/users/{id}/sign-out", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_sessions(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state.store.end_sessions(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a one-time password-reset token for a user (its organisation's
/// admin, or the platform operator for any organisation's user, signed in:
/// not with an API key; logged as the user's `password_reset_issued` state,
/// shown to the organisation's admin). The token is shown only in this
/// response, stored hashed, and sets a new password once within 24 hours at
/// `POST /auth/password-reset`; an earlier unused token stops working.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 201, body = PasswordResetToken), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn issue_password_reset(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<PasswordResetToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.issue_password_reset(&caller, id).await?),
    ))
}

/// Set a new password with a one-time reset token (public). The password
/// rule applies; the token is spent, the user's sessions end and its
/// sign-in locks are lifted.
#[utoipa::path(post, path = "/auth/password-reset", security(()), tag = "auth", request_body = PasswordReset,
    responses((status = 204), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ValidJson(req): ValidJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    check_password_rule_for("new_password", &req.new_password)?;
    // A refused token costs no hash.
    state.store.check_password_reset(&req.token).await?;
    let hash = hash_password_blocking(req.new_password, Priority::Clean).await?;
    state.store.complete_password_reset(&req.token, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change one's own password, giving the old one (signed in: not with an
/// API key). Checked and throttled like a sign-in; the caller's other
/// sessions end.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Auth(caller): Auth,
    client: ClientAddr,
    headers: HeaderMap,
    ValidJson(req): ValidJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    suyuan_store::users::require_not_key(&caller)?;
    check_password_rule_for("new_password", &req.new_password)?;
    if req.old_password.len() > 256 {
        return Err(wrong_password());
    }
    match check_password(&state, client, &caller.username, req.old_password).await? {
        Checked::Right(id) if id == caller.user_id => {}
        _ => return Err(wrong_password()),
    }
    let hash = hash_password_blocking(req.new_password, Priority::Clean).await?;
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    let current = request_secret(&parts);
    state
        .store
        .set_own_password(&caller, &hash, current.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn wrong_password() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "wrong_password",
        "old_password: this is not your current password",
        "old_password：当前密码不正确",
    )
    .with_field("old_password")
}
