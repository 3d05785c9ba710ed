//! The holiday calendar the recall and complaint deadlines count working
//! days in: the platform operator records public holidays and adjusted
//! working days as the State Council publishes them; anyone signed in
//! reads it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, ValidJson};
use crate::AppState;

/// A day of the calendar.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    /// YYYY-MM-DD.
    pub day: String,
    /// holiday, working (an adjusted working weekend day) or normal.
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// The calendar's special days.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDays {
    pub holidays: Vec<String>,
    pub working_days: Vec<String>,
}

/// Record a day of the holiday calendar (the operator).
#[utoipa::path(post, path = "/calendar", tag = "quality", request_body = CalendarDay,
    responses((status = 201, body = CalendarDay), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn set_day(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<CalendarDay>,
) -> ApiResult<(StatusCode, Json<CalendarDay>)> {
    state
        .store
        .set_calendar_day(&caller, &req.day, &req.status, req.note.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(req)))
}

/// The holidays and adjusted working days in force.
#[utoipa::path(get, path = "/calendar", tag = "quality",
    responses((status = 200, body = CalendarDays), (status = 401, body = Problem)))]
pub async fn days(State(state): State<AppState>, Auth(_caller): Auth) -> ApiResult<Json<CalendarDays>> {
    let (holidays, working_days) = state.store.calendar_days().await?;
    Ok(Json(CalendarDays {
        holidays,
        working_days,
    }))
}
