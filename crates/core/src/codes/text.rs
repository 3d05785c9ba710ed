//! Rules for free-text fields (names, addresses, notes).
//!
//! Every text field obeys the same rules: surrounding whitespace is trimmed, a
//! required field is not blank, the length is bounded in characters (not
//! bytes, since most text here is Chinese), and control characters, which can
//! corrupt exports and labels or disguise text, are refused.
//!
//! * `text_empty`: nothing is left after trimming whitespace.
//! * `text_blank`: what is left shows nothing: only zero-width characters
//!   (U+200B–U+200D, U+2060, U+FEFF, ...), other default-ignorable or format
//!   characters ([`is_invisible`]), or blank-looking fillers (Hangul fillers,
//!   the blank Braille pattern). A name must have a visible character.
//! * `text_control_chars`: a C0 or C1 control character or DEL (tab and line
//!   feed are allowed in multi-line texts only), or a bidirectional control
//!   (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which makes text
//!   display in another order than it is written ([`forbidden_char`]).
//! * `text_too_long`: more characters (Unicode scalar values) than allowed.
//!
//! Zero-width joiners and variation selectors inside visible text are
//! ordinary (emoji sequences use them); only a text made of nothing else is
//! refused.

use crate::error::Invalid;

/// A bidirectional formatting character: the embeddings and overrides
/// U+202A–U+202E, the isolates U+2066–U+2069, the marks U+200E, U+200F and
/// U+061C. They reorder how text is shown (a file name `gpj.exe` shown as
/// `exe.jpg`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// A character refused in every text: a control character (Unicode `Cc`: C0,
/// DEL and C1) or a bidirectional formatting character.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// A character that shows nothing by itself: whitespace, a control, a
/// default-ignorable code point (zero-width space, joiners, word joiner,
/// byte order mark, soft hyphen, variation selectors, tags, invisible
/// operators, Hangul fillers, ...), another format character that renders as
/// nothing, or the blank Braille pattern U+2800.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// The first forbidden character of `s` (1-based position in characters and
/// the character), if any. With `multiline`, tab and line feed are allowed.
pub fn forbidden_char(s: &str, multiline: bool) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|&(_, c)| is_forbidden(c) && !(multiline && matches!(c, '\n' | '\t')))
        .map(|(i, c)| (i + 1, c))
}

/// The refusal of a forbidden character at 1-based position `pos`
/// (`text_control_chars`).
pub fn control_error(pos: usize, c: char) -> Invalid {
    let code = u32::from(c);
    let kind_en = if is_bidi_control(c) {
        "control or bidirectional formatting characters"
    } else {
        "control characters"
    };
    let kind_zh = if is_bidi_control(c) {
        "控制字符或双向文本格式字符"
    } else {
        "控制字符"
    };
    Invalid::new(
        "text_control_chars",
        format!("The text must not contain {kind_en}, but character {pos} is U+{code:04X}."),
        format!("文本不能包含{kind_zh}，第 {pos} 个字符为 U+{code:04X}。"),
    )
}

fn check(value: &str, max_chars: usize, multiline: bool) -> Result<String, Invalid> {
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
    if let Some((pos, c)) = forbidden_char(s, multiline) {
        return Err(control_error(pos, c));
    }
    if s.chars().all(is_invisible) {
        return Err(Invalid::new(
            "text_blank",
            "The text must contain a visible character, not only spaces, zero-width or other invisible characters.",
            "文本须包含可见字符，不能只由空白、零宽字符或其他不可见字符组成。",
        ));
    }
    Ok(s.to_owned())
}

/// A required single-line text of at most `max_chars` Unicode scalar values,
/// trimmed.
///
/// Errors: `text_empty`, `text_too_long`, `text_control_chars` (any control
/// character, line breaks and tabs included, and bidirectional controls),
/// `text_blank`.
pub fn bounded_text(value: &str, max_chars: usize) -> Result<String, Invalid> {
    check(value, max_chars, false)
}

/// Like [`bounded_text`], but blank or absent input is `None`. Input that is
/// not whitespace yet shows nothing (a zero-width space) is refused with
/// `text_blank`, not taken for absent.
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
    check(&normalised, max_chars, true)
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

    #[test]
    fn invisible_text_is_blank() {
        for s in [
            "\u{200B}",
            " \u{200B} ",
            "\u{200C}\u{200D}",
            "\u{2060}",
            "\u{FEFF}",
            "\u{00AD}",
            "\u{034F}",
            "\u{3164}",
            "\u{FFA0}",
            "\u{2800}",
            "\u{FE0F}",
            "\u{E0041}\u{E007F}",
            "\u{2062}\u{180E}",
            "\u{200B}\u{3000}\u{200B}",
        ] {
            let e = bounded_text(s, 10).unwrap_err();
            assert_eq!(e.code, "text_blank", "{s:?}");
            assert!(e.zh.contains("可见字符"), "{}", e.zh);
            assert_eq!(
                optional_bounded_text(Some(s), 10).unwrap_err().code,
                "text_blank",
                "{s:?}"
            );
            assert_eq!(bounded_multiline_text(s, 10).unwrap_err().code, "text_blank");
        }
        // Visible text may carry zero-width characters inside.
        assert_eq!(
            bounded_text("\u{200B}a\u{200B}", 10).unwrap(),
            "\u{200B}a\u{200B}"
        );
        assert!(bounded_text("❤\u{FE0F}", 10).is_ok());
        assert!(bounded_text("·", 10).is_ok());
    }

    #[test]
    fn bidirectional_and_c1_controls_are_refused() {
        for s in [
            "a\u{200E}b",
            "a\u{200F}b",
            "a\u{061C}b",
            "a\u{202A}b",
            "a\u{202D}b",
            "a\u{2069}b",
            "\u{202E}",
            "a\u{85}b",
            "a\u{9B}b",
            "a\u{80}b",
            "a\u{9F}b",
        ] {
            let e = bounded_text(s, 10).unwrap_err();
            assert_eq!(e.code, "text_control_chars", "{s:?}");
            assert_eq!(
                bounded_multiline_text(s, 10).unwrap_err().code,
                "text_control_chars",
                "{s:?}"
            );
        }
        let e = bounded_text("ab\u{202E}", 10).unwrap_err();
        assert!(e.en.contains("character 3 is U+202E"), "{}", e.en);
        assert!(e.en.contains("bidirectional"), "{}", e.en);
        assert!(e.zh.contains("双向"), "{}", e.zh);
        assert_eq!(forbidden_char("a\nb", true), None);
        assert_eq!(forbidden_char("a\nb", false), Some((2, '\n')));
        assert_eq!(forbidden_char("a\rb", true), Some((2, '\r')));
    }

    /// Printable characters: no control, bidi or invisible ones.
    fn visible() -> impl Strategy<Value = char> {
        any::<char>().prop_filter("visible", |c| !is_invisible(*c) && !is_forbidden(*c))
    }

    fn forbidden() -> impl Strategy<Value = char> {
        prop_oneof![
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
            (0x7fu32..=0x9f).prop_map(|c| char::from_u32(c).unwrap()),
            prop::sample::select(vec![
                '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
                '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            ]),
        ]
    }

    proptest! {
        #[test]
        fn visible_text_within_the_limit_passes(chars in prop::collection::vec(visible(), 1..40), extra in 0usize..5) {
            let s: String = chars.iter().collect();
            let n = chars.len();
            prop_assert_eq!(bounded_text(&s, n + extra).unwrap(), s.clone());
            prop_assert_eq!(bounded_multiline_text(&s, n).unwrap(), s.clone());
            if n > 1 {
                prop_assert_eq!(bounded_text(&s, n - 1).unwrap_err().code, "text_too_long");
            }
        }

        #[test]
        fn an_injected_control_is_refused(
            chars in prop::collection::vec(visible(), 1..40),
            at in any::<prop::sample::Index>(),
            bad in forbidden(),
        ) {
            let mut chars = chars;
            chars.insert(at.index(chars.len() + 1), bad);
            // Inside the text, so that trimming cannot remove it.
            chars.insert(0, 'a');
            chars.push('z');
            let s: String = chars.iter().collect();
            prop_assert_eq!(bounded_text(&s, 100).unwrap_err().code, "text_control_chars");
            if !matches!(bad, '\n' | '\t' | '\r') {
                prop_assert_eq!(bounded_multiline_text(&s, 100).unwrap_err().code, "text_control_chars");
            }
        }

        #[test]
        fn invisible_only_text_is_refused(
            chars in prop::collection::vec(
                any::<char>().prop_filter("invisible", |c| is_invisible(*c) && !is_forbidden(*c)),
                1..10,
            ),
        ) {
            let s: String = chars.iter().collect();
            let code = bounded_text(&s, 100).unwrap_err().code;
            prop_assert!(code == "text_blank" || code == "text_empty", "{}", code);
        }

        #[test]
        fn accepted_text_obeys_every_rule(s in "\\PC{0,30}", max in 0usize..20) {
            if let Ok(t) = bounded_text(&s, max) {
                prop_assert!(!t.is_empty());
                prop_assert!(t.chars().count() <= max);
                prop_assert!(!t.chars().any(is_forbidden));
                prop_assert!(t.chars().any(|c| !is_invisible(c)));
                prop_assert_eq!(t.as_str(), s.trim());
            }
        }
    }
}
