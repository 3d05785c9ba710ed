//! Rules for the plain fields every record has: bounded text, phone numbers,
//! e-mail addresses, calendar dates, quantities.
//!
//! Every text field on the platform has a length limit; these helpers are the
//! one place the limits are enforced, so a message about a broken rule reads
//! the same everywhere.

use chrono::NaiveDate;

pub use crate::codes::text::{bounded_text as text, optional_bounded_text as opt_text};
use crate::Invalid;

/// A phone number: mainland mobile (11 digits starting with 1) or a landline
/// with optional area code, `+`, spaces, dashes and parentheses; 5 to 20 chars.
pub fn phone(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let chars_ok = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b' ' | b'(' | b')'));
    if chars_ok && (5..=20).contains(&s.len()) && digits >= 5 {
        Ok(s.to_owned())
    } else {
        Err(Invalid::new(
            "phone_format",
            "a phone number is 5 to 20 characters of digits, +, -, spaces and parentheses",
            "电话号码应为 5 至 20 位，仅含数字、+、-、空格和括号",
        ))
    }
}

/// An e-mail address: one `@` with text on both sides, a dot in the domain,
/// no spaces, at most 254 characters.
pub fn email(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    let ok = s.len() <= 254
        && !s.contains(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Invalid::new(
            "email_format",
            "an e-mail address looks like name@example.cn (at most 254 characters)",
            "电子邮箱格式应如 name@example.cn（不超过 254 个字符）",
        ))
    }
}

/// A calendar date written `YYYY-MM-DD`.
pub fn iso_date(s: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            "date_format",
            format!("'{s}' is not a real date written YYYY-MM-DD"),
            format!("“{s}”不是有效日期，格式应为 YYYY-MM-DD"),
        )
    })
}

/// A quantity: finite and greater than zero.
pub fn positive(v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Invalid::new(
            "quantity_positive",
            "the quantity must be a number greater than zero",
            "数量必须大于零",
        ))
    }
}

/// A whole number within `min..=max`.
pub fn int_range(v: i64, min: i64, max: i64) -> Result<i64, Invalid> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(Invalid::new(
            "number_range",
            format!("the number must be between {min} and {max}"),
            format!("数值必须在 {min} 至 {max} 之间"),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails() {
        assert!(phone("13800138000").is_ok());
        assert!(phone("028-8888 6666").is_ok());
        assert_eq!(phone("call me").unwrap_err().code, "phone_format");
        assert_eq!(phone("123").unwrap_err().code, "phone_format");
        assert!(email("a@b.cn").is_ok());
        for bad in ["a@b", "@b.cn", "a b@c.cn", "a@.cn", "a@@b.cn"] {
            assert_eq!(email(bad).unwrap_err().code, "email_format", "{bad}");
        }
    }

    #[test]
    fn dates_and_numbers() {
        assert!(iso_date("2024-02-29").is_ok());
        assert_eq!(iso_date("2023-02-29").unwrap_err().code, "date_format");
        assert!(positive(0.5).is_ok());
        assert!(positive(0.0).is_err());
        assert!(positive(f64::NAN).is_err());
        assert!(int_range(5, 0, 10).is_ok());
        assert!(int_range(11, 0, 10).is_err());
    }
}
