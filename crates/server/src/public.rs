//! The consumer's page: what a phone shows after scanning the QR code on a
//! package. The QR code holds a GS1 Digital Link on the platform's own domain
//! (`/01/{gtin}/10/{lot}[/21/{serial}]`, or `/00/{sscc}`); this server
//! resolves it. `Accept: application/json` answers JSON; anything else a
//! plain, phone-sized HTML page with nothing loaded from outside.
//! `/trace?code=…` resolves a code typed into the query box (a flat trace
//! code, an element string, a Digital Link).
//!
//! The pages are in Chinese, or in English (`Lang`): `?lang=en` or
//! `?lang=zh` chooses; without `lang`, English when the browser's
//! `Accept-Language` ranks English above Chinese. Any other `lang` is refused
//! (400, `invalid_query`, field `lang`), on the JSON form too, so that a typo
//! never silently shows the other language. Every fixed text of the pages is
//! in one table, `Text`; the vocabularies (stages, record kinds,
//! certifications) and the public field names carry their own English labels.
//!
//! A GET of a unit's page (HTML or JSON) counts a scan for the client's
//! address ([`ClientAddr`]), once per client and day; a HEAD request counts
//! nothing (`suyuan_store::trace::public`). The pages load nothing else, so
//! no request of their own counts. The HTML error pages (unknown code,
//! mistyped code) are pages for a phone, not problems.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use suyuan_core::codes::trace::TraceUnit;
use suyuan_core::codes::{Gtin, Sscc};
use suyuan_core::stages::{RecordKind, Stage};
use suyuan_store::trace::public::{PublicTrace, Scan, PUBLIC_FIELDS};
use suyuan_store::StoreError;

use crate::api::trace::parse_code;
use crate::client::ClientAddr;
use crate::error::{deliberate, ApiError};
use crate::extract::LenientQuery;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/01/{gtin}/10/{lot}", get(lot))
        .route("/01/{gtin}/10/{lot}/21/{serial}", get(item))
        .route("/01/{gtin}/21/{serial}", get(serial_only))
        .route("/00/{sscc}", get(logistic))
        .route("/trace", get(query_box))
        .route("/c/{number}", get(quality::certificate_page))
        .route("/r/{id}", get(report::report_page))
}

#[path = "public_quality.rs"]
mod quality;

#[path = "public_report.rs"]
mod report;

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn bad_code(e: suyuan_core::Invalid) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, e.code, e.en, e.zh)
}

// ---------------------------------------------------------------------------
// Language

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The value of the `lang` query parameter.
    pub(crate) fn param(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of `<html lang>`.
    pub(crate) fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// `zh` or `en` of a pair.
    pub(crate) fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// The language `Accept-Language` ranks highest among Chinese and English:
/// the higher `q` wins, the earlier entry on a tie; `None` when it names
/// neither (or only with `q=0`).
fn accepted_language(value: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for entry in value.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
            Some(q) => match q.trim().parse::<f32>() {
                Ok(q) if (0.0..=1.0).contains(&q) => q,
                _ => continue,
            },
            None => 1.0,
        };
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let lang = match primary.as_str() {
            "zh" => Lang::Zh,
            "en" => Lang::En,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// The page's language: `lang` (`zh` or `en`, anything else refused naming
/// `lang`), else `Accept-Language`, else Chinese.
pub(crate) fn language(lang: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    match lang {
        Some("zh") => Ok(Lang::Zh),
        Some("en") => Ok(Lang::En),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("lang is zh (Chinese) or en (English), not '{other}'"),
            format!("lang 应为 zh（中文）或 en（英文），而不是“{other}”"),
        )
        .with_field("lang")),
        None => Ok(headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(accepted_language)
            .unwrap_or(Lang::Zh)),
    }
}

/// Every fixed text of the pages, in both languages. `{…}` marks a value
/// filled in by the caller.
#[derive(Debug, Clone, Copy)]
enum Text {
    Site,
    QueryTitle,
    BadCodeTitle,
    NotFoundTitle,
    NotFound,
    Placeholder,
    Search,
    Product,
    TraceCode,
    StatusWarning,
    NonConformant,
    Recalled,
    ScansSuspicious,
    Scans,
    ProductInfo,
    Variety,
    Specification,
    Origin,
    ShelfLife,
    Certification,
    Producer,
    Verified,
    NotVerified,
    GtinNotVerified,
    RecorderSuspended,
    Environment,
    Plot,
    Soil,
    WaterSource,
    Irrigation,
    Area,
    Crops,
    EnvironmentTests,
    Timeline,
    Record,
    Corrected,
    NoRecords,
    Pass,
    Fail,
    Footer,
    LogEntry,
    NotYetCheckpointed,
    Checkpoint,
    /// The name of the *other* language, for the switch link.
    Switch,
}

impl Text {
    fn get(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Text::Site => ("溯源", "Suyuan"),
            Text::QueryTitle => ("查询追溯码", "Look up a trace code"),
            Text::BadCodeTitle => ("追溯码有误", "Invalid trace code"),
            Text::NotFoundTitle => ("未找到", "Not found"),
            Text::NotFound => (
                "平台上没有这个追溯码的记录。请核对后重新输入。",
                "This code is not known to the platform. Please check it and try again.",
            ),
            Text::Placeholder => ("输入追溯码", "Enter a trace code"),
            Text::Search => ("查询", "Look up"),
            Text::Product => ("农产品", "Agricultural product"),
            Text::TraceCode => ("追溯码 {code}", "Trace code {code}"),
            Text::StatusWarning => ("注意：该批次状态为“{status}”", "Attention: this lot is {status}"),
            Text::NonConformant => ("不合格", "non-conformant"),
            Text::Recalled => ("已召回", "recalled"),
            Text::ScansSuspicious => (
                "该追溯码已被查询 {count} 次（首次 {first}），可能被复制，请谨慎购买。",
                "This code has been scanned {count} times (first on {first}); the label may have been copied. Buy with care.",
            ),
            Text::Scans => ("本码第 {count} 次查询，首次查询于 {first}", "Scan {count} of this code, first on {first}"),
            Text::ProductInfo => ("产品信息", "Product"),
            Text::Variety => ("品种", "Variety"),
            Text::Specification => ("规格", "Specification"),
            Text::Origin => ("产地", "Origin"),
            Text::ShelfLife => ("保质期", "Shelf life"),
            Text::Certification => ("认证", "Certification"),
            Text::Producer => ("生产者", "Producer"),
            Text::Verified => ("✔ 平台已认证", "✔ verified by the platform"),
            Text::NotVerified => ("未认证", "not verified"),
            Text::GtinNotVerified => (
                "商品条码未经核验：生产者尚未向平台证明其厂商识别代码",
                "Barcode not verified: the producer has not proved its GS1 company prefix to the platform",
            ),
            Text::RecorderSuspended => ("（记录机构已被暂停）", "(the recording organisation is suspended)"),
            Text::Environment => ("产地环境", "Where it was grown"),
            Text::Plot => ("地块", "Plot"),
            Text::Soil => ("土壤", "Soil"),
            Text::WaterSource => ("水源", "Water source"),
            Text::Irrigation => ("灌溉", "Irrigation"),
            Text::Area => ("面积", "Area"),
            Text::Crops => ("作物", "Crops"),
            Text::EnvironmentTests => ("环境检测", "Environment tests"),
            Text::Timeline => ("全程记录", "Timeline"),
            Text::Record => ("记录", "Record"),
            Text::Corrected => ("（已更正）", "(corrected)"),
            Text::NoRecords => ("暂无记录。", "No records yet."),
            Text::Pass => ("合格", "pass"),
            Text::Fail => ("不合格", "fail"),
            Text::Footer => (
                "溯源 suyuan · 数据由各环节主体签名记录",
                "Suyuan · records are signed by each organisation in the chain",
            ),
            Text::LogEntry => ("透明日志第 {n} 条 · 证明", "Log entry {n} · proof"),
            Text::NotYetCheckpointed => ("（尚未纳入检查点）", "(not yet in a checkpoint)"),
            Text::Checkpoint => (
                "以上记录已写入透明日志并对照检查点核验：日志共 {size} 条记录（{time} 签署），{witnesses} 个见证方联署。",
                "These records are in the transparency log, checked against its checkpoint of {size} records (signed {time}), cosigned by {witnesses} witness(es).",
            ),
            Text::Switch => ("English", "中文"),
        };
        lang.pick(zh, en)
    }
}

/// How a page was asked for: its language and its own address, for the
/// language switch.
struct Ctx {
    lang: Lang,
    path: String,
    /// The typed code, kept by the switch link of `/trace`.
    code: Option<String>,
}

impl Ctx {
    fn t(&self, text: Text) -> &'static str {
        text.get(self.lang)
    }

    /// The link to the same page in the other language.
    fn switch_link(&self) -> String {
        let other = self.lang.other();
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(code) = &self.code {
            query.append_pair("code", code);
        }
        query.append_pair("lang", other.param());
        format!(
            "<p class=\"lang\"><a href=\"{}?{}\" hreflang=\"{}\" lang=\"{}\">{}</a></p>",
            esc(&self.path),
            esc(&query.finish()),
            other.html(),
            other.html(),
            self.t(Text::Switch)
        )
    }
}

#[derive(Deserialize)]
struct LangParam {
    lang: Option<String>,
}

fn ctx(q: &LangParam, h: &HeaderMap, uri: &Uri) -> Result<Ctx, ApiError> {
    Ok(Ctx {
        lang: language(q.lang.as_deref(), h)?,
        path: uri.path().to_owned(),
        code: None,
    })
}

// ---------------------------------------------------------------------------
// Routes

async fn lot(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<LangParam>,
    scan: Scanned,
    Path((gtin, lot)): Path<(String, String)>,
) -> Response {
    let unit = Gtin::parse(&gtin).and_then(|g| TraceUnit::lot(g, &lot));
    match ctx(&q, &h, &uri) {
        Ok(c) => show(&s, &h, &c, unit, scan.0).await,
        Err(e) => e.into_response(),
    }
}

async fn item(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<LangParam>,
    scan: Scanned,
    Path((gtin, lot, serial)): Path<(String, String, String)>,
) -> Response {
    let unit = Gtin::parse(&gtin).and_then(|g| TraceUnit::item(g, &lot, &serial));
    match ctx(&q, &h, &uri) {
        Ok(c) => show(&s, &h, &c, unit, scan.0).await,
        Err(e) => e.into_response(),
    }
}

/// An item by GTIN and serial alone (the canonical SGTIN form).
async fn serial_only(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<LangParam>,
    scan: Scanned,
    Path((gtin, serial)): Path<(String, String)>,
) -> Response {
    // Our items are keyed by GTIN + serial; the batch only qualifies them.
    let unit = Gtin::parse(&gtin).and_then(|g| TraceUnit::item(g, "-", &serial));
    match ctx(&q, &h, &uri) {
        Ok(c) => show(&s, &h, &c, unit, scan.0).await,
        Err(e) => e.into_response(),
    }
}

async fn logistic(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<LangParam>,
    scan: Scanned,
    Path(sscc): Path<String>,
) -> Response {
    let unit = Sscc::parse(&sscc).map(TraceUnit::logistic);
    match ctx(&q, &h, &uri) {
        Ok(c) => show(&s, &h, &c, unit, scan.0).await,
        Err(e) => e.into_response(),
    }
}

/// A stand-in origin whose Digital Link is cut back to its path.
const PATH_ORIGIN: &str = "http://x";

#[derive(Deserialize)]
struct CodeBox {
    code: Option<String>,
    lang: Option<String>,
}

async fn query_box(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<CodeBox>,
    scan: Scanned,
) -> Response {
    let lang = match language(q.lang.as_deref(), &h) {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let mut c = Ctx {
        lang,
        path: uri.path().to_owned(),
        code: None,
    };
    let Some(code) = q.code.filter(|c| !c.trim().is_empty()) else {
        return Html(page(&c, c.t(Text::QueryTitle), &search_box(&c, ""))).into_response();
    };
    match parse_code(&code) {
        Ok(unit) if wants_json(&h) => show(&s, &h, &c, Ok(unit), scan.0).await,
        // Redirect to the unit's own path, so the address can be shared; a
        // chosen language goes along.
        Ok(unit) => match unit.digital_link(PATH_ORIGIN) {
            Ok(link) => {
                let mut path = link.replacen(PATH_ORIGIN, "", 1);
                if q.lang.is_some() {
                    path.push_str(if path.contains('?') { "&lang=" } else { "?lang=" });
                    path.push_str(lang.param());
                }
                Redirect::to(&path).into_response()
            }
            Err(e) => bad_code(e).into_response(),
        },
        Err(e) => {
            if wants_json(&h) {
                return e.into_response();
            }
            let body = format!(
                "{}<p class=\"warn\">{}</p>",
                search_box(&c, &code),
                esc(lang.pick(&e.zh, &e.en))
            );
            c.code = Some(code);
            deliberate(
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Html(page(&c, c.t(Text::BadCodeTitle), &body)),
                )
                    .into_response(),
            )
        }
    }
}

/// Whether a request is a consumer's scan: a GET, by its client's address;
/// anything else (HEAD) is not counted.
struct Scanned(Scan);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Scanned {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        if parts.method != Method::GET {
            return Ok(Scanned(Scan::NotCounted));
        }
        let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state).await?;
        Ok(Scanned(Scan::By(addr)))
    }
}

async fn show(
    state: &AppState,
    headers: &HeaderMap,
    c: &Ctx,
    unit: Result<TraceUnit, suyuan_core::Invalid>,
    scan: Scan,
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
        .public_trace(&epc, scan, state.config.scan_warning_threshold)
        .await
    {
        Ok(view) if wants_json(headers) => Json(view).into_response(),
        Ok(view) => Html(render(&view, &unit, c)).into_response(),
        Err(StoreError::NotFound { .. }) if !wants_json(headers) => deliberate(
            (
                StatusCode::NOT_FOUND,
                Html(page(
                    c,
                    c.t(Text::NotFoundTitle),
                    &format!(
                        "<p class=\"warn\">{}</p>{}",
                        c.t(Text::NotFound),
                        search_box(c, "")
                    ),
                )),
            )
                .into_response(),
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

// ---------------------------------------------------------------------------
// HTML

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn search_box(c: &Ctx, value: &str) -> String {
    format!(
        "<form action=\"/trace\" method=\"get\"><input name=\"code\" value=\"{}\" placeholder=\"{}\" \
         autocomplete=\"off\"><input type=\"hidden\" name=\"lang\" value=\"{}\"><button>{}</button></form>",
        esc(value),
        c.t(Text::Placeholder),
        c.lang.param(),
        c.t(Text::Search)
    )
}

pub(crate) const STYLE: &str = "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f4f7f2;color:#1d2a1d;line-height:1.5}\
main{max-width:640px;margin:auto;padding:12px}h1{font-size:1.3em;color:#2f6b2f;margin:.4em 0}h2{font-size:1.05em;margin:1em 0 .3em;color:#2f6b2f}\
.card{background:#fff;border-radius:10px;padding:10px 12px;margin:8px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
.ok{color:#2f7d32}.bad{color:#b3261e;font-weight:bold}.warn{background:#fff4e5;border-left:4px solid #e08a00;padding:8px}\
.tl{border-left:3px solid #8bbf8b;margin-left:6px;padding-left:12px}.ev{margin:0 0 12px}.ev .t{color:#667;font-size:.85em}\
.tag{display:inline-block;background:#e3f0e3;border-radius:4px;padding:0 6px;font-size:.85em;margin-right:4px}\
.corr{text-decoration:line-through;color:#999}dl{margin:0}dt{float:left;clear:left;color:#667;min-width:7em}dd{margin:0 0 0 7.5em}\
input{width:70%;padding:8px;font-size:1em}button{padding:8px 12px;font-size:1em}small{color:#667}.lang{text-align:right;margin:0}";

fn page(c: &Ctx, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · {}</title>\
         <style>{STYLE}</style></head><body><main>{}{body}</main></body></html>",
        c.lang.html(),
        esc(title),
        c.t(Text::Site),
        c.switch_link()
    )
}

fn value_text(v: &serde_json::Value, lang: Lang) -> String {
    match v {
        serde_json::Value::String(s) if s == "pass" => Text::Pass.get(lang).into(),
        serde_json::Value::String(s) if s == "fail" => Text::Fail.get(lang).into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => Text::Pass.get(lang).into(),
        serde_json::Value::Bool(false) => Text::Fail.get(lang).into(),
        serde_json::Value::Object(o) => {
            // {value, uom} and similar small objects read as "value uom".
            let parts: Vec<String> = o.values().map(|v| value_text(v, lang)).collect();
            parts.join(" ")
        }
        serde_json::Value::Array(a) => a
            .iter()
            .map(|v| value_text(v, lang))
            .collect::<Vec<_>>()
            .join(lang.pick("；", "; ")),
        other => other.to_string(),
    }
}

/// A public field's label in `lang`: the store gives the Chinese one.
fn field_label(label_zh: &str, lang: Lang) -> &str {
    match lang {
        Lang::Zh => label_zh,
        Lang::En => PUBLIC_FIELDS
            .iter()
            .find(|(_, zh, _)| *zh == label_zh)
            .map_or(label_zh, |(_, _, en)| en),
    }
}

fn local_time(t: &chrono::DateTime<chrono::Utc>, offset: &str) -> String {
    match suyuan_core::epcis::parse_time_zone_offset(offset) {
        Ok(off) => t.with_timezone(&off).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The consumer page.
fn render(v: &PublicTrace, unit: &TraceUnit, c: &Ctx) -> String {
    let lang = c.lang;
    let mut b = String::new();
    let name = v.product.as_ref().map_or(c.t(Text::Product), |p| p.name.as_str());
    let _ = write!(b, "<h1>{}</h1>", esc(name));
    let code = unit
        .flat_code()
        .unwrap_or_else(|| unit.element_string().map(|e| e.to_human()).unwrap_or_default());
    let _ = write!(
        b,
        "<p><small>{}</small></p>",
        esc(&c.t(Text::TraceCode).replace("{code}", &code))
    );
    if v.status != "active" {
        let status = match v.status.as_str() {
            "non_conformant" => c.t(Text::NonConformant),
            "recalled" => c.t(Text::Recalled),
            other => other,
        };
        let _ = write!(
            b,
            "<p class=\"warn\"><span class=\"bad\">{}</span><br>{}</p>",
            esc(&c.t(Text::StatusWarning).replace("{status}", status)),
            esc(match lang {
                Lang::Zh => v.status_reason_zh.as_deref().or(v.status_reason.as_deref()),
                Lang::En => v.status_reason.as_deref(),
            }
            .unwrap_or(""))
        );
    }
    b.push_str(&quality::recall_banner(v, c));
    let scans = |text: Text| {
        c.t(text)
            .replace("{count}", &v.scans.count.to_string())
            .replace("{first}", &local_time(&v.scans.first_scan, "+08:00"))
    };
    if v.scans.suspicious {
        let _ = write!(b, "<p class=\"warn\">{}</p>", esc(&scans(Text::ScansSuspicious)));
    } else {
        let _ = write!(b, "<p><small>{}</small></p>", esc(&scans(Text::Scans)));
    }
    b.push_str(&quality::certificates_card(v, c));
    if let Some(p) = &v.product {
        let _ = write!(b, "<div class=\"card\"><h2>{}</h2><dl>", c.t(Text::ProductInfo));
        for (k, val) in [
            (Text::Variety, p.variety.clone()),
            (Text::Specification, p.specification.clone()),
            (Text::Origin, p.origin.clone()),
            (
                Text::ShelfLife,
                p.shelf_life_days
                    .map(|d| format!("{d} {}", lang.pick("天", if d == 1 { "day" } else { "days" }))),
            ),
        ] {
            if let Some(val) = val {
                let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", c.t(k), esc(&val));
            }
        }
        for cert in &p.certifications {
            let kind = lang.pick(cert.kind.zh(), cert.kind.en());
            let validity = match lang {
                Lang::Zh => format!("（{} 至 {}）", cert.valid_from, cert.valid_until),
                Lang::En => format!(" ({} to {})", cert.valid_from, cert.valid_until),
            };
            let _ = write!(
                b,
                "<dt>{}</dt><dd>{} {}{}</dd>",
                c.t(Text::Certification),
                esc(kind),
                esc(&cert.number),
                esc(&validity)
            );
        }
        b.push_str("</dl>");
        if !p.gtin_verified {
            let _ = write!(
                b,
                "<p><small class=\"bad\">{}</small></p>",
                c.t(Text::GtinNotVerified)
            );
        }
        b.push_str("</div>");
    }
    if let Some(p) = &v.producer {
        let _ = write!(
            b,
            "<div class=\"card\"><h2>{}</h2><p>{} {}</p></div>",
            c.t(Text::Producer),
            esc(&p.name),
            if p.verified {
                format!("<span class=\"ok\">{}</span>", c.t(Text::Verified))
            } else {
                format!("<span class=\"bad\">{}</span>", c.t(Text::NotVerified))
            }
        );
    }
    if let Some(o) = &v.origin {
        let _ = write!(b, "<div class=\"card\"><h2>{}</h2><dl>", c.t(Text::Environment));
        let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", c.t(Text::Plot), esc(&o.name));
        let area = o.area_m2.map(|a| match lang {
            Lang::Zh => format!("{:.1} 亩", a / 666.67),
            Lang::En => format!("{a:.0} m²"),
        });
        for (k, val) in [
            (Text::Soil, o.soil_type.clone()),
            (Text::WaterSource, o.water_source.clone()),
            (Text::Irrigation, o.irrigation.clone()),
            (Text::Area, area),
            (
                Text::Crops,
                (!o.crops.is_empty()).then(|| o.crops.join(lang.pick("、", ", "))),
            ),
            (
                Text::EnvironmentTests,
                (!o.environment_tests.is_empty()).then(|| o.environment_tests.join(lang.pick("；", "; "))),
            ),
        ] {
            if let Some(val) = val {
                let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", c.t(k), esc(&val));
            }
        }
        b.push_str("</dl></div>");
    }
    if let Some(cc) = &v.cold_chain {
        b.push_str(&crate::public_cold::card(cc, lang));
    }
    let _ = write!(
        b,
        "<div class=\"card\"><h2>{}</h2><div class=\"tl\">",
        c.t(Text::Timeline)
    );
    for e in &v.timeline {
        let cls = if e.corrected { "ev corr" } else { "ev" };
        let stage = e
            .stage
            .as_deref()
            .and_then(Stage::parse)
            .map_or(c.t(Text::Record), |s| lang.pick(s.zh(), s.en()));
        // A record kind by its label; a standard CBV business step by its
        // name (赋码 for commissioning); any other step as it is.
        let kind = e.kind.as_deref().map(|k| match RecordKind::parse(k) {
            Some(k) => lang.pick(k.zh(), k.en()),
            None => suyuan_core::epcis::biz_step_name(k).map_or(k, |(zh, en)| lang.pick(zh, en)),
        });
        let _ = write!(
            b,
            "<div class=\"{cls}\"><div class=\"t\">{}</div><div><span class=\"tag\">{}</span><b>{}</b>{}</div>",
            local_time(&e.time, &e.time_zone_offset),
            esc(stage),
            esc(kind.unwrap_or("")),
            if e.corrected {
                format!(" <small>{}</small>", c.t(Text::Corrected))
            } else {
                String::new()
            }
        );
        let who: Vec<String> = [e.organisation.clone(), e.place.clone()]
            .into_iter()
            .flatten()
            .map(|s| esc(&s))
            .collect();
        if !who.is_empty() {
            let suspended = if e.organisation_suspended {
                format!(" <span class=\"bad\">{}</span>", c.t(Text::RecorderSuspended))
            } else {
                String::new()
            };
            let _ = write!(b, "<div><small>{}{suspended}</small></div>", who.join(" · "));
        }
        for (label, val) in &e.fields {
            let _ = write!(
                b,
                "<div><small>{}{}</small>{}</div>",
                esc(field_label(label, lang)),
                lang.pick("：", ": "),
                esc(&value_text(val, lang))
            );
        }
        if let Some(n) = e.log_index {
            let proof: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("event_id", &e.event_id)
                .finish();
            let _ = write!(
                b,
                "<div><small><a href=\"/tlog/proof?{}\">{}</a>{}</small></div>",
                esc(&proof),
                c.t(Text::LogEntry).replace("{n}", &n.to_string()),
                if e.in_checkpoint {
                    ""
                } else {
                    c.t(Text::NotYetCheckpointed)
                }
            );
        }
        b.push_str("</div>");
    }
    if v.timeline.is_empty() {
        let _ = write!(b, "<p>{}</p>", c.t(Text::NoRecords));
    }
    b.push_str("</div>");
    if let Some(cp) = &v.checkpoint {
        let time = local_time(&cp.created_at, "+08:00");
        let _ = write!(
            b,
            "<p><small>{}</small></p>",
            esc(&c
                .t(Text::Checkpoint)
                .replace("{size}", &cp.tree_size.to_string())
                .replace("{time}", &time)
                .replace("{witnesses}", &cp.witnesses.to_string()))
        );
    }
    b.push_str("</div>");
    b.push_str(&crate::complaint_page::link(lang, &code));
    b.push_str(&search_box(c, ""));
    let _ = write!(b, "<p><small>{}</small></p>", c.t(Text::Footer));
    page(c, name, &b)
}
