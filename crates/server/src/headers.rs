//! Security headers on every response: a strict
//! Content-Security-Policy, `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy`, `X-Frame-Options: DENY`, and over HTTPS
//! `Strict-Transport-Security`.
//!
//! The pages run no script at all (`script-src 'none'`). Their styles are
//! inline `<style>` blocks built from constant strings; each is allowed by
//! its SHA-256, computed once from the very constants the pages use
//! ([`style_sources`]), so an injected `<style>` or `style=` attribute is
//! not applied.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::AppState;

/// HSTS over HTTPS: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The full text of every `<style>` block a page may carry.
pub fn style_sources() -> Vec<String> {
    use crate::{complaint_page, console, docs, docs_page, public, records_doc};
    vec![
        public::STYLE.to_owned(),
        format!("{}{}", public::STYLE, complaint_page::FORM_STYLE),
        docs::STYLE.to_owned(),
        format!("{}{}", docs::STYLE, docs_page::TABLES),
        format!("{}{}", docs::STYLE, records_doc::PAGE_STYLE),
        console::STYLE.to_owned(),
    ]
}

/// A CSP source allowing one inline block: `'sha256-…'`.
pub fn hash_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The Content-Security-Policy of every response.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let styles: Vec<String> = style_sources().iter().map(|s| hash_source(s)).collect();
        format!(
            "default-src 'self'; script-src 'none'; style-src {}; img-src 'self'; object-src 'none'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            styles.join(" ")
        )
    })
}

/// Adds the security headers a handler did not set itself.
pub async fn add(State(state): State<AppState>, mut res: Response) -> Response {
    let h = res.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, content_security_policy());
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    if state.config.https {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    res
}
