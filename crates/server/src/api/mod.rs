//! The JSON API under `/api/v1`. One file per area; each handler carries its
//! OpenAPI description, so the published document cannot drift from the code.

pub mod auth;
pub mod orgs;
pub mod prefixes;
pub mod records;
pub mod trace;
pub mod users;

use axum::http::StatusCode;
use suyuan_store::users::{hash_password, verify_password};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(orgs::register))
        .routes(routes!(orgs::create_organisation, orgs::list_organisations))
        .routes(routes!(orgs::get_organisation))
        .routes(routes!(orgs::verify))
        .routes(routes!(orgs::suspend))
        .routes(routes!(orgs::restore))
        .routes(routes!(orgs::list_duties))
        .routes(routes!(orgs::set_duty))
        .routes(routes!(prefixes::claim, prefixes::list))
        .routes(routes!(prefixes::verify))
        .routes(routes!(prefixes::reject))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::get_user))
        .routes(routes!(users::create_api_key, users::list_api_keys))
        .routes(routes!(users::revoke_api_key))
        .routes(routes!(records::create_place, records::list_places))
        .routes(routes!(records::get_place))
        .routes(routes!(records::create_product, records::list_products))
        .routes(routes!(records::get_product))
        .routes(routes!(records::create_supplier, records::list_suppliers))
        .routes(routes!(records::get_supplier))
        .routes(routes!(records::create_input, records::list_inputs))
        .routes(routes!(records::get_input))
        .routes(routes!(records::create_purchase, records::list_purchases))
        .routes(routes!(records::get_purchase))
        .routes(routes!(trace::create_lot, trace::list_lots))
        .routes(routes!(trace::issue_items))
        .routes(routes!(trace::get_unit))
        .routes(routes!(trace::parse))
        .routes(routes!(trace::trace_back))
        .routes(routes!(trace::trace_forward))
}

fn join_error(e: tokio::task::JoinError) -> ApiError {
    tracing::error!(error = %e, "blocking task failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
        "服务器内部错误",
    )
}

/// Hashes a password on a blocking thread (argon2 is slow on purpose).
pub async fn hash_password_blocking(password: String) -> Result<String, ApiError> {
    Ok(tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(join_error)??)
}

/// Verifies a password on a blocking thread.
pub async fn verify_password_blocking(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(join_error)
}
