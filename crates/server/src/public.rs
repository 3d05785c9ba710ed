//! The consumer's page: what a phone shows after scanning the QR code on a
//! package. The QR code holds a GS1 Digital Link on the platform's own domain
//! (`/01/{gtin}/10/{lot}[/21/{serial}]`, or `/00/{sscc}`); this server
//! resolves it. `Accept: application/json` answers JSON; anything else a
//! plain, phone-sized HTML page in Chinese, with nothing loaded from outside.
//! `/trace?code=…` resolves a code typed into the query box (a flat trace
//! code, an element string, a Digital Link).

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use suyuan_core::codes::trace::TraceUnit;
use suyuan_core::codes::{Gtin, Sscc};
use suyuan_store::trace::public::PublicTrace;
use suyuan_store::StoreError;

use crate::api::trace::parse_code;
use crate::error::ApiError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/01/{gtin}/10/{lot}", get(lot))
        .route("/01/{gtin}/10/{lot}/21/{serial}", get(item))
        .route("/01/{gtin}/21/{serial}", get(serial_only))
        .route("/00/{sscc}", get(logistic))
        .route("/trace", get(query_box))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn bad_code(e: suyuan_core::Invalid) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, e.code, e.en, e.zh)
}

async fn lot(State(s): State<AppState>, h: HeaderMap, Path((gtin, lot)): Path<(String, String)>) -> Response {
    let unit = Gtin::parse(&gtin).and_then(|g| TraceUnit::lot(g, &lot));
    show(&s, &h, unit).await
}

async fn item(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((gtin, lot, serial)): Path<(String, String, String)>,
) -> Response {
    let unit = Gtin::parse(&gtin).and_then(|g| TraceUnit::item(g, &lot, &serial));
    show(&s, &h, unit).await
}

/// An item by GTIN and serial alone (the canonical SGTIN form).
async fn serial_only(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((gtin, serial)): Path<(String, String)>,
) -> Response {
    // Our items are keyed by GTIN + serial; the batch only qualifies them.
    let unit = Gtin::parse(&gtin).and_then(|g| TraceUnit::item(g, "-", &serial));
    show(&s, &h, unit).await
}

async fn logistic(State(s): State<AppState>, h: HeaderMap, Path(sscc): Path<String>) -> Response {
    show(&s, &h, Sscc::parse(&sscc).map(TraceUnit::logistic)).await
}

#[derive(Deserialize)]
struct CodeBox {
    code: Option<String>,
}

async fn query_box(State(s): State<AppState>, h: HeaderMap, Query(q): Query<CodeBox>) -> Response {
    let Some(code) = q.code.filter(|c| !c.trim().is_empty()) else {
        return Html(page("查询追溯码", &search_box(""))).into_response();
    };
    match parse_code(&code) {
        Ok(unit) => match unit.digital_link("") {
            // Redirect to the unit's own path, so the address can be shared.
            Ok(_) => {
                let path = unit
                    .digital_link("http://x")
                    .unwrap_or_default()
                    .replacen("http://x", "", 1);
                if wants_json(&h) {
                    show(&s, &h, Ok(unit)).await
                } else {
                    Redirect::to(&path).into_response()
                }
            }
            Err(e) => bad_code(e).into_response(),
        },
        Err(e) => {
            if wants_json(&h) {
                return e.into_response();
            }
            let body = format!(
                "{}<p class=\"warn\">{}<br><small>{}</small></p>",
                search_box(&code),
                esc(&e.zh),
                esc(&e.en)
            );
            (StatusCode::UNPROCESSABLE_ENTITY, Html(page("追溯码有误", &body))).into_response()
        }
    }
}

async fn show(
    state: &AppState,
    headers: &HeaderMap,
    unit: Result<TraceUnit, suyuan_core::Invalid>,
) -> Response {
    let unit = match unit {
        Ok(u) => u,
        Err(e) => return bad_code(e).into_response(),
    };
    let epc = match suyuan_store::trace::canonical_epc(&unit) {
        Ok(e) => e,
        Err(e) => return bad_code(e).into_response(),
    };
    match state
        .store
        .public_trace(&epc, state.config.scan_warning_threshold)
        .await
    {
        Ok(view) if wants_json(headers) => Json(view).into_response(),
        Ok(view) => Html(render(&view, &unit)).into_response(),
        Err(StoreError::NotFound { .. }) if !wants_json(headers) => (
            StatusCode::NOT_FOUND,
            Html(page(
                "未找到",
                &format!(
                    "<p class=\"warn\">平台上没有这个追溯码的记录。请核对后重新输入。<br>\
                     <small>This code is not known to the platform.</small></p>{}",
                    search_box("")
                ),
            )),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn search_box(value: &str) -> String {
    format!(
        "<form action=\"/trace\" method=\"get\"><input name=\"code\" value=\"{}\" placeholder=\"输入追溯码 / enter a trace code\" \
         autocomplete=\"off\"><button>查询</button></form>",
        esc(value)
    )
}

const STYLE: &str = "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f4f7f2;color:#1d2a1d;line-height:1.5}\
main{max-width:640px;margin:auto;padding:12px}h1{font-size:1.3em;color:#2f6b2f;margin:.4em 0}h2{font-size:1.05em;margin:1em 0 .3em;color:#2f6b2f}\
.card{background:#fff;border-radius:10px;padding:10px 12px;margin:8px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
.ok{color:#2f7d32}.bad{color:#b3261e;font-weight:bold}.warn{background:#fff4e5;border-left:4px solid #e08a00;padding:8px}\
.tl{border-left:3px solid #8bbf8b;margin-left:6px;padding-left:12px}.ev{margin:0 0 12px}.ev .t{color:#667;font-size:.85em}\
.tag{display:inline-block;background:#e3f0e3;border-radius:4px;padding:0 6px;font-size:.85em;margin-right:4px}\
.corr{text-decoration:line-through;color:#999}dl{margin:0}dt{float:left;clear:left;color:#667;min-width:7em}dd{margin:0 0 0 7.5em}\
input{width:70%;padding:8px;font-size:1em}button{padding:8px 12px;font-size:1em}small{color:#667}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · 溯源</title>\
         <style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) if s == "pass" => "合格".into(),
        serde_json::Value::String(s) if s == "fail" => "不合格".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "合格".into(),
        serde_json::Value::Bool(false) => "不合格".into(),
        serde_json::Value::Object(o) => {
            // {value, uom} and similar small objects read as "value uom".
            let parts: Vec<String> = o.values().map(value_text).collect();
            parts.join(" ")
        }
        serde_json::Value::Array(a) => a.iter().map(value_text).collect::<Vec<_>>().join("；"),
        other => other.to_string(),
    }
}

fn local_time(t: &chrono::DateTime<chrono::Utc>, offset: &str) -> String {
    match suyuan_core::epcis::parse_time_zone_offset(offset) {
        Ok(off) => t.with_timezone(&off).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The consumer page.
pub fn render(v: &PublicTrace, unit: &TraceUnit) -> String {
    let mut b = String::new();
    let name = v.product.as_ref().map_or("农产品", |p| p.name.as_str());
    let _ = write!(b, "<h1>{}</h1>", esc(name));
    let code = unit
        .flat_code()
        .unwrap_or_else(|| unit.element_string().map(|e| e.to_human()).unwrap_or_default());
    let _ = write!(b, "<p><small>追溯码 {}</small></p>", esc(&code));
    if v.status != "active" {
        let _ = write!(
            b,
            "<p class=\"warn\"><span class=\"bad\">注意：该批次状态为“{}”</span><br>{}</p>",
            esc(match v.status.as_str() {
                "non_conformant" => "不合格",
                "recalled" => "已召回",
                other => other,
            }),
            esc(v.status_reason.as_deref().unwrap_or(""))
        );
    }
    if v.scans.suspicious {
        let _ = write!(
            b,
            "<p class=\"warn\">该追溯码已被查询 {} 次（首次 {}），可能被复制，请谨慎购买。<br>\
             <small>This code has been scanned many times; the label may be copied.</small></p>",
            v.scans.count,
            local_time(&v.scans.first_scan, "+08:00")
        );
    } else {
        let _ = write!(
            b,
            "<p><small>本码第 {} 次查询，首次查询于 {}</small></p>",
            v.scans.count,
            local_time(&v.scans.first_scan, "+08:00")
        );
    }
    if let Some(p) = &v.product {
        b.push_str("<div class=\"card\"><h2>产品信息</h2><dl>");
        for (k, val) in [
            ("品种", p.variety.clone()),
            ("规格", p.specification.clone()),
            ("产地", p.origin.clone()),
            ("保质期", p.shelf_life_days.map(|d| format!("{d} 天"))),
        ] {
            if let Some(val) = val {
                let _ = write!(b, "<dt>{k}</dt><dd>{}</dd>", esc(&val));
            }
        }
        for c in &p.certifications {
            let _ = write!(
                b,
                "<dt>认证</dt><dd>{} {}（{} 至 {}）</dd>",
                esc(c.kind.zh()),
                esc(&c.number),
                esc(&c.valid_from),
                esc(&c.valid_until)
            );
        }
        b.push_str("</dl></div>");
    }
    if let Some(p) = &v.producer {
        let _ = write!(
            b,
            "<div class=\"card\"><h2>生产者</h2><p>{} {}</p></div>",
            esc(&p.name),
            if p.verified {
                "<span class=\"ok\">✔ 平台已认证</span>"
            } else {
                "<span class=\"bad\">未认证</span>"
            }
        );
    }
    if let Some(o) = &v.origin {
        b.push_str("<div class=\"card\"><h2>产地环境</h2><dl>");
        let _ = write!(b, "<dt>地块</dt><dd>{}</dd>", esc(&o.name));
        for (k, val) in [
            ("土壤", o.soil_type.clone()),
            ("水源", o.water_source.clone()),
            ("灌溉", o.irrigation.clone()),
            ("面积", o.area_m2.map(|a| format!("{:.1} 亩", a / 666.67))),
            ("作物", (!o.crops.is_empty()).then(|| o.crops.join("、"))),
            (
                "环境检测",
                (!o.environment_tests.is_empty()).then(|| o.environment_tests.join("；")),
            ),
        ] {
            if let Some(val) = val {
                let _ = write!(b, "<dt>{k}</dt><dd>{}</dd>", esc(&val));
            }
        }
        b.push_str("</dl></div>");
    }
    b.push_str("<div class=\"card\"><h2>全程记录</h2><div class=\"tl\">");
    for e in &v.timeline {
        let cls = if e.corrected { "ev corr" } else { "ev" };
        let _ = write!(
            b,
            "<div class=\"{cls}\"><div class=\"t\">{}</div><div><span class=\"tag\">{}</span><b>{}</b>{}</div>",
            local_time(&e.time, &e.time_zone_offset),
            esc(e.stage_zh.as_deref().unwrap_or("记录")),
            esc(e.kind_zh.as_deref().or(e.kind.as_deref()).unwrap_or("")),
            if e.corrected { " <small>（已更正）</small>" } else { "" }
        );
        let who: Vec<String> = [e.organisation.clone(), e.place.clone()]
            .into_iter()
            .flatten()
            .map(|s| esc(&s))
            .collect();
        if !who.is_empty() {
            let _ = write!(b, "<div><small>{}</small></div>", who.join(" · "));
        }
        for (label, val) in &e.fields {
            let _ = write!(
                b,
                "<div><small>{}：</small>{}</div>",
                esc(label),
                esc(&value_text(val))
            );
        }
        b.push_str("</div>");
    }
    if v.timeline.is_empty() {
        b.push_str("<p>暂无记录。</p>");
    }
    b.push_str("</div></div>");
    b.push_str(&search_box(""));
    b.push_str("<p><small>溯源 suyuan · 数据由各环节主体签名记录 / records are kept by each organisation in the chain</small></p>");
    page(name, &b)
}
