//! Administrative region codes (行政区划代码, GB/T 2260): six digits naming a
//! province, a city or a county.
//!
//! Places of origin and the jurisdictions of regulators are given by these
//! codes, and "is this farm inside that regulator's area" is a prefix test on
//! them ([`RegionCode::prefix_matches`], [`RegionCode::is_within`]). Only the
//! province part is checked against a list; cities and counties change too
//! often to hard-code.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// Province-level codes (provinces, autonomous regions, municipalities,
/// Taiwan, Hong Kong, Macao).
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, //
    21, 22, 23, //
    31, 32, 33, 34, 35, 36, 37, //
    41, 42, 43, 44, 45, 46, //
    50, 51, 52, 53, 54, //
    61, 62, 63, 64, 65, //
    71, 81, 82,
];

/// A six-digit administrative region code with a known province part. It may
/// name a province (`510000`), a city (`510100`) or a county (`510115`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses six digits (surrounding whitespace ignored) whose first two are a
    /// province-level code.
    ///
    /// Errors: `region_code_empty`, `region_code_format`, `region_code_province`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new(
                "region_code_empty",
                "The administrative region code is empty.",
                "行政区划代码不能为空。",
            ));
        }
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "region_code_format",
                "An administrative region code is exactly 6 digits.",
                "行政区划代码应为 6 位数字。",
            ));
        }
        let province = &s[..2];
        let known = province.parse::<u8>().is_ok_and(|p| PROVINCES.contains(&p));
        if !known {
            return Err(Invalid::new(
                "region_code_province",
                format!(
                    "The first two digits of a region code name a province, but {province} is not a province code."
                ),
                format!("行政区划代码前两位为省级代码，但 {province} 不是有效的省级代码。"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 2-digit province-level code.
    pub fn province(&self) -> &str {
        &self.0[..2]
    }

    /// The prefix every region inside this one starts with: `51` for
    /// `510000`, `5101` for `510100`, `510115` for `510115`.
    pub fn jurisdiction_prefix(&self) -> &str {
        let mut p = self.0.as_str();
        while p.len() > 2 && p.ends_with("00") {
            p = &p[..p.len() - 2];
        }
        p
    }

    /// Whether this region lies inside the jurisdiction given by `prefix`: 2,
    /// 4 or 6 digits, such as `51`, `5101` or `510115`. The test is a plain
    /// prefix test, the same as SQL `region LIKE 'prefix%'`; `510000` as a
    /// prefix therefore means only the code `510000` itself (use
    /// [`RegionCode::jurisdiction_prefix`] to turn a province or city code
    /// into its prefix). Any other prefix (empty, odd length, non-digits)
    /// matches nothing, so a malformed jurisdiction never grants access
    /// everywhere.
    pub fn prefix_matches(&self, prefix: &str) -> bool {
        matches!(prefix.len(), 2 | 4 | 6)
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && self.0.starts_with(prefix)
    }

    /// Whether this region is `jurisdiction` or lies inside it.
    pub fn is_within(&self, jurisdiction: &RegionCode) -> bool {
        self.0.starts_with(jurisdiction.jurisdiction_prefix())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RegionCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegionCode {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> String {
        code.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> &'static str {
        RegionCode::parse(s).unwrap_err().code
    }

    #[test]
    fn provinces_cities_and_counties_parse() {
        for s in [
            "110000", "110105", "510000", "510100", "510115", "350100", "650000", "710000", "810000",
            "820000", "320106", "310115",
        ] {
            let r = RegionCode::parse(s).unwrap();
            assert_eq!(r.as_str(), s);
            assert_eq!(r.province(), &s[..2]);
        }
        assert_eq!(RegionCode::parse(" 510115 ").unwrap().as_str(), "510115");
    }

    #[test]
    fn every_listed_province_is_accepted_and_others_refused() {
        for p in 0..100u8 {
            let s = format!("{p:02}0000");
            assert_eq!(RegionCode::parse(&s).is_ok(), PROVINCES.contains(&p), "{s}");
        }
        for p in [11, 15, 21, 23, 31, 37, 41, 46, 50, 54, 61, 65, 71, 81, 82] {
            assert!(RegionCode::parse(&format!("{p}0101")).is_ok());
        }
    }

    #[test]
    fn errors_are_distinguished() {
        assert_eq!(code(""), "region_code_empty");
        assert_eq!(code("51011"), "region_code_format");
        assert_eq!(code("5101150"), "region_code_format");
        assert_eq!(code("51011a"), "region_code_format");
        assert_eq!(code("５10115"), "region_code_format");
        assert_eq!(code("000000"), "region_code_province");
        assert_eq!(code("160000"), "region_code_province");
        assert_eq!(code("720000"), "region_code_province");
        assert_eq!(code("830000"), "region_code_province");
        assert_eq!(code("990000"), "region_code_province");
        assert!(RegionCode::parse("160000").unwrap_err().en.contains("16"));
    }

    #[test]
    fn prefix_matching() {
        let county = RegionCode::parse("510115").unwrap();
        for p in ["51", "5101", "510115"] {
            assert!(county.prefix_matches(p), "{p}");
        }
        for p in [
            "52", "5102", "510116", "510000", "510100", "5100", "", "5", "510", "51011", "5101150", "ab",
            "５1",
        ] {
            assert!(!county.prefix_matches(p), "{p}");
        }
        let province = RegionCode::parse("510000").unwrap();
        assert!(province.prefix_matches("51"));
        assert!(province.prefix_matches("5100"));
        assert!(province.prefix_matches("510000"));
        assert!(!province.prefix_matches("5101"));
        // A province or city code becomes a prefix through jurisdiction_prefix.
        assert!(county.prefix_matches(province.jurisdiction_prefix()));
    }

    #[test]
    fn within() {
        let county = RegionCode::parse("510115").unwrap();
        let city = RegionCode::parse("510100").unwrap();
        let province = RegionCode::parse("510000").unwrap();
        let other = RegionCode::parse("520000").unwrap();
        assert!(county.is_within(&city));
        assert!(county.is_within(&province));
        assert!(county.is_within(&county));
        assert!(city.is_within(&province));
        assert!(!province.is_within(&city));
        assert!(!county.is_within(&other));
        assert_eq!(province.jurisdiction_prefix(), "51");
        assert_eq!(city.jurisdiction_prefix(), "5101");
        assert_eq!(county.jurisdiction_prefix(), "510115");
    }

    #[test]
    fn serde_uses_the_string_and_validates() {
        let r: RegionCode = serde_json::from_str("\"510115\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"510115\"");
        assert!(serde_json::from_str::<RegionCode>("\"990000\"").is_err());
    }

    proptest! {
        #[test]
        fn a_region_matches_its_own_prefixes(
            p in prop::sample::select(PROVINCES.to_vec()),
            rest in "[0-9]{4}",
        ) {
            let r = RegionCode::parse(&format!("{p:02}{rest}")).unwrap();
            prop_assert!(r.prefix_matches(&r.as_str()[..2]));
            prop_assert!(r.prefix_matches(&r.as_str()[..4]));
            prop_assert!(r.prefix_matches(r.as_str()));
            prop_assert!(r.is_within(&r));
        }
    }
}
