//! Alert webhooks (issue 18, R-5.3.2.1): the rules an organisation's
//! webhook and each delivery to it obey. Pure: no I/O.
//!
//! - **The URL** ([`check_url`]): `http://` or `https://` only, a host, no
//!   user name or password, no fragment, at most 2,000 characters. A host
//!   that is an IP address must be public ([`is_public`]) and `localhost`
//!   is refused, unless the server allows private targets (a test or an
//!   intranet set-up); names are resolved and checked again at each
//!   delivery, and the connection goes to the address that was checked, so
//!   a name that later resolves to a private address is refused too (SSRF).
//! - **The signature** ([`sign`], [`verify`]): each delivery carries
//!   `Suyuan-Webhook-Id` (the delivery's id, the same on every retry: the
//!   receiver keeps each id once), `Suyuan-Webhook-Timestamp` (Unix seconds
//!   of this attempt) and `Suyuan-Webhook-Signature: v1=<hex>`, the
//!   HMAC-SHA256 with the organisation's webhook secret over
//!   `<timestamp>.<body>`. The receiver recomputes it over the bytes it
//!   received and refuses a timestamp more than [`TOLERANCE_SECS`] from its
//!   clock (a replayed delivery).
//! - **Back-off** ([`backoff_ms`]): after the n-th failed attempt the next
//!   is `base · 2^(n-1)` later, at most `cap`; deliveries are retried until
//!   the receiver takes them (a 2xx answer), never dropped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::devices::sign_hmac;
use crate::Invalid;

/// The header naming the delivery (the same on every retry).
pub const ID_HEADER: &str = "Suyuan-Webhook-Id";
/// The header with the attempt's time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "Suyuan-Webhook-Timestamp";
/// The header with the signature, `v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Suyuan-Webhook-Signature";
/// How far a delivery's timestamp may lie from the receiver's clock.
pub const TOLERANCE_SECS: i64 = 300;
/// The prefix of a webhook secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// The longest URL accepted.
pub const MAX_URL: usize = 2000;

/// A checked webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    pub https: bool,
    /// The host as written (an IPv6 address without brackets).
    pub host: String,
    pub port: u16,
    /// The path and query, at least `/`.
    pub path: String,
}

impl WebhookUrl {
    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// `host:port` for the `Host` header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn bad_url(code: &'static str, en: &str, zh: &str) -> Invalid {
    Invalid::new(code, format!("url: {en}"), format!("url：{zh}"))
}

/// Checks a webhook URL; `allow_private` lets a host be a loopback or
/// private address (off in production).
pub fn check_url(text: &str, allow_private: bool) -> Result<WebhookUrl, Invalid> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_URL {
        return Err(bad_url(
            "webhook_url",
            "a URL of 1 to 2000 characters",
            "应为 1 至 2000 个字符的网址",
        ));
    }
    let lower = text.to_ascii_lowercase();
    let (https, rest) = if lower.starts_with("https://") {
        (true, &text[8..])
    } else if lower.starts_with("http://") {
        (false, &text[7..])
    } else {
        return Err(bad_url(
            "webhook_url_scheme",
            "only http:// and https:// URLs receive webhooks",
            "只接受 http:// 或 https:// 网址",
        ));
    };
    if text.contains('#') || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad_url(
            "webhook_url",
            "no fragment, spaces or control characters",
            "不能含片段、空格或控制字符",
        ));
    }
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return Err(bad_url(
            "webhook_url",
            "no user name or password in the URL (the signature authenticates)",
            "网址中不能含用户名或密码（以签名认证）",
        ));
    }
    let (host, port) = split_host_port(authority, if https { 443 } else { 80 }).ok_or_else(|| {
        bad_url(
            "webhook_url",
            "a host and an optional port",
            "应有主机名及可选端口",
        )
    })?;
    let url = WebhookUrl {
        https,
        host: host.to_ascii_lowercase(),
        port,
        path: match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        },
    };
    if !allow_private {
        let private = match url.ip() {
            Some(ip) => !is_public(ip),
            None => url.host == "localhost" || url.host.ends_with(".localhost"),
        };
        if private {
            return Err(bad_url(
                "webhook_url_private",
                "a loopback, private or reserved address is not a webhook target",
                "回环、内网或保留地址不能作为推送地址",
            ));
        }
    }
    Ok(url)
}

fn split_host_port(authority: &str, default: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        h.parse::<Ipv6Addr>().ok()?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !valid_host {
        return None;
    }
    let port = match port {
        None => default,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0)?,
    };
    Some((host.to_owned(), port))
}

/// Whether `ip` is an address on the public internet: not loopback,
/// private (RFC 1918, unique local), link-local, shared (CGNAT),
/// unspecified, broadcast, multicast, documentation or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 (an IPv4 inside)
                || s[..6] == [0; 6]) // IPv4-compatible, deprecated
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space (CGNAT)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
        || o[0] >= 240) // reserved
}

/// The signature header's value for `body` sent at `timestamp` (Unix
/// seconds): `v1=` and the hex HMAC-SHA256 over `<timestamp>.<body>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1={}",
        sign_hmac(secret.as_bytes(), &signed_bytes(timestamp, body))
    )
}

fn signed_bytes(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    signed
}

/// What a receiver checks: the timestamp within [`TOLERANCE_SECS`] of its
/// clock `now` (Unix seconds) and one of the `v1=` signatures in the header
/// (comma-separated) matching, compared in constant time.
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > TOLERANCE_SECS {
        return false;
    }
    let signed = signed_bytes(ts, body);
    signature
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .any(|mac| crate::devices::verify_hmac(secret.as_bytes(), &signed, mac))
}

/// How long after the `attempts`-th failed attempt the next one is made:
/// `base_ms · 2^(attempts-1)`, at most `cap_ms`.
pub fn backoff_ms(attempts: u32, base_ms: i64, cap_ms: i64) -> i64 {
    let doublings = attempts.saturating_sub(1).min(40);
    base_ms.saturating_mul(1_i64 << doublings).min(cap_ms).max(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https_and_public() {
        let u = check_url("https://hooks.example.cn/suyuan?x=1", false).unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.path.as_str()),
            (true, "hooks.example.cn", 443, "/suyuan?x=1")
        );
        let u = check_url("http://203.0.113.9:8080", true).unwrap();
        assert_eq!((u.port, u.path.as_str()), (8080, "/"));
        for (url, code) in [
            ("ftp://example.cn/x", "webhook_url_scheme"),
            ("file:///etc/passwd", "webhook_url_scheme"),
            ("gopher://example.cn", "webhook_url_scheme"),
            ("https://user:pw@example.cn/", "webhook_url"),
            ("https://example.cn/#x", "webhook_url"),
            ("https://", "webhook_url"),
            ("https://exa mple.cn", "webhook_url"),
            ("http://example.cn:0/", "webhook_url"),
            ("http://127.0.0.1:9000/", "webhook_url_private"),
            ("http://localhost/", "webhook_url_private"),
            ("http://10.1.2.3/", "webhook_url_private"),
            ("http://192.168.1.1/", "webhook_url_private"),
            ("http://169.254.169.254/latest/meta-data", "webhook_url_private"),
            ("http://100.64.0.1/", "webhook_url_private"),
            ("http://[::1]:8080/", "webhook_url_private"),
            ("http://[fd00::1]/", "webhook_url_private"),
            ("http://[::ffff:127.0.0.1]/", "webhook_url_private"),
            ("http://0.0.0.0/", "webhook_url_private"),
        ] {
            assert_eq!(check_url(url, false).unwrap_err().code, code, "{url}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("http://[::1]:8080/", true).is_ok());
        assert!(is_public("8.8.8.8".parse().unwrap()));
        assert!(is_public("2400:3200::1".parse().unwrap()));
    }

    #[test]
    fn signatures_verify_within_the_tolerance() {
        let body = br#"{"event":"alert.raised"}"#;
        let sig = sign("whsec_x", 1_780_000_000, body);
        assert!(sig.starts_with("v1="));
        assert!(verify("whsec_x", "1780000000", &sig, body, 1_780_000_100));
        assert!(verify(
            "whsec_x",
            "1780000000",
            &format!("v1=00, {sig}"),
            body,
            1_780_000_000
        ));
        assert!(!verify("whsec_y", "1780000000", &sig, body, 1_780_000_000));
        assert!(!verify("whsec_x", "1780000001", &sig, body, 1_780_000_000));
        assert!(!verify("whsec_x", "1780000000", &sig, b"{}", 1_780_000_000));
        // A replay later than the tolerance.
        assert!(!verify(
            "whsec_x",
            "1780000000",
            &sig,
            body,
            1_780_000_000 + TOLERANCE_SECS + 1
        ));
    }

    #[test]
    fn back_off_doubles_up_to_its_cap() {
        let b: Vec<i64> = (1..=6).map(|n| backoff_ms(n, 1000, 10_000)).collect();
        assert_eq!(b, [1000, 2000, 4000, 8000, 10_000, 10_000]);
        assert_eq!(backoff_ms(200, 1000, 3_600_000), 3_600_000);
    }
}
