//! The consumer's view of quality management: the recall banner on an
//! affected unit's page (what to do), the 承诺达标合格证 that cover the
//! unit, and a certificate's own public page `/c/{number}` (the QR code
//! printed on it), which says whether it is valid and links to the trace of
//! what it covers. A child module of `public`: same language choice, same
//! page frame, nothing loaded from outside.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use suyuan_core::model::CertificateBasis;
use suyuan_store::trace::public::PublicTrace;

use super::{ctx, esc, page, wants_json, Ctx, Lang, LangParam};
use crate::extract::LenientQuery;
use crate::AppState;

/// The banner of a recalled unit: who recalls it, why, and what to do.
pub(super) fn recall_banner(v: &PublicTrace, c: &Ctx) -> String {
    let Some(r) = &v.recall else {
        return String::new();
    };
    let level = match r.level.as_str() {
        "1" => c.lang.pick("一级召回", "Level 1 recall"),
        "2" => c.lang.pick("二级召回", "Level 2 recall"),
        _ => c.lang.pick("三级召回", "Level 3 recall"),
    };
    format!(
        "<div class=\"warn recall\" role=\"alert\"><p><span class=\"bad\">{} · {}</span></p><p>{}：{}</p><p><strong>{}</strong></p></div>",
        esc(c.lang.pick("本产品已被召回", "This product is recalled")),
        esc(level),
        esc(&r.by),
        esc(&r.reason),
        esc(match c.lang {
            Lang::Zh => &r.advice_zh,
            Lang::En => &r.advice_en,
        })
    )
}

/// The certificates that cover the unit, each linking to its page.
pub(super) fn certificates_card(v: &PublicTrace, c: &Ctx) -> String {
    if v.commitment_certificates.is_empty() {
        return String::new();
    }
    let mut b = format!(
        "<div class=\"card\"><h2>{}</h2><dl>",
        esc(c
            .lang
            .pick("承诺达标合格证", "Certificate of commitment to conformity"))
    );
    for cert in &v.commitment_certificates {
        let basis = CertificateBasis::parse(&cert.basis).map_or("", |b| c.lang.pick(b.zh(), b.en()));
        let state = if cert.valid {
            format!("<span class=\"ok\">{}</span>", esc(c.lang.pick("有效", "valid")))
        } else {
            format!(
                "<span class=\"bad\">{}</span>",
                esc(c.lang.pick("已作废", "void"))
            )
        };
        let _ = write!(
            b,
            "<dt><a href=\"/c/{n}?lang={l}\">{n}</a></dt><dd>{state} · {} · {} · {}</dd>",
            esc(&cert.committer_name),
            esc(&cert.issue_date),
            esc(basis),
            n = esc(&cert.number),
            l = c.lang.param(),
        );
    }
    b.push_str("</dl></div>");
    b
}

/// `/c/{number}`: a certificate's public page (or its JSON).
pub(super) async fn certificate_page(
    State(s): State<AppState>,
    h: HeaderMap,
    uri: Uri,
    LenientQuery(q): LenientQuery<LangParam>,
    Path(number): Path<String>,
) -> Response {
    let c = match ctx(&q, &h, &uri) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let cert = match s.store.certificate(&number).await {
        Ok(Some(cert)) => cert,
        Ok(None) => {
            let e = crate::error::ApiError::from(suyuan_store::StoreError::NotFound { what: "certificate" });
            if wants_json(&h) {
                return e.into_response();
            }
            let body = format!(
                "<h1>{}</h1><p>{}</p>",
                esc(c.lang.pick("未找到合格证", "Certificate not found")),
                esc(c.lang.pick(
                    "平台上没有这个编号的合格证，请核对。",
                    "No certificate with this number is on the platform."
                )),
            );
            return (StatusCode::NOT_FOUND, Html(page(&c, "合格证", &body))).into_response();
        }
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    if wants_json(&h) {
        return Json(cert).into_response();
    }
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p><small>{}</small></p>",
        esc(c
            .lang
            .pick("承诺达标合格证", "Certificate of commitment to conformity")),
        esc(&cert.number)
    );
    if cert.is_valid() {
        let _ = write!(b, "<p class=\"ok\">✔ {}</p>", esc(c.lang.pick("有效", "Valid")));
    } else {
        let _ = write!(
            b,
            "<p class=\"warn\"><span class=\"bad\">{}</span><br>{}</p>",
            esc(c.lang.pick("已作废", "Void")),
            esc(cert.void_reason.as_deref().unwrap_or(""))
        );
    }
    let style = cert.style();
    let (party_zh, party_en) = style.party();
    let unit = suyuan_core::model::QuantityUnit::parse(&cert.unit)
        .map_or(cert.unit.clone(), |u| c.lang.pick(u.zh(), u.en()).to_owned());
    let basis = CertificateBasis::parse(&cert.basis).map_or("", |b| c.lang.pick(b.zh(), b.en()));
    b.push_str("<div class=\"card\"><dl>");
    for (k, v) in [
        (c.lang.pick("产品名称", "Product"), cert.product_name.clone()),
        (
            c.lang.pick("数量（重量）", "Quantity"),
            format!("{} {unit}", cert.quantity),
        ),
        (c.lang.pick("产地", "Origin"), cert.origin.clone()),
        (c.lang.pick(party_zh, party_en), cert.committer_name.clone()),
        (
            c.lang.pick("统一社会信用代码", "Credit code"),
            cert.committer_code.clone(),
        ),
        (c.lang.pick("联系方式", "Contact"), cert.committer_contact.clone()),
        (c.lang.pick("开具日期", "Issued on"), cert.issue_date.clone()),
        (c.lang.pick("承诺依据", "Basis"), basis.to_owned()),
    ] {
        let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    b.push_str("</dl></div><div class=\"card\"><h2>");
    b.push_str(&esc(c.lang.pick("承诺", "Commitment")));
    b.push_str("</h2><ul>");
    for (zh, en) in style.commitment() {
        let _ = write!(b, "<li>{}</li>", esc(c.lang.pick(zh, en)));
    }
    b.push_str("</ul></div>");
    if !cert.parents.is_empty() {
        let _ = write!(
            b,
            "<div class=\"card\"><h2>{}</h2><ul>",
            esc(c.lang.pick("来源合格证", "Certificates of its sources"))
        );
        for p in &cert.parents {
            let _ = write!(
                b,
                "<li><a href=\"/c/{p}?lang={}\">{p}</a></li>",
                c.lang.param(),
                p = esc(p)
            );
        }
        b.push_str("</ul></div>");
    }
    if cert.subject_kind == "lot" {
        let path = cert
            .subject
            .strip_prefix(suyuan_store::trace::CANONICAL_DOMAIN)
            .unwrap_or(&cert.subject);
        let _ = write!(
            b,
            "<p><a href=\"{}?lang={}\">{}</a></p>",
            esc(path),
            c.lang.param(),
            esc(c.lang.pick("查看该批次的全程追溯", "See this lot's trace"))
        );
    }
    Html(page(&c, c.lang.pick("承诺达标合格证", "Certificate"), &b)).into_response()
}
