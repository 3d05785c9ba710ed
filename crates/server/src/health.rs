//! Health probes for load balancers and orchestrators: `/healthz` says the
//! process is alive; `/readyz` says the database answers and its schema is the
//! one this build expects.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
}

/// The readiness document, also at 503 (meant as it is, not a problem).
async fn readyz(State(state): State<AppState>) -> Response {
    crate::error::deliberate(readiness(&state).await.into_response())
}

async fn readiness(state: &AppState) -> (StatusCode, Json<serde_json::Value>) {
    match state.store.readiness().await {
        Ok((current, latest)) if current == latest => (
            StatusCode::OK,
            Json(
                json!({"status": "ready", "backend": state.store.backend_name(), "schema_version": current}),
            ),
        ),
        Ok((current, latest)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "migrations_pending", "schema_version": current, "expected": latest})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database_unreachable"})),
            )
        }
    }
}
