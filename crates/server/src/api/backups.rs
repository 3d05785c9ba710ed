//! `GET /api/v1/backups`: the platform operator reads the scheduled
//! backups and how their restore drills ended, newest first.
//! Everyone else is refused (403 `operator_only`) before anything is read.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use suyuan_store::backup::BackupRun;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, ValidQuery};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BackupsQuery {
    /// How many runs, newest first (1 to 200) [default: 20].
    pub limit: Option<u32>,
}

/// The newest scheduled backups and their restore drills (the operator).
#[utoipa::path(get, path = "/backups", tag = "operations", params(BackupsQuery),
    responses((status = 200, body = Vec<BackupRun>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub async fn list_backups(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<BackupsQuery>,
) -> ApiResult<Json<Vec<BackupRun>>> {
    Ok(Json(
        state.store.backup_runs(&caller, q.limit.unwrap_or(20)).await?,
    ))
}
