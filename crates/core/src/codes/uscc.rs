//! Unified Social Credit Code (统一社会信用代码, GB 32100-2015).
//!
//! Every organisation on the platform (enterprise, sole trader, farmers'
//! cooperative) is registered under its USCC. The format is enforced strictly,
//! but a failed check character is *not* a refusal: some early pilot-area codes
//! are legal yet fail it. [`Uscc::parse`] therefore accepts such a code and the
//! caller asks [`Uscc::checksum_problem`] for the reason to put in the
//! operator's manual-review queue. [`Uscc::parse_strict`] refuses it instead.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// The code's alphabet; a character's value is its index (no I, O, S, V, Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

const LEN: usize = 18;

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

/// The check character for the first 17 characters of `code` (which must
/// already be known to be in the alphabet).
fn check_char_of(code: &[u8]) -> char {
    let sum: u32 = code
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| value_of(c).unwrap_or(0) * w)
        .sum();
    let idx = (31 - sum % 31) % 31;
    char::from(ALPHABET[idx as usize])
}

/// A Unified Social Credit Code whose format is valid: 18 characters of the
/// code's alphabet, with a 6-digit region segment. Its check character may
/// still be wrong; see [`Uscc::checksum_ok`].
///
/// Serialized as the 18-character string; deserialization uses the lenient
/// [`Uscc::parse`], since a stored code may be a pilot-area one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    /// Category of an enterprise (企业).
    pub const CATEGORY_ENTERPRISE: &'static str = "91";
    /// Category of a sole trader (个体工商户).
    pub const CATEGORY_SOLE_TRADER: &'static str = "92";
    /// Category of a farmers' professional cooperative (农民专业合作社).
    pub const CATEGORY_FARMERS_COOPERATIVE: &'static str = "93";

    /// Parses the format. Surrounding whitespace is ignored and lowercase
    /// letters are uppercased. A wrong check character is accepted: check
    /// [`Uscc::checksum_ok`] or [`Uscc::checksum_problem`].
    ///
    /// Errors: `uscc_empty`, `uscc_length`, `uscc_chars`, `uscc_region`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new(
                "uscc_empty",
                "The unified social credit code is empty.",
                "统一社会信用代码不能为空。",
            ));
        }
        let len = s.chars().count();
        if len != LEN {
            return Err(Invalid::new(
                "uscc_length",
                format!("A unified social credit code has 18 characters, but this one has {len}."),
                format!("统一社会信用代码应为 18 位，实际为 {len} 位。"),
            ));
        }
        let upper = s.to_ascii_uppercase();
        if let Some((i, c)) = upper
            .chars()
            .enumerate()
            .find(|&(_, c)| !c.is_ascii() || value_of(c as u8).is_none())
        {
            let pos = i + 1;
            let c = c.escape_debug();
            return Err(Invalid::new(
                "uscc_chars",
                format!(
                    "A unified social credit code uses only digits and the letters \
                     A-Y without I, O, S and V, but character {pos} '{c}' is not one of them."
                ),
                format!(
                    "统一社会信用代码只能由数字和除 I、O、S、V、Z 以外的大写字母组成，\
                     第 {pos} 个字符“{c}”不符合。"
                ),
            ));
        }
        if !upper.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
            return Err(Invalid::new(
                "uscc_region",
                "Characters 3 to 8 of a unified social credit code are the 6-digit region code, but they are not all digits.",
                "统一社会信用代码第 3 至 8 位为 6 位数字的行政区划码，但并非全为数字。",
            ));
        }
        Ok(Self(upper))
    }

    /// Like [`Uscc::parse`], but a wrong check character is also an error
    /// (`uscc_check_char`).
    pub fn parse_strict(s: &str) -> Result<Self, Invalid> {
        let code = Self::parse(s)?;
        match code.checksum_problem() {
            Some(problem) => Err(problem),
            None => Ok(code),
        }
    }

    /// The 18 characters, uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check character that the first 17 characters call for.
    pub fn expected_check(&self) -> char {
        check_char_of(&self.0.as_bytes()[..LEN - 1])
    }

    /// The check character the code actually has (its last character).
    pub fn check_char(&self) -> char {
        char::from(self.0.as_bytes()[LEN - 1])
    }

    /// Whether the check character is right.
    pub fn checksum_ok(&self) -> bool {
        self.expected_check() == self.check_char()
    }

    /// `None` if the check character is right; otherwise the reason
    /// (`uscc_check_char`) to store for the operator's manual review.
    pub fn checksum_problem(&self) -> Option<Invalid> {
        let expected = self.expected_check();
        let actual = self.check_char();
        (expected != actual).then(|| {
            Invalid::new(
                "uscc_check_char",
                format!(
                    "The check character of this unified social credit code should be {expected} \
                     but is {actual}, so it needs manual review."
                ),
                format!("该统一社会信用代码的校验码应为 {expected}，实际为 {actual}，需人工审核。"),
            )
        })
    }

    /// Registration department and organisation category (characters 1-2),
    /// e.g. `"91"` enterprise, `"92"` sole trader, `"93"` farmers' cooperative.
    pub fn category(&self) -> &str {
        &self.0[..2]
    }

    /// The 6-digit administrative region code (characters 3-8), as registered.
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Uscc {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Uscc {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(code: Uscc) -> String {
        code.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(r: Result<Uscc, Invalid>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn valid_codes_from_the_reference() {
        for s in [
            "914403001922038216",
            "91110108551385082Q",
            "9144030071526726XG",
            "91520000214434146R",
        ] {
            let u = Uscc::parse(s).unwrap();
            assert!(u.checksum_ok(), "{s}");
            assert_eq!(u.checksum_problem(), None);
            assert_eq!(u.as_str(), s);
            assert_eq!(Uscc::parse_strict(s).unwrap(), u);
        }
    }

    #[test]
    fn worked_example_sum() {
        let u = Uscc::parse("914403001922038216").unwrap();
        let sum: u32 = u.as_str().as_bytes()[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(&c, w)| value_of(c).unwrap() * w)
            .sum();
        assert_eq!(sum, 831);
        assert_eq!(u.expected_check(), '6');
    }

    #[test]
    fn wrong_check_character_is_accepted_but_reported() {
        let u = Uscc::parse("914403001922038217").unwrap();
        assert!(!u.checksum_ok());
        assert_eq!(u.expected_check(), '6');
        assert_eq!(u.check_char(), '7');
        let problem = u.checksum_problem().unwrap();
        assert_eq!(problem.code, "uscc_check_char");
        assert!(problem.en.contains("should be 6"), "{}", problem.en);
        assert!(problem.zh.contains("应为 6"), "{}", problem.zh);
        assert_eq!(code(Uscc::parse_strict("914403001922038217")), "uscc_check_char");
    }

    #[test]
    fn pilot_area_code_parses_with_failed_checksum() {
        let u = Uscc::parse("91350100M0001TGQXM").unwrap();
        assert!(!u.checksum_ok());
        assert_ne!(u.expected_check(), 'M');
        assert_eq!(u.checksum_problem().unwrap().code, "uscc_check_char");
        assert_eq!(u.category(), Uscc::CATEGORY_ENTERPRISE);
        assert_eq!(u.region(), "350100");
    }

    #[test]
    fn category_and_region() {
        let u = Uscc::parse("91110108551385082Q").unwrap();
        assert_eq!(u.category(), "91");
        assert_eq!(u.region(), "110108");
    }

    #[test]
    fn lowercase_and_whitespace_are_normalised() {
        let u = Uscc::parse("  91110108551385082q\t").unwrap();
        assert_eq!(u.as_str(), "91110108551385082Q");
        assert!(u.checksum_ok());
    }

    #[test]
    fn format_errors_are_distinguished() {
        assert_eq!(code(Uscc::parse("")), "uscc_empty");
        assert_eq!(code(Uscc::parse(" ")), "uscc_empty");
        assert_eq!(code(Uscc::parse("91440300192203821")), "uscc_length");
        assert_eq!(code(Uscc::parse("9144030019220382160")), "uscc_length");
        // Letters outside the alphabet, in either case.
        assert_eq!(code(Uscc::parse("91110108551385082I")), "uscc_chars");
        assert_eq!(code(Uscc::parse("91110108551385082o")), "uscc_chars");
        assert_eq!(code(Uscc::parse("9111010855138508SQ")), "uscc_chars");
        assert_eq!(code(Uscc::parse("9111010855138508VQ")), "uscc_chars");
        assert_eq!(code(Uscc::parse("9111010855138508ZQ")), "uscc_chars");
        assert_eq!(code(Uscc::parse("91110108551385-82Q")), "uscc_chars");
        assert_eq!(code(Uscc::parse("9111010855138508２Q")), "uscc_chars");
        assert_eq!(code(Uscc::parse("91A10108551385082Q")), "uscc_region");
        assert_eq!(code(Uscc::parse("9111010Y551385082Q")), "uscc_region");
        let e = Uscc::parse("91110108551385082I").unwrap_err();
        assert!(e.en.contains("character 18 'I'"), "{}", e.en);
    }

    #[test]
    fn serde_round_trip_is_lenient_on_checksum() {
        let u: Uscc = serde_json::from_str("\"91350100M0001TGQXM\"").unwrap();
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"91350100M0001TGQXM\"");
        assert!(serde_json::from_str::<Uscc>("\"9135\"").is_err());
    }

    fn alphabet_char() -> impl Strategy<Value = u8> {
        prop::sample::select(ALPHABET.to_vec())
    }

    proptest! {
        #[test]
        fn generated_codes_pass_and_every_substitution_is_caught(
            head in prop::collection::vec(alphabet_char(), 2),
            region in "[0-9]{6}",
            org in prop::collection::vec(alphabet_char(), 9),
        ) {
            let mut body = head.clone();
            body.extend_from_slice(region.as_bytes());
            body.extend_from_slice(&org);
            let check = check_char_of(&body);
            let s = format!("{}{check}", String::from_utf8(body).unwrap());
            let u = Uscc::parse(&s).unwrap();
            prop_assert!(u.checksum_ok());
            prop_assert_eq!(u.region(), region.as_str());

            for pos in 0..LEN {
                for &sub in ALPHABET.iter() {
                    if s.as_bytes()[pos] == sub {
                        continue;
                    }
                    let mut bytes = s.as_bytes().to_vec();
                    bytes[pos] = sub;
                    let changed = String::from_utf8(bytes).unwrap();
                    match Uscc::parse(&changed) {
                        // A letter in the region segment is a format error.
                        Err(e) => {
                            prop_assert!((2..8).contains(&pos));
                            prop_assert_eq!(e.code, "uscc_region");
                        }
                        Ok(c) => prop_assert!(!c.checksum_ok(), "{} passed", changed),
                    }
                }
            }
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            if let Ok(u) = Uscc::parse(&s) {
                let _ = u.checksum_problem();
            }
        }
    }
}
