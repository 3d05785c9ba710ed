//! Rules for free-text fields (names, addresses, notes).
//!
//! Every text field obeys the same rules: surrounding whitespace is trimmed, a
//! required field is not blank, the length is bounded in characters (not
//! bytes, since most text here is Chinese), and control characters, which can
//! corrupt exports and labels or disguise text, are refused.

use crate::error::Invalid;

/// Control characters: Unicode `Cc` plus the bidirectional embedding,
/// override and isolate marks, which can make text display differently from
/// what it says.
fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn check(value: &str, max_chars: usize, allowed: impl Fn(char) -> bool) -> Result<String, Invalid> {
    let s = value.trim();
    if s.is_empty() {
        return Err(Invalid::new(
            "text_empty",
            "The text must not be empty.",
            "文本不能为空。",
        ));
    }
    let count = s.chars().count();
    if count > max_chars {
        return Err(Invalid::new(
            "text_too_long",
            format!("The text must be at most {max_chars} characters long, but it has {count}."),
            format!("文本不能超过 {max_chars} 个字符，实际为 {count} 个。"),
        ));
    }
    if let Some((i, c)) = s
        .chars()
        .enumerate()
        .find(|&(_, c)| is_forbidden(c) && !allowed(c))
    {
        let pos = i + 1;
        let code = u32::from(c);
        return Err(Invalid::new(
            "text_control_chars",
            format!("The text must not contain control characters, but character {pos} is U+{code:04X}."),
            format!("文本不能包含控制字符，第 {pos} 个字符为 U+{code:04X}。"),
        ));
    }
    Ok(s.to_owned())
}

/// A required single-line text of at most `max_chars` Unicode scalar values,
/// trimmed.
///
/// Errors: `text_empty`, `text_too_long`, `text_control_chars` (any control
/// character, line breaks and tabs included).
pub fn bounded_text(value: &str, max_chars: usize) -> Result<String, Invalid> {
    check(value, max_chars, |_| false)
}

/// Like [`bounded_text`], but blank or absent input is `None`.
pub fn optional_bounded_text(value: Option<&str>, max_chars: usize) -> Result<Option<String>, Invalid> {
    match value {
        Some(v) if !v.trim().is_empty() => bounded_text(v, max_chars).map(Some),
        _ => Ok(None),
    }
}

/// Like [`bounded_text`], but line breaks and tabs are allowed (for notes
/// and descriptions). `\r\n` and lone `\r` become `\n` before counting.
pub fn bounded_multiline_text(value: &str, max_chars: usize) -> Result<String, Invalid> {
    let normalised = value.replace("\r\n", "\n").replace('\r', "\n");
    check(&normalised, max_chars, |c| c == '\n' || c == '\t')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_and_accepts() {
        assert_eq!(bounded_text("  四川省成都市  ", 10).unwrap(), "四川省成都市");
        assert_eq!(bounded_text("abc", 3).unwrap(), "abc");
    }

    #[test]
    fn empty_is_refused() {
        assert_eq!(bounded_text("", 10).unwrap_err().code, "text_empty");
        assert_eq!(bounded_text(" \t\n　", 10).unwrap_err().code, "text_empty");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 6 characters, 18 bytes.
        assert!(bounded_text("成都市蔬菜社", 6).is_ok());
        let e = bounded_text("成都市蔬菜社", 5).unwrap_err();
        assert_eq!(e.code, "text_too_long");
        assert!(e.en.contains("at most 5"), "{}", e.en);
        assert!(e.zh.contains("不能超过 5"), "{}", e.zh);
        // Trimmed before counting.
        assert!(bounded_text("  abc  ", 3).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        for s in [
            "a\u{0}b",
            "a\nb",
            "a\tb",
            "a\u{7f}b",
            "a\u{1b}[31mb",
            "a\u{202E}b",
            "a\u{2066}b",
        ] {
            assert_eq!(
                bounded_text(s, 10).unwrap_err().code,
                "text_control_chars",
                "{s:?}"
            );
        }
        let e = bounded_text("ab\u{7}", 10).unwrap_err();
        assert!(e.en.contains("U+0007"), "{}", e.en);
        // Emoji sequences with zero-width joiners are ordinary text.
        assert!(bounded_text("👨\u{200D}🌾 农户", 10).is_ok());
    }

    #[test]
    fn optional_text() {
        assert_eq!(optional_bounded_text(None, 5).unwrap(), None);
        assert_eq!(optional_bounded_text(Some("  "), 5).unwrap(), None);
        assert_eq!(
            optional_bounded_text(Some(" ab "), 5).unwrap(),
            Some("ab".to_owned())
        );
        assert_eq!(
            optional_bounded_text(Some("abcdef"), 5).unwrap_err().code,
            "text_too_long"
        );
        assert_eq!(
            optional_bounded_text(Some("a\u{0}"), 5).unwrap_err().code,
            "text_control_chars"
        );
    }

    #[test]
    fn multiline_text() {
        assert_eq!(
            bounded_multiline_text(" line 1\r\nline 2\r\tx ", 20).unwrap(),
            "line 1\nline 2\n\tx"
        );
        assert_eq!(
            bounded_multiline_text("a\u{0}b", 20).unwrap_err().code,
            "text_control_chars"
        );
        assert_eq!(bounded_multiline_text("\r\n", 20).unwrap_err().code, "text_empty");
    }

    proptest! {
        #[test]
        fn accepted_text_obeys_every_rule(s in "\\PC{0,30}", max in 0usize..20) {
            if let Ok(t) = bounded_text(&s, max) {
                prop_assert!(!t.is_empty());
                prop_assert!(t.chars().count() <= max);
                prop_assert!(!t.chars().any(is_forbidden));
                prop_assert_eq!(t.as_str(), s.trim());
            }
        }
    }
}
