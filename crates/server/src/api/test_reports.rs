//! A testing agency's test reports over HTTP: a report read by its id
//! (public: it is printed with a QR code for anyone to check, with the
//! check of the agency's signature), and the report printed as an A4 PDF
//! whose QR code is its public page `/r/{id}`. Only the agency that
//! recorded the test prints it; another organisation is told it is not
//! found (`suyuan_store::test_reports`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use suyuan_labels::report::{report_pdf, ReportForm};
use suyuan_store::test_reports::TestReport;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id};
use crate::AppState;

/// The public page of a report (its QR code).
pub fn report_url(public_url: &str, id: Uuid) -> String {
    format!("{}/r/{id}", public_url.trim_end_matches('/'))
}

/// The verdict of an item or a conclusion, in Chinese.
pub fn verdict_zh(pass: bool) -> &'static str {
    if pass {
        "合格"
    } else {
        "不合格"
    }
}

fn time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| crate::console::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

/// What a report prints.
pub fn form_of(r: &TestReport, public_url: &str) -> ReportForm {
    let mut rows = vec![
        ("报告编号".to_owned(), r.id.to_string()),
        ("检测机构".to_owned(), r.agency_name.clone()),
        ("统一社会信用代码".to_owned(), r.agency_code.clone()),
        ("受检批次".to_owned(), r.lot.clone()),
        ("样品编号".to_owned(), r.sample_id.clone().unwrap_or_default()),
    ];
    if let (Some(by), Some(at)) = (&r.sampled_by, r.sampled_at) {
        rows.push(("抽样".to_owned(), format!("{by} {}", time(at))));
    }
    rows.push(("检测时间".to_owned(), time(r.tested_at)));
    let key = r.signature.key_id.as_deref().unwrap_or_default();
    ReportForm {
        title: "检验检测报告 Test report".to_owned(),
        rows,
        headings: ["检测项目", "检测结果", "限量", "依据标准", "单项判定"].map(String::from),
        items: r
            .items
            .iter()
            .map(|i| {
                [
                    i.item.clone(),
                    i.result.clone(),
                    i.limit.clone(),
                    i.standard.clone(),
                    verdict_zh(i.pass).to_owned(),
                ]
            })
            .collect(),
        conclusion: format!("检验结论：{}", verdict_zh(r.conclusion == "pass")),
        notes: vec![
            format!(
                "本报告由{}以其机构密钥签名（{} {}），记入平台的防篡改日志。",
                r.agency_name,
                r.signature.algorithm.as_deref().unwrap_or_default(),
                key.get(..16).unwrap_or(key),
            ),
            "扫描二维码查看报告原文、签名核验结果和该批次的全程追溯。".to_owned(),
            report_url(public_url, r.id),
        ],
        url: report_url(public_url, r.id),
    }
}

/// A test report by its id, with the check of the agency's signature.
#[utoipa::path(get, path = "/test-reports/{id}", security(()), tag = "quality",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TestReport), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, Id(id): Id) -> ApiResult<Json<TestReport>> {
    Ok(Json(state.store.test_report(id).await?))
}

/// A report of the caller's agency printed: an A4 PDF with a QR code of
/// its public page.
#[utoipa::path(get, path = "/test-reports/{id}/pdf", tag = "quality",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The PDF", content((String = "application/pdf"))),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn pdf(State(state): State<AppState>, Auth(caller): Auth, Id(id): Id) -> ApiResult<Response> {
    let report = state.store.own_test_report(&caller, id).await?;
    pdf_of(&report, &state.config.public_url)
}

/// The PDF file of a report.
pub fn pdf_of(report: &TestReport, public_url: &str) -> ApiResult<Response> {
    let bytes = report_pdf(&form_of(report, public_url))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code, e.en, e.zh))?;
    Ok(crate::export::file(
        bytes,
        "application/pdf",
        &format!("test-report-{}.pdf", report.id),
    ))
}
