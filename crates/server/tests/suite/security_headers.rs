//! Security headers on every kind of response: the
//! public trace pages, the complaint form, the console (signed out and in),
//! the docs, an API problem. Every `<style>` block a page carries is
//! allowed by its SHA-256 in the Content-Security-Policy, no page carries a
//! script or a `style=` attribute, and HSTS is sent only over HTTPS.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request};
use base64::Engine as _;
use sha2::{Digest, Sha256};

fn style_blocks(html: &str) -> Vec<&str> {
    html.split("<style>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</style>").map(|(css, _)| css))
        .collect()
}

both_backends!(every_response_carries_the_security_headers, |app| async move {
    let session = app.operator_token().await;
    let pages = [
        ("/", None),
        ("/trace", None),
        ("/01/09520000000011/21/NOPE", None),
        ("/complaints/new?code=(01)09520000000011(21)NOPE", None),
        ("/api/docs", None),
        ("/docs/records", None),
        ("/console/login", None),
        ("/console/", Some(&session)),
        ("/api/v1/no-such-thing", None),
        ("/api/openapi.json", None),
    ];
    let mut styled = 0;
    for (path, cookie) in pages {
        let mut req = Request::builder().uri(path);
        if let Some(token) = cookie {
            req = req.header(header::COOKIE, format!("suyuan_session={token}"));
        }
        let (status, headers, body) = app.send_raw(req.body(Body::empty()).unwrap()).await;
        let h = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let csp = h("content-security-policy");
        for rule in [
            "default-src 'self'",
            "script-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(rule), "{path}: {rule} not in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("strict-transport-security"), "", "{path}: HSTS over plain HTTP");
        let html = String::from_utf8_lossy(&body);
        if h("content-type").starts_with("text/html") {
            let blocks = style_blocks(&html);
            assert!(!blocks.is_empty(), "{path} ({status}) has no style");
            for css in blocks {
                let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
                assert!(
                    csp.contains(&format!("'sha256-{hash}'")),
                    "{path}: its style is not allowed by {csp}"
                );
                styled += 1;
            }
            assert!(!html.contains("<script"), "{path} carries a script");
            assert!(!html.contains(" style=\""), "{path} carries a style attribute");
        }
    }
    assert!(styled >= 7, "{styled} styled pages");
});
