//! The archives of chapter 4.3 of the standard, as pure rules: what a
//! management document, a customer, a training session, an internal audit
//! and a nonconformity are made of, and which values each field takes.
//!
//! - **documents** (R-4.3.1.1 a/e, R-4.3.3.3): the traceability
//!   implementation plan and the management documents ([`DocumentKind`]),
//!   each versioned with an effective date;
//! - **customers** (R-4.3.3.2): distributors and customers ([`CustomerKind`]);
//! - **training** (R-4.3.4.2): date, content, trainer, attendees;
//! - **audits** (R-4.3.5.1): checklist items each with a [`ItemResult`];
//! - **nonconformities** (R-4.3.5.2): cause, corrective action, owner, due
//!   date; closed only with the note of the check that the action worked
//!   ([`check_close`]); overdue when open past the due date ([`overdue`]);
//! - **attachments**: PDF, PNG, JPEG, DOCX or XLSX as their bytes say
//!   ([`attachment_type`]), at most [`MAX_ATTACHMENT_BYTES`].

use chrono::NaiveDate;

use crate::codes::text::{bounded_multiline_text, bounded_text, optional_bounded_text};
use crate::Invalid;

/// Largest attachment accepted, in bytes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// Longest title, name or short field, in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Longest free text (content, findings, cause, action), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most attendees of a training session or items of an audit checklist.
pub const MAX_LIST: usize = 500;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $field_en:literal, $field_zh:literal, $code:literal,
     { $($variant:ident = $s:literal, $zh:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s),+
                }
            }

            pub fn zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh),+
                }
            }

            pub fn parse(s: &str) -> Result<Self, Invalid> {
                Self::ALL.iter().copied().find(|k| k.as_str() == s.trim()).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                    Invalid::new(
                        $code,
                        format!("{} is one of {}", $field_en, all.join(", ")),
                        format!("{}应为 {} 之一", $field_zh, all.join("、")),
                    )
                })
            }
        }
    };
}

vocabulary!(
    /// The kinds of management documents (R-4.3.1.1 a/e, R-4.3.3.3).
    DocumentKind, "the document kind", "文件类别", "document_kind", {
        ImplementationPlan = "implementation_plan", "追溯实施计划";
        QualityPolicy = "quality_policy", "质量管理制度";
        ProductionProcedure = "production_procedure", "生产操作规程";
        TestingRules = "testing_rules", "检测记录制度";
        TraceabilityPolicy = "traceability_policy", "追溯管理制度";
        InternalAuditPlan = "internal_audit_plan", "内部审核计划";
    }
);

vocabulary!(
    /// Who a counterparty is to the organisation (R-4.3.3.2).
    CustomerKind, "the customer kind", "客户类别", "customer_kind", {
        Distributor = "distributor", "经销商";
        Customer = "customer", "客户";
    }
);

vocabulary!(
    /// What an audit found on one checklist item.
    ItemResult, "the item's result", "检查项结论", "item_result", {
        Conforms = "conforms", "符合";
        Nonconforms = "nonconforms", "不符合";
        NotApplicable = "not_applicable", "不适用";
    }
);

vocabulary!(
    /// Where a nonconformity stands.
    NcStatus, "the status", "状态", "nonconformity_status", {
        Open = "open", "待整改";
        Closed = "closed", "已关闭";
    }
);

/// A required one-line field (title, name, trainer …).
pub fn short(s: &str) -> Result<String, Invalid> {
    bounded_text(s, MAX_SHORT_CHARS)
}

/// An optional one-line field.
pub fn opt_short(s: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_bounded_text(s, MAX_SHORT_CHARS)
}

/// A required free text (content, findings, cause, action).
pub fn long(s: &str) -> Result<String, Invalid> {
    bounded_multiline_text(s, MAX_TEXT_CHARS)
}

/// An optional free text.
pub fn opt_long(s: Option<&str>) -> Result<Option<String>, Invalid> {
    match s {
        Some(v) if !v.trim().is_empty() => long(v).map(Some),
        _ => Ok(None),
    }
}

/// A date written `YYYY-MM-DD`, answered in that form.
pub fn date(s: &str) -> Result<String, Invalid> {
    crate::fields::iso_date(s).map(|d| d.format("%Y-%m-%d").to_string())
}

/// A list of names (attendees): each a short field, no duplicates, at
/// least one, at most [`MAX_LIST`]. Answers the `(index, error)` of the
/// first bad one.
pub fn names(list: &[String]) -> Result<Vec<String>, (Option<usize>, Invalid)> {
    if list.is_empty() || list.len() > MAX_LIST {
        return Err((
            None,
            Invalid::new(
                "list_size",
                format!("give 1 to {MAX_LIST} names"),
                format!("应填写 1 至 {MAX_LIST} 个姓名"),
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, n) in list.iter().enumerate() {
        let n = short(n).map_err(|e| (Some(i), e))?;
        if out.contains(&n) {
            return Err((
                Some(i),
                Invalid::new(
                    "duplicate",
                    format!("{n} is listed twice"),
                    format!("“{n}”重复填写"),
                ),
            ));
        }
        out.push(n);
    }
    Ok(out)
}

/// A nonconformity may be closed only with the note of the check that its
/// corrective action worked (验证).
pub fn check_close(status: NcStatus, verification: Option<&str>) -> Result<(), Invalid> {
    if status == NcStatus::Closed && verification.is_none_or(|v| v.trim().is_empty()) {
        return Err(Invalid::new(
            "verification_required",
            "a nonconformity is closed only with the note of the check that the corrective action worked",
            "不符合项须填写整改措施有效性的验证记录后方可关闭",
        ));
    }
    Ok(())
}

/// Whether a nonconformity is overdue on `today`: open and past its due date.
pub fn overdue(status: NcStatus, due_on: &str, today: NaiveDate) -> bool {
    status == NcStatus::Open && NaiveDate::parse_from_str(due_on, "%Y-%m-%d").is_ok_and(|due| today > due)
}

/// The media type of an attachment, from its bytes, whatever the sender
/// claims: PDF, PNG, JPEG, or a DOCX or XLSX (a zip holding the Office
/// package's `[Content_Types].xml` and its `word/` or `xl/` part). Refused
/// when empty, larger than [`MAX_ATTACHMENT_BYTES`] or of another kind.
pub fn attachment_type(bytes: &[u8]) -> Result<&'static str, Invalid> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Invalid::new(
            "attachment_too_large",
            format!(
                "an attachment is at most {} MiB",
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ),
            format!("附件不超过 {} MiB", MAX_ATTACHMENT_BYTES / (1024 * 1024)),
        ));
    }
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let kind = if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"PK\x03\x04") && contains(b"[Content_Types].xml") {
        if contains(b"word/") {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        } else if contains(b"xl/") {
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else {
            None
        }
    } else {
        None
    };
    kind.ok_or_else(|| {
        Invalid::new(
            "attachment_type",
            "an attachment is a PDF, PNG, JPEG, DOCX or XLSX file (as its content shows)",
            "附件应为 PDF、PNG、JPEG、DOCX 或 XLSX 文件（以文件内容为准）",
        )
    })
}

/// A file name to store and send back: its last path part, bounded, with
/// nothing a header could be broken by.
pub fn file_name(s: &str) -> Result<String, Invalid> {
    let base = s.rsplit(['/', '\\']).next().unwrap_or(s);
    let cleaned: String = base.chars().filter(|c| !matches!(c, '"' | ';')).collect();
    short(&cleaned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_known_by_their_bytes() {
        assert_eq!(attachment_type(b"%PDF-1.7\n").unwrap(), "application/pdf");
        assert_eq!(attachment_type(b"\x89PNG\r\n\x1a\nxx").unwrap(), "image/png");
        assert_eq!(attachment_type(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), "image/jpeg");
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml";
        assert!(attachment_type(docx).unwrap().contains("wordprocessingml"));
        let xlsx = b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml";
        assert!(attachment_type(xlsx).unwrap().contains("spreadsheetml"));
        assert_eq!(
            attachment_type(b"PK\x03\x04plain zip").unwrap_err().code,
            "attachment_type"
        );
        assert_eq!(
            attachment_type(b"MZ\x90\x00").unwrap_err().code,
            "attachment_type"
        );
        assert_eq!(attachment_type(b"").unwrap_err().code, "attachment_type");
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_ATTACHMENT_BYTES]].concat();
        assert_eq!(attachment_type(&big).unwrap_err().code, "attachment_too_large");
    }

    #[test]
    fn closing_needs_a_verification_and_open_ones_fall_overdue() {
        assert_eq!(
            check_close(NcStatus::Closed, Some(" ")).unwrap_err().code,
            "verification_required"
        );
        assert!(check_close(NcStatus::Closed, Some("复查合格")).is_ok());
        assert!(check_close(NcStatus::Open, None).is_ok());
        let day = NaiveDate::from_ymd_opt(2026, 5, 2).unwrap();
        assert!(overdue(NcStatus::Open, "2026-05-01", day));
        assert!(!overdue(NcStatus::Open, "2026-05-02", day));
        assert!(!overdue(NcStatus::Closed, "2026-05-01", day));
    }

    #[test]
    fn vocabularies_and_names() {
        assert_eq!(
            DocumentKind::parse("quality_policy").unwrap(),
            DocumentKind::QualityPolicy
        );
        assert_eq!(DocumentKind::parse("memo").unwrap_err().code, "document_kind");
        assert_eq!(names(&["张三".into(), "张三".into()]).unwrap_err().0, Some(1));
        assert_eq!(names(&[]).unwrap_err().1.code, "list_size");
        assert_eq!(file_name("C:\\docs\\计划\".pdf").unwrap(), "计划.pdf");
    }
}
