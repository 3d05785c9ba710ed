//! GS1 identification keys: GTIN (products), GLN (locations) and SSCC
//! (logistic units such as cases and pallets), and the GS1 Company Prefix
//! that starts them.
//!
//! Labels, QR codes and EPCIS events name things by these keys. Each key ends
//! in a mod-10 check digit; a key is only ever built by `parse`, which enforces
//! that digit, so a mistyped or misscanned number is refused at the edge of the
//! system instead of silently naming a different product.
//!
//! A key whose significant digits are all zero (`00000000000000`,
//! `0000000000000`, ...) has a valid check digit (0) yet names nothing: no
//! company prefix starts with zeros only. It is refused with `gs1_zero`. The
//! significant digits are the key's digits without its check digit and,
//! where a key starts with one, without its leading indicator or extension
//! digit (GTIN-14, SSCC; a GRAI's leading filler `0`): an indicator digit
//! only says which packaging level of the item the rest names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// The GS1 mod-10 check digit of `digits` (the key without its check digit).
///
/// Weights 3, 1, 3, 1, ... are applied from the right, so the rightmost data
/// digit gets 3; the check digit is `(10 - sum mod 10) mod 10`.
///
/// Callers pass ASCII digits only (the parsers here validate first); any other
/// byte counts as 0 rather than panicking.
pub fn gs1_check_digit(digits: &str) -> u8 {
    let sum = digits.bytes().rev().enumerate().fold(0u32, |acc, (i, b)| {
        let d = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            0
        };
        let weight = if i % 2 == 0 { 3 } else { 1 };
        (acc + d * weight) % 10
    });
    // `sum` is below 10, so the result always fits in a u8.
    ((10 - sum) % 10) as u8
}

/// What differs between the kinds of key: names, allowed lengths, error codes.
struct KeyRules {
    name_en: &'static str,
    name_zh: &'static str,
    lengths: &'static [usize],
    lengths_en: &'static str,
    lengths_zh: &'static str,
    code_empty: &'static str,
    code_not_digits: &'static str,
    code_length: &'static str,
    code_check_digit: &'static str,
    /// Keys of this length start with an indicator or extension digit that
    /// is not significant on its own (GTIN-14, SSCC).
    indicator_at: Option<usize>,
}

const GTIN_RULES: KeyRules = KeyRules {
    name_en: "GTIN",
    name_zh: "全球贸易项目代码（GTIN）",
    lengths: &[8, 12, 13, 14],
    lengths_en: "8, 12, 13 or 14",
    lengths_zh: "8、12、13 或 14",
    code_empty: "gtin_empty",
    code_not_digits: "gtin_not_digits",
    code_length: "gtin_length",
    code_check_digit: "gtin_check_digit",
    indicator_at: Some(14),
};

const GLN_RULES: KeyRules = KeyRules {
    name_en: "GLN",
    name_zh: "全球位置码（GLN）",
    lengths: &[13],
    lengths_en: "13",
    lengths_zh: "13",
    code_empty: "gln_empty",
    code_not_digits: "gln_not_digits",
    code_length: "gln_length",
    code_check_digit: "gln_check_digit",
    indicator_at: None,
};

const SSCC_RULES: KeyRules = KeyRules {
    name_en: "SSCC",
    name_zh: "系列货运包装箱代码（SSCC）",
    lengths: &[18],
    lengths_en: "18",
    lengths_zh: "18",
    code_empty: "sscc_empty",
    code_not_digits: "sscc_not_digits",
    code_length: "sscc_length",
    code_check_digit: "sscc_check_digit",
    indicator_at: Some(18),
};

/// Whether the significant digits of the numeric `key` (check digit last) are
/// all zero: every digit from `skip_leading` up to the check digit. A key too
/// short to have any significant digit counts as zero.
pub fn significant_digits_zero(key: &str, skip_leading: usize) -> bool {
    let end = key.len().saturating_sub(1);
    key.as_bytes()
        .get(skip_leading..end)
        .is_none_or(|digits| digits.iter().all(|&b| b == b'0'))
}

/// The refusal of a key whose significant digits are all zero (`gs1_zero`);
/// `name_en`/`name_zh` name the kind of key (`GTIN`, `GLN`, ...).
pub fn zero_key_error(name_en: &str, name_zh: &str) -> Invalid {
    Invalid::new(
        "gs1_zero",
        format!("A {name_en} whose digits are all zero names nothing; use the key allocated to the thing."),
        format!("{name_zh}的有效数字全为零，不标识任何对象；请使用为其分配的代码。"),
    )
}

/// Checks a key against `rules` and returns its digits (surrounding whitespace
/// removed). Order of checks: empty, non-digit, length, check digit, zero.
fn parse_key<'a>(input: &'a str, rules: &KeyRules) -> Result<&'a str, Invalid> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Invalid::new(
            rules.code_empty,
            format!("The {} is empty.", rules.name_en),
            format!("{}不能为空。", rules.name_zh),
        ));
    }
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        let pos = i + 1;
        return Err(Invalid::new(
            rules.code_not_digits,
            format!(
                "A {} contains digits only, but character {} '{}' is not a digit.",
                rules.name_en,
                pos,
                c.escape_debug()
            ),
            format!(
                "{}只能由数字组成，第 {} 个字符“{}”不是数字。",
                rules.name_zh,
                pos,
                c.escape_debug()
            ),
        ));
    }
    // All ASCII from here on, so bytes and characters coincide.
    let len = s.len();
    if !rules.lengths.contains(&len) {
        return Err(Invalid::new(
            rules.code_length,
            format!(
                "A {} has {} digits, but this one has {}.",
                rules.name_en, rules.lengths_en, len
            ),
            format!(
                "{}应为 {} 位数字，实际为 {} 位。",
                rules.name_zh, rules.lengths_zh, len
            ),
        ));
    }
    let (data, check) = s.split_at(len - 1);
    let expected = gs1_check_digit(data);
    let actual = check.as_bytes().first().map_or(0, |b| b - b'0');
    if expected != actual {
        return Err(Invalid::new(
            rules.code_check_digit,
            format!(
                "The {} check digit should be {}, but it is {}.",
                rules.name_en, expected, actual
            ),
            format!("{}的校验位应为 {}，实际为 {}。", rules.name_zh, expected, actual),
        ));
    }
    let skip = usize::from(rules.indicator_at == Some(len));
    if significant_digits_zero(s, skip) {
        return Err(zero_key_error(rules.name_en, rules.name_zh));
    }
    Ok(s)
}

/// The API shared by every key type: accessors, formatting, `FromStr` and the
/// string conversions serde uses.
macro_rules! gs1_key_api {
    ($ty:ident) => {
        impl $ty {
            /// The key's digits, check digit included.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = Invalid;
            fn try_from(s: String) -> Result<Self, Invalid> {
                Self::parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(key: $ty) -> String {
                key.0
            }
        }
    };
}

/// Global Trade Item Number, always held as GTIN-14.
///
/// `parse` accepts GTIN-8, -12, -13 and -14 and left-pads with zeros, so
/// `6901234567892` becomes `06901234567892`. Serialized as that string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gtin(String);

impl Gtin {
    /// Parses a GTIN-8/12/13/14 (surrounding whitespace ignored).
    ///
    /// Errors: `gtin_empty`, `gtin_not_digits`, `gtin_length`, `gtin_check_digit`,
    /// `gs1_zero`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let digits = parse_key(s, &GTIN_RULES)?;
        Ok(Self(format!("{digits:0>14}")))
    }
}

gs1_key_api!(Gtin);

/// Global Location Number: 13 digits, the last a check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gln(String);

impl Gln {
    /// Parses a GLN (surrounding whitespace ignored).
    ///
    /// Errors: `gln_empty`, `gln_not_digits`, `gln_length`, `gln_check_digit`,
    /// `gs1_zero`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        parse_key(s, &GLN_RULES).map(|d| Self(d.to_owned()))
    }
}

gs1_key_api!(Gln);

/// Serial Shipping Container Code: 18 digits, the last a check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sscc(String);

impl Sscc {
    /// Parses an SSCC (surrounding whitespace ignored).
    ///
    /// Errors: `sscc_empty`, `sscc_not_digits`, `sscc_length`, `sscc_check_digit`,
    /// `gs1_zero`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        parse_key(s, &SSCC_RULES).map(|d| Self(d.to_owned()))
    }
}

gs1_key_api!(Sscc);

/// A GS1 Company Prefix as the organisation's registration certificate
/// states it: 7 to 10 digits. Its length is never inferred from a key's
/// digits (number ranges are allocated with several lengths); it is what an
/// EPC URN needs to split a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyPrefix(String);

impl CompanyPrefix {
    /// The prefix's digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a registered company prefix (surrounding whitespace ignored).
    ///
    /// Errors: `company_prefix_format`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if (7..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid::new(
                "company_prefix_format",
                "A GS1 Company Prefix is 7 to 10 digits (0-9), as on the registration certificate.",
                "GS1 厂商识别代码应为注册证书上的 7 至 10 位数字（0-9）。",
            ))
        }
    }

    /// Checks that this prefix starts `gtin` after its indicator digit
    /// (GTIN-14 digits 2 onwards), i.e. that the GTIN was allocated under it.
    ///
    /// Errors: `company_prefix_mismatch`.
    pub fn check_gtin(&self, gtin: &Gtin) -> Result<(), Invalid> {
        let body = gtin.as_str().get(1..).unwrap_or("");
        if body.starts_with(self.as_str()) {
            Ok(())
        } else {
            Err(Invalid::new(
                "company_prefix_mismatch",
                format!(
                    "The GTIN-14 {gtin} does not start with the company prefix {} after its indicator digit (digits 2 to {}).",
                    self.0,
                    self.0.len() + 1
                ),
                format!(
                    "GTIN-14 {gtin} 在指示符之后（第 2 至 {} 位）不是以厂商识别代码 {} 开头。",
                    self.0.len() + 1,
                    self.0
                ),
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code<T: std::fmt::Debug>(r: Result<T, Invalid>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn check_digit_of_reference_vectors() {
        assert_eq!(gs1_check_digit("0234567"), 3);
        assert_eq!(gs1_check_digit("690123456789"), 2);
        assert_eq!(gs1_check_digit("12345678901234567"), 5);
        assert_eq!(gs1_check_digit(""), 0);
    }

    #[test]
    fn valid_gtins_from_the_reference() {
        let cases = [
            ("02345673", "00000002345673"),
            ("416000336108", "00416000336108"),
            ("1234567890128", "01234567890128"),
            ("6901234567892", "06901234567892"),
            ("12345678901231", "12345678901231"),
            ("06901234567892", "06901234567892"),
            ("00614141777778", "00614141777778"),
        ];
        for (input, gtin14) in cases {
            let g = Gtin::parse(input).unwrap();
            assert_eq!(g.as_str(), gtin14, "{input}");
            assert_eq!(g.to_string(), gtin14);
        }
    }

    #[test]
    fn gtin13_and_its_gtin14_form_are_the_same_key() {
        assert_eq!(
            Gtin::parse("6901234567892").unwrap(),
            Gtin::parse("06901234567892").unwrap()
        );
    }

    #[test]
    fn invalid_gtins_from_the_reference() {
        let e = Gtin::parse("02345674").unwrap_err();
        assert_eq!(e.code, "gtin_check_digit");
        assert!(e.en.contains("should be 3"), "{}", e.en);
        assert!(e.zh.contains("应为 3"), "{}", e.zh);

        let e = Gtin::parse("6901234567891").unwrap_err();
        assert_eq!(e.code, "gtin_check_digit");
        assert!(e.en.contains("should be 2"), "{}", e.en);
    }

    #[test]
    fn gtin_errors_are_distinguished() {
        assert_eq!(code(Gtin::parse("")), "gtin_empty");
        assert_eq!(code(Gtin::parse("   ")), "gtin_empty");
        assert_eq!(code(Gtin::parse("690123456789A")), "gtin_not_digits");
        assert_eq!(code(Gtin::parse("６901234567892")), "gtin_not_digits");
        assert_eq!(code(Gtin::parse("6901234-567892")), "gtin_not_digits");
        assert_eq!(code(Gtin::parse("690123456789")), "gtin_check_digit");
        assert_eq!(code(Gtin::parse("69012345678")), "gtin_length");
        assert_eq!(code(Gtin::parse("123456789012345")), "gtin_length");
        assert_eq!(code(Gtin::parse("1234567")), "gtin_length");
        let e = Gtin::parse("12A4").unwrap_err();
        assert!(e.en.contains("character 3 'A'"), "{}", e.en);
        assert!(e.zh.contains("第 3 个字符"), "{}", e.zh);
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(
            Gtin::parse(" 6901234567892\n").unwrap().as_str(),
            "06901234567892"
        );
    }

    #[test]
    fn valid_glns_from_the_reference() {
        for s in ["6901234000009", "6901234000016", "4012345000009"] {
            assert_eq!(Gln::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn gln_errors_are_distinguished() {
        assert_eq!(code(Gln::parse("")), "gln_empty");
        assert_eq!(code(Gln::parse("690123400000X")), "gln_not_digits");
        assert_eq!(code(Gln::parse("69012340000")), "gln_length");
        assert_eq!(code(Gln::parse("06901234000009")), "gln_length");
        let e = Gln::parse("6901234000008").unwrap_err();
        assert_eq!(e.code, "gln_check_digit");
        assert!(e.en.contains("should be 9"), "{}", e.en);
    }

    #[test]
    fn valid_ssccs_from_the_reference() {
        for s in ["123456789012345675", "069012340000000016"] {
            assert_eq!(Sscc::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn sscc_errors_are_distinguished() {
        assert_eq!(code(Sscc::parse("")), "sscc_empty");
        assert_eq!(code(Sscc::parse("12345678901234567x")), "sscc_not_digits");
        assert_eq!(code(Sscc::parse("12345678901234567")), "sscc_length");
        let e = Sscc::parse("123456789012345676").unwrap_err();
        assert_eq!(e.code, "sscc_check_digit");
        assert!(e.en.contains("should be 5"), "{}", e.en);
    }

    #[test]
    fn zero_keys_are_refused() {
        for zero in [
            "00000000",
            "000000000000",
            "0000000000000",
            "00000000000000",
            " 00000000000000 ",
        ] {
            let e = Gtin::parse(zero).unwrap_err();
            assert_eq!(e.code, "gs1_zero", "{zero}");
            assert!(e.en.contains("GTIN"), "{}", e.en);
            assert!(e.zh.contains("全为零"), "{}", e.zh);
        }
        // An indicator digit over a zero item names nothing either.
        for indicator in 1..=9u8 {
            let key = with_check(&format!("{indicator}{}", "0".repeat(12)));
            assert_eq!(code(Gtin::parse(&key)), "gs1_zero", "{key}");
        }
        assert_eq!(code(Gln::parse("0000000000000")), "gs1_zero");
        assert_eq!(code(Sscc::parse("000000000000000000")), "gs1_zero");
        assert_eq!(
            code(Sscc::parse(&with_check(&format!("1{}", "0".repeat(16))))),
            "gs1_zero"
        );
        // A zero key with a wrong check digit is a check-digit error first.
        assert_eq!(code(Gtin::parse("00000000000001")), "gtin_check_digit");
        // One significant digit is enough; the reference vectors still parse.
        assert!(Gtin::parse(&with_check(&format!("{}1", "0".repeat(12)))).is_ok());
        assert!(Gln::parse(&with_check(&format!("{}1", "0".repeat(11)))).is_ok());
        assert!(Sscc::parse(&with_check(&format!("0{}1", "0".repeat(15)))).is_ok());
        assert!(Gtin::parse("02345673").is_ok());
        // Serde refuses them too.
        assert!(serde_json::from_str::<Gtin>("\"00000000000000\"").is_err());
        assert!(serde_json::from_str::<Gln>("\"0000000000000\"").is_err());
    }

    #[test]
    fn significant_digits() {
        assert!(significant_digits_zero("00000000000000", 1));
        assert!(significant_digits_zero("10000000000007", 1));
        assert!(!significant_digits_zero("10000000000007", 0));
        assert!(!significant_digits_zero("00000000000017", 1));
        assert!(significant_digits_zero("", 0));
        assert!(significant_digits_zero("5", 0));
        assert!(significant_digits_zero("05", 3));
    }

    #[test]
    fn serde_uses_the_string_and_validates() {
        let g = Gtin::parse("6901234567892").unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), "\"06901234567892\"");
        let back: Gtin = serde_json::from_str("\"6901234567892\"").unwrap();
        assert_eq!(back, g);
        assert!(serde_json::from_str::<Gtin>("\"6901234567891\"").is_err());
        assert!(serde_json::from_str::<Gtin>("6901234567892").is_err());

        let gln: Gln = serde_json::from_str("\"6901234000009\"").unwrap();
        assert_eq!(serde_json::to_string(&gln).unwrap(), "\"6901234000009\"");
        assert!(serde_json::from_str::<Gln>("\"6901234000008\"").is_err());

        let sscc: Sscc = serde_json::from_str("\"069012340000000016\"").unwrap();
        assert_eq!(serde_json::to_string(&sscc).unwrap(), "\"069012340000000016\"");
        assert!(serde_json::from_str::<Sscc>("\"069012340000000017\"").is_err());
    }

    #[test]
    fn from_str_matches_parse() {
        let g: Gtin = "02345673".parse().unwrap();
        assert_eq!(g.as_str(), "00000002345673");
        assert!("02345674".parse::<Gtin>().is_err());
    }

    /// `data` with its check digit appended.
    fn with_check(data: &str) -> String {
        format!("{data}{}", gs1_check_digit(data))
    }

    /// Every string that differs from `s` in exactly one digit.
    fn single_digit_changes(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..s.len() {
            for d in b'0'..=b'9' {
                if s.as_bytes()[i] != d {
                    let mut bytes = s.as_bytes().to_vec();
                    bytes[i] = d;
                    out.push(String::from_utf8(bytes).unwrap());
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn gtin_with_computed_check_digit_is_valid_and_every_single_change_is_caught(
            len in prop::sample::select(vec![8usize, 12, 13, 14]),
            seed in "[0-9]{14}",
        ) {
            let key = with_check(&seed[..len - 1]);
            prop_assume!(!significant_digits_zero(&key, usize::from(len == 14)));
            prop_assert!(Gtin::parse(&key).is_ok());
            for changed in single_digit_changes(&key) {
                prop_assert_eq!(code(Gtin::parse(&changed)), "gtin_check_digit");
            }
        }

        #[test]
        fn gln_with_computed_check_digit_is_valid_and_every_single_change_is_caught(
            data in "[0-9]{12}",
        ) {
            let key = with_check(&data);
            prop_assume!(!significant_digits_zero(&key, 0));
            let parsed = Gln::parse(&key).unwrap();
            prop_assert_eq!(parsed.as_str(), key.as_str());
            for changed in single_digit_changes(&key) {
                prop_assert_eq!(code(Gln::parse(&changed)), "gln_check_digit");
            }
        }

        #[test]
        fn sscc_with_computed_check_digit_is_valid_and_every_single_change_is_caught(
            data in "[0-9]{17}",
        ) {
            let key = with_check(&data);
            prop_assume!(!significant_digits_zero(&key, 1));
            let parsed = Sscc::parse(&key).unwrap();
            prop_assert_eq!(parsed.as_str(), key.as_str());
            for changed in single_digit_changes(&key) {
                prop_assert_eq!(code(Sscc::parse(&changed)), "sscc_check_digit");
            }
        }

        #[test]
        fn short_gtins_round_trip_through_gtin14(
            len in prop::sample::select(vec![8usize, 12, 13]),
            seed in "[0-9]{13}",
        ) {
            let key = with_check(&seed[..len - 1]);
            prop_assume!(!significant_digits_zero(&key, 0));
            let g = Gtin::parse(&key).unwrap();
            prop_assert_eq!(g.as_str().len(), 14);
            prop_assert_eq!(
                g.as_str().trim_start_matches('0'),
                key.trim_start_matches('0')
            );
            // The GTIN-14 form parses to the same key.
            prop_assert_eq!(Gtin::parse(g.as_str()).unwrap(), g);
        }

        #[test]
        fn zero_keys_are_refused_whatever_their_length(
            len in prop::sample::select(vec![8usize, 12, 13, 14]),
            indicator in 0u8..=9,
        ) {
            // All zeros but the indicator digit of a GTIN-14, check digit valid.
            let data = if len == 14 {
                format!("{indicator}{}", "0".repeat(12))
            } else {
                "0".repeat(len - 1)
            };
            let key = with_check(&data);
            prop_assert_eq!(code(Gtin::parse(&key)), "gs1_zero");
            prop_assert_eq!(code(Gln::parse(&with_check(&"0".repeat(12)))), "gs1_zero");
            let sscc = with_check(&format!("{indicator}{}", "0".repeat(16)));
            prop_assert_eq!(code(Sscc::parse(&sscc)), "gs1_zero");
        }

        #[test]
        fn keys_with_a_significant_non_zero_digit_parse(
            len in prop::sample::select(vec![8usize, 12, 13, 14]),
            indicator in 0u8..=9,
            at in 0usize..16,
            digit in 1u8..=9,
        ) {
            // Zeros everywhere but one significant digit, check digit valid.
            let put = |n: usize, lead: usize| {
                let mut d = vec![b'0'; n];
                d[lead + at % (n - lead)] = b'0' + digit;
                String::from_utf8(d).unwrap()
            };
            let gtin_data = if len == 14 {
                format!("{indicator}{}", put(12, 0))
            } else {
                put(len - 1, 0)
            };
            prop_assert!(Gtin::parse(&with_check(&gtin_data)).is_ok());
            prop_assert!(Gln::parse(&with_check(&put(12, 0))).is_ok());
            let sscc = with_check(&format!("{indicator}{}", put(16, 0)));
            prop_assert!(Sscc::parse(&sscc).is_ok());
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            let _ = Gtin::parse(&s);
            let _ = Gln::parse(&s);
            let _ = Sscc::parse(&s);
        }
    }

    #[test]
    fn company_prefix_is_registered_and_starts_the_gtin() {
        let gtin = Gtin::parse("6901234567892").unwrap();
        for ok in ["6901234", "69012345", "6901234567", " 6901234 "] {
            CompanyPrefix::parse(ok).unwrap().check_gtin(&gtin).unwrap();
        }
        for bad in ["690123", "69012345678", "690123a", "", "６９０１２３４"] {
            assert_eq!(code(CompanyPrefix::parse(bad)), "company_prefix_format", "{bad}");
        }
        let other = CompanyPrefix::parse("6901235").unwrap();
        assert_eq!(code(other.check_gtin(&gtin)), "company_prefix_mismatch");
        // The indicator digit is not part of the prefix.
        let with_indicator = CompanyPrefix::parse("0690123").unwrap();
        assert_eq!(code(with_indicator.check_gtin(&gtin)), "company_prefix_mismatch");
    }
}
