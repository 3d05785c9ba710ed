//! The scheduled integrity check: the server re-derives the
//! transparency log from the database on a schedule ([`Store::verify_log`]),
//! records each result, and raises an alert (an `ERROR` log line naming the
//! first mismatch) when anything does not verify. The newest result is
//! public at `GET /tlog/integrity`, so a monitor can poll it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::orgs::ts;
use crate::{new_id, now_ms, params, Result, Store};

/// One run of the integrity check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntegrityCheck {
    pub started_at: DateTime<Utc>,
    pub seconds: f64,
    /// True when every leaf, node, signature and checkpoint verified.
    pub ok: bool,
    pub leaves: i64,
    pub checkpoints: i64,
    /// Mismatches found (at most 100 are listed by `suyuan verify`).
    pub problems: i64,
    /// The first mismatch, as `suyuan verify` prints it.
    pub first_problem: Option<String>,
}

impl Store {
    /// Verifies the whole log now, records the result and alerts on failure.
    pub async fn check_integrity(&self) -> Result<IntegrityCheck> {
        let started = now_ms();
        let report = self.verify_log().await?;
        let check = IntegrityCheck {
            started_at: ts(started),
            seconds: report.seconds,
            ok: report.is_ok(),
            leaves: i64::try_from(report.leaves).unwrap_or(i64::MAX),
            checkpoints: i64::try_from(report.checkpoints).unwrap_or(i64::MAX),
            problems: i64::try_from(report.problems.len()).unwrap_or(i64::MAX),
            first_problem: report.problems.first().map(ToString::to_string),
        };
        self.db
            .conn()
            .execute(
                "INSERT INTO integrity_checks (id, started_at, seconds, ok, leaves, checkpoints, problems, \
                 first_problem) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                &params![
                    new_id(),
                    started,
                    check.seconds,
                    check.ok,
                    check.leaves,
                    check.checkpoints,
                    check.problems,
                    check.first_problem.clone()
                ],
            )
            .await?;
        if check.ok {
            tracing::info!(
                leaves = check.leaves,
                seconds = check.seconds,
                "integrity check passed"
            );
        } else {
            tracing::error!(
                alert = "integrity",
                problems = check.problems,
                first = check.first_problem.as_deref().unwrap_or(""),
                "INTEGRITY CHECK FAILED: the transparency log does not match the database"
            );
        }
        Ok(check)
    }

    /// The newest recorded integrity check, if any.
    pub async fn latest_integrity_check(&self) -> Result<Option<IntegrityCheck>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT started_at, seconds, ok, leaves, checkpoints, problems, first_problem \
                 FROM integrity_checks ORDER BY started_at DESC, id DESC LIMIT 1",
                &[],
            )
            .await?;
        row.map(|r| {
            Ok(IntegrityCheck {
                started_at: ts(r.int("started_at")?),
                seconds: r.float("seconds")?,
                ok: r.bool("ok")?,
                leaves: r.int("leaves")?,
                checkpoints: r.int("checkpoints")?,
                problems: r.int("problems")?,
                first_problem: r.opt_text("first_problem")?,
            })
        })
        .transpose()
    }
}
