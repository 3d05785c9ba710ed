//! Identifier URIs: EPC URNs (`urn:epc:id:…`, `urn:epc:class:lgtin:…`,
//! `urn:epc:idpat:…`) and GS1 Digital Link URIs (`https://id.gs1.org/01/…`).
//!
//! EPCIS 2.0 accepts both spellings of a GS1 key; CBV 2.0 and the REST
//! binding's default (`GS1-EPC-Format: Always_GS1_Digital_Link`) prefer the
//! Digital Link form. Both are parsed into one value, [`Gs1Key`], whose digits
//! are the GS1 element-string digits (indicator digit first, check digit
//! computed), so conversion is "parse one form, print the other".
//!
//! * URN → Digital Link needs nothing else: the indicator (or extension) digit
//!   moves in front of the company prefix and the check digit is recomputed.
//! * Digital Link → URN needs the length of the GS1 company prefix, which only
//!   the prefix's registration says (a key's digits never reveal it). The
//!   caller supplies it through [`CompanyPrefixLength`], a trait implemented
//!   by any `Fn(&str) -> Option<usize>` and by [`KnownPrefixes`].
//!
//! The canonical Digital Link form uses the origin `https://id.gs1.org`, the
//! numeric primary-key AI, the key with its check digit, only the qualifiers
//! that identify the object at its lowest level (a serial wins over a lot, the
//! CPV `22` and any query string are dropped) and percent-encodes every byte
//! outside `A-Z a-z 0-9 - . _ ~` with upper-case hex.
//!
//! Supported schemes: `sgtin`, `sscc`, `sgln`, `pgln`, `grai`, `giai`, `gsrn`,
//! `gsrnp`, `gdti`, `sgcn`, `ginc`, `gsin`, the class `lgtin`, and the
//! patterns `idpat:sgtin`, `idpat:grai`, `idpat:gdti`, `idpat:sgcn` with a
//! `*` in the last position only (a class without serial). Other EPC schemes
//! (`gid`, `usdod`, `adi`, `cpi`, `itip`, `upui`, `bic`, `imovn`) have no
//! Digital Link equivalent here; [`check_epc`] accepts them syntactically.
//!
//! Error codes: `epc_urn_syntax`, `epc_urn_scheme`, `epc_company_prefix`,
//! `epc_company_prefix_unknown`, `epc_component`, `dl_syntax`,
//! `dl_check_digit`, `gs1_zero` (a key whose significant digits are all zero
//! names nothing; see [`crate::codes::gs1`]). Lenient canonicalisation
//! ([`canonical_web_uri`]) keeps such keys, like wrong check digits, as written.

use std::fmt;

use crate::codes::gs1::{gs1_check_digit, significant_digits_zero, zero_key_error};
use crate::error::Invalid;

/// Origin of canonical GS1 Digital Link URIs.
pub const CANONICAL_DL_ORIGIN: &str = "https://id.gs1.org";

/// Shortest and longest GS1 company prefix an EPC URN can carry.
const PREFIX_LENGTHS: std::ops::RangeInclusive<usize> = 6..=12;

/// Tells the length of the GS1 company prefix at the start of `digits`.
///
/// `digits` are the key's digits from the first digit of the company prefix
/// up to (not including) the check digit: for a GTIN the 12 digits after the
/// indicator digit, for an SSCC the 16 after the extension digit, for a GLN
/// its first 12 digits, for a GRAI the 12 after its leading `0`, for a GIAI or
/// GINC the leading run of digits. `None` means "unknown prefix".
pub trait CompanyPrefixLength {
    /// The company prefix length for `digits`, if known.
    fn company_prefix_length(&self, digits: &str) -> Option<usize>;
}

impl<F> CompanyPrefixLength for F
where
    F: Fn(&str) -> Option<usize>,
{
    fn company_prefix_length(&self, digits: &str) -> Option<usize> {
        self(digits)
    }
}

/// A set of registered company prefixes. A key's prefix length is known when
/// the registered prefixes that start its digits all have one length (then
/// they are one prefix); when none does, or several of different lengths do,
/// it is unknown: the registrations contradict each other, and picking one
/// would be a guess.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownPrefixes {
    prefixes: Vec<String>,
}

impl KnownPrefixes {
    /// Builds the set; each prefix must be 6 to 12 digits.
    ///
    /// Errors: `epc_company_prefix`.
    pub fn new<I, S>(prefixes: I) -> Result<Self, Invalid>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Vec::new();
        for p in prefixes {
            let p = p.as_ref().trim();
            if !is_digits(p) || !PREFIX_LENGTHS.contains(&p.len()) {
                return Err(Invalid::new(
                    "epc_company_prefix",
                    format!("A GS1 company prefix has 6 to 12 digits, but '{p}' does not."),
                    format!("GS1 厂商识别代码应为 6 至 12 位数字，“{p}”不符合。"),
                ));
            }
            out.push(p.to_owned());
        }
        Ok(Self { prefixes: out })
    }
}

impl CompanyPrefixLength for KnownPrefixes {
    fn company_prefix_length(&self, digits: &str) -> Option<usize> {
        let mut lengths = self
            .prefixes
            .iter()
            .filter(|p| digits.starts_with(p.as_str()))
            .map(String::len);
        let first = lengths.next()?;
        lengths.all(|l| l == first).then_some(first)
    }
}

/// A GS1 key named by an EPC URN or a Digital Link URI.
///
/// Numeric fields hold the full GS1 key (check digit included, GTINs as
/// GTIN-14); text fields (serials, lots, extensions, asset references) hold
/// the decoded characters, e.g. `AB/12`, not `AB%2F12`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gs1Key {
    /// A serialised trade item: GTIN + serial (AI 01 + 21; `urn:epc:id:sgtin`).
    Sgtin { gtin: String, serial: String },
    /// A batch or lot of a trade item: GTIN + lot (AI 01 + 10; `urn:epc:class:lgtin`).
    Lgtin { gtin: String, lot: String },
    /// A trade item class without lot or serial (AI 01; `urn:epc:idpat:sgtin:….*`).
    Gtin { gtin: String },
    /// A logistic unit (AI 00; `urn:epc:id:sscc`).
    Sscc { sscc: String },
    /// A location with an optional extension (AI 414 + 254; `urn:epc:id:sgln`).
    Sgln { gln: String, extension: Option<String> },
    /// A party (AI 417; `urn:epc:id:pgln`).
    Pgln { gln: String },
    /// A returnable asset: 14 digits (a leading `0`, then the GRAI with its
    /// check digit) and an optional serial (AI 8003; `urn:epc:id:grai`).
    Grai { grai: String, serial: Option<String> },
    /// An individual asset (AI 8004; `urn:epc:id:giai`).
    Giai { giai: String },
    /// A service relation, recipient (AI 8018; `urn:epc:id:gsrn`).
    Gsrn { gsrn: String },
    /// A service relation, provider (AI 8017; `urn:epc:id:gsrnp`).
    Gsrnp { gsrnp: String },
    /// A document: 13 digits and an optional serial (AI 253; `urn:epc:id:gdti`).
    Gdti { gdti: String, serial: Option<String> },
    /// A coupon: 13 digits and an optional numeric serial (AI 255; `urn:epc:id:sgcn`).
    Sgcn { gcn: String, serial: Option<String> },
    /// A consignment (AI 401; `urn:epc:id:ginc`).
    Ginc { ginc: String },
    /// A shipment (AI 402; `urn:epc:id:gsin`).
    Gsin { gsin: String },
}

impl Gs1Key {
    /// Parses an EPC URN: pure identity (`urn:epc:id:…`), the LGTIN class
    /// (`urn:epc:class:lgtin:…`) or a pattern with `*` as its last component
    /// (`urn:epc:idpat:sgtin|grai|gdti|sgcn:…`).
    ///
    /// Errors: `epc_urn_syntax`, `epc_urn_scheme`, `epc_company_prefix`,
    /// `epc_component`, `gs1_zero`.
    pub fn from_epc_urn(urn: &str) -> Result<Self, Invalid> {
        Self::from_epc_urn_unchecked(urn)?.refuse_zero()
    }

    /// [`Gs1Key::from_epc_urn`] without the zero-key rule, for comparing
    /// identifiers as they were written.
    fn from_epc_urn_unchecked(urn: &str) -> Result<Self, Invalid> {
        if let Some(rest) = urn.strip_prefix("urn:epc:id:") {
            parse_pure_identity(urn, rest)
        } else if let Some(rest) = urn.strip_prefix("urn:epc:class:") {
            parse_class(urn, rest)
        } else if let Some(rest) = urn.strip_prefix("urn:epc:idpat:") {
            parse_pattern(urn, rest)
        } else {
            Err(urn_syntax(urn, WHY_START))
        }
    }

    /// Parses a GS1 Digital Link URI on any domain (`http` or `https`, any
    /// path before the primary key, numeric or short-name AIs), checking the
    /// key's check digit. The query string and fragment are ignored.
    ///
    /// Errors: `dl_syntax`, `dl_check_digit`, `epc_component`, `gs1_zero`.
    pub fn from_digital_link(uri: &str) -> Result<Self, Invalid> {
        parse_digital_link(uri, true)
    }

    /// The canonical Digital Link URI on `https://id.gs1.org`.
    pub fn to_digital_link(&self) -> String {
        format!("{CANONICAL_DL_ORIGIN}{}", self.digital_link_path())
    }

    /// The Digital Link URI on another origin (e.g. the resolver printed in
    /// consumer QR codes); a trailing `/` of `origin` is ignored.
    pub fn to_digital_link_on(&self, origin: &str) -> String {
        format!("{}{}", origin.trim_end_matches('/'), self.digital_link_path())
    }

    /// The path part of the Digital Link URI, e.g. `/01/06901234567892/21/000123`.
    pub fn digital_link_path(&self) -> String {
        match self {
            Self::Sgtin { gtin, serial } => format!("/01/{gtin}/21/{}", dl_encode(serial)),
            Self::Lgtin { gtin, lot } => format!("/01/{gtin}/10/{}", dl_encode(lot)),
            Self::Gtin { gtin } => format!("/01/{gtin}"),
            Self::Sscc { sscc } => format!("/00/{sscc}"),
            Self::Sgln { gln, extension: None } => format!("/414/{gln}"),
            Self::Sgln {
                gln,
                extension: Some(ext),
            } => format!("/414/{gln}/254/{}", dl_encode(ext)),
            Self::Pgln { gln } => format!("/417/{gln}"),
            Self::Grai { grai, serial } => {
                format!("/8003/{grai}{}", dl_encode(serial.as_deref().unwrap_or("")))
            }
            Self::Giai { giai } => format!("/8004/{}", dl_encode(giai)),
            Self::Gsrn { gsrn } => format!("/8018/{gsrn}"),
            Self::Gsrnp { gsrnp } => format!("/8017/{gsrnp}"),
            Self::Gdti { gdti, serial } => {
                format!("/253/{gdti}{}", dl_encode(serial.as_deref().unwrap_or("")))
            }
            Self::Sgcn { gcn, serial } => format!("/255/{gcn}{}", serial.as_deref().unwrap_or("")),
            Self::Ginc { ginc } => format!("/401/{}", dl_encode(ginc)),
            Self::Gsin { gsin } => format!("/402/{gsin}"),
        }
    }

    /// The digits a [`CompanyPrefixLength`] lookup receives for this key.
    pub fn company_prefix_digits(&self) -> &str {
        match self {
            Self::Sgtin { gtin, .. } | Self::Lgtin { gtin, .. } | Self::Gtin { gtin } => slice(gtin, 1, 13),
            Self::Sscc { sscc } => slice(sscc, 1, 17),
            Self::Sgln { gln, .. } | Self::Pgln { gln } => slice(gln, 0, 12),
            Self::Grai { grai, .. } => slice(grai, 1, 13),
            Self::Gsrn { gsrn: d } | Self::Gsrnp { gsrnp: d } => slice(d, 0, 17),
            Self::Gdti { gdti: d, .. } | Self::Sgcn { gcn: d, .. } => slice(d, 0, 12),
            Self::Gsin { gsin } => slice(gsin, 0, 16),
            Self::Giai { giai: s } | Self::Ginc { ginc: s } => {
                let n = s.bytes().take_while(u8::is_ascii_digit).count();
                slice(s, 0, n)
            }
        }
    }

    /// The EPC URN of this key. Keys without serial become patterns
    /// (`urn:epc:idpat:sgtin:….*`), lots become `urn:epc:class:lgtin:…`.
    ///
    /// Errors: `epc_company_prefix_unknown` when `prefixes` does not know the
    /// prefix, `epc_company_prefix` when the length it gives does not fit.
    pub fn to_epc_urn(&self, prefixes: &(impl CompanyPrefixLength + ?Sized)) -> Result<String, Invalid> {
        let digits = self.company_prefix_digits();
        let len = prefixes
            .company_prefix_length(digits)
            .ok_or_else(|| prefix_unknown(digits))?;
        self.to_epc_urn_with_prefix_length(len)
    }

    /// The EPC URN of this key for a known company prefix length.
    ///
    /// Errors: `epc_company_prefix` when `len` is outside 6..=12 or does not
    /// fit the key.
    pub fn to_epc_urn_with_prefix_length(&self, len: usize) -> Result<String, Invalid> {
        if !PREFIX_LENGTHS.contains(&len) {
            return Err(prefix_length(len, "a GS1 company prefix has 6 to 12 digits"));
        }
        let urn = match self {
            Self::Sgtin { gtin, serial } => {
                let (cp, item) = split_gtin(gtin, len)?;
                format!("urn:epc:id:sgtin:{cp}.{item}.{}", urn_escape(serial))
            }
            Self::Lgtin { gtin, lot } => {
                let (cp, item) = split_gtin(gtin, len)?;
                format!("urn:epc:class:lgtin:{cp}.{item}.{}", urn_escape(lot))
            }
            Self::Gtin { gtin } => {
                let (cp, item) = split_gtin(gtin, len)?;
                format!("urn:epc:idpat:sgtin:{cp}.{item}.*")
            }
            Self::Sscc { sscc } => {
                let cp = slice(sscc, 1, 1 + len);
                let serial_ref = format!("{}{}", slice(sscc, 0, 1), slice(sscc, 1 + len, 17));
                format!("urn:epc:id:sscc:{cp}.{serial_ref}")
            }
            Self::Sgln { gln, extension } => {
                let ext = extension.as_deref().map_or_else(|| "0".to_owned(), urn_escape);
                format!(
                    "urn:epc:id:sgln:{}.{}.{ext}",
                    slice(gln, 0, len),
                    slice(gln, len, 12)
                )
            }
            Self::Pgln { gln } => format!("urn:epc:id:pgln:{}.{}", slice(gln, 0, len), slice(gln, len, 12)),
            Self::Grai { grai, serial } => {
                let (cp, asset) = (slice(grai, 1, 1 + len), slice(grai, 1 + len, 13));
                match serial {
                    Some(s) => format!("urn:epc:id:grai:{cp}.{asset}.{}", urn_escape(s)),
                    None => format!("urn:epc:idpat:grai:{cp}.{asset}.*"),
                }
            }
            Self::Giai { giai } => {
                let (cp, asset) = split_alnum(giai, len)?;
                format!("urn:epc:id:giai:{cp}.{}", urn_escape(asset))
            }
            Self::Gsrn { gsrn } => {
                format!("urn:epc:id:gsrn:{}.{}", slice(gsrn, 0, len), slice(gsrn, len, 17))
            }
            Self::Gsrnp { gsrnp } => {
                format!(
                    "urn:epc:id:gsrnp:{}.{}",
                    slice(gsrnp, 0, len),
                    slice(gsrnp, len, 17)
                )
            }
            Self::Gdti { gdti, serial } => {
                let (cp, doc) = (slice(gdti, 0, len), slice(gdti, len, 12));
                match serial {
                    Some(s) => format!("urn:epc:id:gdti:{cp}.{doc}.{}", urn_escape(s)),
                    None => format!("urn:epc:idpat:gdti:{cp}.{doc}.*"),
                }
            }
            Self::Sgcn { gcn, serial } => {
                let (cp, coupon) = (slice(gcn, 0, len), slice(gcn, len, 12));
                match serial {
                    Some(s) => format!("urn:epc:id:sgcn:{cp}.{coupon}.{s}"),
                    None => format!("urn:epc:idpat:sgcn:{cp}.{coupon}.*"),
                }
            }
            Self::Ginc { ginc } => {
                let (cp, rest) = split_alnum(ginc, len)?;
                format!("urn:epc:id:ginc:{cp}.{}", urn_escape(rest))
            }
            Self::Gsin { gsin } => {
                format!("urn:epc:id:gsin:{}.{}", slice(gsin, 0, len), slice(gsin, len, 16))
            }
        };
        Ok(urn)
    }

    /// The key itself, or `gs1_zero` when its significant digits are all
    /// zero: the digits without the check digit and without a GTIN's
    /// indicator digit, an SSCC's extension digit or a GRAI's leading `0`;
    /// for the alphanumeric GIAI and GINC, every character.
    fn refuse_zero(self) -> Result<Self, Invalid> {
        let (digits, skip, en, zh) = match &self {
            Self::Sgtin { gtin, .. } | Self::Lgtin { gtin, .. } | Self::Gtin { gtin } => {
                (gtin, 1, "GTIN", "全球贸易项目代码（GTIN）")
            }
            Self::Sscc { sscc } => (sscc, 1, "SSCC", "系列货运包装箱代码（SSCC）"),
            Self::Sgln { gln, .. } | Self::Pgln { gln } => (gln, 0, "GLN", "全球位置码（GLN）"),
            Self::Grai { grai, .. } => (grai, 1, "GRAI", "全球可回收资产标识（GRAI）"),
            Self::Gsrn { gsrn: d } | Self::Gsrnp { gsrnp: d } => (d, 0, "GSRN", "全球服务关系代码（GSRN）"),
            Self::Gdti { gdti, .. } => (gdti, 0, "GDTI", "全球文件类型标识（GDTI）"),
            Self::Sgcn { gcn, .. } => (gcn, 0, "GCN", "全球优惠券代码（GCN）"),
            Self::Gsin { gsin } => (gsin, 0, "GSIN", "全球货物装运标识（GSIN）"),
            Self::Giai { giai: k } | Self::Ginc { ginc: k } => {
                if k.bytes().all(|b| b == b'0') {
                    let (en, zh) = if matches!(self, Self::Giai { .. }) {
                        ("GIAI", "全球单个资产标识（GIAI）")
                    } else {
                        ("GINC", "全球托运标识（GINC）")
                    };
                    return Err(zero_key_error(en, zh));
                }
                return Ok(self);
            }
        };
        if significant_digits_zero(digits, skip) {
            Err(zero_key_error(en, zh))
        } else {
            Ok(self)
        }
    }

    /// Whether this key names a single object (serialised instance, logistic
    /// unit, location, party, asset, ...) rather than a class or lot.
    pub fn is_instance(&self) -> bool {
        !matches!(
            self,
            Self::Lgtin { .. }
                | Self::Gtin { .. }
                | Self::Grai { serial: None, .. }
                | Self::Gdti { serial: None, .. }
                | Self::Sgcn { serial: None, .. }
        )
    }
}

impl fmt::Display for Gs1Key {
    /// Displays the canonical Digital Link URI.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_digital_link())
    }
}

/// Converts an EPC URN to its canonical Digital Link URI.
///
/// `urn:epc:id:sgtin:6901234.056789.000123` →
/// `https://id.gs1.org/01/06901234567892/21/000123`.
pub fn urn_to_digital_link(urn: &str) -> Result<String, Invalid> {
    Gs1Key::from_epc_urn(urn).map(|k| k.to_digital_link())
}

/// Converts a Digital Link URI (any domain) to its EPC URN; `prefixes` tells
/// the company prefix length.
pub fn digital_link_to_urn(
    uri: &str,
    prefixes: &(impl CompanyPrefixLength + ?Sized),
) -> Result<String, Invalid> {
    Gs1Key::from_digital_link(uri)?.to_epc_urn(prefixes)
}

/// The EPC URN of a Digital Link URI that names one GS1 key and nothing else,
/// when `prefixes` knows its company prefix length. `None` when the URI is no
/// valid Digital Link, when its prefix length is unknown, or when the URN
/// would lose or change part of it (a CPV `22`, a query string or fragment,
/// short-name AIs, non-canonical percent-encoding): what cannot be translated
/// exactly is better returned as it was written.
pub fn digital_link_as_urn(uri: &str, prefixes: &(impl CompanyPrefixLength + ?Sized)) -> Option<String> {
    if uri.contains(['?', '#']) {
        return None;
    }
    let key = Gs1Key::from_digital_link(uri).ok()?;
    if !uri.ends_with(&key.digital_link_path()) {
        return None;
    }
    key.to_epc_urn(prefixes).ok()
}

/// Parses an identifier written either as an EPC URN or as a Digital Link URI.
pub fn parse_epc(uri: &str) -> Result<Gs1Key, Invalid> {
    if uri.starts_with("urn:") {
        Gs1Key::from_epc_urn(uri)
    } else if has_http_scheme(uri) {
        Gs1Key::from_digital_link(uri)
    } else {
        Err(Invalid::new(
            "epc_urn_syntax",
            format!(
                "'{}' is neither an EPC URN (urn:epc:…) nor a GS1 Digital Link URI (https://…).",
                clip(uri)
            ),
            format!(
                "“{}”既不是 EPC URN（urn:epc:…），也不是 GS1 数字链接 URI（https://…）。",
                clip(uri)
            ),
        ))
    }
}

/// EPC schemes without a Digital Link form that [`check_epc`] accepts by syntax.
const OTHER_EPC_SCHEMES: &[&str] = &["gid", "usdod", "adi", "cpi", "itip", "upui", "bic", "imovn"];

/// Checks that `uri` names an object the way EPCIS expects: a GS1 key as EPC
/// URN or Digital Link URI (see [`parse_epc`]), or a syntactically valid URN
/// of another EPC scheme (`urn:epc:id:gid:…`, `…:cpi:…`, ...).
pub fn check_epc(uri: &str) -> Result<(), Invalid> {
    for scheme in OTHER_EPC_SCHEMES {
        for kind in ["urn:epc:id:", "urn:epc:idpat:"] {
            if let Some(body) = uri.strip_prefix(kind).and_then(|r| r.strip_prefix(scheme)) {
                if let Some(body) = body.strip_prefix(':') {
                    return check_other_urn_body(uri, body);
                }
            }
        }
    }
    parse_epc(uri).map(|_| ())
}

fn check_other_urn_body(uri: &str, body: &str) -> Result<(), Invalid> {
    let ok = !body.is_empty()
        && body.split('.').all(|c| !c.is_empty())
        && body.chars().all(|c| is_urn_raw_char(c) || c == '%' || c == '*');
    if ok && percent_ok(body) {
        Ok(())
    } else {
        Err(urn_syntax(uri, WHY_CHARS))
    }
}

/// The canonical Digital Link URI for an EPC URN or a Digital Link URI, used
/// where identifiers are compared or hashed. Lenient: a wrong check digit in a
/// Digital Link URI is kept as it is. `None` when `uri` is neither.
pub fn canonical_web_uri(uri: &str) -> Option<String> {
    if uri.starts_with("urn:epc:") {
        Gs1Key::from_epc_urn_unchecked(uri)
            .ok()
            .map(|k| k.to_digital_link())
    } else if has_http_scheme(uri) {
        parse_digital_link(uri, false).ok().map(|k| k.to_digital_link())
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Errors

fn clip(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() > MAX {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    } else {
        s.to_owned()
    }
}

fn urn_syntax(urn: &str, why: (&str, &str)) -> Invalid {
    Invalid::new(
        "epc_urn_syntax",
        format!("'{}' is not a valid EPC URN: {}.", clip(urn), why.0),
        format!("“{}”不是有效的 EPC URN：{}。", clip(urn), why.1),
    )
}

const WHY_START: (&str, &str) = (
    "it does not start with urn:epc:id:, urn:epc:class: or urn:epc:idpat:",
    "开头应为 urn:epc:id:、urn:epc:class: 或 urn:epc:idpat:",
);
const WHY_COMPONENTS: (&str, &str) = (
    "the number of components separated by '.' is wrong",
    "以“.”分隔的分量个数不对",
);
const WHY_PREFIX: (&str, &str) = (
    "the company prefix must be 6 to 12 digits",
    "厂商识别代码应为 6 至 12 位数字",
);
const WHY_DIGITS: (&str, &str) = (
    "a numeric component contains a non-digit",
    "应为数字的分量含有非数字字符",
);
const WHY_CHARS: (&str, &str) = (
    "its components contain characters an EPC URN cannot hold",
    "分量含有 EPC URN 不允许的字符",
);
const WHY_PATTERN: (&str, &str) = (
    "a pattern is supported only with '*' as its last component (a class without serial)",
    "模式只支持最后一个分量为 *（不带序列号的类别）",
);

fn scheme_error(urn: &str, scheme: &str) -> Invalid {
    Invalid::new(
        "epc_urn_scheme",
        format!(
            "'{}' uses the EPC scheme '{scheme}', which has no GS1 Digital Link form here.",
            clip(urn)
        ),
        format!(
            "“{}”使用的 EPC 方案“{scheme}”在此没有对应的 GS1 数字链接形式。",
            clip(urn)
        ),
    )
}

fn prefix_unknown(digits: &str) -> Invalid {
    Invalid::new(
        "epc_company_prefix_unknown",
        format!(
            "The length of the GS1 company prefix of '{digits}' is unknown, so no EPC URN can be built; \
             register the company prefix first."
        ),
        format!("无法确定“{digits}”的 GS1 厂商识别代码长度，不能生成 EPC URN；请先登记厂商识别代码。"),
    )
}

fn prefix_length(len: usize, why: &str) -> Invalid {
    Invalid::new(
        "epc_company_prefix",
        format!("A company prefix length of {len} does not fit: {why}."),
        format!("厂商识别代码长度 {len} 不适用：应为 6 至 12 位，且不超出编码的位数。"),
    )
}

fn component_error(what_en: &str, what_zh: &str, value: &str, rule_en: &str, rule_zh: &str) -> Invalid {
    Invalid::new(
        "epc_component",
        format!("The {what_en} '{}' is not valid: {rule_en}.", clip(value)),
        format!("{what_zh}“{}”无效：{rule_zh}。", clip(value)),
    )
}

fn dl_syntax(uri: &str, why_en: &str, why_zh: &str) -> Invalid {
    Invalid::new(
        "dl_syntax",
        format!("'{}' is not a GS1 Digital Link URI: {why_en}.", clip(uri)),
        format!("“{}”不是 GS1 数字链接 URI：{why_zh}。", clip(uri)),
    )
}

// ---------------------------------------------------------------------------
// Character sets and encodings

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `s[from..to]` for ASCII keys, empty when out of range (never panics).
fn slice(s: &str, from: usize, to: usize) -> &str {
    s.get(from..to).unwrap_or("")
}

/// `data` followed by its GS1 check digit.
fn with_check(data: &str) -> String {
    format!("{data}{}", gs1_check_digit(data))
}

/// Whether the last digit of `key` is its GS1 check digit.
fn check_digit_ok(key: &str) -> bool {
    match key.len().checked_sub(1) {
        Some(n) => with_check(slice(key, 0, n)) == key,
        None => false,
    }
}

/// GS1 AI encodable character set 82.
fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '"'
                | '%'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ','
                | '-'
                | '.'
                | '/'
                | ':'
                | ';'
                | '<'
                | '='
                | '>'
                | '?'
                | '_'
        )
}

/// Characters an EPC URN component may hold without escaping.
fn is_urn_raw_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '_' | '.' | ':' | ';' | '=' | '\'' | '(' | ')' | '*' | '+' | ',' | '!'
        )
}

fn percent_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes; `None` on a broken escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex_value(*b.get(i + 1)?)?;
            let lo = hex_value(*b.get(i + 2)?)?;
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Escapes the CSET 82 characters an EPC URN component cannot hold raw.
fn urn_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("%22"),
            '%' => out.push_str("%25"),
            '&' => out.push_str("%26"),
            '/' => out.push_str("%2F"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '?' => out.push_str("%3F"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes every byte outside `A-Z a-z 0-9 - . _ ~` (upper-case hex).
fn dl_encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// Decodes and checks an alphanumeric URN component (serial, lot, ...):
/// raw characters from the URN set, valid escapes, decoded value in CSET 82
/// with `min..=max` characters.
fn urn_component(raw: &str, min: usize, max: usize, what_en: &str, what_zh: &str) -> Result<String, Invalid> {
    let rule_en = format!("{min} to {max} characters of GS1 character set 82, URN-escaped");
    let rule_zh = format!("应为 {min} 至 {max} 个 GS1 82 字符集字符（URN 转义）");
    let bad = || component_error(what_en, what_zh, raw, &rule_en, &rule_zh);
    if !raw.chars().all(|c| is_urn_raw_char(c) || c == '%') {
        return Err(bad());
    }
    let value = percent_decode(raw).ok_or_else(bad)?;
    check_cset82(&value, min, max).map_err(|()| bad())?;
    Ok(value)
}

fn check_cset82(value: &str, min: usize, max: usize) -> Result<(), ()> {
    let n = value.chars().count();
    if (min..=max).contains(&n) && value.chars().all(is_cset82) {
        Ok(())
    } else {
        Err(())
    }
}

// ---------------------------------------------------------------------------
// EPC URN parsing

/// Splits `body` into exactly `n` components on the first `n - 1` dots (the
/// last component may itself contain dots).
fn components<'a>(urn: &str, body: &'a str, n: usize) -> Result<Vec<&'a str>, Invalid> {
    let parts: Vec<&str> = body.splitn(n, '.').collect();
    if parts.len() == n {
        Ok(parts)
    } else {
        Err(urn_syntax(urn, WHY_COMPONENTS))
    }
}

/// Checks a company prefix component (6 to 12 digits).
fn company_prefix<'a>(urn: &str, cp: &'a str) -> Result<&'a str, Invalid> {
    if is_digits(cp) && PREFIX_LENGTHS.contains(&cp.len()) {
        Ok(cp)
    } else {
        Err(urn_syntax(urn, WHY_PREFIX))
    }
}

/// Checks a numeric reference that, with the company prefix, makes `total` digits.
fn reference<'a>(urn: &str, cp: &str, r: &'a str, total: usize) -> Result<&'a str, Invalid> {
    if !r.bytes().all(|b| b.is_ascii_digit()) {
        return Err(urn_syntax(urn, WHY_DIGITS));
    }
    if cp.len() + r.len() != total {
        return Err(Invalid::new(
            "epc_urn_syntax",
            format!(
                "'{}' is not a valid EPC URN: the company prefix and reference must have {total} digits together.",
                clip(urn)
            ),
            format!("“{}”不是有效的 EPC URN：厂商识别代码与参考代码合计应为 {total} 位。", clip(urn)),
        ));
    }
    Ok(r)
}

/// GTIN-14 from a company prefix and an indicator+item reference.
fn gtin_from(urn: &str, cp: &str, item: &str) -> Result<String, Invalid> {
    let cp = company_prefix(urn, cp)?;
    let item = reference(urn, cp, item, 13)?;
    let (indicator, rest) = item.split_at(1.min(item.len()));
    Ok(with_check(&format!("{indicator}{cp}{rest}")))
}

fn parse_pure_identity(urn: &str, rest: &str) -> Result<Gs1Key, Invalid> {
    let (scheme, body) = rest
        .split_once(':')
        .ok_or_else(|| urn_syntax(urn, WHY_COMPONENTS))?;
    match scheme {
        "sgtin" => {
            let c = components(urn, body, 3)?;
            let gtin = gtin_from(urn, c[0], c[1])?;
            let serial = urn_component(c[2], 1, 20, "serial number", "序列号")?;
            Ok(Gs1Key::Sgtin { gtin, serial })
        }
        "sscc" => {
            let c = components(urn, body, 2)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 17)?;
            let (ext, serial_ref) = r.split_at(1.min(r.len()));
            Ok(Gs1Key::Sscc {
                sscc: with_check(&format!("{ext}{cp}{serial_ref}")),
            })
        }
        "sgln" => {
            let c = components(urn, body, 3)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            let extension = if c[2] == "0" {
                None
            } else {
                Some(urn_component(c[2], 1, 20, "GLN extension", "GLN 扩展")?)
            };
            Ok(Gs1Key::Sgln {
                gln: with_check(&format!("{cp}{r}")),
                extension,
            })
        }
        "pgln" => {
            let c = components(urn, body, 2)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            Ok(Gs1Key::Pgln {
                gln: with_check(&format!("{cp}{r}")),
            })
        }
        "grai" => {
            let c = components(urn, body, 3)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            let serial = urn_component(c[2], 1, 16, "GRAI serial number", "GRAI 序列号")?;
            Ok(Gs1Key::Grai {
                grai: with_check(&format!("0{cp}{r}")),
                serial: Some(serial),
            })
        }
        "giai" => {
            let c = components(urn, body, 2)?;
            let cp = company_prefix(urn, c[0])?;
            let max = 30usize.saturating_sub(cp.len());
            let asset = urn_component(c[1], 1, max, "individual asset reference", "资产参考代码")?;
            Ok(Gs1Key::Giai {
                giai: format!("{cp}{asset}"),
            })
        }
        "gsrn" | "gsrnp" => {
            let c = components(urn, body, 2)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 17)?;
            let d = with_check(&format!("{cp}{r}"));
            Ok(if scheme == "gsrn" {
                Gs1Key::Gsrn { gsrn: d }
            } else {
                Gs1Key::Gsrnp { gsrnp: d }
            })
        }
        "gdti" => {
            let c = components(urn, body, 3)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            let serial = urn_component(c[2], 1, 17, "document serial number", "文件序列号")?;
            Ok(Gs1Key::Gdti {
                gdti: with_check(&format!("{cp}{r}")),
                serial: Some(serial),
            })
        }
        "sgcn" => {
            let c = components(urn, body, 3)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            if !is_digits(c[2]) || c[2].len() > 12 {
                return Err(component_error(
                    "coupon serial",
                    "优惠券序列号",
                    c[2],
                    "1 to 12 digits",
                    "应为 1 至 12 位数字",
                ));
            }
            Ok(Gs1Key::Sgcn {
                gcn: with_check(&format!("{cp}{r}")),
                serial: Some(c[2].to_owned()),
            })
        }
        "ginc" => {
            let c = components(urn, body, 2)?;
            let cp = company_prefix(urn, c[0])?;
            let max = 30usize.saturating_sub(cp.len());
            let r = urn_component(c[1], 1, max, "consignment reference", "托运参考代码")?;
            Ok(Gs1Key::Ginc {
                ginc: format!("{cp}{r}"),
            })
        }
        "gsin" => {
            let c = components(urn, body, 2)?;
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 16)?;
            Ok(Gs1Key::Gsin {
                gsin: with_check(&format!("{cp}{r}")),
            })
        }
        other => Err(scheme_error(urn, other)),
    }
}

fn parse_class(urn: &str, rest: &str) -> Result<Gs1Key, Invalid> {
    let (scheme, body) = rest
        .split_once(':')
        .ok_or_else(|| urn_syntax(urn, WHY_COMPONENTS))?;
    if scheme != "lgtin" {
        return Err(scheme_error(urn, scheme));
    }
    let c = components(urn, body, 3)?;
    let gtin = gtin_from(urn, c[0], c[1])?;
    let lot = urn_component(c[2], 1, 20, "batch/lot number", "批号")?;
    Ok(Gs1Key::Lgtin { gtin, lot })
}

fn parse_pattern(urn: &str, rest: &str) -> Result<Gs1Key, Invalid> {
    let (scheme, body) = rest
        .split_once(':')
        .ok_or_else(|| urn_syntax(urn, WHY_COMPONENTS))?;
    let c = components(urn, body, 3)?;
    if c[2] != "*" || c[0] == "*" || c[1] == "*" {
        return Err(urn_syntax(urn, WHY_PATTERN));
    }
    match scheme {
        "sgtin" => Ok(Gs1Key::Gtin {
            gtin: gtin_from(urn, c[0], c[1])?,
        }),
        "grai" => {
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            Ok(Gs1Key::Grai {
                grai: with_check(&format!("0{cp}{r}")),
                serial: None,
            })
        }
        "gdti" | "sgcn" => {
            let cp = company_prefix(urn, c[0])?;
            let r = reference(urn, cp, c[1], 12)?;
            let d = with_check(&format!("{cp}{r}"));
            Ok(if scheme == "gdti" {
                Gs1Key::Gdti {
                    gdti: d,
                    serial: None,
                }
            } else {
                Gs1Key::Sgcn { gcn: d, serial: None }
            })
        }
        other => Err(scheme_error(urn, other)),
    }
}

/// Company prefix and indicator+item reference of a GTIN-14 for prefix length `len`.
fn split_gtin(gtin: &str, len: usize) -> Result<(&str, String), Invalid> {
    if len > 12 {
        return Err(prefix_length(
            len,
            "a GTIN leaves room for at most 12 prefix digits",
        ));
    }
    let cp = slice(gtin, 1, 1 + len);
    let item = format!("{}{}", slice(gtin, 0, 1), slice(gtin, 1 + len, 13));
    Ok((cp, item))
}

/// Splits an alphanumeric key (GIAI, GINC) after `len` leading digits.
fn split_alnum(key: &str, len: usize) -> Result<(&str, &str), Invalid> {
    let digits = key.bytes().take_while(u8::is_ascii_digit).count();
    if len > digits || len >= key.len() {
        return Err(prefix_length(
            len,
            "the prefix must consist of leading digits and leave a non-empty reference",
        ));
    }
    match (key.get(..len), key.get(len..)) {
        (Some(cp), Some(rest)) => Ok((cp, rest)),
        _ => Err(prefix_length(len, "the prefix does not fit the key")),
    }
}

// ---------------------------------------------------------------------------
// Digital Link parsing

fn has_http_scheme(uri: &str) -> bool {
    let lower = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The primary keys a Digital Link URI can carry here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primary {
    Gtin,
    Sscc,
    Gln,
    Party,
    Grai,
    Giai,
    Gsrn,
    Gsrnp,
    Gdti,
    Gcn,
    Ginc,
    Gsin,
}

fn primary_ai(segment: &str) -> Option<Primary> {
    Some(match segment {
        "01" | "gtin" => Primary::Gtin,
        "00" | "sscc" => Primary::Sscc,
        "414" | "gln" => Primary::Gln,
        "417" | "party" => Primary::Party,
        "8003" | "grai" => Primary::Grai,
        "8004" | "giai" => Primary::Giai,
        "8018" | "gsrn" => Primary::Gsrn,
        "8017" | "gsrnp" => Primary::Gsrnp,
        "253" | "gdti" => Primary::Gdti,
        "255" | "gcn" => Primary::Gcn,
        "401" | "ginc" => Primary::Ginc,
        "402" | "gsin" => Primary::Gsin,
        _ => return None,
    })
}

/// Key qualifier AIs: CPV, lot, serial (after a GTIN), GLN extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Cpv,
    Lot,
    Serial,
    GlnExtension,
}

fn qualifier_ai(primary: Primary, segment: &str) -> Option<Qualifier> {
    match (primary, segment) {
        (Primary::Gtin, "22" | "cpv") => Some(Qualifier::Cpv),
        (Primary::Gtin, "10" | "lot") => Some(Qualifier::Lot),
        (Primary::Gtin, "21" | "ser") => Some(Qualifier::Serial),
        (Primary::Gln, "254" | "glnx") => Some(Qualifier::GlnExtension),
        _ => None,
    }
}

fn parse_digital_link(uri: &str, strict: bool) -> Result<Gs1Key, Invalid> {
    if !has_http_scheme(uri) {
        return Err(dl_syntax(
            uri,
            "it does not start with http:// or https://",
            "开头不是 http:// 或 https://",
        ));
    }
    let after_scheme = uri.split_once("://").map_or("", |(_, r)| r);
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    let without_query = slice(after_scheme, 0, end);
    let (authority, path) = match without_query.find('/') {
        Some(i) => (
            slice(without_query, 0, i),
            slice(without_query, i + 1, without_query.len()),
        ),
        None => (without_query, ""),
    };
    if authority.is_empty() || authority.contains(char::is_whitespace) {
        return Err(dl_syntax(uri, "the host is missing", "缺少主机名"));
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let no_key = || {
        dl_syntax(
            uri,
            "no GS1 primary key (such as /01/) was found in its path",
            "路径中没有 GS1 主键（如 /01/）",
        )
    };
    if segments.iter().any(|s| s.is_empty()) {
        return Err(no_key());
    }
    // The primary key is the first segment with an AI after which only
    // qualifier/value pairs follow.
    for (i, seg) in segments.iter().enumerate() {
        let Some(primary) = primary_ai(seg) else {
            continue;
        };
        let rest = &segments[i + 1..];
        if rest.is_empty() || rest.len() % 2 != 1 {
            continue;
        }
        let mut quals = Vec::new();
        let mut ok = true;
        for pair in rest[1..].chunks(2) {
            match (pair.first().and_then(|s| qualifier_ai(primary, s)), pair.get(1)) {
                (Some(q), Some(v)) if !quals.iter().any(|(seen, _)| *seen == q) => quals.push((q, *v)),
                _ => ok = false,
            }
        }
        if !ok {
            continue;
        }
        let value = percent_decode(rest[0])
            .ok_or_else(|| dl_syntax(uri, "a percent-escape is broken", "百分号转义有误"))?;
        let mut decoded = Vec::with_capacity(quals.len());
        for (q, v) in quals {
            let v = percent_decode(v)
                .ok_or_else(|| dl_syntax(uri, "a percent-escape is broken", "百分号转义有误"))?;
            decoded.push((q, v));
        }
        let key = build_key(uri, primary, &value, &decoded, strict)?;
        return if strict { key.refuse_zero() } else { Ok(key) };
    }
    Err(no_key())
}

/// A numeric key of one of `lengths`, check digit verified when `strict`.
fn numeric_key(
    uri: &str,
    value: &str,
    lengths: &[usize],
    name: &str,
    strict: bool,
) -> Result<String, Invalid> {
    if !is_digits(value) || !lengths.contains(&value.len()) {
        let n = lengths
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/");
        return Err(dl_syntax(
            uri,
            &format!("the {name} must be {n} digits"),
            &format!("{name} 应为 {n} 位数字"),
        ));
    }
    if strict && !check_digit_ok(value) {
        return Err(Invalid::new(
            "dl_check_digit",
            format!(
                "The check digit of the {name} {value} in '{}' is wrong.",
                clip(uri)
            ),
            format!("“{}”中 {name} {value} 的校验位错误。", clip(uri)),
        ));
    }
    Ok(value.to_owned())
}

/// Splits `value` into `n` leading digits and the rest.
fn digits_then_rest<'a>(
    uri: &str,
    value: &'a str,
    n: usize,
    name: &str,
) -> Result<(&'a str, &'a str), Invalid> {
    match (value.get(..n), value.get(n..)) {
        (Some(d), Some(rest)) if is_digits(d) => Ok((d, rest)),
        _ => Err(dl_syntax(
            uri,
            &format!("the {name} must start with {n} digits"),
            &format!("{name} 应以 {n} 位数字开头"),
        )),
    }
}

fn dl_component(
    value: &str,
    min: usize,
    max: usize,
    what_en: &str,
    what_zh: &str,
) -> Result<String, Invalid> {
    check_cset82(value, min, max).map_err(|()| {
        component_error(
            what_en,
            what_zh,
            value,
            &format!("{min} to {max} characters of GS1 character set 82"),
            &format!("应为 {min} 至 {max} 个 GS1 82 字符集字符"),
        )
    })?;
    Ok(value.to_owned())
}

fn build_key(
    uri: &str,
    primary: Primary,
    value: &str,
    quals: &[(Qualifier, String)],
    strict: bool,
) -> Result<Gs1Key, Invalid> {
    let qual = |q: Qualifier| quals.iter().find(|(k, _)| *k == q).map(|(_, v)| v.as_str());
    Ok(match primary {
        Primary::Gtin => {
            let raw = numeric_key(uri, value, &[8, 12, 13, 14], "GTIN", strict)?;
            let gtin = format!("{raw:0>14}");
            if let Some(cpv) = qual(Qualifier::Cpv) {
                dl_component(cpv, 1, 20, "consumer product variant", "消费产品变体")?;
            }
            let lot = qual(Qualifier::Lot)
                .map(|v| dl_component(v, 1, 20, "batch/lot number", "批号"))
                .transpose()?;
            let serial = qual(Qualifier::Serial)
                .map(|v| dl_component(v, 1, 20, "serial number", "序列号"))
                .transpose()?;
            match (serial, lot) {
                (Some(serial), _) => Gs1Key::Sgtin { gtin, serial },
                (None, Some(lot)) => Gs1Key::Lgtin { gtin, lot },
                (None, None) => Gs1Key::Gtin { gtin },
            }
        }
        Primary::Sscc => Gs1Key::Sscc {
            sscc: numeric_key(uri, value, &[18], "SSCC", strict)?,
        },
        Primary::Gln => Gs1Key::Sgln {
            gln: numeric_key(uri, value, &[13], "GLN", strict)?,
            extension: qual(Qualifier::GlnExtension)
                .filter(|e| *e != "0")
                .map(|v| dl_component(v, 1, 20, "GLN extension", "GLN 扩展"))
                .transpose()?,
        },
        Primary::Party => Gs1Key::Pgln {
            gln: numeric_key(uri, value, &[13], "party GLN", strict)?,
        },
        Primary::Grai => {
            let (d, serial) = digits_then_rest(uri, value, 14, "GRAI")?;
            if strict && !d.starts_with('0') {
                return Err(dl_syntax(
                    uri,
                    "a GRAI (AI 8003) starts with 0",
                    "GRAI（AI 8003）应以 0 开头",
                ));
            }
            Gs1Key::Grai {
                grai: numeric_key(uri, d, &[14], "GRAI", strict)?,
                serial: if serial.is_empty() {
                    None
                } else {
                    Some(dl_component(serial, 1, 16, "GRAI serial number", "GRAI 序列号")?)
                },
            }
        }
        Primary::Giai => {
            let giai = dl_component(value, 1, 30, "GIAI", "GIAI")?;
            if strict && giai.bytes().take_while(u8::is_ascii_digit).count() < 6 {
                return Err(dl_syntax(
                    uri,
                    "a GIAI starts with a company prefix of at least 6 digits",
                    "GIAI 应以至少 6 位的厂商识别代码开头",
                ));
            }
            Gs1Key::Giai { giai }
        }
        Primary::Gsrn => Gs1Key::Gsrn {
            gsrn: numeric_key(uri, value, &[18], "GSRN", strict)?,
        },
        Primary::Gsrnp => Gs1Key::Gsrnp {
            gsrnp: numeric_key(uri, value, &[18], "GSRNP", strict)?,
        },
        Primary::Gdti => {
            let (d, serial) = digits_then_rest(uri, value, 13, "GDTI")?;
            Gs1Key::Gdti {
                gdti: numeric_key(uri, d, &[13], "GDTI", strict)?,
                serial: if serial.is_empty() {
                    None
                } else {
                    Some(dl_component(
                        serial,
                        1,
                        17,
                        "document serial number",
                        "文件序列号",
                    )?)
                },
            }
        }
        Primary::Gcn => {
            let (d, serial) = digits_then_rest(uri, value, 13, "GCN")?;
            if !serial.bytes().all(|b| b.is_ascii_digit()) || serial.len() > 12 {
                return Err(dl_syntax(
                    uri,
                    "a coupon serial is up to 12 digits",
                    "优惠券序列号最多 12 位数字",
                ));
            }
            Gs1Key::Sgcn {
                gcn: numeric_key(uri, d, &[13], "GCN", strict)?,
                serial: (!serial.is_empty()).then(|| serial.to_owned()),
            }
        }
        Primary::Ginc => {
            let ginc = dl_component(value, 1, 30, "GINC", "GINC")?;
            if strict && ginc.bytes().take_while(u8::is_ascii_digit).count() < 6 {
                return Err(dl_syntax(
                    uri,
                    "a GINC starts with a company prefix of at least 6 digits",
                    "GINC 应以至少 6 位的厂商识别代码开头",
                ));
            }
            Gs1Key::Ginc { ginc }
        }
        Primary::Gsin => Gs1Key::Gsin {
            gsin: numeric_key(uri, value, &[17], "GSIN", strict)?,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seven(_: &str) -> Option<usize> {
        Some(7)
    }

    #[test]
    fn digital_link_as_urn_only_when_exact() {
        let r = KnownPrefixes::new(["6901234", "69200001"]).unwrap();
        let cases = [
            (
                "https://id.gs1.org/01/06901234567892/21/000123",
                Some("urn:epc:id:sgtin:6901234.056789.000123"),
            ),
            (
                "https://trace.example.cn/01/06901234567892/10/B20240615A01",
                Some("urn:epc:class:lgtin:6901234.056789.B20240615A01"),
            ),
            (
                "https://id.gs1.org/01/06901234567892",
                Some("urn:epc:idpat:sgtin:6901234.056789.*"),
            ),
            (
                "https://id.gs1.org/00/069012340000000016",
                Some("urn:epc:id:sscc:6901234.0000000001"),
            ),
            (
                "https://id.gs1.org/414/6901234000009",
                Some("urn:epc:id:sgln:6901234.00000.0"),
            ),
            (
                "https://id.gs1.org/414/6901234000016/254/A%2F1",
                Some("urn:epc:id:sgln:6901234.00001.A%2F1"),
            ),
            (
                "https://id.gs1.org/417/6901234000009",
                Some("urn:epc:id:pgln:6901234.00000"),
            ),
            // 8-digit prefix.
            (
                "https://id.gs1.org/01/06920000100019/21/7",
                Some("urn:epc:id:sgtin:69200001.00001.7"),
            ),
            // Unregistered prefix, CPV, query string, short names, wrong check digit, not a DL.
            ("https://id.gs1.org/01/09521234123453/21/1", None),
            ("https://id.gs1.org/01/06901234567892/22/A/10/B", None),
            ("https://id.gs1.org/01/06901234567892/10/B?17=260101", None),
            ("https://id.gs1.org/gtin/06901234567892/ser/1", None),
            ("https://id.gs1.org/01/06901234567891/21/1", None),
            ("urn:epc:id:sgtin:6901234.056789.000123", None),
        ];
        for (dl, urn) in cases {
            assert_eq!(digital_link_as_urn(dl, &r).as_deref(), urn, "{dl}");
        }
    }

    #[test]
    fn reference_vectors_urn_to_dl() {
        let cases = [
            (
                "urn:epc:id:sgtin:6901234.056789.000123",
                "https://id.gs1.org/01/06901234567892/21/000123",
            ),
            (
                "urn:epc:class:lgtin:6901234.056789.B20240615A01",
                "https://id.gs1.org/01/06901234567892/10/B20240615A01",
            ),
            (
                "urn:epc:id:sscc:6901234.0000000001",
                "https://id.gs1.org/00/069012340000000016",
            ),
            (
                "urn:epc:id:sgln:6901234.00000.0",
                "https://id.gs1.org/414/6901234000009",
            ),
            (
                "urn:epc:idpat:sgtin:6901234.056789.*",
                "https://id.gs1.org/01/06901234567892",
            ),
        ];
        for (urn, dl) in cases {
            assert_eq!(urn_to_digital_link(urn).unwrap(), dl, "{urn}");
            assert_eq!(digital_link_to_urn(dl, &seven).unwrap(), urn, "{dl}");
        }
    }

    #[test]
    fn other_schemes_both_ways() {
        // Vectors checked against the GS1 examples (0614141 is GS1 US's example prefix).
        let cases = [
            (
                "urn:epc:id:sgtin:0614141.107346.2017",
                "https://id.gs1.org/01/10614141073464/21/2017",
            ),
            (
                "urn:epc:id:sscc:0614141.1234567890",
                "https://id.gs1.org/00/106141412345678908",
            ),
            (
                "urn:epc:id:sgln:0614141.07346.1234",
                "https://id.gs1.org/414/0614141073467/254/1234",
            ),
            (
                "urn:epc:id:pgln:0614141.00777",
                "https://id.gs1.org/417/0614141007776",
            ),
            (
                "urn:epc:id:grai:0614141.12345.400",
                "https://id.gs1.org/8003/00614141123452400",
            ),
            (
                "urn:epc:id:giai:0614141.12345400",
                "https://id.gs1.org/8004/061414112345400",
            ),
            (
                "urn:epc:id:gsrn:0614141.0000010253",
                "https://id.gs1.org/8018/061414100000102534",
            ),
            (
                "urn:epc:id:gsrnp:0614141.0000010253",
                "https://id.gs1.org/8017/061414100000102534",
            ),
            (
                "urn:epc:id:gdti:0614141.00001.1618034",
                "https://id.gs1.org/253/06141410000121618034",
            ),
            (
                "urn:epc:id:sgcn:0614141.12345.04711",
                "https://id.gs1.org/255/061414112345204711",
            ),
            (
                "urn:epc:id:ginc:0614141.xyz47%2F11",
                "https://id.gs1.org/401/0614141xyz47%2F11",
            ),
            (
                "urn:epc:id:gsin:0614141.123456789",
                "https://id.gs1.org/402/06141411234567890",
            ),
            (
                "urn:epc:idpat:grai:0614141.12345.*",
                "https://id.gs1.org/8003/00614141123452",
            ),
            (
                "urn:epc:idpat:gdti:0614141.00001.*",
                "https://id.gs1.org/253/0614141000012",
            ),
        ];
        let prefix = |_: &str| Some(7);
        for (urn, dl) in cases {
            assert_eq!(urn_to_digital_link(urn).unwrap(), dl, "{urn}");
            assert_eq!(digital_link_to_urn(dl, &prefix).unwrap(), urn, "{dl}");
        }
    }

    #[test]
    fn serials_are_escaped_per_form() {
        let urn = "urn:epc:id:sgtin:9521234.012345.AB%2F12+x";
        let key = Gs1Key::from_epc_urn(urn).unwrap();
        assert_eq!(
            key,
            Gs1Key::Sgtin {
                gtin: "09521234123453".into(),
                serial: "AB/12+x".into()
            }
        );
        assert_eq!(
            key.to_digital_link(),
            "https://id.gs1.org/01/09521234123453/21/AB%2F12%2Bx"
        );
        assert_eq!(digital_link_to_urn(&key.to_digital_link(), &seven).unwrap(), urn);
    }

    #[test]
    fn dl_on_other_domains_and_short_names() {
        let key = Gs1Key::from_digital_link(
            "https://trace.example.cn/some/prefix/gtin/6901234567892/lot/B1/ser/7?17=250101#x",
        )
        .unwrap();
        assert_eq!(key.to_digital_link(), "https://id.gs1.org/01/06901234567892/21/7");
        let key = Gs1Key::from_digital_link("https://example.com/01/12312312312326/22/ABC/10/DEF").unwrap();
        assert_eq!(
            key.to_digital_link(),
            "https://id.gs1.org/01/12312312312326/10/DEF"
        );
        assert_eq!(
            key.to_digital_link_on("https://trace.example.cn/"),
            "https://trace.example.cn/01/12312312312326/10/DEF"
        );
        let key = Gs1Key::from_digital_link("http://example.org/414/6901234000009/254/0").unwrap();
        assert_eq!(key.to_digital_link(), "https://id.gs1.org/414/6901234000009");
    }

    #[test]
    fn errors_are_distinguished() {
        let code = |r: Result<Gs1Key, Invalid>| r.unwrap_err().code;
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:id:sgtin:6901234.056789")),
            "epc_urn_syntax"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:id:sgtin:690123.056789.1")),
            "epc_urn_syntax"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:id:sgtin:6901234.056789.")),
            "epc_component"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:id:sgtin:6901234.056789.a b")),
            "epc_component"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:id:sgtin:6901234.056789.%2")),
            "epc_component"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn(
                "urn:epc:id:sgtin:6901234.056789.123456789012345678901"
            )),
            "epc_component"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:id:gid:95100000.12345.400")),
            "epc_urn_scheme"
        );
        assert_eq!(
            code(Gs1Key::from_epc_urn("urn:epc:idpat:sgtin:6901234.*.*")),
            "epc_urn_syntax"
        );
        assert_eq!(code(Gs1Key::from_epc_urn("urn:isbn:123")), "epc_urn_syntax");
        assert_eq!(
            code(Gs1Key::from_digital_link("https://id.gs1.org/01/06901234567891")),
            "dl_check_digit"
        );
        assert_eq!(
            code(Gs1Key::from_digital_link("https://example.com/po/123")),
            "dl_syntax"
        );
        assert_eq!(
            code(Gs1Key::from_digital_link("https://example.com/01/123")),
            "dl_syntax"
        );
        assert_eq!(
            code(Gs1Key::from_digital_link("ftp://example.com/01/06901234567892")),
            "dl_syntax"
        );
        assert_eq!(
            code(Gs1Key::from_digital_link(
                "https://id.gs1.org/01/06901234567892/99/x"
            )),
            "dl_syntax"
        );
        // A wrong check digit is kept when canonicalising for comparison.
        assert_eq!(
            canonical_web_uri("https://example.com/01/06901234567891/21/1").as_deref(),
            Some("https://id.gs1.org/01/06901234567891/21/1")
        );
        assert_eq!(canonical_web_uri("https://example.com/po/1"), None);
    }

    #[test]
    fn unknown_or_unfitting_prefix_is_a_clear_error() {
        let dl = "https://id.gs1.org/01/06901234567892/21/1";
        let e = digital_link_to_urn(dl, &|_: &str| None).unwrap_err();
        assert_eq!(e.code, "epc_company_prefix_unknown");
        assert!(e.en.contains("690123456789"), "{}", e.en);
        let e = digital_link_to_urn(dl, &|_: &str| Some(13)).unwrap_err();
        assert_eq!(e.code, "epc_company_prefix");
        let e = digital_link_to_urn("https://id.gs1.org/8004/6901234AB", &|_: &str| Some(8)).unwrap_err();
        assert_eq!(e.code, "epc_company_prefix");
    }

    #[test]
    fn known_prefixes_need_one_match() {
        let known = KnownPrefixes::new(["6901234", "6901234", "69200001", "952123", "9521234"]).unwrap();
        assert_eq!(known.company_prefix_length("690123456789"), Some(7));
        assert_eq!(known.company_prefix_length("692000010001"), Some(8));
        // No registered prefix, or two of different lengths: unknown.
        assert_eq!(known.company_prefix_length("690124456789"), None);
        assert_eq!(known.company_prefix_length("952123412345"), None);
        assert_eq!(known.company_prefix_length("952123512345"), Some(6));
        assert_eq!(
            KnownPrefixes::default().company_prefix_length("690123456789"),
            None
        );
        assert_eq!(
            digital_link_to_urn("https://id.gs1.org/01/06901234567892/21/9", &known).unwrap(),
            "urn:epc:id:sgtin:6901234.056789.9"
        );
        assert_eq!(
            KnownPrefixes::new(["12345"]).unwrap_err().code,
            "epc_company_prefix"
        );
    }

    #[test]
    fn check_epc_accepts_other_epc_schemes_by_syntax() {
        assert!(check_epc("urn:epc:id:gid:95100000.12345.400").is_ok());
        assert!(check_epc("urn:epc:id:cpi:0614141.123ABC.123456789").is_ok());
        assert!(check_epc("urn:epc:id:gid:").is_err());
        assert!(check_epc("urn:epc:id:sgtin:0614141.107346.2017").is_ok());
        assert!(check_epc("https://id.gs1.org/01/09521234543213/21/1").is_ok());
        assert!(check_epc("https://example.com/items/1").is_err());
        assert!(check_epc("geo:1,2").is_err());
    }

    #[test]
    fn instance_and_class_keys() {
        assert!(Gs1Key::from_epc_urn("urn:epc:id:sgtin:6901234.056789.1")
            .unwrap()
            .is_instance());
        assert!(!Gs1Key::from_epc_urn("urn:epc:class:lgtin:6901234.056789.L1")
            .unwrap()
            .is_instance());
        assert!(!Gs1Key::from_epc_urn("urn:epc:idpat:sgtin:6901234.056789.*")
            .unwrap()
            .is_instance());
    }

    #[test]
    fn zero_keys_are_refused_in_both_spellings() {
        let zero = [
            "urn:epc:id:sgtin:0000000.000000.1",
            "urn:epc:id:sgtin:0000000.100000.1",
            "urn:epc:class:lgtin:0000000.000000.L1",
            "urn:epc:idpat:sgtin:0000000.000000.*",
            "urn:epc:id:sscc:0000000.0000000000",
            "urn:epc:id:sgln:0000000.00000.0",
            "urn:epc:id:pgln:0000000.00000",
            "urn:epc:id:grai:0000000.00000.1",
            "urn:epc:idpat:grai:0000000.00000.*",
            "urn:epc:id:giai:000000.0",
            "urn:epc:id:gsrn:0000000.0000000000",
            "urn:epc:id:gsrnp:0000000.0000000000",
            "urn:epc:id:gdti:0000000.00000.1",
            "urn:epc:id:sgcn:0000000.00000.1",
            "urn:epc:id:ginc:000000.00",
            "urn:epc:id:gsin:0000000.000000000",
            "https://id.gs1.org/01/00000000000000",
            "https://id.gs1.org/01/00000000000000/21/1",
            "https://id.gs1.org/01/10000000000007/10/L",
            "https://id.gs1.org/01/00000000",
            "https://id.gs1.org/00/000000000000000000",
            "https://id.gs1.org/414/0000000000000",
            "https://id.gs1.org/417/0000000000000",
            "https://id.gs1.org/8003/00000000000000",
            "https://id.gs1.org/8004/000000",
            "https://id.gs1.org/8018/000000000000000000",
            "https://id.gs1.org/253/0000000000000",
            "https://id.gs1.org/402/00000000000000000",
        ];
        for uri in zero {
            let e = parse_epc(uri).unwrap_err();
            assert_eq!(e.code, "gs1_zero", "{uri}");
            assert!(e.zh.contains("全为零"), "{}", e.zh);
            assert!(check_epc(uri).is_err(), "{uri}");
        }
        // As written, for comparing: kept.
        assert_eq!(
            canonical_web_uri("urn:epc:id:sgtin:0000000.000000.1").as_deref(),
            Some("https://id.gs1.org/01/00000000000000/21/1")
        );
        // One significant digit names something.
        for uri in [
            "urn:epc:id:sgtin:0000000.000001.1",
            "urn:epc:id:sscc:0000000.0000000001",
            "urn:epc:id:giai:000000.A",
            "https://id.gs1.org/414/0000000000017",
        ] {
            assert!(parse_epc(uri).is_ok(), "{uri}");
        }
    }

    proptest! {
        #[test]
        fn zero_dl_keys_with_valid_check_digits_are_refused_and_others_parse(
            ai in prop::sample::select(vec![("01", 14usize, 1usize), ("00", 18, 1), ("414", 13, 0),
                                            ("417", 13, 0), ("8018", 18, 0), ("8017", 18, 0), ("402", 17, 0)]),
            lead in 0u8..=9,
            at in 0usize..20,
            digit in 1u8..=9,
        ) {
            let (ai, len, skip) = ai;
            let mut data = vec![b'0'; len - 1];
            if skip == 1 {
                data[0] = b'0' + lead;
            }
            let zero = with_check(std::str::from_utf8(&data).unwrap());
            let e = parse_epc(&format!("https://id.gs1.org/{ai}/{zero}")).unwrap_err();
            prop_assert_eq!(e.code, "gs1_zero");
            data[skip + at % (len - 1 - skip)] = b'0' + digit;
            let some = with_check(std::str::from_utf8(&data).unwrap());
            let uri = format!("https://id.gs1.org/{ai}/{some}");
            prop_assert!(parse_epc(&uri).is_ok(), "{}", uri);
        }

        #[test]
        fn sgtin_urn_dl_urn_round_trip(
            prefix_len in 6usize..=12,
            digits in "[0-9]{13}",
            serial in "[!%-?A-Z_a-z\"]{1,20}",
        ) {
            // Any CSET 82 serial, escaped for the URN.
            let cp = &digits[..prefix_len];
            let item = &digits[prefix_len..];
            prop_assume!(format!("{cp}{}", &item[1..]).bytes().any(|b| b != b'0'));
            let urn = format!("urn:epc:id:sgtin:{cp}.{item}.{}", urn_escape(&serial));
            let dl = urn_to_digital_link(&urn).unwrap();
            prop_assert!(dl.starts_with("https://id.gs1.org/01/"));
            let back = digital_link_to_urn(&dl, &|_: &str| Some(prefix_len)).unwrap();
            prop_assert_eq!(&back, &urn);
            let key = Gs1Key::from_digital_link(&dl).unwrap();
            prop_assert_eq!(key, Gs1Key::from_epc_urn(&urn).unwrap());
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,60}") {
            let _ = parse_epc(&s);
            let _ = check_epc(&s);
            let _ = canonical_web_uri(&s);
            let _ = Gs1Key::from_digital_link(&format!("https://x.cn/{s}"));
            let _ = Gs1Key::from_epc_urn(&format!("urn:epc:id:sgtin:{s}"));
        }
    }
}
