//! Users of an organisation and API keys for system-to-system use.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use suyuan_store::users::{ApiKey, NewApiKeySecret, NewUser, User};
use suyuan_store::Page;
use utoipa::ToSchema;

use super::hash_password_blocking;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, ListQuery, ValidJson, ValidQuery};
use crate::AppState;

/// Create a user in an organisation (its admin, or the operator).
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
    let hash = hash_password_blocking(req.password.clone()).await?;
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
/// response; store it safely.
#[utoipa::path(post, path = "/api-keys", tag = "users", request_body = NewApiKey,
    responses((status = 401, body = Problem), (status = 201, body = NewApiKeySecret), (status = 422, body = Problem)))]
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

/// Revoke an API key; it stops working at once.
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
