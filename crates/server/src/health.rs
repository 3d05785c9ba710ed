//! Health probes for load balancers and orchestrators: `/healthz` says the
//! process is alive; `/readyz` says the database answers and its schema is the
//! one this build expects.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
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
