//! The quality and safety dossier of a lot (R-4.3.3.4, 质量安全档案),
//! generated from the trace as one PDF: the unit and its product, where it
//! was grown, the input lots applied (with their purchases), every record
//! back to the plot with the organisation that made it, the tests and their
//! conclusions, the 承诺达标合格证 that cover it, the hand-overs with their
//! despatch advices, and a recall if there is one. Who may read it: whoever
//! may trace the unit.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use suyuan_labels::sheet::{render_sheets, Flow};
use suyuan_store::trace::lineage::{relation, Direction};
use utoipa::IntoParams;

use super::trace::trace_target;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, ValidQuery};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DossierQuery {
    /// The lot's (or item's) code in any form.
    pub code: String,
}

fn pdf_error(e: suyuan_core::Invalid) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code, e.en, e.zh)
}

/// A lot's quality and safety dossier, from its trace, as a PDF.
#[utoipa::path(get, path = "/dossier", tag = "quality", params(DossierQuery),
    responses((status = 200, description = "The PDF", content((String = "application/pdf"))),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn dossier(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<DossierQuery>,
) -> ApiResult<Response> {
    let epc = trace_target(&q.code)?;
    let report = state.store.trace(&caller, &epc, Direction::Back, 50).await?;
    let rows = state.store.trace_rows(&report).await?;
    let certificates = state.store.certificates_covering(&epc).await?;
    let recall = state.store.recall_of(&epc).await?;
    let mut f = Flow::new(210.0, 297.0, 15.0);
    let e = pdf_error;
    f.para(16.0, 0.0, "质量安全档案 Quality and safety dossier")
        .map_err(e)?;
    f.para(9.0, 0.0, &epc).map_err(e)?;
    let me = report.units.iter().find(|u| u.reached.epc == epc);
    if let Some(name) = me.and_then(|u| u.product_name.as_deref()) {
        f.para(11.0, 0.0, &format!("产品 Product：{name}")).map_err(e)?;
    }
    if let Some(u) = me {
        let status = u.status.clone().unwrap_or_default();
        let reason = u.status_reason_zh.clone().unwrap_or_default();
        f.para(11.0, 0.0, &format!("状态 Status：{status} {reason}"))
            .map_err(e)?;
    }
    if let Some(r) = &recall {
        f.para(
            11.0,
            0.0,
            &format!("召回 Recall：{} {}（{}）", r.level, r.reason, r.by),
        )
        .map_err(e)?;
    }
    f.rule();
    f.para(12.0, 0.0, "产地 Origin").map_err(e)?;
    let plots: Vec<String> = report
        .units
        .iter()
        .filter(|u| u.place_name.is_some())
        .map(|u| {
            format!(
                "{}（{}）",
                u.place_name.clone().unwrap_or_default(),
                u.reached.epc
            )
        })
        .collect();
    f.para(
        10.0,
        4.0,
        &if plots.is_empty() {
            "—".to_owned()
        } else {
            plots.join("；")
        },
    )
    .map_err(e)?;
    for u in report
        .units
        .iter()
        .filter(|u| u.reached.relation.as_deref() == Some(relation::GROWN_ON))
    {
        if let Some(place) = state.store.place_by_uri(&u.reached.epc).await? {
            f.para(10.0, 4.0, &place.name).map_err(e)?;
            for line in super::archives_audits::environment_lines(&place) {
                f.para(10.0, 8.0, &line).map_err(e)?;
            }
        }
    }
    f.para(12.0, 0.0, "投入品 Inputs").map_err(e)?;
    if report.input_lot_names.is_empty() {
        f.para(10.0, 4.0, "—").map_err(e)?;
    }
    for (uri, n) in &report.input_lot_names {
        f.para(
            10.0,
            4.0,
            &format!(
                "{}（{}）批号 {} · {uri}",
                n.input_name, n.input_kind, n.lot_number
            ),
        )
        .map_err(e)?;
    }
    f.rule();
    f.para(12.0, 0.0, "全程记录 Records").map_err(e)?;
    let cols = [
        (0.0, 30.0),
        (32.0, 28.0),
        (62.0, 40.0),
        (104.0, 40.0),
        (146.0, 34.0),
    ];
    let cells = |a: [String; 5]| -> Vec<(f32, f32, String)> {
        cols.iter().zip(a).map(|((x, w), t)| (*x, *w, t)).collect()
    };
    f.row(
        9.0,
        &cells([
            "时间 Time".into(),
            "记录 Record".into(),
            "地点 Place".into(),
            "记录方 By".into(),
            "发货单 Despatch".into(),
        ]),
    )
    .map_err(e)?;
    let mut tests = Vec::new();
    for ev in &report.events {
        let despatch = rows
            .iter()
            .find(|r| r.event_id == ev.event_id)
            .and_then(|r| r.despatch_ref.clone())
            .unwrap_or_default();
        let kind = ev
            .record_kind
            .clone()
            .or_else(|| ev.biz_step.clone())
            .unwrap_or_default();
        if kind == "testing" {
            tests.push(ev.event_id.clone());
        }
        f.row(
            9.0,
            &cells([
                ev.event_time.format("%Y-%m-%d %H:%M").to_string(),
                format!("{kind}{}", if ev.corrected { "（已更正）" } else { "" }),
                ev.place_name.clone().unwrap_or_default(),
                ev.org_name.clone(),
                despatch,
            ]),
        )
        .map_err(e)?;
    }
    f.rule();
    f.para(12.0, 0.0, "检测 Tests").map_err(e)?;
    f.para(
        10.0,
        4.0,
        &if tests.is_empty() {
            "—".to_owned()
        } else {
            tests.join("；")
        },
    )
    .map_err(e)?;
    f.para(12.0, 0.0, "承诺达标合格证 Certificates").map_err(e)?;
    if certificates.is_empty() {
        f.para(10.0, 4.0, "—").map_err(e)?;
    }
    for c in &certificates {
        let state = if c.is_valid() { "有效" } else { "已作废" };
        f.para(
            10.0,
            4.0,
            &format!(
                "{} · {} · {} {} · {} · {state}",
                c.number, c.committer_name, c.quantity, c.unit, c.issue_date
            ),
        )
        .map_err(e)?;
    }
    let bytes = render_sheets(&f.finish()).map_err(e)?;
    Ok(crate::export::file(bytes, "application/pdf", "dossier.pdf"))
}
