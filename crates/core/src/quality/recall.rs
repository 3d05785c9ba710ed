//! Recall rules (食品召回管理办法, 国家市场监督管理总局令 第 12 号 as
//! amended): the deadlines of each level, the content of a recall plan, and
//! how a holder accounts for what it had.
//!
//! | level | start and report the plan | complete |
//! |-------|---------------------------|----------|
//! | 一级  | 24 hours                  | 10 working days |
//! | 二级  | 48 hours                  | 20 working days |
//! | 三级  | 72 hours                  | 30 working days |
//!
//! Hours run from when the enterprise learned of the risk; working days
//! follow the operator's holiday calendar ([`crate::calendar`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::model::RecallLevel;
use crate::Invalid;

/// Hours to start the recall and report its plan.
pub fn start_hours(level: RecallLevel) -> i64 {
    match level {
        RecallLevel::One => 24,
        RecallLevel::Two => 48,
        RecallLevel::Three => 72,
    }
}

/// Working days to complete it.
pub fn complete_working_days(level: RecallLevel) -> u32 {
    match level {
        RecallLevel::One => 10,
        RecallLevel::Two => 20,
        RecallLevel::Three => 30,
    }
}

/// A recall's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Start and report the plan by (ms since the epoch).
    pub report_by: i64,
    /// Complete by the end of this day (China Standard Time).
    pub complete_by: NaiveDate,
}

/// The deadlines of a recall of `level` whose risk was learned at `learned_ms`.
pub fn deadlines(level: RecallLevel, learned_ms: i64, calendar: &Calendar) -> Deadlines {
    let report_by = learned_ms + start_hours(level) * 3_600_000;
    let day = china_date(learned_ms);
    Deadlines {
        report_by,
        complete_by: calendar.add_working_days(day, complete_working_days(level)),
    }
}

/// The calendar day in China (UTC+8) of an instant.
pub fn china_date(ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms + 8 * 3_600_000)
        .unwrap_or_default()
        .date_naive()
}

/// The parts of a recall plan people write (the rest — the producer, the
/// product, its lots, quantities and regions, the level and deadlines —
/// comes from the trace and the recall itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanText {
    /// 召回原因及危害后果.
    #[serde(default)]
    pub harm: Option<String>,
    /// 召回公告内容及发布方式.
    #[serde(default)]
    pub notice: Option<String>,
    /// 相关食品生产经营者的义务和责任.
    #[serde(default)]
    pub others_must: Option<String>,
    /// 召回食品的处置措施、费用承担情况.
    #[serde(default)]
    pub disposal: Option<String>,
    /// 召回的预期效果.
    #[serde(default)]
    pub expected_effect: Option<String>,
    /// 品牌.
    #[serde(default)]
    pub brand: Option<String>,
}

/// The longest text of a plan's part, in characters.
pub const PLAN_TEXT_MAX: usize = 2000;

impl PlanText {
    /// The parts with their names (field, Chinese, English).
    pub fn parts(&self) -> [(&'static str, &'static str, &'static str, &Option<String>); 6] {
        [
            ("harm", "召回原因及危害后果", "Cause and harm", &self.harm),
            (
                "notice",
                "召回公告及发布方式",
                "Notice and how it is published",
                &self.notice,
            ),
            (
                "others_must",
                "相关经营者的义务",
                "What other businesses must do",
                &self.others_must,
            ),
            (
                "disposal",
                "处置措施及费用承担",
                "Disposal and who pays",
                &self.disposal,
            ),
            (
                "expected_effect",
                "预期效果",
                "Expected effect",
                &self.expected_effect,
            ),
            ("brand", "品牌", "Brand", &self.brand),
        ]
    }

    /// Checks each part's length; empty parts become `None`.
    pub fn checked(mut self) -> Result<Self, (&'static str, Invalid)> {
        for (name, part) in [
            ("harm", &mut self.harm),
            ("notice", &mut self.notice),
            ("others_must", &mut self.others_must),
            ("disposal", &mut self.disposal),
            ("expected_effect", &mut self.expected_effect),
            ("brand", &mut self.brand),
        ] {
            if let Some(t) = part.as_deref().map(str::trim) {
                if t.chars().count() > PLAN_TEXT_MAX {
                    return Err((
                        name,
                        Invalid::new(
                            "text_too_long",
                            format!("at most {PLAN_TEXT_MAX} characters"),
                            format!("最多 {PLAN_TEXT_MAX} 字"),
                        ),
                    ));
                }
                *part = (!t.is_empty()).then(|| t.to_owned());
            }
        }
        Ok(self)
    }
}

/// A recall's reason: 2 to 500 characters.
pub fn reason(text: &str) -> Result<String, Invalid> {
    super::certificate::void_reason(text)
}

/// What a holder did with recalled units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Accounted {
    /// Taken off sale and kept (下架封存).
    #[serde(default)]
    pub removed: f64,
    /// Returned to the recalling enterprise.
    #[serde(default)]
    pub returned: f64,
    /// Destroyed (销毁).
    #[serde(default)]
    pub destroyed: f64,
}

impl Accounted {
    pub fn total(&self) -> f64 {
        self.removed + self.returned + self.destroyed
    }

    pub fn add(&self, other: &Accounted) -> Accounted {
        Accounted {
            removed: self.removed + other.removed,
            returned: self.returned + other.returned,
            destroyed: self.destroyed + other.destroyed,
        }
    }
}

/// Checks an accounting of `new` against what the holder had (`affected`)
/// and had already accounted for (`before`).
pub fn check_accounting(
    affected: f64,
    before: &Accounted,
    new: &Accounted,
) -> Result<(), (&'static str, Invalid)> {
    for (name, v) in [
        ("removed", new.removed),
        ("returned", new.returned),
        ("destroyed", new.destroyed),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err((
                name,
                Invalid::new(
                    "quantity_range",
                    "a quantity is a number of at least 0",
                    "数量应为不小于 0 的数值",
                ),
            ));
        }
    }
    if new.total() <= 0.0 {
        return Err((
            "removed",
            Invalid::new(
                "nothing_accounted",
                "account for at least one unit (removed, returned or destroyed)",
                "请至少登记一个单位（下架、退回或销毁）",
            ),
        ));
    }
    let after = before.total() + new.total();
    if after > affected + 1e-9 {
        return Err((
            "removed",
            Invalid::new(
                "accounted_exceeds_held",
                format!(
                    "you had {affected} affected units and have accounted for {}: {} more is too many",
                    before.total(),
                    new.total()
                ),
                format!(
                    "贵单位涉及 {affected} 个单位，已登记 {}，再登记 {} 超出所持数量",
                    before.total(),
                    new.total()
                ),
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_level() {
        let cal = Calendar::default();
        // 2026-12-07 09:00 China time (a Monday) = 01:00 UTC.
        let learned = 1_796_605_200_000;
        assert_eq!(china_date(learned), NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        let d1 = deadlines(RecallLevel::One, learned, &cal);
        assert_eq!(d1.report_by - learned, 24 * 3_600_000);
        assert_eq!(d1.complete_by, NaiveDate::from_ymd_opt(2026, 12, 21).unwrap());
        let d3 = deadlines(RecallLevel::Three, learned, &cal);
        assert_eq!(d3.report_by - learned, 72 * 3_600_000);
        assert_eq!(d3.complete_by, NaiveDate::from_ymd_opt(2027, 1, 18).unwrap());
    }

    #[test]
    fn a_holder_accounts_for_no_more_than_it_had() {
        let before = Accounted {
            removed: 3.0,
            ..Default::default()
        };
        let ok = Accounted {
            destroyed: 2.0,
            ..Default::default()
        };
        assert!(check_accounting(5.0, &before, &ok).is_ok());
        let too_many = Accounted {
            returned: 3.0,
            ..Default::default()
        };
        assert_eq!(
            check_accounting(5.0, &before, &too_many).unwrap_err().1.code,
            "accounted_exceeds_held"
        );
        assert_eq!(
            check_accounting(5.0, &before, &Accounted::default())
                .unwrap_err()
                .1
                .code,
            "nothing_accounted"
        );
        let negative = Accounted {
            removed: -1.0,
            destroyed: 2.0,
            ..Default::default()
        };
        assert_eq!(
            check_accounting(5.0, &before, &negative).unwrap_err().0,
            "removed"
        );
    }

    #[test]
    fn plan_parts_are_bounded_and_trimmed() {
        let p = PlanText {
            harm: Some("  ".into()),
            notice: Some(" 门店公告 ".into()),
            ..Default::default()
        }
        .checked()
        .unwrap();
        assert_eq!(p.harm, None);
        assert_eq!(p.notice.as_deref(), Some("门店公告"));
        let long = PlanText {
            disposal: Some("x".repeat(PLAN_TEXT_MAX + 1)),
            ..Default::default()
        };
        assert_eq!(long.checked().unwrap_err().0, "disposal");
    }
}
