//! Cross-site request forgery defence for requests the browser's session
//! cookie authenticates.
//!
//! A cookie travels with every request the browser sends to this site, also
//! those another site's page makes it send (a form posted to us). So a
//! state-changing request (any method but GET, HEAD and OPTIONS)
//! authenticated by the session cookie must carry both
//! - a **synchronizer token**, in header [`CSRF_HEADER`] (or, for the future
//!   web console's HTML forms, a form field checked with [`check`]): the hex
//!   of SHA-256 over a domain-separation prefix and the session token
//!   ([`token_for`]). Another site can neither read the HttpOnly cookie nor
//!   the login response, so it cannot compute it. It needs no server state,
//!   so several servers on one database agree on it, and it ends with the
//!   session;
//! - a **same-origin** `Origin` header (or, when the browser sent none, a
//!   `Referer` of the same origin): the scheme, host and port of
//!   `ServerConfig::public_url`, or the request's own `Host` with the scheme
//!   of `public_url`.
//!
//! Requests with `Authorization: Bearer …` need neither: a browser never adds
//! that header to a request another site makes it send.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::ServerConfig;

/// The request header carrying the CSRF token.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Separates these hashes from any other SHA-256 of a session token.
const DOMAIN: &[u8] = b"suyuan-csrf-token/v1\n";

/// The CSRF token of a session: what the login response gives as
/// `csrf_token`, and what a page embeds in its forms.
pub fn token_for(session_secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(session_secret.as_bytes());
    hex::encode(h.finalize())
}

/// Whether `presented` is the CSRF token of this session (compared in
/// constant time).
pub fn check(session_secret: &str, presented: &str) -> bool {
    constant_time_eq(token_for(session_secret).as_bytes(), presented.trim().as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length of a token is public (64 hex digits).
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// GET, HEAD and OPTIONS change nothing; every other method may.
pub fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks a state-changing request authenticated by the session cookie
/// `session_secret`: same origin first, then the token. Safe methods pass.
pub fn check_cookie_request(
    parts: &Parts,
    config: &ServerConfig,
    session_secret: &str,
) -> Result<(), ApiError> {
    if is_safe_method(&parts.method) {
        return Ok(());
    }
    check_same_origin(&parts.headers, config)?;
    let presented = parts.headers.get(CSRF_HEADER).map(|v| v.to_str().unwrap_or(""));
    match presented {
        None => Err(forbidden(
            "csrf_token_missing",
            CSRF_HEADER,
            format!(
                "a request signed in with the session cookie must send the csrf_token of the login response \
                 in the {CSRF_HEADER} header (or authenticate with Authorization: Bearer)"
            ),
            format!("使用会话 Cookie 的修改请求须在 {CSRF_HEADER} 头中携带登录响应中的 csrf_token（或改用 Authorization: Bearer）"),
        )),
        Some(token) if check(session_secret, token) => Ok(()),
        Some(_) => Err(forbidden(
            "csrf_token_invalid",
            CSRF_HEADER,
            format!("{CSRF_HEADER} is not the CSRF token of this session"),
            format!("{CSRF_HEADER} 与当前会话的 CSRF 令牌不符"),
        )),
    }
}

/// The request comes from a page of this site: its `Origin` (or, without
/// one, its `Referer`) is `public_url`'s origin or that of its own `Host`.
pub fn check_same_origin(headers: &HeaderMap, config: &ServerConfig) -> Result<(), ApiError> {
    let (name, value) = match headers.get(header::ORIGIN) {
        Some(v) => ("Origin", v),
        None => match headers.get(header::REFERER) {
            Some(v) => ("Referer", v),
            None => return Err(forbidden(
                "origin_missing",
                "Origin",
                "a request signed in with the session cookie must come with an Origin (or Referer) header \
                     of this site"
                    .into(),
                "使用会话 Cookie 的修改请求须带有本站的 Origin（或 Referer）头".into(),
            )),
        },
    };
    let claimed = value.to_str().ok().and_then(origin_of);
    let allowed = allowed_origins(headers, config);
    match claimed {
        Some(origin) if allowed.contains(&origin) => Ok(()),
        _ => Err(forbidden(
            "origin_mismatch",
            name,
            format!("{name}: the request does not come from a page of this site"),
            format!("{name}：请求并非来自本站页面"),
        )),
    }
}

/// The origins a page of this site has: `public_url`'s, and that of the
/// request's own `Host` with `public_url`'s scheme.
fn allowed_origins(headers: &HeaderMap, config: &ServerConfig) -> Vec<String> {
    let mut allowed = Vec::with_capacity(2);
    if let Some(o) = origin_of(&config.public_url) {
        allowed.push(o);
    }
    let scheme = config.public_url.split_once("://").map_or("http", |(s, _)| s);
    if let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) {
        if let Some(o) = origin_of(&format!("{scheme}://{host}")) {
            allowed.push(o);
        }
    }
    allowed
}

/// The origin (`scheme://host[:port]`, lower case, without the scheme's
/// default port) of an absolute http(s) URL; `None` for anything else
/// (`null`, a relative reference, another scheme).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Whatever precedes the last `@` is user information, not the host.
    let host_port = authority.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (addr, after) = v6.split_once(']')?;
        (format!("[{addr}]"), after.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (host_port.clone(), None),
        }
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '\\') {
        return None;
    }
    match port {
        None | Some("") => Some(format!("{scheme}://{host}")),
        Some(p) if p == default_port => Some(format!("{scheme}://{host}")),
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(format!("{scheme}://{host}:{p}")),
        Some(_) => None,
    }
}

fn forbidden(code: &str, field: &str, en: String, zh: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, en, zh).with_field(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_session_and_checked_exactly() {
        let t = token_for("sys_abc");
        assert_eq!(t.len(), 64);
        assert!(check("sys_abc", &t));
        assert!(check("sys_abc", &format!(" {t} ")));
        assert!(!check("sys_abd", &t));
        assert!(!check("sys_abc", &t[..63]));
        assert!(!check("sys_abc", ""));
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Trace.Example.cn/01/x?y#z").as_deref(),
            Some("https://trace.example.cn")
        );
        assert_eq!(
            origin_of("https://trace.example.cn:443").as_deref(),
            Some("https://trace.example.cn")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("http://[::1]:80/").as_deref(), Some("http://[::1]"));
        assert_eq!(
            origin_of("https://trace.example.cn@evil.example/").as_deref(),
            Some("https://evil.example")
        );
        for bad in [
            "null",
            "/relative",
            "ftp://x",
            "https://",
            "https://x:abc",
            "https://a b",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }
}
