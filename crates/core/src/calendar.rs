//! Working days (工作日) for deadlines counted in them: a recall's 10 / 20 / 30
//! working days (食品召回管理办法), a complaint's 3 working days to be
//! acknowledged.
//!
//! A day is a working day when it is a Monday to Friday that the calendar
//! does not list as a public holiday, or a weekend day the calendar lists as
//! an adjusted working day (调休上班). The platform operator keeps the lists
//! (the State Council publishes them once a year); with empty lists the
//! calendar is Monday to Friday.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The holiday calendar: public holidays and adjusted working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    working_weekends: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// A calendar from its public holidays and adjusted working days.
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        working_weekends: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        Calendar {
            holidays: holidays.into_iter().collect(),
            working_weekends: working_weekends.into_iter().collect(),
        }
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend {
            self.working_weekends.contains(&day)
        } else {
            !self.holidays.contains(&day)
        }
    }

    /// The day on which `n` working days after `start` have passed: the
    /// `n`-th working day after `start` (`start` itself does not count).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The working days after `start` up to and including `end` (0 when
    /// `end` is not after `start`).
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> u32 {
        let mut day = start;
        let mut n = 0;
        while day < end {
            day += Duration::days(1);
            if self.is_working_day(day) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weekends_do_not_count() {
        let cal = Calendar::default();
        // Friday 2026-12-04 + 1 working day = Monday 2026-12-07.
        assert_eq!(cal.add_working_days(d("2026-12-04"), 1), d("2026-12-07"));
        assert_eq!(cal.add_working_days(d("2026-12-07"), 3), d("2026-12-10"));
        assert_eq!(cal.add_working_days(d("2026-12-07"), 10), d("2026-12-21"));
        assert_eq!(cal.working_days_between(d("2026-12-04"), d("2026-12-07")), 1);
        assert_eq!(cal.working_days_between(d("2026-12-07"), d("2026-12-07")), 0);
    }

    #[test]
    fn holidays_are_skipped_and_adjusted_weekends_count() {
        let cal = Calendar::new(
            [d("2026-10-01"), d("2026-10-02"), d("2026-10-05")],
            [d("2026-10-10")],
        );
        assert!(!cal.is_working_day(d("2026-10-01")));
        assert!(cal.is_working_day(d("2026-10-10")));
        // Wednesday 2026-09-30 + 1 → Tuesday 2026-10-06 (1st, 2nd holidays, weekend, 5th holiday).
        assert_eq!(cal.add_working_days(d("2026-09-30"), 1), d("2026-10-06"));
        // The adjusted Saturday counts.
        assert_eq!(cal.add_working_days(d("2026-10-09"), 1), d("2026-10-10"));
    }

    #[test]
    fn adding_and_counting_agree() {
        let cal = Calendar::new([d("2026-05-01")], [d("2026-05-09")]);
        let start = d("2026-04-20");
        for n in 0..40 {
            let end = cal.add_working_days(start, n);
            assert_eq!(cal.working_days_between(start, end), n);
        }
    }
}
