//! Quality management in the store: 承诺达标合格证 ([`certificates`]),
//! recalls and drills ([`recalls`]), and the operator's holiday calendar
//! the recall deadlines count working days in. Every table is a logged
//! record (`master_log::RecordKind`), except `recall_units`, bound by its
//! recall's `affected_sha256` ([`Store::recalls_against_log`]).

pub mod certificates;
pub mod recalls;

use suyuan_core::Invalid;

use crate::master_log::RecordKind;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

impl Store {
    /// Sets a day of the holiday calendar (operator only): `holiday`,
    /// `working` (an adjusted working weekend day) or `normal`.
    pub async fn set_calendar_day(
        &self,
        caller: &Caller,
        day: &str,
        status: &str,
        note: Option<&str>,
    ) -> Result<()> {
        caller.require_operator()?;
        let day = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| {
            StoreError::invalid(
                "day",
                Invalid::new(
                    "date_format",
                    "a day is written YYYY-MM-DD",
                    "日期格式应为 YYYY-MM-DD",
                ),
            )
        })?;
        if !["holiday", "working", "normal"].contains(&status) {
            return Err(StoreError::invalid(
                "status",
                Invalid::new(
                    "calendar_status",
                    "the status is one of holiday, working, normal",
                    "状态应为 holiday（节假日）、working（调休上班）或 normal（恢复正常）",
                ),
            ));
        }
        let id = new_id();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO calendar_days (id, day, status, note, acting_user, created_at) VALUES ($1,$2,$3,$4,$5,$6)",
            &params![
                id,
                day.format("%Y-%m-%d").to_string(),
                status,
                note.map(str::to_owned),
                caller.user_id,
                now_ms()
            ],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::CalendarDay, id, None)
            .await?;
        tx.commit().await
    }

    /// The holidays and adjusted working days in force (YYYY-MM-DD).
    pub async fn calendar_days(&self) -> Result<(Vec<String>, Vec<String>)> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT day, status FROM calendar_days ORDER BY created_at, id",
                &[],
            )
            .await?;
        let mut days = std::collections::BTreeMap::new();
        for r in &rows {
            days.insert(r.text("day")?, r.text("status")?);
        }
        let pick = |s: &str| days.iter().filter(|d| d.1 == s).map(|d| d.0.clone()).collect();
        Ok((pick("holiday"), pick("working")))
    }

    /// The holiday calendar in force.
    pub async fn calendar(&self) -> Result<suyuan_core::calendar::Calendar> {
        recalls::calendar(self).await
    }
}
