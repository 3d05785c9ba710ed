//! Recalls over HTTP: start one (or a drill) from a unit, lot, input lot or
//! failed test; read it with every holder's progress; acknowledge, account
//! and close; export its affected units as XLSX or CSV. Who may do what is
//! `suyuan_store::quality::recalls`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use suyuan_core::quality::recall::{Accounted, PlanText};
use suyuan_store::quality::recalls::{NewRecall, Recall, StartedRecall};
use utoipa::{IntoParams, ToSchema};

use super::trace::trace_target;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export::{download, ExportFormat, Table};
use crate::extract::{Auth, Id, ValidJson, ValidQuery};
use crate::AppState;

/// A request to start a recall.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The unit, lot or input lot, in any form (or give `test_event`).
    #[serde(default)]
    pub code: Option<String>,
    /// A failed test's eventID: the recall starts from what it tested.
    #[serde(default)]
    pub test_event: Option<String>,
    /// 1, 2 or 3.
    pub level: serde_json::Value,
    pub reason: String,
    /// A drill (演练): no public effect.
    #[serde(default)]
    pub drill: bool,
    #[serde(default)]
    pub plan: PlanText,
}

/// Start a recall (or a drill).
#[utoipa::path(post, path = "/recalls", tag = "quality", request_body = StartRequest,
    responses((status = 201, body = StartedRecall), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<StartRequest>,
) -> ApiResult<(StatusCode, Json<StartedRecall>)> {
    let start = match (&req.code, &req.test_event) {
        (Some(code), _) => trace_target(code)?,
        (None, Some(_)) => String::new(),
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "required",
                "give the code of what to recall, or the failed test's test_event",
                "请提供召回对象的追溯码，或不合格检测的 test_event",
            )
            .with_field("code"))
        }
    };
    let level = match &req.level {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let started = state
        .store
        .start_recall(
            &caller,
            &NewRecall {
                start,
                test_event: req.code.is_none().then(|| req.test_event.clone()).flatten(),
                level,
                reason: req.reason,
                drill: req.drill,
                plan: req.plan,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// The recalls the caller takes part in, newest first.
#[utoipa::path(get, path = "/recalls", tag = "quality",
    responses((status = 200, body = Vec<Recall>), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<Vec<Recall>>> {
    Ok(Json(state.store.recalls_for(&caller).await?))
}

/// A recall with every holder's progress.
#[utoipa::path(get, path = "/recalls/{id}", tag = "quality", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Recall), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, Auth(caller): Auth, Id(id): Id) -> ApiResult<Json<Recall>> {
    Ok(Json(state.store.recall(&caller, id).await?))
}

/// A holder's act on a recall, or its closing by the recalling organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActRequest {
    /// acknowledged, accounted or closed.
    pub action: String,
    #[serde(default, flatten)]
    pub accounted: Accounted,
    #[serde(default)]
    pub note: Option<String>,
    /// With `accounted` of one kind: the units, in any code form, as many as
    /// its number; they are recorded as an EPCIS event (`removing` with the
    /// `recalled` disposition, or `destroying` with `destroyed`).
    #[serde(default)]
    pub epcs: Vec<String>,
}

/// Acknowledge a recall's notice, account for units (removed, returned,
/// destroyed), or close the recall.
#[utoipa::path(post, path = "/recalls/{id}/acts", tag = "quality", params(("id" = uuid::Uuid, Path)),
    request_body = ActRequest,
    responses((status = 200, body = Recall), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn act(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<ActRequest>,
) -> ApiResult<Json<Recall>> {
    let units = req
        .epcs
        .iter()
        .map(|c| trace_target(c).map_err(|e| e.with_field("epcs")))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(
        state
            .store
            .recall_act(
                &caller,
                id,
                &req.action,
                &req.accounted,
                req.note.as_deref(),
                &units,
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// xlsx (default) or csv.
    pub format: Option<String>,
}

/// The recall as a sortable table: one row per affected unit, with its
/// holder, whether it was sold, and the holder's progress.
pub async fn recall_table(
    state: &AppState,
    caller: &suyuan_store::Caller,
    id: uuid::Uuid,
) -> ApiResult<Table> {
    let recall = state.store.recall(caller, id).await?;
    let units = state.store.recall_units(caller, id).await?;
    let mut rows = Vec::with_capacity(units.len());
    for u in &units {
        let h = recall.holders.iter().find(|h| h.org_id == u.holder_org_id);
        rows.push(vec![
            u.epc.clone(),
            u.gtin.clone().unwrap_or_default(),
            u.batch.clone().unwrap_or_default(),
            u.kind.clone().unwrap_or_default(),
            u.holder_name.clone(),
            if u.sold {
                "已售出 sold"
            } else {
                "未售出 unsold"
            }
            .into(),
            h.map_or(String::new(), |h| {
                if h.acknowledged_at.is_some() {
                    "已确认 acknowledged"
                } else {
                    "未确认 not acknowledged"
                }
                .into()
            }),
            h.map_or(0.0, |h| h.accounted.total()).to_string(),
            h.map_or(0, |h| h.units).to_string(),
        ]);
    }
    Ok(Table {
        sheet: if recall.drill {
            "召回演练 drill"
        } else {
            "召回 recall"
        }
        .into(),
        headers: vec![
            "追溯码 trace code",
            "GTIN",
            "批号 lot",
            "类型 kind",
            "持有者 holder",
            "销售 sold",
            "通知 notice",
            "持有者已处置 holder accounted",
            "持有者涉及数量 holder units",
        ],
        rows,
    })
}

/// The recall's affected units as XLSX or CSV.
#[utoipa::path(get, path = "/recalls/{id}/export", tag = "quality", params(("id" = uuid::Uuid, Path), ExportQuery),
    responses((status = 200, description = "The table", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidQuery(q): ValidQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = ExportFormat::parse(q.format.as_deref())?;
    let table = recall_table(&state, &caller, id).await?;
    download(&table, format, &format!("recall-{id}"))
}

/// The recall's report as a PDF (A4): the recall, its plan, the deadlines,
/// every holder's progress and the totals; a progress report while it is
/// open, the final report once closed. The QR code opens the recall in the
/// console.
pub fn report_pdf(r: &Recall, public_url: &str) -> Result<Vec<u8>, suyuan_core::Invalid> {
    use suyuan_labels::sheet::{render_sheets, Flow};
    let mut f = Flow::new(210.0, 297.0, 15.0);
    let kind = match (r.drill, r.closed_at.is_some()) {
        (true, _) => "召回演练报告 Recall drill report",
        (false, true) => "召回总结报告 Final recall report",
        (false, false) => "召回进展报告 Recall progress report",
    };
    f.qr_right(
        28.0,
        &format!("{}/console/recalls#r-{}", public_url.trim_end_matches('/'), r.id),
    );
    f.para(16.0, 0.0, kind)?;
    f.gap(2.0);
    let cst = chrono::FixedOffset::east_opt(8 * 3600);
    let time = |ms: i64| match (chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms), cst) {
        (Some(t), Some(z)) => t.with_timezone(&z).format("%Y-%m-%d %H:%M").to_string(),
        _ => String::new(),
    };
    for (k, v) in [
        ("召回企业 Recalled by", r.org_name.clone()),
        ("召回级别 Level", r.level.clone()),
        ("原因 Reason", r.reason.clone()),
        ("起点 Started from", r.start_code.clone()),
        ("启动时间 Started", time(r.created_at)),
        ("报告计划期限 Report the plan by", time(r.report_by)),
        ("完成期限 Complete by", r.complete_by.clone()),
        ("涉及单位 Units affected", r.affected_count.to_string()),
        (
            "结束时间 Closed",
            r.closed_at.map(time).unwrap_or_else(|| "—".into()),
        ),
    ] {
        f.para(10.0, 0.0, &format!("{k}：{v}"))?;
    }
    for (_, zh, en, text) in r.plan.parts() {
        if let Some(t) = text {
            f.para(10.0, 0.0, &format!("{zh} {en}：{t}"))?;
        }
    }
    f.rule();
    let cols = [
        (0.0, 62.0),
        (64.0, 20.0),
        (86.0, 20.0),
        (108.0, 34.0),
        (144.0, 22.0),
        (168.0, 14.0),
    ];
    let row = |cells: [String; 6]| -> Vec<(f32, f32, String)> {
        cols.iter().zip(cells).map(|((x, w), t)| (*x, *w, t)).collect()
    };
    f.row(
        9.0,
        &row([
            "持有者 Holder".into(),
            "涉及 Units".into(),
            "已售 Sold".into(),
            "确认 Acknowledged".into(),
            "处置 Accounted".into(),
            "逾期".into(),
        ]),
    )?;
    f.rule();
    for h in &r.holders {
        f.row(
            9.0,
            &row([
                h.org_name.clone(),
                h.units.to_string(),
                h.sold.to_string(),
                h.acknowledged_at.map(time).unwrap_or_else(|| "—".into()),
                h.accounted.total().to_string(),
                if h.overdue { "逾期".into() } else { String::new() },
            ]),
        )?;
    }
    f.rule();
    let held: i64 = r.holders.iter().map(|h| h.units).sum();
    f.para(
        10.0,
        0.0,
        &format!(
            "合计 Total：涉及 {held}，已处置 {}（下架 {}，退回 {}，销毁 {}），未处置 {}",
            r.accounted_total(),
            r.holders.iter().map(|h| h.accounted.removed).sum::<f64>(),
            r.holders.iter().map(|h| h.accounted.returned).sum::<f64>(),
            r.holders.iter().map(|h| h.accounted.destroyed).sum::<f64>(),
            held as f64 - r.accounted_total()
        ),
    )?;
    render_sheets(&f.finish())
}

/// The recall's progress (or final) report as a PDF.
#[utoipa::path(get, path = "/recalls/{id}/report", tag = "quality", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The PDF", content((String = "application/pdf"))),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn report(State(state): State<AppState>, Auth(caller): Auth, Id(id): Id) -> ApiResult<Response> {
    let r = state.store.recall(&caller, id).await?;
    let bytes = report_pdf(&r, &state.config.public_url)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code, e.en, e.zh))?;
    Ok(crate::export::file(
        bytes,
        "application/pdf",
        &format!("recall-{id}.pdf"),
    ))
}
