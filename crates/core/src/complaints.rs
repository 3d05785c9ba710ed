//! Consumers' complaints (R-8.1.2 e): what a complaint says, the states it
//! moves through, the photos it may carry and when it must be
//! acknowledged. Pure rules; the store keeps the records.
//!
//! - **category**: `quality`, `counterfeit` (suspected), `label` (label or
//!   certificate wrong), `other`;
//! - **status**: `received` → `acknowledged` → `investigating` → `answered`
//!   or `rejected` ([`Status::may_become`]); an answer or a rejection
//!   carries a reply the consumer reads;
//! - **photos**: at most [`MAX_PHOTOS`], each at most [`MAX_PHOTO_BYTES`],
//!   JPEG, PNG or WebP as their first bytes say ([`photo_type`]), whatever
//!   the sender claims;
//! - **deadline**: a complaint not acknowledged within
//!   [`ACKNOWLEDGE_WORKING_DAYS`] working days of the day it was filed
//!   (China time) is overdue ([`acknowledge_by`]).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use rand::Rng;

use crate::calendar::Calendar;
use crate::codes::text::{bounded_multiline_text, optional_bounded_text};
use crate::Invalid;

/// Photos a complaint may carry.
pub const MAX_PHOTOS: usize = 3;
/// Largest photo accepted, in bytes (2 MiB).
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Shortest description, in characters.
pub const MIN_DESCRIPTION_CHARS: usize = 5;
/// Longest reply, in characters.
pub const MAX_REPLY_CHARS: usize = 2000;
/// Working days within which a complaint must be acknowledged.
pub const ACKNOWLEDGE_WORKING_DAYS: u32 = 3;

/// What the complaint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Quality,
    Counterfeit,
    Label,
    Other,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Quality,
        Category::Counterfeit,
        Category::Label,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Quality => "quality",
            Category::Counterfeit => "counterfeit",
            Category::Label => "label",
            Category::Other => "other",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Category::Quality => "质量问题",
            Category::Counterfeit => "疑似假冒",
            Category::Label => "标签或证书不符",
            Category::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Category::Quality => "Quality",
            Category::Counterfeit => "Suspected counterfeit",
            Category::Label => "Label or certificate wrong",
            Category::Other => "Other",
        }
    }

    /// Parses a category, refusing anything else with `complaint_category`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "complaint_category",
                    "category is one of quality, counterfeit, label, other",
                    "投诉类别应为 quality（质量）、counterfeit（假冒）、label（标签）或 other（其他）之一",
                )
            })
    }
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Received,
    Acknowledged,
    Investigating,
    Answered,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Received,
        Status::Acknowledged,
        Status::Investigating,
        Status::Answered,
        Status::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::Investigating => "investigating",
            Status::Answered => "answered",
            Status::Rejected => "rejected",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::Received => "已收到",
            Status::Acknowledged => "已受理",
            Status::Investigating => "调查中",
            Status::Answered => "已答复",
            Status::Rejected => "不予受理",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Status::Received => "Received",
            Status::Acknowledged => "Acknowledged",
            Status::Investigating => "Investigating",
            Status::Answered => "Answered",
            Status::Rejected => "Rejected",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "complaint_status",
                    "status is one of acknowledged, investigating, answered, rejected",
                    "状态应为 acknowledged、investigating、answered 或 rejected 之一",
                )
            })
    }

    /// Whether nothing follows this state.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Answered | Status::Rejected)
    }

    /// The states a complaint in this state may move to.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Received => &[Status::Acknowledged, Status::Rejected],
            Status::Acknowledged => &[Status::Investigating, Status::Answered, Status::Rejected],
            Status::Investigating => &[Status::Answered, Status::Rejected],
            Status::Answered | Status::Rejected => &[],
        }
    }

    /// Checks a move from `self` to `to` with its reply: the move must be
    /// one of [`Status::next`], and an answer or a rejection says why.
    pub fn may_become(
        self,
        to: Status,
        reply: Option<&str>,
    ) -> Result<Option<String>, (&'static str, Invalid)> {
        if !self.next().contains(&to) {
            let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
            return Err((
                "status",
                Invalid::new(
                    "complaint_transition",
                    format!(
                        "a complaint that is {} may become {}, not {}",
                        self.as_str(),
                        if allowed.is_empty() {
                            "nothing else".to_owned()
                        } else {
                            allowed.join(" or ")
                        },
                        to.as_str()
                    ),
                    format!("投诉当前状态为“{}”，不能改为“{}”", self.zh(), to.zh()),
                ),
            ));
        }
        let reply = optional_bounded_text(reply, MAX_REPLY_CHARS).map_err(|e| ("reply", e))?;
        if to.is_final() && reply.is_none() {
            return Err((
                "reply",
                Invalid::new(
                    "complaint_reply_required",
                    "an answer or a rejection needs a reply the consumer can read",
                    "答复或不予受理时须填写给消费者的回复",
                ),
            ));
        }
        Ok(reply)
    }
}

/// Checks a description: 5 to 2000 characters, line breaks allowed.
pub fn description(s: &str) -> Result<String, Invalid> {
    let text = bounded_multiline_text(s, MAX_DESCRIPTION_CHARS)?;
    if text.trim().chars().count() < MIN_DESCRIPTION_CHARS {
        return Err(Invalid::new(
            "complaint_description_short",
            format!("describe the problem in at least {MIN_DESCRIPTION_CHARS} characters"),
            format!("请至少用 {MIN_DESCRIPTION_CHARS} 个字描述问题"),
        ));
    }
    Ok(text.trim().to_owned())
}

/// The media type of a photo, from its first bytes: `image/jpeg`,
/// `image/png` or `image/webp`; anything else, or a photo too large, is
/// refused.
pub fn photo_type(bytes: &[u8]) -> Result<&'static str, Invalid> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Invalid::new(
            "photo_too_large",
            format!("a photo is at most {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
            format!("每张照片不超过 {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
        ));
    }
    let kind = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    kind.ok_or_else(|| {
        Invalid::new(
            "photo_type",
            "a photo is a JPEG, PNG or WebP image",
            "照片须为 JPEG、PNG 或 WebP 图片",
        )
    })
}

/// Checks the number of photos.
pub fn photo_count(n: usize) -> Result<(), Invalid> {
    if n > MAX_PHOTOS {
        return Err(Invalid::new(
            "photo_count",
            format!("at most {MAX_PHOTOS} photos"),
            format!("最多 {MAX_PHOTOS} 张照片"),
        ));
    }
    Ok(())
}

/// Letters of a reference: digits and capitals without 0, 1, I, O.
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new complaint reference: `TS` and 10 characters a consumer can read
/// out (about 50 bits of randomness, so one cannot be guessed).
pub fn new_reference(rng: &mut impl Rng) -> String {
    let mut s = String::from("TS");
    for _ in 0..10 {
        s.push(REFERENCE_ALPHABET[rng.gen_range(0..REFERENCE_ALPHABET.len())] as char);
    }
    s
}

/// Whether `s` has the shape of a reference (before any look-up).
pub fn is_reference(s: &str) -> bool {
    s.len() == 12 && s.starts_with("TS") && s.bytes().skip(2).all(|b| REFERENCE_ALPHABET.contains(&b))
}

/// China Standard Time, in which working days are counted.
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// The filing day of a complaint made at `filed_ms` (ms since the epoch),
/// in China time.
pub fn filing_day(filed_ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(filed_ms)
        .unwrap_or_default()
        .with_timezone(&china())
        .date_naive()
}

/// The end (ms since the epoch) of the last day on which a complaint
/// filed at `filed_ms` may be acknowledged in time: the close of the
/// [`ACKNOWLEDGE_WORKING_DAYS`]th working day after its filing day.
pub fn acknowledge_by(calendar: &Calendar, filed_ms: i64) -> i64 {
    let last = calendar.add_working_days(filing_day(filed_ms), ACKNOWLEDGE_WORKING_DAYS);
    let next = last + Duration::days(1);
    next.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china()).single())
        .map_or(filed_ms, |t| t.timestamp_millis())
}

/// A phone number shown masked: the first three and the last four digits.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 7 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 7))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert!(Status::Received.may_become(Status::Acknowledged, None).is_ok());
        assert!(Status::Received.may_become(Status::Answered, Some("x")).is_err());
        assert_eq!(
            Status::Investigating
                .may_become(Status::Answered, None)
                .unwrap_err()
                .1
                .code,
            "complaint_reply_required"
        );
        assert!(Status::Answered.may_become(Status::Rejected, Some("x")).is_err());
    }

    #[test]
    fn photos_by_magic_bytes() {
        assert_eq!(photo_type(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), "image/jpeg");
        assert_eq!(photo_type(b"\x89PNG\r\n\x1a\n....").unwrap(), "image/png");
        assert_eq!(photo_type(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), "image/webp");
        assert_eq!(photo_type(b"GIF89a").unwrap_err().code, "photo_type");
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert_eq!(photo_type(&big).unwrap_err().code, "photo_too_large");
    }

    #[test]
    fn deadline_counts_working_days_in_china_time() {
        // Friday 2026-12-04 10:00 in Beijing: Mon, Tue, Wed → due by the end of Wed 12-09.
        let filed = DateTime::parse_from_rfc3339("2026-12-04T10:00:00+08:00")
            .unwrap()
            .timestamp_millis();
        let due = acknowledge_by(&Calendar::default(), filed);
        let end = DateTime::parse_from_rfc3339("2026-12-10T00:00:00+08:00")
            .unwrap()
            .timestamp_millis();
        assert_eq!(due, end);
    }

    #[test]
    fn references_and_masks() {
        let r = new_reference(&mut rand::thread_rng());
        assert!(is_reference(&r), "{r}");
        assert!(!is_reference("TS0000000000"));
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }
}
