//! Backups and their restore drills: the store's side.
//!
//! - A consistent snapshot: on SQLite `VACUUM INTO` a new file
//!   ([`sqlite_snapshot`]), then [`read_head`] on that file; on PostgreSQL a
//!   `REPEATABLE READ` transaction that exports its snapshot
//!   ([`PgSnapshot::export`]), reads the head in it, and stays open while
//!   `pg_dump --snapshot` copies exactly what it saw. Either way the log's
//!   size and root in a manifest are those of the copy, not of the live
//!   database a moment later.
//! - A restore's target: whether it is empty ([`is_empty`]), and on
//!   PostgreSQL the schema dropped before `pg_restore` and renamed after it
//!   ([`pg_clear_schemas`], [`pg_rename_schema`]); the scratch database of
//!   a drill ([`pg_create_database`], [`pg_drop_database`]).
//! - The record of each scheduled run (`backup_runs`, operational): written
//!   by the server, read by the operator ([`Store::backup_runs`]) and by
//!   metrics ([`Store::last_backup_drill`]).
//!
//! Running `pg_dump` and `pg_restore`, and the file format, are the CLI's.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{Db, Tx};
use crate::orgs::ts;
use crate::tlog::checkpoints::tree_head;
use crate::{migrate, new_id, params, Caller, Result, Store, StoreError};

/// What a snapshot holds of the log and the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHead {
    /// The newest migration applied.
    pub schema_version: i64,
    pub tree_size: u64,
    /// The log's root, hex.
    pub root: String,
}

async fn head_in(tx: &mut Tx) -> Result<SnapshotHead> {
    let version = tx
        .fetch_optional(
            "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations",
            &[],
        )
        .await?
        .map(|r| r.int("v"))
        .transpose()?
        .unwrap_or(0);
    let (tree_size, root) = tree_head(tx).await?;
    Ok(SnapshotHead {
        schema_version: version,
        tree_size,
        root,
    })
}

/// The schema version and the log's head of a database (a snapshot opened
/// on its own), read in one transaction.
pub async fn read_head(db: &Db) -> Result<SnapshotHead> {
    let mut tx = db.begin().await?;
    head_in(&mut tx).await
}

/// SQLite: a consistent copy of the whole database into `dest` (which must
/// not exist), taken while others read and write.
pub async fn sqlite_snapshot(db: &Db, dest: &Path) -> Result<()> {
    let Db::Sqlite(_) = db else {
        return Err(StoreError::Config("VACUUM INTO is SQLite's".into()));
    };
    let dest = dest
        .to_str()
        .ok_or_else(|| StoreError::Config("the snapshot's path is not UTF-8".into()))?;
    db.conn().execute("VACUUM INTO $1", &params![dest]).await?;
    Ok(())
}

/// PostgreSQL: an open `REPEATABLE READ` transaction whose snapshot is
/// exported (`id`, for `pg_dump --snapshot`), with the head it sees. Keep
/// it until `pg_dump` has finished.
pub struct PgSnapshot {
    tx: Tx,
    pub id: String,
    pub head: SnapshotHead,
    /// The schema the store's tables live in (the first of `search_path`).
    pub schema: String,
}

impl PgSnapshot {
    pub async fn export(db: &Db) -> Result<PgSnapshot> {
        let Db::Postgres(_) = db else {
            return Err(StoreError::Config("exported snapshots are PostgreSQL's".into()));
        };
        let schema = pg_schema(db).await?;
        let mut tx = db.begin().await?;
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", &[])
            .await?;
        let id = tx
            .fetch_optional("SELECT pg_export_snapshot() AS id", &[])
            .await?
            .ok_or_else(|| StoreError::Corrupt("no snapshot id".into()))?
            .text("id")?;
        let head = head_in(&mut tx).await?;
        Ok(PgSnapshot { tx, id, head, schema })
    }

    /// Ends the transaction (read only: nothing to keep).
    pub async fn release(self) -> Result<()> {
        self.tx.commit().await
    }
}

/// PostgreSQL: the schema the connection's tables are created in: the
/// first entry of `search_path` other than `"$user"`.
pub async fn pg_schema(db: &Db) -> Result<String> {
    let path = db
        .conn()
        .fetch_optional("SELECT current_setting('search_path') AS p", &[])
        .await?
        .map(|r| r.text("p"))
        .transpose()?
        .unwrap_or_default();
    let first = path
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .find(|s| !s.is_empty() && *s != "$user")
        .unwrap_or("public");
    Ok(first.to_owned())
}

fn check_name(name: &str) -> Result<&str> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::Config(format!(
            "'{name}': a PostgreSQL schema or database name here is letters, digits and underscores"
        )));
    }
    Ok(name)
}

/// Whether the database holds no table: on SQLite none at all, on
/// PostgreSQL none in the connection's schema.
pub async fn is_empty(db: &Db) -> Result<bool> {
    let row = match db {
        Db::Sqlite(_) => {
            db.conn()
                .fetch_optional(
                    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'",
                    &[],
                )
                .await?
        }
        Db::Postgres(_) => {
            let schema = pg_schema(db).await?;
            db.conn()
                .fetch_optional(
                    "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = $1",
                    &params![schema],
                )
                .await?
        }
    };
    Ok(row.map(|r| r.int("n")).transpose()?.unwrap_or(0) == 0)
}

/// PostgreSQL: runs one statement as is (simple protocol: `CREATE
/// DATABASE` and the like refuse to run inside any transaction).
async fn pg_raw(db: &Db, sql: &str) -> Result<()> {
    if let Db::Postgres(p) = db {
        sqlx::raw_sql(sql).execute(p).await?;
    }
    Ok(())
}

/// PostgreSQL: drops the target schema and the one a dump will create
/// (with everything in them), so that `pg_restore` starts clean. The
/// caller has checked that the target is empty or was told to overwrite it.
pub async fn pg_clear_schemas(db: &Db, target: &str, dumped: &str) -> Result<()> {
    for s in [target, dumped] {
        pg_raw(db, &format!("DROP SCHEMA IF EXISTS {} CASCADE", check_name(s)?)).await?;
    }
    Ok(())
}

/// PostgreSQL: renames a restored schema to the target's name.
pub async fn pg_rename_schema(db: &Db, from: &str, to: &str) -> Result<()> {
    if from != to {
        pg_raw(
            db,
            &format!("ALTER SCHEMA {} RENAME TO {}", check_name(from)?, check_name(to)?),
        )
        .await?;
    }
    Ok(())
}

/// PostgreSQL: a new empty database on the same server (a drill's scratch).
pub async fn pg_create_database(db: &Db, name: &str) -> Result<()> {
    pg_raw(db, &format!("CREATE DATABASE {}", check_name(name)?)).await
}

/// PostgreSQL: drops a drill's scratch database (closing its connections).
pub async fn pg_drop_database(db: &Db, name: &str) -> Result<()> {
    pg_raw(
        db,
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", check_name(name)?),
    )
    .await
}

/// The outcome of a run's restore drill.
pub const DRILL_PASSED: &str = "passed";
pub const DRILL_FAILED: &str = "failed";
/// The backup itself failed: no drill.
pub const DRILL_NOT_RUN: &str = "not_run";

/// One scheduled backup and its restore drill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackupRun {
    pub started_at: DateTime<Utc>,
    /// The file's name in the backup folder.
    pub file_name: String,
    pub size_bytes: i64,
    /// SHA-256 of the snapshot inside, hex.
    pub sha256: String,
    /// The log's size and root in the snapshot.
    pub tree_size: i64,
    pub root: String,
    /// `passed`, `failed` or `not_run` (the backup failed).
    pub drill_outcome: String,
    pub drill_at: Option<DateTime<Utc>>,
    /// Backup and drill together.
    pub seconds: f64,
    pub error: Option<String>,
}

/// What [`Store::record_backup_run`] writes.
#[derive(Debug, Clone)]
pub struct NewBackupRun {
    pub started_at: i64,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub tree_size: i64,
    pub root: String,
    pub drill_outcome: &'static str,
    pub drill_at: Option<i64>,
    pub seconds: f64,
    pub error: Option<String>,
}

const RUN_COLUMNS: &str =
    "started_at, file_name, size_bytes, sha256, tree_size, root, drill_outcome, drill_at, seconds, error";

fn run_of(r: &crate::db::Row) -> Result<BackupRun> {
    Ok(BackupRun {
        started_at: ts(r.int("started_at")?),
        file_name: r.text("file_name")?,
        size_bytes: r.int("size_bytes")?,
        sha256: r.text("sha256")?,
        tree_size: r.int("tree_size")?,
        root: r.text("root")?,
        drill_outcome: r.text("drill_outcome")?,
        drill_at: r.opt_int("drill_at")?.map(ts),
        seconds: r.float("seconds")?,
        error: r.opt_text("error")?,
    })
}

impl Store {
    /// Records one scheduled run.
    pub async fn record_backup_run(&self, run: &NewBackupRun) -> Result<()> {
        self.db
            .conn()
            .execute(
                &format!(
                    "INSERT INTO backup_runs (id, {RUN_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
                ),
                &params![
                    new_id(),
                    run.started_at,
                    run.file_name.as_str(),
                    run.size_bytes,
                    run.sha256.as_str(),
                    run.tree_size,
                    run.root.as_str(),
                    run.drill_outcome,
                    run.drill_at,
                    run.seconds,
                    run.error.clone()
                ],
            )
            .await?;
        Ok(())
    }

    /// The newest runs, newest first (the operator only).
    pub async fn backup_runs(&self, caller: &Caller, limit: u32) -> Result<Vec<BackupRun>> {
        caller.require_operator()?;
        self.db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT {}",
                    limit.clamp(1, 200)
                ),
                &[],
            )
            .await?
            .iter()
            .map(run_of)
            .collect()
    }

    /// The newest run: its drill's outcome and time (`not_run` when the
    /// backup itself failed), for metrics and alerts (no caller: it reveals
    /// no record).
    pub async fn last_backup_drill(&self) -> Result<Option<BackupRun>> {
        self.db
            .conn()
            .fetch_optional(
                &format!("SELECT {RUN_COLUMNS} FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT 1"),
                &[],
            )
            .await?
            .as_ref()
            .map(run_of)
            .transpose()
    }

    /// The schema version this program knows (restores refuse newer ones).
    pub fn latest_schema_version() -> i64 {
        migrate::latest_version()
    }
}
