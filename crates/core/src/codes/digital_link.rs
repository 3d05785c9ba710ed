//! GS1 Digital Link URIs: what the consumer QR code on a package holds.
//!
//! ```text
//! https://{domain}/01/{GTIN-14}[/22/{cpv}][/10/{lot}][/21/{serial}][?{AI}={value}&...]
//! https://{domain}/00/{SSCC}[?...]
//! https://{domain}/414/{GLN}[/254/{extension}][?...]
//! https://{domain}/417/{GLN}[?...]
//! ```
//!
//! * The primary key and its qualifiers form the path, qualifiers in the fixed
//!   order shown; a GTIN is always written with 14 digits.
//! * Every other AI (dates, 7007, 422, weights, 99, ...) is a data attribute
//!   in the query string, sorted by AI.
//! * Values are percent-encoded: everything but `A-Z a-z 0-9 - . _ ~` becomes
//!   `%XX` with upper-case hex (`/` is `%2F`, `+` is `%2B`).
//! * Only the uncompressed form is written or read: GS1's own compressed-form
//!   prototype is known to lose leading zeros of numeric serials.
//!
//! [`parse_digital_link`] accepts any domain and any path prefix before the
//! primary key (`https://x.cn/trace/01/...`), a GTIN of 8, 12, 13 or 14 digits
//! (normalised to 14), lower-case hex escapes, a trailing slash and a
//! fragment; it ignores query keys that are not all digits (`linkType`, UTM
//! tags). A `+` is a plus sign, never a space (a space is not a valid GS1
//! character anyway).
//!
//! Error codes: `digital_link_scheme`, `digital_link_domain`,
//! `digital_link_no_primary_key`, `digital_link_path`,
//! `digital_link_qualifier_order`, `digital_link_query_key`,
//! `digital_link_percent`, and the codes of [`ElementString`] and of the GS1
//! keys (`gtin_check_digit`, ...) for the values.

use crate::codes::element_string::{Ai, ElementString};
use crate::codes::gs1::Gtin;
use crate::error::Invalid;

/// A primary key AI with its qualifiers in their fixed order.
struct KeyPath {
    key: Ai,
    qualifiers: &'static [Ai],
}

/// The primary keys written in a Digital Link path, in order of preference
/// when an element string holds more than one.
const KEY_PATHS: [KeyPath; 4] = [
    KeyPath {
        key: Ai::GTIN,
        qualifiers: &[Ai::CPV, Ai::BATCH, Ai::SERIAL],
    },
    KeyPath {
        key: Ai::SSCC,
        qualifiers: &[],
    },
    KeyPath {
        key: Ai::LOCATION,
        qualifiers: &[Ai::GLN_EXTENSION],
    },
    KeyPath {
        key: Ai::PARTY,
        qualifiers: &[],
    },
];

fn key_path_for(code: &str) -> Option<&'static KeyPath> {
    KEY_PATHS.iter().find(|k| k.key.code() == code)
}

/// Percent-encodes everything but the URI unreserved characters
/// `A-Z a-z 0-9 - . _ ~`, with upper-case hex.
pub fn percent_encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes `%XX` escapes (either case of hex). The result must be UTF-8.
///
/// Errors: `digital_link_percent`.
pub fn percent_decode(value: &str) -> Result<String, Invalid> {
    let b = value.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).and_then(|c| char::from(*c).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    // Two hex digits make at most 255.
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                _ => {
                    let bad: String = value[i..].chars().take(3).collect();
                    return Err(Invalid::new(
                        "digital_link_percent",
                        format!(
                            "'{}' is not a valid percent escape (% and two hex digits).",
                            bad.escape_debug()
                        ),
                        format!(
                            "“{}”不是有效的百分号编码（% 后跟两位十六进制数字）。",
                            bad.escape_debug()
                        ),
                    ));
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        Invalid::new(
            "digital_link_percent",
            format!(
                "'{}' decodes to bytes that are not UTF-8 text.",
                value.escape_debug()
            ),
            format!("“{}”解码后不是 UTF-8 文本。", value.escape_debug()),
        )
    })
}

fn domain_error(domain: &str) -> Invalid {
    Invalid::new(
        "digital_link_domain",
        format!(
            "'{}' is not a usable Digital Link domain: give a host name such as trace.example.cn, \
             optionally with https:// and a path prefix.",
            domain.escape_debug()
        ),
        format!(
            "“{}”不是可用的数字链接域名：应为 trace.example.cn 这样的主机名，可带 https:// 和路径前缀。",
            domain.escape_debug()
        ),
    )
}

/// Splits off a leading `https://` or `http://` (any case).
fn split_scheme(s: &str) -> Option<(&'static str, &str)> {
    for scheme in ["https://", "http://"] {
        if let Some(head) = s.get(..scheme.len()) {
            if head.eq_ignore_ascii_case(scheme) {
                return Some((scheme, &s[scheme.len()..]));
            }
        }
    }
    None
}

/// `https://host[/prefix]` without a trailing slash.
fn normalise_base(domain_base: &str) -> Result<String, Invalid> {
    let t = domain_base.trim();
    let (scheme, rest) = split_scheme(t).unwrap_or(("https://", t));
    let rest = rest.trim_end_matches('/');
    let usable = !rest.is_empty()
        && !rest.starts_with('/')
        && rest
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#'));
    if !usable {
        return Err(domain_error(domain_base));
    }
    Ok(format!("{scheme}{rest}"))
}

/// The Digital Link URI of an element string, under `domain_base`
/// (`trace.example.cn`, or with a scheme and path prefix:
/// `https://x.cn/trace`). The primary key is the first of 01, 00, 414, 417
/// present.
///
/// Errors: `digital_link_domain`, `digital_link_no_primary_key`.
pub fn to_digital_link(domain_base: &str, es: &ElementString) -> Result<String, Invalid> {
    let mut out = normalise_base(domain_base)?;
    let (path, value) = KEY_PATHS
        .iter()
        .find_map(|k| es.get(k.key).map(|v| (k, v)))
        .ok_or_else(|| {
            Invalid::new(
                "digital_link_no_primary_key",
                "A Digital Link needs a primary key: a GTIN (01), SSCC (00) or GLN (414 or 417).",
                "数字链接需要一个主键：GTIN (01)、SSCC (00) 或全球位置码 (414 或 417)。",
            )
        })?;
    let mut push_segment = |ai: Ai, v: &str| {
        out.push('/');
        out.push_str(ai.code());
        out.push('/');
        out.push_str(&percent_encode(v));
    };
    push_segment(path.key, value);
    for q in path.qualifiers {
        if let Some(v) = es.get(*q) {
            push_segment(*q, v);
        }
    }
    let mut attributes: Vec<&(Ai, String)> = es
        .pairs()
        .iter()
        .filter(|(ai, _)| *ai != path.key && !path.qualifiers.contains(ai))
        .collect();
    attributes.sort_by_key(|(ai, _)| *ai);
    for (i, (ai, v)) in attributes.into_iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(ai.code());
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    Ok(out)
}

/// Checks that `segs` (starting at a primary key AI) is the key, its value
/// and qualifier/value pairs in the fixed order.
fn check_key_path(segs: &[&str], path: &KeyPath) -> Result<(), Invalid> {
    if segs.len() % 2 == 1 {
        let last = segs.last().copied().unwrap_or_default();
        return Err(Invalid::new(
            "digital_link_path",
            format!(
                "The Digital Link path after /{}/ is AI/value pairs, but '{}' has no value.",
                path.key.code(),
                last.escape_debug()
            ),
            format!(
                "数字链接路径在 /{}/ 之后应为“AI/取值”成对出现，但“{}”没有取值。",
                path.key.code(),
                last.escape_debug()
            ),
        ));
    }
    let mut next = 0;
    for pair in segs[2..].chunks(2) {
        let seg = pair[0];
        match path.qualifiers.iter().position(|q| q.code() == seg) {
            Some(p) if p >= next => next = p + 1,
            Some(_) => {
                let order = path
                    .qualifiers
                    .iter()
                    .map(|q| q.code())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Invalid::new(
                    "digital_link_qualifier_order",
                    format!(
                        "In a Digital Link the qualifiers of /{}/ come in the order {order}, each at most once, \
                         but /{seg}/ is out of place.",
                        path.key.code()
                    ),
                    format!(
                        "数字链接中 /{}/ 的限定符须按 {order} 的顺序出现且各至多一次，但 /{seg}/ 位置不对。",
                        path.key.code()
                    ),
                ));
            }
            None => {
                let allowed = if path.qualifiers.is_empty() {
                    "none".to_owned()
                } else {
                    path.qualifiers
                        .iter()
                        .map(|q| q.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let allowed_zh = if path.qualifiers.is_empty() {
                    "无".to_owned()
                } else {
                    allowed.clone()
                };
                return Err(Invalid::new(
                    "digital_link_path",
                    format!(
                        "'{}' cannot follow /{}/ in a Digital Link path (allowed qualifiers: {allowed}); \
                         data attributes go in the query string.",
                        seg.escape_debug(),
                        path.key.code()
                    ),
                    format!(
                        "数字链接路径中 /{}/ 之后不能出现“{}”（允许的限定符：{allowed_zh}）；数据属性应放在查询字符串中。",
                        path.key.code(),
                        seg.escape_debug()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Reads a Digital Link URI back into an element string (which is then
/// checked for GS1's mandatory associations).
///
/// Errors: see the module documentation.
pub fn parse_digital_link(uri: &str) -> Result<ElementString, Invalid> {
    let t = uri.trim();
    let Some((_, rest)) = split_scheme(t) else {
        return Err(Invalid::new(
            "digital_link_scheme",
            "A GS1 Digital Link starts with https:// (or http://).",
            "GS1 数字链接应以 https://（或 http://）开头。",
        ));
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = before_query.split_at(before_query.find('/').unwrap_or(before_query.len()));
    if authority.is_empty() || !authority.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(domain_error(authority));
    }
    let mut segs: Vec<&str> = path.split('/').skip(1).collect();
    if segs.last() == Some(&"") {
        segs.pop();
    }

    // The key path is the tail of the path that starts at a primary key AI;
    // take the first such tail that is well formed.
    let mut first_error = None;
    let mut chosen = None;
    for i in 0..segs.len() {
        let Some(kp) = key_path_for(segs[i]) else {
            continue;
        };
        match check_key_path(&segs[i..], kp) {
            Ok(()) => {
                chosen = Some((i, kp));
                break;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some((start, kp)) = chosen else {
        return Err(first_error.unwrap_or_else(|| {
            Invalid::new(
                "digital_link_no_primary_key",
                "The URI has no GS1 primary key in its path (/01/ GTIN, /00/ SSCC, /414/ or /417/ GLN).",
                "该 URI 的路径中没有 GS1 主键（/01/ GTIN、/00/ SSCC、/414/ 或 /417/ 全球位置码）。",
            )
        }));
    };

    let mut es = ElementString::new();
    for pair in segs[start..].chunks(2) {
        let Some(ai) = Ai::from_code(pair[0]) else {
            continue; // cannot happen: check_key_path accepted it
        };
        let value = percent_decode(pair[1])?;
        if ai == Ai::GTIN {
            let gtin = Gtin::parse(&value).map_err(|e| {
                Invalid::new(
                    e.code,
                    format!("AI (01) GTIN: {}", e.en),
                    format!("AI (01) GTIN：{}", e.zh),
                )
            })?;
            es.push(ai, gtin.as_str())?;
        } else {
            es.push(ai, &value)?;
        }
    }

    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
            continue; // not an AI: linkType, utm_source, ...
        }
        let Some(ai) = Ai::from_code(key) else {
            return Err(Invalid::new(
                "element_string_unknown_ai",
                format!("Query key '{key}' is not a GS1 application identifier this system knows."),
                format!("查询参数“{key}”不是本系统支持的 GS1 应用标识符。"),
            ));
        };
        if ai == kp.key || kp.qualifiers.contains(&ai) {
            return Err(Invalid::new(
                "digital_link_query_key",
                format!("AI ({key}) belongs in the path of this Digital Link, not in its query string."),
                format!("AI ({key}) 应出现在该数字链接的路径中，而不是查询字符串中。"),
            ));
        }
        es.push(ai, &percent_decode(value)?)?;
    }
    es.check_associations()?;
    Ok(es)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codes::element_string::is_cset82;
    use proptest::prelude::*;

    fn es(s: &str) -> ElementString {
        ElementString::parse(s).unwrap()
    }

    fn dl_code(uri: &str) -> &'static str {
        parse_digital_link(uri).unwrap_err().code
    }

    #[test]
    fn reference_vectors() {
        let both_ways = [
            (
                "trace.example.cn",
                "(01)06901234567892(10)B20240615A01(21)000123",
                "https://trace.example.cn/01/06901234567892/10/B20240615A01/21/000123",
            ),
            (
                "example.com",
                "(01)12312312312326(22)ABC(10)DEF(21)GHI",
                "https://example.com/01/12312312312326/22/ABC/10/DEF/21/GHI",
            ),
            (
                "example.com",
                "(21)XYZ(01)12312312312333(10)ABC123(99)XYZ",
                "https://example.com/01/12312312312333/10/ABC123/21/XYZ?99=XYZ",
            ),
            (
                "example.com",
                "(01)12312312312333(10)ABC+123(99)XYZ+QWERTY",
                "https://example.com/01/12312312312333/10/ABC%2B123?99=XYZ%2BQWERTY",
            ),
            (
                "example.com",
                "(01)12312312312333(10)AB/12",
                "https://example.com/01/12312312312333/10/AB%2F12",
            ),
        ];
        for (domain, human, uri) in both_ways {
            let e = es(human);
            assert_eq!(to_digital_link(domain, &e).unwrap(), uri, "{human}");
            assert_eq!(parse_digital_link(uri).unwrap(), e, "{uri}");
        }
    }

    #[test]
    fn attributes_go_to_the_query_sorted() {
        let e = es("(01)06901234567892(10)L1(7007)240601(422)156(3103)001250(17)240630(11)240601");
        assert_eq!(
            to_digital_link("https://trace.example.cn/", &e).unwrap(),
            "https://trace.example.cn/01/06901234567892/10/L1?11=240601&17=240630&3103=001250&422=156&7007=240601"
        );
    }

    #[test]
    fn other_primary_keys() {
        let sscc = es("(00)069012340000000016");
        let uri = to_digital_link("example.com", &sscc).unwrap();
        assert_eq!(uri, "https://example.com/00/069012340000000016");
        assert_eq!(parse_digital_link(&uri).unwrap(), sscc);

        let gln = es("(414)6901234000009(254)A/1");
        let uri = to_digital_link("example.com", &gln).unwrap();
        assert_eq!(uri, "https://example.com/414/6901234000009/254/A%2F1");
        assert_eq!(parse_digital_link(&uri).unwrap(), gln);

        let content = es("(00)069012340000000016(02)06901234567892(37)24(10)L1");
        let uri = to_digital_link("example.com", &content).unwrap();
        assert_eq!(
            uri,
            "https://example.com/00/069012340000000016?02=06901234567892&10=L1&37=24"
        );
        assert_eq!(parse_digital_link(&uri).unwrap(), content);

        let party = es("(417)6901234000016");
        assert_eq!(
            to_digital_link("example.com", &party).unwrap(),
            "https://example.com/417/6901234000016"
        );

        let mut no_key = ElementString::new();
        no_key.push(Ai::BATCH, "X").unwrap();
        assert_eq!(
            to_digital_link("example.com", &no_key).unwrap_err().code,
            "digital_link_no_primary_key"
        );
    }

    #[test]
    fn domain_base_forms() {
        let e = es("(01)06901234567892");
        for base in ["x.cn", "https://x.cn", "https://x.cn/", " x.cn "] {
            assert_eq!(
                to_digital_link(base, &e).unwrap(),
                "https://x.cn/01/06901234567892"
            );
        }
        assert_eq!(
            to_digital_link("http://x.cn/t", &e).unwrap(),
            "http://x.cn/t/01/06901234567892"
        );
        assert_eq!(
            to_digital_link("HTTPS://x.cn:8443/t/", &e).unwrap(),
            "https://x.cn:8443/t/01/06901234567892"
        );
        for bad in ["", "https://", "/x", "x cn", "x.cn?a=1", "x.cn#a", "溯源.cn"] {
            assert_eq!(
                to_digital_link(bad, &e).unwrap_err().code,
                "digital_link_domain",
                "{bad}"
            );
        }
    }

    #[test]
    fn lenient_reading() {
        let want = es("(01)06901234567892(10)B20240615A01(21)000123");
        for uri in [
            "https://x.cn/trace/01/06901234567892/10/B20240615A01/21/000123",
            "https://x.cn/a/b/c/01/6901234567892/10/B20240615A01/21/000123",
            "HTTP://X.CN/01/06901234567892/10/B20240615A01/21/000123/",
            "https://x.cn/01/06901234567892/10/B20240615%41%301/21/000123?linkType=gs1:pip&utm_source=qr#top",
            "https://x.cn/01/0690123456789%32/10/B20240615A01/21/000123",
            "  https://x.cn/01/06901234567892/10/B20240615A01/21/000123\n",
            "https://x.cn/01/x/01/06901234567892/10/B20240615A01/21/000123",
        ] {
            assert_eq!(parse_digital_link(uri).unwrap(), want, "{uri}");
        }
        // GTIN-8 and GTIN-12 are normalised to 14 digits.
        let g8 = parse_digital_link("https://x.cn/01/02345673").unwrap();
        assert_eq!(g8.gtin().unwrap().as_str(), "00000002345673");
        let g12 = parse_digital_link("https://x.cn/01/416000336108/21/7").unwrap();
        assert_eq!(g12.get(Ai::GTIN), Some("00416000336108"));
        // A literal plus in the query is a plus.
        let plus = parse_digital_link("https://x.cn/01/06901234567892?99=A+B").unwrap();
        assert_eq!(plus.get(Ai::INTERNAL), Some("A+B"));
    }

    #[test]
    fn errors() {
        assert_eq!(dl_code("ftp://x.cn/01/06901234567892"), "digital_link_scheme");
        assert_eq!(dl_code("x.cn/01/06901234567892"), "digital_link_scheme");
        assert_eq!(dl_code("https:///01/06901234567892"), "digital_link_domain");
        assert_eq!(dl_code("https://x.cn/"), "digital_link_no_primary_key");
        assert_eq!(dl_code("https://x.cn/product/123"), "digital_link_no_primary_key");
        assert_eq!(dl_code("https://x.cn/01/06901234567891"), "gtin_check_digit");
        assert_eq!(dl_code("https://x.cn/01/06901234567"), "gtin_length");
        assert_eq!(dl_code("https://x.cn/00/069012340000000017"), "sscc_check_digit");
        assert_eq!(dl_code("https://x.cn/414/6901234000008"), "gln_check_digit");
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/21/S/10/L"),
            "digital_link_qualifier_order"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/10/L/10/M"),
            "digital_link_qualifier_order"
        );
        assert_eq!(dl_code("https://x.cn/01/06901234567892/10"), "digital_link_path");
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/17/240630"),
            "digital_link_path"
        );
        assert_eq!(
            dl_code("https://x.cn/00/069012340000000016/10/L"),
            "digital_link_path"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892?10=L"),
            "digital_link_query_key"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892?01=06901234567892"),
            "digital_link_query_key"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892?98=A"),
            "element_string_unknown_ai"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892?17=241301"),
            "element_string_date"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892?17="),
            "element_string_length"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/10/A%2"),
            "digital_link_percent"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/10/A%zz"),
            "digital_link_percent"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/10/A%FF"),
            "digital_link_percent"
        );
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/10/A%20B"),
            "element_string_chars"
        );
        assert_eq!(dl_code("https://x.cn/01/06901234567892/10/"), "digital_link_path");
        assert_eq!(
            dl_code("https://x.cn/01/06901234567892/10//21/S"),
            "element_string_length"
        );
        assert_eq!(
            dl_code("https://x.cn/00/069012340000000016?10=L"),
            "element_string_missing_ai"
        );
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("a/b+c d%"), "a%2Fb%2Bc%20d%25");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_decode("a%2fb%2Bc").unwrap(), "a/b+c");
        assert_eq!(percent_decode("%C3%A9").unwrap(), "é");
        assert_eq!(percent_decode("%").unwrap_err().code, "digital_link_percent");
    }

    fn cset82() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select((0u8..=127).filter(|&b| is_cset82(b)).collect::<Vec<_>>()),
            1..=20,
        )
        .prop_map(|v| String::from_utf8(v).unwrap())
    }

    proptest! {
        #[test]
        fn any_cset82_lot_and_serial_round_trip(lot in cset82(), serial in cset82(), internal in cset82()) {
            let mut e = ElementString::new();
            e.push(Ai::GTIN, "06901234567892").unwrap();
            e.push(Ai::BATCH, &lot).unwrap();
            e.push(Ai::SERIAL, &serial).unwrap();
            e.push(Ai::INTERNAL, &internal).unwrap();
            let uri = to_digital_link("trace.example.cn", &e).unwrap();
            let tail = uri.trim_start_matches("https://trace.example.cn/");
            prop_assert!(tail.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%/?=&".contains(&b)));
            prop_assert_eq!(parse_digital_link(&uri).unwrap(), e);
        }

        #[test]
        fn percent_encoding_round_trips_any_text(s in "\\PC{0,30}") {
            prop_assert_eq!(percent_decode(&percent_encode(&s)).unwrap(), s);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,80}") {
            let _ = parse_digital_link(&s);
            let _ = parse_digital_link(&format!("https://x.cn/{s}"));
        }

        #[test]
        fn parsing_near_valid_uris_never_panics(s in "[0-9A-Za-z/%?&=#+]{0,60}") {
            let _ = parse_digital_link(&format!("https://x.cn/01/06901234567892{s}"));
            let _ = parse_digital_link(&format!("https://x.cn/{s}"));
        }
    }
}
