//! The console's quality pages: 承诺达标合格证 (issue one for a lot or a
//! shipment, the list with print links and the public page), and recalls
//! (the notices reaching the organisation with acknowledge and account
//! forms, the recalls it started with every holder's progress, a form to
//! start a recall or a drill). Every act goes through the same store calls
//! as the API, with the signed-in caller: the same rules, the same refusals.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect};
use suyuan_core::model::{CertificateBasis, QuantityUnit};
use suyuan_core::quality::recall::{Accounted, PlanText};
use suyuan_store::quality::certificates::NewCertificate;
use suyuan_store::quality::recalls::{NewRecall, Recall};

use super::layout::{csrf_field, esc, page, select, table};
use super::{error_page, store_error, Console, PageResult, Posted};
use crate::api::trace::trace_target;
use crate::error::ApiError;
use crate::AppState;

fn date_time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| super::layout::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

/// The certificates of the organisation, and the form to issue one.
pub(crate) async fn certificates(State(state): State<AppState>, c: Console) -> PageResult {
    let certs = state
        .store
        .list_certificates(&c.caller, 200)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let l = c.lang;
    let bases: Vec<(String, String)> = CertificateBasis::ALL
        .iter()
        .map(|b| (b.as_str().to_owned(), l.pick(b.zh(), b.en()).to_owned()))
        .collect();
    let units: Vec<(String, String)> = QuantityUnit::ALL
        .iter()
        .map(|u| (u.as_str().to_owned(), l.pick(u.zh(), u.en()).to_owned()))
        .collect();
    let mut b = format!(
        "<h1>{title}</h1><form class=\"card\" method=\"post\" action=\"/console/certificates\">{csrf}\
         <label for=\"code\">{code_l}</label><input id=\"code\" name=\"code\" required>\
         <label for=\"quantity\">{qty_l}</label><input id=\"quantity\" name=\"quantity\" inputmode=\"decimal\" required>\
         <label for=\"unit\">{unit_l}</label>{units}<label for=\"basis\">{basis_l}</label>{bases}\
         <button>{go}</button></form>",
        title = l.pick("承诺达标合格证", "Certificates of commitment to conformity"),
        csrf = csrf_field(&c),
        code_l = l.pick("批次追溯码或发货单号", "Lot code or despatch reference"),
        qty_l = l.pick("数量（重量）", "Quantity"),
        unit_l = l.pick("单位", "Unit"),
        units = select(&c, "unit", &units, "kg"),
        basis_l = l.pick("承诺依据", "Basis"),
        bases = select(&c, "basis", &bases, "control"),
        go = l.pick("开具", "Issue"),
    );
    let rows: Vec<Vec<String>> = certs
        .iter()
        .map(|cert| {
            let state = if cert.is_valid() {
                l.pick("有效", "valid")
            } else {
                l.pick("已作废", "void")
            };
            // PDF in every size; the stickers also for the roll printers.
            let prints: Vec<String> = [
                ("a5", "pdf", "a5"),
                ("100x70", "pdf", "100x70"),
                ("80x60", "pdf", "80x60"),
                ("100x70", "tspl", "100x70 TSPL"),
                ("100x70", "zpl", "100x70 ZPL"),
                ("80x60", "tspl", "80x60 TSPL"),
                ("80x60", "zpl", "80x60 ZPL"),
            ]
            .iter()
            .map(|(s, f, name)| {
                format!(
                    "<a href=\"/api/v1/certificates/{}/pdf?size={s}&amp;format={f}\">{name}</a>",
                    esc(&cert.number)
                )
            })
            .collect();
            vec![
                format!("<a href=\"/c/{n}\">{n}</a>", n = esc(&cert.number)),
                esc(&cert.product_name),
                esc(&format!("{} {}", cert.quantity, cert.unit)),
                esc(&cert.issue_date),
                esc(state),
                prints.join(" · "),
            ]
        })
        .collect();
    b.push_str(&table(
        &[
            l.pick("编号", "Number"),
            l.pick("产品", "Product"),
            l.pick("数量", "Quantity"),
            l.pick("开具日期", "Issued"),
            l.pick("状态", "State"),
            l.pick("打印", "Print"),
        ],
        &rows,
    ));
    Ok(Html(page(&c, l.pick("合格证", "Certificates"), &b)).into_response())
}

fn invalid_number(field: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_number",
        "give a number",
        "请填写数字",
    )
    .with_field(field)
}

/// Issues a certificate; back to the list.
pub(crate) async fn issue(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let code = f.text("code");
    let quantity: f64 = f
        .text("quantity")
        .parse()
        .map_err(|_| error_page(c.lang, invalid_number("quantity")))?;
    let new = NewCertificate {
        subject: trace_target(&code).unwrap_or_else(|_| code.clone()),
        quantity,
        unit: f.text("unit"),
        basis: f.text("basis"),
    };
    state
        .store
        .issue_certificate(&c.caller, &new)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to("/console/certificates").into_response())
}

fn progress_table(c: &Console, r: &Recall) -> String {
    let l = c.lang;
    let rows: Vec<Vec<String>> = r
        .holders
        .iter()
        .map(|h| {
            vec![
                esc(&h.org_name),
                h.units.to_string(),
                h.sold.to_string(),
                h.acknowledged_at.map(date_time).unwrap_or_else(|| "—".into()),
                h.accounted.total().to_string(),
                if h.overdue {
                    format!("<span class=\"err\">{}</span>", l.pick("逾期", "overdue"))
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    table(
        &[
            l.pick("持有者", "Holder"),
            l.pick("涉及数量", "Units"),
            l.pick("已售出", "Sold"),
            l.pick("确认通知", "Acknowledged"),
            l.pick("已处置", "Accounted"),
            "",
        ],
        &rows,
    )
}

/// One recall as a card: what, why, deadlines, and the forms the caller may use.
fn recall_card(c: &Console, r: &Recall) -> String {
    let l = c.lang;
    let mut b = format!(
        "<div class=\"card\" id=\"r-{id}\"><h2>{drill}{level} · {reason}</h2><dl class=\"cols\">\
         <dt>{by_l}</dt><dd>{by}</dd><dt>{start_l}</dt><dd>{start}</dd><dt>{report_l}</dt><dd>{report}</dd>\
         <dt>{complete_l}</dt><dd>{complete}</dd><dt>{units_l}</dt><dd>{units}</dd></dl>",
        id = r.id,
        drill = if r.drill {
            l.pick("【演练】", "[drill] ")
        } else {
            ""
        },
        level = esc(&format!("{} {}", l.pick("召回级别", "Level"), r.level)),
        reason = esc(&r.reason),
        by_l = l.pick("召回企业", "Recalled by"),
        by = esc(&r.org_name),
        start_l = l.pick("启动时间", "Started"),
        start = esc(&date_time(r.created_at)),
        report_l = l.pick("报告召回计划期限", "Report the plan by"),
        report = esc(&date_time(r.report_by)),
        complete_l = l.pick("完成期限", "Complete by"),
        complete = esc(&r.complete_by),
        units_l = l.pick("涉及单位", "Units affected"),
        units = r.affected_count,
    );
    let mine = r.holders.iter().find(|h| h.org_id == c.caller.org_id);
    let open = r.closed_at.is_none();
    if let (Some(h), true) = (mine, open) {
        if h.acknowledged_at.is_none() {
            let _ = write!(
                b,
                "<form method=\"post\" action=\"/console/recalls/{id}/act\">{csrf}\
                 <input type=\"hidden\" name=\"action\" value=\"acknowledged\"><button>{go}</button></form>",
                id = r.id,
                csrf = csrf_field(c),
                go = l.pick("确认收到召回通知", "Acknowledge the notice"),
            );
        }
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/console/recalls/{id}/act\">{csrf}\
             <input type=\"hidden\" name=\"action\" value=\"accounted\">\
             <p>{held}</p>\
             <label for=\"removed-{id}\">{rm}</label><input id=\"removed-{id}\" name=\"removed\" inputmode=\"decimal\" value=\"0\">\
             <label for=\"returned-{id}\">{rt}</label><input id=\"returned-{id}\" name=\"returned\" inputmode=\"decimal\" value=\"0\">\
             <label for=\"destroyed-{id}\">{ds}</label><input id=\"destroyed-{id}\" name=\"destroyed\" inputmode=\"decimal\" value=\"0\">\
             <label for=\"codes-{id}\">{cd}</label><textarea id=\"codes-{id}\" name=\"codes\" rows=\"3\"></textarea>\
             <label for=\"note-{id}\">{nt}</label><input id=\"note-{id}\" name=\"note\"><button>{go}</button></form>",
            id = r.id,
            csrf = csrf_field(c),
            held = esc(&format!(
                "{} {}，{} {}",
                l.pick("贵单位涉及", "You held"),
                h.units,
                l.pick("已登记处置", "accounted for"),
                h.accounted.total()
            )),
            rm = l.pick("下架封存", "Removed from sale"),
            rt = l.pick("退回", "Returned"),
            ds = l.pick("销毁", "Destroyed"),
            cd = l.pick(
                "处置单位的追溯码（扫码或输入，每行一个；填写时只登记一种处置，数量与码数相同，记为 EPCIS 事件）",
                "Codes of the units (scanned or typed, one per line; with codes, account one kind, as many as the codes, recorded as an EPCIS event)",
            ),
            nt = l.pick("说明", "Note"),
            go = l.pick("登记处置", "Account"),
        );
    }
    if r.org_id == c.caller.org_id || c.caller.officer_jurisdiction().is_some() {
        b.push_str(&progress_table(c, r));
        let _ = write!(
            b,
            "<p><a href=\"/api/v1/recalls/{id}/export\">XLSX</a> · <a href=\"/api/v1/recalls/{id}/export?format=csv\">CSV</a></p>",
            id = r.id
        );
    }
    if r.org_id == c.caller.org_id && open {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/console/recalls/{id}/act\">{csrf}\
             <input type=\"hidden\" name=\"action\" value=\"closed\"><button class=\"alt\">{go}</button></form>",
            id = r.id,
            csrf = csrf_field(c),
            go = l.pick("结束召回", "Close the recall"),
        );
    } else if !open {
        let _ = write!(
            b,
            "<p>{}</p>",
            l.pick("本次召回已结束。", "This recall is closed.")
        );
    }
    b.push_str("</div>");
    b
}

/// The recalls the organisation takes part in, and the form to start one.
pub(crate) async fn recalls(State(state): State<AppState>, c: Console) -> PageResult {
    let list = state
        .store
        .recalls_for(&c.caller)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let l = c.lang;
    let levels: Vec<(String, String)> = suyuan_core::model::RecallLevel::ALL
        .iter()
        .map(|v| (v.as_str().to_owned(), l.pick(v.zh(), v.en()).to_owned()))
        .collect();
    let mut b = format!("<h1>{}</h1>", l.pick("召回", "Recalls"));
    if list.is_empty() {
        let _ = write!(
            b,
            "<div class=\"card\"><p>{}</p></div>",
            l.pick("暂无召回。", "No recalls.")
        );
    }
    for r in &list {
        b.push_str(&recall_card(&c, r));
    }
    let _ = write!(
        b,
        "<form class=\"card\" method=\"post\" action=\"/console/recalls\">{csrf}<h2>{title}</h2>\
         <label for=\"code\">{code_l}</label><input id=\"code\" name=\"code\" required>\
         <label for=\"level\">{level_l}</label>{levels}\
         <label for=\"reason\">{reason_l}</label><input id=\"reason\" name=\"reason\" required>\
         <label><input type=\"checkbox\" name=\"drill\" value=\"1\"> {drill_l}</label>\
         <button>{go}</button></form>",
        csrf = csrf_field(&c),
        title = l.pick("启动召回或演练", "Start a recall or a drill"),
        code_l = l.pick("追溯码（批次、单品、投入品批次）", "Code (lot, item, input lot)"),
        level_l = l.pick("召回级别", "Level"),
        levels = select(&c, "level", &levels, "3"),
        reason_l = l.pick("召回原因", "Reason"),
        drill_l = l.pick("演练（不影响消费者页面）", "Drill (no effect on consumer pages)"),
        go = l.pick("启动", "Start"),
    );
    Ok(Html(page(&c, l.pick("召回", "Recalls"), &b)).into_response())
}

/// Starts a recall or a drill; back to the list.
pub(crate) async fn start(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let start = trace_target(&f.text("code")).map_err(|e| error_page(c.lang, e))?;
    let new = NewRecall {
        start,
        test_event: None,
        level: f.text("level"),
        reason: f.text("reason"),
        drill: f.get("drill").is_some(),
        plan: PlanText::default(),
    };
    state
        .store
        .start_recall(&c.caller, &new)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to("/console/recalls").into_response())
}

/// Acknowledges, accounts or closes; back to the recall.
pub(crate) async fn act(
    State(state): State<AppState>,
    Path(id): Path<uuid::Uuid>,
    Posted(c, f): Posted,
) -> PageResult {
    let num = |name: &str| -> Result<f64, axum::response::Response> {
        match f.get(name) {
            None => Ok(0.0),
            Some(v) => v.parse().map_err(|_| error_page(c.lang, invalid_number(name))),
        }
    };
    let accounted = Accounted {
        removed: num("removed")?,
        returned: num("returned")?,
        destroyed: num("destroyed")?,
    };
    // Codes in any form, one per line (a scanner ends each with a newline).
    let units = f
        .text("codes")
        .split_whitespace()
        .map(|code| trace_target(code).map_err(|e| error_page(c.lang, e.with_field("codes"))))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .store
        .recall_act(
            &c.caller,
            id,
            &f.text("action"),
            &accounted,
            f.get("note"),
            &units,
        )
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/recalls#r-{id}")).into_response())
}
