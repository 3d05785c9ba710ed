//! `/r/{id}`: a testing agency's test report, the page its printed QR code
//! opens. It shows what the report says (the agency, the lot and the
//! sample, each item against its limit and standard, the conclusion), the
//! check of the agency's signature (valid, or invalid with the reason), and
//! links to the lot's trace and to the record's offline proof. A child
//! module of `public`: same language choice, same page frame, nothing
//! loaded from outside. JSON with `Accept: application/json`, as
//! `GET /api/v1/test-reports/{id}` answers.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use suyuan_store::test_reports::TestReport;

use super::{ctx, esc, page, wants_json, Ctx, LangParam};
use crate::extract::LenientQuery;
use crate::AppState;

fn verdict(c: &Ctx, pass: bool) -> String {
    if pass {
        format!("<span class=\"ok\">{}</span>", esc(c.lang.pick("合格", "pass")))
    } else {
        format!(
            "<span class=\"bad\">{}</span>",
            esc(c.lang.pick("不合格", "fail"))
        )
    }
}

fn time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| crate::console::local_time(&t, "+08:00"))
        .unwrap_or_default()
}

fn not_found(c: &Ctx, h: &HeaderMap) -> Response {
    let e = crate::error::ApiError::from(suyuan_store::StoreError::NotFound { what: "test report" });
    if wants_json(h) {
        return e.into_response();
    }
    let body = format!(
        "<h1>{}</h1><p>{}</p>",
        esc(c.lang.pick("未找到检验检测报告", "Test report not found")),
        esc(c.lang.pick(
            "平台上没有这个编号的检验检测报告，请核对。",
            "No test report with this number is on the platform."
        )),
    );
    (StatusCode::NOT_FOUND, Html(page(c, "检验检测报告", &body))).into_response()
}

/// The signature check, in words.
fn signature_card(c: &Ctx, r: &TestReport) -> String {
    let s = &r.signature;
    let state = if s.valid {
        format!(
            "<p class=\"ok\" id=\"signature\" data-valid=\"true\">✔ {}</p>",
            esc(c.lang.pick(
                "签名有效：报告由该检测机构以其机构密钥签名，签名后未被改动，且已记入平台的防篡改日志。",
                "Signature valid: signed with the agency's own key, unchanged since, and in the platform's tamper-evident log."
            ))
        )
    } else {
        format!(
            "<p class=\"warn\" id=\"signature\" data-valid=\"false\"><span class=\"bad\">✘ {}</span><br><small>{}</small></p>",
            esc(c.lang.pick(
                "签名无效：报告内容或签名与检测机构签署时不一致，请勿采信。",
                "Signature invalid: the report or its signature is not what the agency signed; do not rely on it."
            )),
            esc(s.problem.as_deref().unwrap_or_default())
        )
    };
    format!(
        "<div class=\"card\"><h2>{}</h2>{state}<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd><code>{}</code></dd></dl>\
         <p><a href=\"/tlog/proof?event_id={}\">{}</a></p></div>",
        esc(c.lang.pick("签名核验", "Signature check")),
        esc(c.lang.pick("算法", "Algorithm")),
        esc(s.algorithm.as_deref().unwrap_or_default()),
        esc(c.lang.pick("密钥指纹", "Key fingerprint")),
        esc(s.key_id.as_deref().unwrap_or_default()),
        esc(&form_urlencoded::byte_serialize(r.event_id.as_bytes()).collect::<String>()),
        esc(c.lang.pick("下载离线证明（可独立核验）", "Download the offline proof")),
    )
}

/// The report's particulars and items.
fn report_body(c: &Ctx, r: &TestReport) -> String {
    let mut b = format!(
        "<h1>{}</h1><p><small>{} {}</small></p><p id=\"conclusion\">{}：{}</p>",
        esc(c.lang.pick("检验检测报告", "Test report")),
        esc(c.lang.pick("报告编号", "Report no.")),
        r.id,
        esc(c.lang.pick("检验结论", "Conclusion")),
        verdict(c, r.conclusion == "pass"),
    );
    if r.corrected {
        let _ = write!(
            b,
            "<p class=\"warn\">{}</p>",
            esc(c.lang.pick(
                "该检测记录已被检测机构更正。",
                "The agency has corrected this record."
            ))
        );
    }
    b.push_str("<div class=\"card\"><dl>");
    let sampled = match (&r.sampled_by, r.sampled_at) {
        (Some(by), Some(at)) => format!("{by} · {}", time(at)),
        _ => String::new(),
    };
    for (k, v) in [
        (c.lang.pick("检测机构", "Agency"), r.agency_name.clone()),
        (
            c.lang.pick("统一社会信用代码", "Credit code"),
            r.agency_code.clone(),
        ),
        (c.lang.pick("受检批次", "Lot"), r.lot.clone()),
        (
            c.lang.pick("样品编号", "Sample no."),
            r.sample_id.clone().unwrap_or_default(),
        ),
        (c.lang.pick("抽样", "Sampled by"), sampled),
        (c.lang.pick("检测时间", "Tested"), time(r.tested_at)),
    ] {
        let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    let _ = write!(
        b,
        "</dl></div><div class=\"card\"><h2>{}</h2>",
        esc(c.lang.pick("检测项目", "Test items"))
    );
    for i in &r.items {
        let _ = write!(
            b,
            "<p class=\"ev\"><strong>{}</strong> {} <br><small>{} {} · {} {} · {}</small></p>",
            esc(&i.item),
            verdict(c, i.pass),
            esc(c.lang.pick("结果", "result")),
            esc(&i.result),
            esc(c.lang.pick("限量", "limit")),
            esc(&i.limit),
            esc(&i.standard),
        );
    }
    b.push_str("</div>");
    b
}

/// `/r/{id}`: a test report's public page (or its JSON).
pub(super) async fn report_page(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<LangParam>,
    Path(id): Path<String>,
) -> Response {
    let c = match ctx(&q, &h, &uri) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return not_found(&c, &h);
    };
    let r = match s.store.test_report(id).await {
        Ok(r) => r,
        Err(suyuan_store::StoreError::NotFound { .. }) => return not_found(&c, &h),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    if wants_json(&h) {
        return Json(r).into_response();
    }
    let mut b = report_body(&c, &r);
    b.push_str(&signature_card(&c, &r));
    let path = r
        .lot
        .strip_prefix(suyuan_store::trace::CANONICAL_DOMAIN)
        .filter(|p| p.starts_with("/01/"));
    if let Some(path) = path {
        let _ = write!(
            b,
            "<p><a id=\"lot-trace\" href=\"{}?lang={}\">{}</a></p>",
            esc(path),
            c.lang.param(),
            esc(c.lang.pick("查看该批次的全程追溯", "See this lot's trace"))
        );
    }
    Html(page(&c, c.lang.pick("检验检测报告", "Test report"), &b)).into_response()
}
