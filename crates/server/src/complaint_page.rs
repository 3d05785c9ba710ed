//! The consumer's complaint form and a complaint's status page, linked
//! from the consumer page of every unit (no sign-in, phone-sized, nothing
//! loaded from outside, Chinese or English like [`crate::public`]).
//!
//! - `GET /complaints/new?code=…` — the form: category, description, a
//!   phone number (optional) and up to three photos;
//! - `POST /complaints` — the form posted as `multipart/form-data`. No
//!   session means no CSRF token: the post must come from a page of this
//!   site (`Origin`, else `Referer`, [`crate::csrf::check_same_origin`]),
//!   and it counts against the client address's complaint limit (429 with
//!   `Retry-After`). A refusal (a photo that is not a JPEG, PNG or WebP
//!   image or is larger than 2 MB, a description too short, an unknown
//!   code) shows the form again with what was typed and the reason, and
//!   stores nothing. A filed complaint goes on to its status page;
//! - `GET /complaints/{reference}` — the status, its history and the
//!   replies, each with the organisation that acted (the enterprise or
//!   the regulator); nothing personal (no description, no phone number,
//!   nobody's name).

use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use suyuan_core::complaints::{Category, Status, MAX_PHOTOS, MAX_PHOTO_BYTES};
use suyuan_store::complaints::NewComplaint;

use crate::api::complaints::{admit, unit_of};
use crate::client::ClientAddr;
use crate::error::{deliberate, ApiError};
use crate::extract::LenientQuery;
use crate::public::{esc, language, Lang, STYLE};
use crate::AppState;

/// Largest form body: three photos at their limit and the text fields.
pub const MAX_FORM_BYTES: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/complaints/new", get(form))
        .route(
            "/complaints",
            axum::routing::post(submit).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route("/complaints/{reference}", get(status_page))
}

/// The link on a unit's consumer page.
pub(crate) fn link(lang: Lang, code: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("lang", lang.param())
        .finish();
    format!(
        "<p><a class=\"complain\" href=\"/complaints/new?{}\">{}</a></p>",
        esc(&q),
        lang.pick(
            "对此产品有问题？投诉举报",
            "A problem with this product? File a complaint"
        )
    )
}

/// The form's style, after the public pages' [`STYLE`].
pub(crate) const FORM_STYLE: &str = "textarea{width:100%;min-height:6em;font-size:1em;padding:8px}\
select,input{width:100%;max-width:30em}label{display:block;margin:10px 0 2px;font-weight:600}";

fn shell(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · {}</title>\
         <style>{STYLE}{FORM_STYLE}</style></head><body><main><h1>{}</h1>{body}</main></body></html>",
        lang.html(),
        esc(title),
        lang.pick("农产品溯源", "Produce trace"),
        esc(title)
    )
}

/// What the consumer typed, to show again after a refusal.
#[derive(Debug, Default, Deserialize)]
struct Typed {
    code: Option<String>,
    category: Option<String>,
    description: Option<String>,
    phone: Option<String>,
    lang: Option<String>,
}

fn form_html(lang: Lang, t: &Typed, error: Option<&ApiError>) -> String {
    let mut b = String::new();
    if let Some(e) = error {
        let field = e.field.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
        let _ = write!(
            b,
            "<p class=\"warn\" role=\"alert\" id=\"complaint-error\">{}{}<br><small>{}</small></p>",
            esc(lang.pick(&e.zh, &e.en)),
            esc(&field),
            lang.pick(
                "如附有照片，请重新选择。",
                "If you attached photos, please choose them again."
            )
        );
    }
    let category = t.category.as_deref().unwrap_or("quality");
    let options: String = Category::ALL
        .iter()
        .map(|c| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                c.as_str(),
                if c.as_str() == category { " selected" } else { "" },
                esc(lang.pick(c.zh(), c.en()))
            )
        })
        .collect();
    let _ = write!(
        b,
        "<form class=\"card\" method=\"post\" action=\"/complaints\" enctype=\"multipart/form-data\">\
         <input type=\"hidden\" name=\"lang\" value=\"{lang_v}\">\
         <label for=\"code\">{code_l}</label><input id=\"code\" name=\"code\" value=\"{code}\" required>\
         <label for=\"category\">{cat_l}</label><select id=\"category\" name=\"category\">{options}</select>\
         <label for=\"description\">{desc_l}</label><textarea id=\"description\" name=\"description\" maxlength=\"2000\" required>{desc}</textarea>\
         <label for=\"phone\">{phone_l} <small>{phone_h}</small></label><input id=\"phone\" name=\"phone\" type=\"tel\" value=\"{phone}\">\
         <label>{photos_l} <small>{photos_h}</small></label>\
         <input type=\"file\" name=\"photo\" accept=\"image/jpeg,image/png,image/webp\">\
         <input type=\"file\" name=\"photo\" accept=\"image/jpeg,image/png,image/webp\">\
         <input type=\"file\" name=\"photo\" accept=\"image/jpeg,image/png,image/webp\">\
         <p><button id=\"submit-complaint\">{send}</button></p></form>",
        lang_v = lang.param(),
        code_l = lang.pick("追溯码", "Trace code"),
        code = esc(t.code.as_deref().unwrap_or("")),
        cat_l = lang.pick("问题类别", "What is wrong"),
        desc_l = lang.pick("问题描述", "Describe the problem"),
        desc = esc(t.description.as_deref().unwrap_or("")),
        phone_l = lang.pick("联系电话", "Phone"),
        phone_h = lang.pick("（选填，仅用于回访，加密保存）", "(optional, to call you back; stored encrypted)"),
        phone = esc(t.phone.as_deref().unwrap_or("")),
        photos_l = lang.pick("照片", "Photos"),
        photos_h = lang.pick(
            "（选填，最多 3 张，JPEG、PNG 或 WebP，每张不超过 2 MB）",
            "(optional, up to 3, JPEG, PNG or WebP, 2 MB each at most)"
        ),
        send = lang.pick("提交投诉", "Send the complaint"),
    );
    shell(lang, lang.pick("投诉举报", "File a complaint"), &b)
}

async fn form(h: HeaderMap, LenientQuery(t): LenientQuery<Typed>) -> Response {
    match language(t.lang.as_deref(), &h) {
        Ok(lang) => Html(form_html(lang, &t, None)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The form again with the reason of the refusal, at its status.
fn refused(lang: Lang, t: &Typed, e: ApiError) -> Response {
    let status = e.status;
    let retry = e.retry_after;
    let mut resp = (status, Html(form_html(lang, t, Some(&e)))).into_response();
    if let Some(secs) = retry {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    deliberate(resp)
}

/// The fields and photos of a posted form.
fn read_form(content_type: &str, body: &Bytes) -> Result<(Typed, Vec<Vec<u8>>), ApiError> {
    let boundary = crate::multipart::boundary(content_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the complaint form is posted as multipart/form-data",
            "投诉表单须以 multipart/form-data 提交",
        )
        .with_field("Content-Type")
    })?;
    let mut t = Typed::default();
    let mut photos = Vec::new();
    for part in crate::multipart::parse(body, &boundary, 16)? {
        match part.name.as_str() {
            "code" => t.code = Some(part.text()),
            "category" => t.category = Some(part.text()),
            "description" => t.description = Some(part.text()),
            "phone" => t.phone = Some(part.text()),
            "lang" => t.lang = Some(part.text()),
            // A file input left empty sends a part with no data.
            "photo" if !part.data.is_empty() => photos.push(part.data),
            _ => {}
        }
    }
    Ok((t, photos))
}

async fn submit(State(state): State<AppState>, addr: ClientAddr, req: Request) -> Response {
    let headers = req.headers().clone();
    let fallback = language(None, &headers).unwrap_or(Lang::Zh);
    let blank = Typed::default();
    if let Err(e) = crate::csrf::check_same_origin(&headers, &state.config) {
        return refused(fallback, &blank, e);
    }
    if let Err(e) = admit(&state, addr) {
        return refused(fallback, &blank, e);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match crate::extract::read_body(req, &state).await {
        Ok(b) => b,
        Err(e) => return refused(fallback, &blank, e),
    };
    let (typed, photos) = match read_form(&content_type, &body) {
        Ok(f) => f,
        Err(e) => return refused(fallback, &blank, e),
    };
    let lang = language(typed.lang.as_deref(), &headers).unwrap_or(fallback);
    let unit_epc = match unit_of(typed.code.as_deref().unwrap_or("")) {
        Ok(u) => u,
        Err(e) => return refused(lang, &typed, e),
    };
    let filed = state
        .store
        .file_complaint(NewComplaint {
            unit_epc,
            category: typed.category.clone().unwrap_or_default(),
            description: typed.description.clone().unwrap_or_default(),
            phone: typed.phone.clone(),
            photos,
        })
        .await;
    match filed {
        Ok(f) => Redirect::to(&format!("/complaints/{}?lang={}", f.reference, lang.param())).into_response(),
        Err(suyuan_store::StoreError::NotFound { .. }) => refused(
            lang,
            &typed,
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no product on the platform has this trace code; check the code on the package",
                "平台上没有这个追溯码的产品，请核对包装上的追溯码",
            )
            .with_field("code"),
        ),
        Err(e) => refused(lang, &typed, ApiError::from(e)),
    }
}

#[derive(Deserialize)]
struct LangOnly {
    lang: Option<String>,
}

fn time(ms: i64) -> String {
    chrono::FixedOffset::east_opt(8 * 3600)
        .zip(chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms))
        .map(|(tz, t)| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn status_name(lang: Lang, s: &str) -> String {
    Status::parse(s).map_or_else(|_| s.to_owned(), |s| lang.pick(s.zh(), s.en()).to_owned())
}

async fn status_page(
    State(state): State<AppState>,
    h: HeaderMap,
    LenientQuery(q): LenientQuery<LangOnly>,
    Path(reference): Path<String>,
) -> Response {
    let lang = match language(q.lang.as_deref(), &h) {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let title = lang.pick("投诉进度", "Complaint status");
    let c = match state.store.complaint_status(&reference).await {
        Ok(c) => c,
        Err(suyuan_store::StoreError::NotFound { .. }) => {
            let body = format!(
                "<p class=\"warn\">{}</p>",
                lang.pick("没有这个投诉编号。", "There is no complaint with this reference.")
            );
            return deliberate((StatusCode::NOT_FOUND, Html(shell(lang, title, &body))).into_response());
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let category =
        Category::parse(&c.category).map_or(c.category.clone(), |k| lang.pick(k.zh(), k.en()).to_owned());
    let mut b = format!(
        "<div class=\"card\"><dl><dt>{ref_l}</dt><dd><b id=\"reference\">{reference}</b></dd>\
         <dt>{cat_l}</dt><dd>{category}</dd><dt>{status_l}</dt><dd id=\"status\">{status}</dd>\
         <dt>{filed_l}</dt><dd>{filed}</dd><dt>{due_l}</dt><dd>{due}</dd><dt>{photos_l}</dt><dd>{photos}</dd></dl></div>",
        ref_l = lang.pick("投诉编号", "Reference"),
        reference = esc(&c.reference),
        cat_l = lang.pick("类别", "Category"),
        category = esc(&category),
        status_l = lang.pick("状态", "Status"),
        status = esc(&status_name(lang, &c.status)),
        filed_l = lang.pick("提交时间", "Filed"),
        filed = time(c.filed_at),
        due_l = lang.pick("受理时限", "To be acknowledged by"),
        due = time(c.acknowledge_by - 1),
        photos_l = lang.pick("照片", "Photos"),
        photos = c.photo_count,
    );
    let _ = write!(
        b,
        "<div class=\"card\"><h2>{}</h2>",
        lang.pick("处理记录", "History")
    );
    if c.updates.is_empty() {
        let _ = write!(
            b,
            "<p>{}</p>",
            lang.pick(
                "已收到，等待企业受理。",
                "Received; waiting for the enterprise to acknowledge it."
            )
        );
    }
    for u in &c.updates {
        let _ = write!(
            b,
            "<div class=\"ev\"><div class=\"t\">{}</div><b>{}</b>",
            time(u.at),
            esc(&status_name(lang, &u.status))
        );
        if let Some(by) = &u.by {
            let role = match u.by_kind.as_deref() {
                Some("regulator") => lang.pick("监管部门", "regulator"),
                _ => lang.pick("企业", "enterprise"),
            };
            let _ = write!(b, " <small class=\"by\">{} · {}</small>", esc(by), role);
        }
        if let Some(r) = &u.reply {
            let _ = write!(b, "<p class=\"reply\">{}</p>", esc(r));
        }
        b.push_str("</div>");
    }
    b.push_str("</div>");
    let _ = write!(
        b,
        "<p><small>{}</small></p>",
        lang.pick(
            "请保存投诉编号，凭编号随时查看进度。",
            "Keep the reference: it shows this page at any time."
        )
    );
    Html(shell(lang, title, &b)).into_response()
}
