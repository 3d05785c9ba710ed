//! Rules of intrusion detection that need no state: whether a request's
//! path and query look like an injection probe, and the kinds of attack the
//! server classifies. Counting and blocking live in the server
//! (`suyuan_server::defence`).

/// A kind of attack the server recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attack {
    /// Many distinct accounts failing to sign in from one client.
    CredentialStuffing,
    /// A burst of 404s from one client.
    PathScanning,
    /// SQL, script or path-traversal patterns in a path or query.
    InjectionProbe,
    /// A burst of malformed requests (400, 413, 415, 422) from one client.
    MalformedFlood,
}

impl Attack {
    pub const ALL: [Attack; 4] = [
        Attack::CredentialStuffing,
        Attack::PathScanning,
        Attack::InjectionProbe,
        Attack::MalformedFlood,
    ];

    /// The stable code (audit action `detect.<code>`, block reason).
    pub fn code(self) -> &'static str {
        match self {
            Attack::CredentialStuffing => "credential_stuffing",
            Attack::PathScanning => "path_scanning",
            Attack::InjectionProbe => "injection_probe",
            Attack::MalformedFlood => "malformed_flood",
        }
    }

    pub fn from_code(code: &str) -> Option<Attack> {
        Attack::ALL.into_iter().find(|a| a.code() == code)
    }

    /// Chinese name, for the console.
    pub fn zh(self) -> &'static str {
        match self {
            Attack::CredentialStuffing => "撞库（多账户登录失败）",
            Attack::PathScanning => "路径扫描",
            Attack::InjectionProbe => "注入探测",
            Attack::MalformedFlood => "畸形请求洪泛",
        }
    }
}

/// The family of an injection pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Sql,
    Script,
    Traversal,
}

const SQL: &[&str] = &[
    "' or ",
    "'or'",
    "\" or ",
    " or 1=1",
    "'1'='1",
    "union select",
    "union all select",
    "information_schema",
    "pg_sleep(",
    "sleep(",
    "benchmark(",
    "waitfor delay",
    "xp_cmdshell",
    "';--",
    "' --",
    "'; drop ",
    "; drop table",
];
const SCRIPT: &[&str] = &[
    "<script",
    "javascript:",
    "onerror=",
    "onload=",
    "<svg/onload",
    "<img src",
    "<iframe",
    "alert(",
    "document.cookie",
];
const TRAVERSAL: &[&str] = &[
    "../",
    "..\\",
    "/etc/passwd",
    "/etc/shadow",
    "win.ini",
    "/proc/self",
    "%00",
    "\0",
];

/// Whether `path` and `query` (as sent, percent-encoded or not) carry an
/// injection pattern, and of which family. Decoded twice (a doubly encoded
/// `%252e%252e%252f` is a traversal too) and compared in lower case.
pub fn probe(path: &str, query: &str) -> Option<ProbeKind> {
    let raw = format!("{path}?{query}");
    let once = percent_decode(&raw.replace('+', " "));
    let twice = percent_decode(&once);
    for text in [&raw, &once, &twice] {
        let lower = text.to_ascii_lowercase();
        for (kind, patterns) in [
            (ProbeKind::Traversal, TRAVERSAL),
            (ProbeKind::Script, SCRIPT),
            (ProbeKind::Sql, SQL),
        ] {
            if patterns.iter().any(|p| lower.contains(p)) {
                return Some(kind);
            }
        }
    }
    None
}

/// `%XX` sequences decoded (invalid ones kept as they are); bytes that do
/// not form UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_recognised_and_plain_requests_are_not() {
        assert_eq!(probe("/t/x", "q=1%27%20OR%201=1"), Some(ProbeKind::Sql));
        assert_eq!(
            probe("/api/v1/products", "name=a' union select password from users"),
            Some(ProbeKind::Sql)
        );
        assert_eq!(
            probe("/t/%3Cscript%3Ealert(1)%3C/script%3E", ""),
            Some(ProbeKind::Script)
        );
        assert_eq!(
            probe("/static/..%2f..%2fetc/passwd", ""),
            Some(ProbeKind::Traversal)
        );
        assert_eq!(probe("/x/%252e%252e%252fetc", ""), Some(ProbeKind::Traversal));
        assert_eq!(probe("/01/06901234567892/10/L2025-05", "lang=en"), None);
        assert_eq!(
            probe(
                "/api/v1/products",
                "limit=50&after=0190c6a8-0000-7000-8000-000000000000"
            ),
            None
        );
        assert_eq!(
            probe("/console/search", "code=%E7%95%AA%E8%8C%84%20or%20tomato"),
            None
        );
    }

    #[test]
    fn codes_round_trip() {
        for a in Attack::ALL {
            assert_eq!(Attack::from_code(a.code()), Some(a));
        }
    }
}
