//! What a monitor reads from the database at scrape time (R-8.1.2,
//! the log's size, the newest checkpoint, each configured
//! witness's cosigned size, the newest integrity check and the connection
//! pool's use. Every query reads one row by an index (or a handful of
//! witness rows), so a scrape every few seconds costs next to nothing.

use crate::db::Db;
use crate::{params, Result, Store};

/// The connection pool's use at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections the pool may open at most.
    pub max: u64,
    /// Connections open now (idle or in use).
    pub open: u64,
    /// Open connections not in use.
    pub idle: u64,
    /// Connections in use now.
    pub busy: u64,
}

/// One configured witness and the size it last cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessState {
    /// The witness's name (from its verifier key).
    pub name: String,
    pub size: u64,
    /// Whether the last round with it failed.
    pub failing: bool,
}

/// The outcome of one run of something scheduled (an integrity check, a
/// backup drill): when it started (Unix seconds) and whether it passed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOutcome {
    pub at_seconds: f64,
    pub ok: bool,
}

/// The state of the log and its checks, read at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitoringSnapshot {
    /// Leaves in the transparency log.
    pub log_size: u64,
    /// The newest checkpoint's size and time (Unix seconds), if any.
    pub checkpoint: Option<(u64, f64)>,
    /// The configured witnesses (none when the server asks none).
    pub witnesses: Vec<WitnessState>,
    /// The newest integrity check.
    pub integrity: Option<RunOutcome>,
    /// The newest backup run (`serve --backup-every`): when its drill ran
    /// (or the backup, when it failed) and whether the copy verified.
    pub backup_drill: Option<RunOutcome>,
}

fn size_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn seconds_of(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl Store {
    /// The log's size, newest checkpoint, witnesses and integrity check.
    pub async fn monitoring_snapshot(&self) -> Result<MonitoringSnapshot> {
        let mut conn = self.db.conn();
        let log_size = conn
            .fetch_optional("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM tlog_leaves", &[])
            .await?
            .map(|r| r.int("n"))
            .transpose()?
            .map_or(0, size_of);
        let checkpoint = conn
            .fetch_optional(
                "SELECT size, created_at FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .await?
            .map(|r| Ok::<_, crate::StoreError>((size_of(r.int("size")?), seconds_of(r.int("created_at")?))))
            .transpose()?;
        let integrity = conn
            .fetch_optional(
                "SELECT started_at, ok FROM integrity_checks ORDER BY started_at DESC, id DESC LIMIT 1",
                &[],
            )
            .await?
            .map(|r| {
                Ok::<_, crate::StoreError>(RunOutcome {
                    at_seconds: seconds_of(r.int("started_at")?),
                    ok: r.bool("ok")?,
                })
            })
            .transpose()?;
        let mut witnesses = Vec::new();
        for vkey in self.witness_policy().witnesses {
            let row = conn
                .fetch_optional(
                    "SELECT size, last_error FROM tlog_witnesses WHERE vkey = $1",
                    &params![vkey.to_string()],
                )
                .await?;
            let (size, failing) = match row {
                Some(r) => (size_of(r.int("size")?), r.opt_text("last_error")?.is_some()),
                None => (0, false),
            };
            witnesses.push(WitnessState {
                name: vkey.name().to_owned(),
                size,
                failing,
            });
        }
        let backup_drill = self.last_backup_drill().await?.map(|run| RunOutcome {
            at_seconds: run.drill_at.unwrap_or(run.started_at).timestamp_millis() as f64 / 1000.0,
            ok: run.drill_outcome == "passed",
        });
        Ok(MonitoringSnapshot {
            log_size,
            checkpoint,
            witnesses,
            integrity,
            backup_drill,
        })
    }

    /// The connection pool's use now (no query).
    pub fn pool_stats(&self) -> PoolStats {
        self.db.pool_stats()
    }
}

impl Db {
    /// The connection pool's use now. On SQLite, `busy` counts the readers
    /// checked out plus the writer when a transaction holds it.
    pub fn pool_stats(&self) -> PoolStats {
        match self {
            Db::Sqlite(p) => p.stats(),
            Db::Postgres(p) => {
                let open = u64::from(p.size());
                let idle = p.num_idle() as u64;
                PoolStats {
                    max: u64::from(p.options().get_max_connections()),
                    open,
                    idle,
                    busy: open.saturating_sub(idle),
                }
            }
        }
    }
}
