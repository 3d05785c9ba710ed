//! Resident identity card number (居民身份证号码, GB 11643-1999).
//!
//! The legal representative of a registered organisation gives one. It is
//! personal data: this type has no `Display` and no `Serialize`, its `Debug`
//! prints only the masked form, and error messages never repeat the number.
//! Use [`IdNumber::masked`] for anything a person sees and [`IdNumber::as_str`]
//! only to encrypt it for storage.

use std::fmt;

use chrono::{Local, NaiveDate};

use crate::error::Invalid;

/// Weights of positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by the weighted sum mod 11.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

const LEN: usize = 18;
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// The check character for the first 17 characters (ASCII digits).
fn check_char_of(digits: &[u8]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d.wrapping_sub(b'0')) * w)
        .sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

/// A valid resident ID number: 17 digits and a check character (`X` kept
/// uppercase), region digits, a real birth date between 1900 and today.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    value: String,
    birth_date: NaiveDate,
}

impl IdNumber {
    /// Parses against today's local date. See [`IdNumber::parse_on`].
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::parse_on(s, Local::now().date_naive())
    }

    /// Parses, taking `today` as the latest possible birth date. Surrounding
    /// whitespace is ignored and a final `x` becomes `X`.
    ///
    /// Errors: `id_number_empty`, `id_number_length`, `id_number_chars`,
    /// `id_number_birth_date` (not a calendar date, or before 1900),
    /// `id_number_future_birth`, `id_number_check_char`.
    pub fn parse_on(s: &str, today: NaiveDate) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new(
                "id_number_empty",
                "The resident ID number is empty.",
                "居民身份证号码不能为空。",
            ));
        }
        let len = s.chars().count();
        if len != LEN {
            return Err(Invalid::new(
                "id_number_length",
                format!("A resident ID number has 18 characters, but this one has {len}."),
                format!("居民身份证号码应为 18 位，实际为 {len} 位。"),
            ));
        }
        let value = s.to_ascii_uppercase();
        let bytes = value.as_bytes();
        let chars_ok = value.is_ascii()
            && bytes[..LEN - 1].iter().all(u8::is_ascii_digit)
            && (bytes[LEN - 1].is_ascii_digit() || bytes[LEN - 1] == b'X');
        if !chars_ok {
            return Err(Invalid::new(
                "id_number_chars",
                "A resident ID number is 17 digits followed by a digit or X.",
                "居民身份证号码应为 17 位数字加 1 位数字或 X。",
            ));
        }

        // All ASCII digits here, so slicing by byte is slicing by character.
        let date_text = &value[6..14];
        let number = |range: std::ops::Range<usize>| {
            bytes[range]
                .iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
        };
        let year = i32::try_from(number(6..10)).unwrap_or(0);
        let birth_date = NaiveDate::from_ymd_opt(year, number(10..12), number(12..14))
            .filter(|_| year >= EARLIEST_BIRTH_YEAR);
        let Some(birth_date) = birth_date else {
            return Err(Invalid::new(
                "id_number_birth_date",
                format!(
                    "Characters 7 to 14 of a resident ID number are the birth date, \
                     but {date_text} is not a calendar date from 1900 on."
                ),
                format!("居民身份证号码第 7 至 14 位为出生日期，但 {date_text} 不是 1900 年以后的有效日期。"),
            ));
        };
        if birth_date > today {
            return Err(Invalid::new(
                "id_number_future_birth",
                format!(
                    "The birth date {} in a resident ID number cannot be in the future.",
                    birth_date.format("%Y-%m-%d")
                ),
                format!(
                    "居民身份证号码中的出生日期 {} 不能晚于今天。",
                    birth_date.format("%Y-%m-%d")
                ),
            ));
        }

        let expected = check_char_of(&bytes[..LEN - 1]);
        let actual = char::from(bytes[LEN - 1]);
        if expected != actual {
            return Err(Invalid::new(
                "id_number_check_char",
                format!(
                    "The check character of this resident ID number should be {expected}, \
                     but it is {actual}."
                ),
                format!("该居民身份证号码的校验码应为 {expected}，实际为 {actual}。"),
            ));
        }
        Ok(Self { value, birth_date })
    }

    /// The full number. Personal data: only for encrypting it before storage.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// First 6 and last 4 characters with 8 asterisks between, e.g.
    /// `110105********1239`. Safe to show and log.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.value[..6], &self.value[14..])
    }

    /// The birth date in characters 7-14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Whether the 17th digit (the sequence number's last) is odd.
    pub fn is_male(&self) -> bool {
        self.value.as_bytes()[16] % 2 == 1
    }
}

/// Prints only the masked number, so that the full number never reaches logs.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn code(s: &str) -> &'static str {
        IdNumber::parse_on(s, today()).unwrap_err().code
    }

    #[test]
    fn valid_numbers_from_the_reference() {
        let cases = [
            ("11010519491231002X", (1949, 12, 31), false),
            ("110105199003071239", (1990, 3, 7), true),
            ("320106200002290043", (2000, 2, 29), false),
            ("310115200111110018", (2001, 11, 11), true),
        ];
        for (s, (y, m, d), male) in cases {
            let id = IdNumber::parse_on(s, today()).unwrap();
            assert_eq!(id.as_str(), s);
            assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(y, m, d).unwrap());
            assert_eq!(id.is_male(), male, "{s}");
        }
    }

    #[test]
    fn parse_uses_the_real_date() {
        assert!(IdNumber::parse("110105199003071239").is_ok());
        assert_eq!(
            IdNumber::parse("110105209901011234").unwrap_err().code,
            "id_number_future_birth"
        );
    }

    #[test]
    fn thirtieth_of_february_is_refused() {
        let e = IdNumber::parse_on("110105199002301231", today()).unwrap_err();
        assert_eq!(e.code, "id_number_birth_date");
        assert!(e.en.contains("19900230"), "{}", e.en);
        assert!(e.zh.contains("19900230"), "{}", e.zh);
    }

    #[test]
    fn born_in_2099_is_refused() {
        assert_eq!(code("110105209901011234"), "id_number_future_birth");
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        let e = IdNumber::parse_on("110105199003071238", today()).unwrap_err();
        assert_eq!(e.code, "id_number_check_char");
        assert!(e.en.contains("should be 9"), "{}", e.en);
        assert!(!e.en.contains("110105199003071238"));
        assert!(!e.zh.contains("110105199003071238"));
    }

    #[test]
    fn lowercase_x_is_normalised() {
        let id = IdNumber::parse_on(" 11010519491231002x ", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn other_errors() {
        assert_eq!(code(""), "id_number_empty");
        assert_eq!(code("11010519900307123"), "id_number_length");
        assert_eq!(code("1101051990030712390"), "id_number_length");
        // 15-digit first-generation numbers are not accepted.
        assert_eq!(code("110105900307123"), "id_number_length");
        assert_eq!(code("1101051990030712X9"), "id_number_chars");
        assert_eq!(code("11010519900307123Y"), "id_number_chars");
        assert_eq!(code("１10105199003071239"), "id_number_chars");
        // Not leap years / impossible dates.
        assert_eq!(code("110105190002290000"), "id_number_birth_date");
        assert_eq!(code("110105200102290000"), "id_number_birth_date");
        assert_eq!(code("110105199013010000"), "id_number_birth_date");
        assert_eq!(code("110105199000010000"), "id_number_birth_date");
        assert_eq!(code("110105189912310000"), "id_number_birth_date");
        // Born the day after `today`.
        assert_eq!(code("110105202506020000"), "id_number_future_birth");
    }

    #[test]
    fn born_today_is_allowed() {
        let body = "11010520250601001";
        let s = format!("{body}{}", check_char_of(body.as_bytes()));
        assert!(IdNumber::parse_on(&s, today()).is_ok());
    }

    #[test]
    fn masked_and_debug_hide_the_middle() {
        let id = IdNumber::parse_on("110105199003071239", today()).unwrap();
        assert_eq!(id.masked(), "110105********1239");
        let debug = format!("{id:?}");
        assert_eq!(debug, "IdNumber(\"110105********1239\")");
        assert!(!debug.contains("19900307"));
    }

    /// A date between 1900-01-01 and `today()`.
    fn birth_date() -> impl Strategy<Value = NaiveDate> {
        let start = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let days = (today() - start).num_days();
        (0..=days).prop_map(move |n| start + chrono::Duration::days(n))
    }

    proptest! {
        #[test]
        fn generated_numbers_parse_and_mask(
            region in "[1-8][0-9]{5}",
            date in birth_date(),
            seq in "[0-9]{3}",
        ) {
            let body = format!("{region}{}{seq}", date.format("%Y%m%d"));
            let s = format!("{body}{}", check_char_of(body.as_bytes()));
            let id = IdNumber::parse_on(&s, today()).unwrap();
            prop_assert_eq!(id.birth_date(), date);
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(id.is_male(), (seq.as_bytes()[2] - b'0') % 2 == 1);

            let masked = id.masked();
            prop_assert_eq!(masked.len(), 18);
            prop_assert_eq!(&masked[6..14], "********");
            prop_assert!(!masked.contains(&s[6..14]));
            let debug = format!("{id:?}");
            prop_assert!(!debug.contains(&s[6..14]));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            let _ = IdNumber::parse_on(&s, today());
        }
    }
}
