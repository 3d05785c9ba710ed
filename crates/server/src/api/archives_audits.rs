//! Internal audits and their nonconformities over HTTP
//! (`/api/v1/archives/audits`, `/api/v1/archives/nonconformities`), and a
//! plot's season dossier as one PDF (`/api/v1/archives/season-dossier`).
//! A nonconformity is closed by a new version with `status` `closed` and
//! the `verification` that the action worked (else 422
//! `verification_required`); the list flags those open past their due date.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use suyuan_labels::sheet::{render_sheets, Flow};
use suyuan_store::archives::audits::{
    Audit, AuditEntry, ChecklistItem, NewAudit, NewNonconformity, Nonconformity,
};
use suyuan_store::archives::season::SeasonDossier;
use suyuan_store::archives::Versions;
use suyuan_store::Page;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id, ListQuery, ValidJson, ValidQuery};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_audit, list_audits))
        .routes(routes!(get_audit, revise_audit))
        .routes(routes!(create_nonconformity))
        .routes(routes!(list_nonconformities))
        .routes(routes!(get_nonconformity, revise_nonconformity))
        .routes(routes!(season_dossier))
}

/// An internal audit's version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditRequest {
    /// YYYY-MM-DD.
    pub audited_on: String,
    /// What was audited (the system's operation, a site, a process).
    pub scope: String,
    pub auditor: String,
    pub checklist: Vec<ChecklistItem>,
    #[serde(default)]
    pub findings: Option<String>,
}

impl From<AuditRequest> for NewAudit {
    fn from(r: AuditRequest) -> Self {
        NewAudit {
            audited_on: r.audited_on,
            scope: r.scope,
            auditor: r.auditor,
            checklist: r.checklist,
            findings: r.findings,
        }
    }
}

/// Record an internal audit (version 1).
#[utoipa::path(post, path = "/archives/audits", tag = "archives", request_body = AuditRequest,
    responses((status = 201, body = AuditEntry), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_audit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<AuditRequest>,
) -> ApiResult<(StatusCode, Json<AuditEntry>)> {
    let made = state.store.record_audit(&caller, None, &req.into()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The current version of each internal audit.
#[utoipa::path(get, path = "/archives/audits", tag = "archives", params(ListQuery),
    responses((status = 200, body = Page<Audit>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list_audits(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Audit>>> {
    Ok(Json(state.store.audits(&caller, q.org_id, q.page()?).await?))
}

/// An internal audit: its versions and its nonconformities.
#[utoipa::path(get, path = "/archives/audits/{id}", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = AuditEntry), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_audit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<AuditEntry>> {
    Ok(Json(state.store.audit(&caller, id).await?))
}

/// Record a new version of an internal audit.
#[utoipa::path(put, path = "/archives/audits/{id}", tag = "archives", params(("id" = Uuid, Path)),
    request_body = AuditRequest,
    responses((status = 200, body = AuditEntry), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_audit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<AuditRequest>,
) -> ApiResult<Json<AuditEntry>> {
    Ok(Json(
        state.store.record_audit(&caller, Some(id), &req.into()).await?,
    ))
}

/// A nonconformity's version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NonconformityRequest {
    pub description: String,
    pub cause: String,
    pub corrective_action: String,
    /// Who carries out the corrective action.
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// open (default) or closed.
    #[serde(default)]
    pub status: Option<String>,
    /// The check that the action worked: required to close.
    #[serde(default)]
    pub verification: Option<String>,
}

impl From<NonconformityRequest> for NewNonconformity {
    fn from(r: NonconformityRequest) -> Self {
        NewNonconformity {
            description: r.description,
            cause: r.cause,
            corrective_action: r.corrective_action,
            owner: r.owner,
            due_on: r.due_on,
            status: r.status,
            verification: r.verification,
        }
    }
}

/// Record a nonconformity an audit found (version 1).
#[utoipa::path(post, path = "/archives/audits/{id}/nonconformities", tag = "archives", params(("id" = Uuid, Path)),
    request_body = NonconformityRequest,
    responses((status = 201, body = Versions<Nonconformity>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_nonconformity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(audit): Id,
    ValidJson(req): ValidJson<NonconformityRequest>,
) -> ApiResult<(StatusCode, Json<Versions<Nonconformity>>)> {
    let made = state
        .store
        .record_nonconformity(&caller, Some(audit), None, &req.into())
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The current version of each nonconformity, those overdue flagged.
#[utoipa::path(get, path = "/archives/nonconformities", tag = "archives", params(ListQuery),
    responses((status = 200, body = Page<Nonconformity>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list_nonconformities(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Nonconformity>>> {
    Ok(Json(
        state.store.nonconformities(&caller, q.org_id, q.page()?).await?,
    ))
}

/// A nonconformity: its current version and every version.
#[utoipa::path(get, path = "/archives/nonconformities/{id}", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = Versions<Nonconformity>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_nonconformity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Versions<Nonconformity>>> {
    Ok(Json(state.store.nonconformity(&caller, id).await?))
}

/// Record a new version of a nonconformity (its action done, verified,
/// closed).
#[utoipa::path(put, path = "/archives/nonconformities/{id}", tag = "archives", params(("id" = Uuid, Path)),
    request_body = NonconformityRequest,
    responses((status = 200, body = Versions<Nonconformity>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_nonconformity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<NonconformityRequest>,
) -> ApiResult<Json<Versions<Nonconformity>>> {
    Ok(Json(
        state
            .store
            .record_nonconformity(&caller, None, Some(id), &req.into())
            .await?,
    ))
}

/// A plot and a season.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SeasonQuery {
    /// The plot's id.
    pub place: Uuid,
    /// The season's first day, YYYY-MM-DD (China time).
    pub from: String,
    /// The season's last day, YYYY-MM-DD.
    pub to: String,
}

/// A plot's quality and safety dossier for a season, as one PDF: the plot
/// and its environment tests, every record made there, the lots harvested,
/// their tests and certificates.
#[utoipa::path(get, path = "/archives/season-dossier", tag = "archives", params(SeasonQuery),
    responses((status = 200, description = "The PDF", content((String = "application/pdf"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn season_dossier(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<SeasonQuery>,
) -> ApiResult<Response> {
    let d = state
        .store
        .season_dossier(&caller, q.place, &q.from, &q.to)
        .await?;
    let bytes =
        season_pdf(&d).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code, e.en, e.zh))?;
    Ok(crate::export::file(
        bytes,
        "application/pdf",
        "season-dossier.pdf",
    ))
}

/// Lines naming a plot's environment: soil, water, irrigation and its
/// environment test reports.
pub(crate) fn environment_lines(p: &suyuan_store::places::Place) -> Vec<String> {
    let mut out = Vec::new();
    for (label, v) in [
        ("土壤 Soil", &p.soil_type),
        ("水源 Water", &p.water_source),
        ("灌溉 Irrigation", &p.irrigation),
    ] {
        if let Some(v) = v {
            out.push(format!("{label}：{v}"));
        }
    }
    out.push(format!(
        "产地环境检测 Environment tests：{}",
        if p.environment_tests.is_empty() {
            "—".to_owned()
        } else {
            p.environment_tests.join("；")
        }
    ));
    out
}

fn season_pdf(d: &SeasonDossier) -> Result<Vec<u8>, suyuan_core::Invalid> {
    let mut f = Flow::new(210.0, 297.0, 15.0);
    f.para(
        16.0,
        0.0,
        "质量安全档案（生产季）Season quality and safety dossier",
    )?;
    f.para(11.0, 0.0, &format!("地块 Plot：{}", d.place.name))?;
    f.para(10.0, 0.0, &format!("生产季 Season：{} — {}", d.from, d.to))?;
    f.rule();
    f.para(12.0, 0.0, "产地 Origin")?;
    for line in environment_lines(&d.place) {
        f.para(10.0, 4.0, &line)?;
    }
    f.rule();
    f.para(12.0, 0.0, "生产记录 Records")?;
    let line = |r: &suyuan_store::archives::season::SeasonRecord| {
        let at = chrono::DateTime::from_timestamp_millis(r.event_time)
            .map(|t| {
                (t + chrono::Duration::hours(8))
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        format!(
            "{at} · {}{} · {} · {}",
            r.record_kind.clone().unwrap_or_default(),
            if r.corrected { "（已更正）" } else { "" },
            r.org_name,
            r.event_id
        )
    };
    if d.records.is_empty() {
        f.para(10.0, 4.0, "—")?;
    }
    for r in &d.records {
        f.para(9.0, 4.0, &line(r))?;
    }
    f.para(12.0, 0.0, "采收批次 Lots harvested")?;
    f.para(
        9.0,
        4.0,
        &if d.lots.is_empty() {
            "—".to_owned()
        } else {
            d.lots.join("；")
        },
    )?;
    f.para(12.0, 0.0, "检测 Tests")?;
    if d.tests.is_empty() {
        f.para(10.0, 4.0, "—")?;
    }
    for r in &d.tests {
        f.para(9.0, 4.0, &line(r))?;
    }
    f.para(12.0, 0.0, "承诺达标合格证 Certificates")?;
    if d.certificates.is_empty() {
        f.para(10.0, 4.0, "—")?;
    }
    for c in &d.certificates {
        let state = if c.is_valid() { "有效" } else { "已作废" };
        f.para(
            9.0,
            4.0,
            &format!(
                "{} · {} · {} {} · {} · {state}",
                c.number, c.product_name, c.quantity, c.unit, c.issue_date
            ),
        )?;
    }
    render_sheets(&f.finish())
}
