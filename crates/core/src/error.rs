//! The one error type for a value that breaks a rule.
//!
//! Parsers in this crate return [`Invalid`]: a stable machine code for the rule
//! that was broken plus an English and a Chinese explanation. The caller that
//! knows which field the value came from (the API, a CLI flag, a form) adds the
//! field name; this crate never guesses it.

use std::fmt;

/// A value broke a rule. `code` is stable and documented (clients match on it);
/// `en` and `zh` are for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Stable machine code, lower snake case, e.g. `gtin_check_digit`.
    pub code: &'static str,
    /// English message, one sentence, naming the rule.
    pub en: String,
    /// Simplified Chinese message, one sentence, naming the rule.
    pub zh: String,
}

impl Invalid {
    pub fn new(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.en, self.code)
    }
}

impl std::error::Error for Invalid {}
