//! Scheduled backups with restore drills (`serve --backup-every …`,
//!
//!
//! Every interval the server takes a backup into the backup folder
//! (`suyuan-YYYYMMDDTHHMMSSZ.backup`, written beside and renamed), then
//! drills it: restores it into a scratch place (SQLite: a file in a hidden
//! folder beside the backups; PostgreSQL: a database
//! `suyuan_drill_<random>` created on the same server and dropped after, in
//! the background),
//! checks the copy's log head against the manifest and runs the same
//! verification as `suyuan verify`. Each run is recorded (`backup_runs`:
//! shown on the operator's health page and at `GET /api/v1/backups`); a
//! failed drill is an `ERROR` log line with code `backup_drill_failed`, a
//! failed backup one with `backup_failed`. Then old backups are pruned: all
//! but the newest `--backup-keep`, and those older than
//! `--backup-max-age`; the newest is never pruned. What killed runs left
//! (hidden partial files) goes once a day old.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_store::backup::{self as store_backup, NewBackupRun, DRILL_FAILED, DRILL_NOT_RUN, DRILL_PASSED};
use suyuan_store::{Backend, PersonalDataCipher, Store};

use crate::backup::{create_backup, restore_into};
use crate::backup_tools;

/// Flags of `serve` for scheduled backups.
#[derive(Debug, Clone, Args, Default)]
pub struct ScheduleArgs {
    /// Take a backup and drill its restore every DURATION (`30s`, `15m`, `6h`, `1d`) [default: off]
    #[arg(long, env = "SUYUAN_BACKUP_EVERY")]
    pub backup_every: Option<String>,
    /// Folder for scheduled backups [default: DATA_DIR/backups]
    #[arg(long, env = "SUYUAN_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How many scheduled backups to keep [default: 7]
    #[arg(long, env = "SUYUAN_BACKUP_KEEP")]
    pub backup_keep: Option<usize>,
    /// Delete scheduled backups older than DURATION (`30d`) [default: kept]
    #[arg(long, env = "SUYUAN_BACKUP_MAX_AGE")]
    pub backup_max_age: Option<String>,
}

/// The settled schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub every: Duration,
    pub dir: PathBuf,
    pub keep: usize,
    pub max_age: Option<Duration>,
}

/// A duration: a whole number of seconds, minutes, hours or days (`30s`,
/// `15m`, `6h`, `1d`), at least one second.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.len().saturating_sub(1));
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("'{text}' is not a duration like 30s, 15m, 6h, 1d"),
    };
    let n: u64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .with_context(|| format!("'{text}' is not a duration like 30s, 15m, 6h, 1d"))?;
    Ok(Duration::from_secs(n.saturating_mul(unit_secs)))
}

impl Schedule {
    /// Flags over the file's keys; `None` when no interval is set (or `off`).
    pub fn resolve(
        args: &ScheduleArgs,
        file: (Option<String>, Option<PathBuf>, Option<usize>, Option<String>),
        data_dir: &Path,
    ) -> Result<Option<Schedule>> {
        let (f_every, f_dir, f_keep, f_age) = file;
        let keep = args.backup_keep.or(f_keep).unwrap_or(7);
        if keep == 0 {
            bail!("--backup-keep: keep at least one backup");
        }
        let max_age = args
            .backup_max_age
            .clone()
            .or(f_age)
            .map(|a| parse_duration(&a))
            .transpose()
            .context("--backup-max-age")?;
        let every = match args.backup_every.clone().or(f_every) {
            None => return Ok(None),
            Some(e) if e == "off" => return Ok(None),
            Some(e) => parse_duration(&e).context("--backup-every")?,
        };
        let dir = args
            .backup_dir
            .clone()
            .or(f_dir)
            .unwrap_or_else(|| data_dir.join("backups"));
        Ok(Some(Schedule {
            every,
            dir,
            keep,
            max_age,
        }))
    }
}

/// Runs the schedule until the server stops; the first backup comes one
/// interval after start.
pub async fn run(store: Store, backend: Backend, cipher: PersonalDataCipher, schedule: Schedule) {
    if let Err(e) = std::fs::create_dir_all(&schedule.dir) {
        tracing::error!(code = "backup_failed", dir = %schedule.dir.display(), error = %e, "cannot create the backup folder");
        return;
    }
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + schedule.every, schedule.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        // On a thread of its own: the copy, `pg_dump` and the drill's
        // verification are long and mostly blocking work.
        let handle = tokio::runtime::Handle::current();
        let (s, b, c, d) = (
            store.clone(),
            backend.clone(),
            cipher.clone(),
            schedule.dir.clone(),
        );
        let Ok(run) =
            tokio::task::spawn_blocking(move || handle.block_on(backup_and_drill(&s, &b, &c, &d))).await
        else {
            tracing::error!(code = "backup_failed", "the backup run panicked");
            continue;
        };
        if let Err(e) = prune(&schedule, std::time::SystemTime::now()) {
            tracing::warn!(error = %e, "cannot prune old backups");
        }
        if let Err(e) = store.record_backup_run(&run).await {
            tracing::error!(code = "backup_failed", error = %e, "cannot record the backup run");
        }
    }
}

/// One scheduled run: the backup, then its drill.
pub async fn backup_and_drill(
    store: &Store,
    backend: &Backend,
    cipher: &PersonalDataCipher,
    dir: &Path,
) -> NewBackupRun {
    let started = Instant::now();
    let started_at = suyuan_store::now_ms();
    let name = format!(
        "suyuan-{}.backup",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = dir.join(&name);
    let mut run = NewBackupRun {
        started_at,
        file_name: name,
        size_bytes: 0,
        sha256: String::new(),
        tree_size: 0,
        root: String::new(),
        drill_outcome: DRILL_NOT_RUN,
        drill_at: None,
        seconds: 0.0,
        error: None,
    };
    match create_backup(store.db(), backend, cipher, None, &path).await {
        Err(e) => {
            tracing::error!(code = "backup_failed", file = %path.display(), error = %format!("{e:#}"), "BACKUP FAILED");
            run.error = Some(format!("{e:#}"));
        }
        Ok(m) => {
            run.size_bytes = std::fs::metadata(&path).map_or(0, |m| m.len() as i64);
            run.sha256 = m.snapshot_sha256.clone();
            run.tree_size = m.tree_size as i64;
            run.root = m.root.clone();
            run.drill_at = Some(suyuan_store::now_ms());
            match drill(store, backend, cipher, &path).await {
                Ok(leaves) => {
                    run.drill_outcome = DRILL_PASSED;
                    tracing::info!(file = %path.display(), leaves, root = %m.root, "backup taken and its restore drill passed");
                }
                Err(e) => {
                    run.drill_outcome = DRILL_FAILED;
                    run.error = Some(format!("{e:#}"));
                    tracing::error!(
                        code = "backup_drill_failed",
                        file = %path.display(),
                        error = %format!("{e:#}"),
                        "BACKUP RESTORE DRILL FAILED: the backup could not be restored and verified"
                    );
                }
            }
        }
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

/// Restores `file` into a scratch place and verifies it; the records verified.
pub async fn drill(
    store: &Store,
    backend: &Backend,
    cipher: &PersonalDataCipher,
    file: &Path,
) -> Result<u64> {
    match backend {
        Backend::Sqlite(_) => {
            let dir = crate::backup_file::temp_beside(file, "drill");
            std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let r = restore_into(file, &Backend::Sqlite(dir.join("suyuan.db")), cipher, false).await;
            let _ = std::fs::remove_dir_all(&dir);
            Ok(r?.report.leaves)
        }
        Backend::Postgres(url) => {
            let name = format!("suyuan_drill_{:016x}", rand::random::<u64>());
            store_backup::pg_create_database(store.db(), &name)
                .await
                .context("cannot create the drill's scratch database")?;
            let scratch = backup_tools::with_database(url, &name)?;
            let r = restore_into(file, &Backend::Postgres(scratch), cipher, false).await;
            // Dropped in the background: DROP DATABASE waits for a
            // checkpoint, which a busy server may take long to finish; the
            // drill's outcome is known already.
            let db = store.db().clone();
            tokio::spawn(async move {
                if let Err(e) = store_backup::pg_drop_database(&db, &name).await {
                    tracing::warn!(database = %name, error = %e, "cannot drop the drill's scratch database");
                }
            });
            Ok(r?.report.leaves)
        }
    }
}

/// Deletes scheduled backups beyond the newest `keep` and older than
/// `max_age`, never the newest.
pub fn prune(schedule: &Schedule, now: std::time::SystemTime) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&schedule.dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            (name.starts_with("suyuan-") && name.ends_with(".backup")).then(|| (name, e.path()))
        })
        .collect();
    // The names sort by time.
    files.sort();
    files.reverse();
    let mut removed = leftovers(&schedule.dir, now)?;
    for (i, (_, path)) in files.iter().enumerate().skip(1) {
        let too_old = schedule.max_age.is_some_and(|age| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|d| d > age)
        });
        if i >= schedule.keep || too_old {
            std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
            removed.push(path.clone());
        }
    }
    Ok(removed)
}

/// What killed runs left beside the backups (hidden partial files,
/// snapshots and drill folders) more than a day ago: removed.
fn leftovers(dir: &Path, now: std::time::SystemTime) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for e in std::fs::read_dir(dir)?.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(".suyuan-") && name.contains(".backup.")) {
            continue;
        }
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > Duration::from_secs(86_400));
        if stale {
            let path = e.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
            removed.push(path);
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_pruning() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        for bad in ["", "0s", "5", "5w", "-1m", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(
                dir.path().join(format!("suyuan-2026010{i}T000000.000Z.backup")),
                b"x",
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("other.txt"), b"x").unwrap();
        let s = Schedule {
            every: Duration::from_secs(1),
            dir: dir.path().to_path_buf(),
            keep: 3,
            max_age: None,
        };
        let removed = prune(&s, std::time::SystemTime::now()).unwrap();
        assert_eq!(removed.len(), 2);
        assert!(dir.path().join("suyuan-20260104T000000.000Z.backup").exists());
        assert!(!dir.path().join("suyuan-20260100T000000.000Z.backup").exists());
        assert!(dir.path().join("other.txt").exists());
        let s = Schedule {
            max_age: Some(Duration::from_secs(1)),
            ..s
        };
        std::fs::write(dir.path().join(".suyuan-x.backup.partial-1-0"), b"x").unwrap();
        let later = std::time::SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(prune(&s, later).unwrap().len(), 2);
        // A killed run's partial file goes once it is a day old.
        assert!(dir.path().join(".suyuan-x.backup.partial-1-0").exists());
        let next_day = std::time::SystemTime::now() + Duration::from_secs(2 * 86_400);
        let removed = prune(&s, next_day).unwrap();
        assert!(
            removed
                .iter()
                .any(|p| p.ends_with(".suyuan-x.backup.partial-1-0")),
            "{removed:?}"
        );
        assert!(dir.path().join("suyuan-20260104T000000.000Z.backup").exists());
    }

    /// A database whose rows no longer match its log: the backup is taken,
    /// its drill fails and says why, and the run is recorded as failed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_drill_that_does_not_verify_is_recorded_as_failed() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Backend::Sqlite(dir.path().join("suyuan.db"));
        let cipher = PersonalDataCipher::new(&[7; 32]);
        let store = Store::open(&backend, &suyuan_store::OpenOptions::default(), cipher.clone())
            .await
            .unwrap();
        store
            .bootstrap("平台运营方", "110000", "not-a-real-hash")
            .await
            .unwrap();
        let good = backup_and_drill(&store, &backend, &cipher, dir.path()).await;
        assert_eq!(good.drill_outcome, DRILL_PASSED, "{:?}", good.error);
        assert!(good.tree_size > 0);
        store
            .db()
            .conn()
            .execute("UPDATE organisations SET name = 'edited'", &[])
            .await
            .unwrap();
        let bad = backup_and_drill(&store, &backend, &cipher, dir.path()).await;
        assert_eq!(bad.drill_outcome, DRILL_FAILED);
        let error = bad.error.clone().unwrap();
        assert!(error.contains("restore_does_not_verify"), "{error}");
        store.record_backup_run(&bad).await.unwrap();
        let last = store.last_backup_drill().await.unwrap().unwrap();
        assert_eq!(last.drill_outcome, "failed");
        // A backup into a folder that does not exist fails without a drill.
        let none = backup_and_drill(&store, &backend, &cipher, &dir.path().join("missing")).await;
        assert_eq!(none.drill_outcome, DRILL_NOT_RUN);
        store.close().await;
    }

    #[test]
    fn the_schedule_comes_from_flags_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("suyuan.toml");
        std::fs::write(
            &file,
            "backup_every = \"6h\"\nbackup_dir = \"/srv/b\"\nbackup_keep = 3\nbackup_max_age = \"30d\"\n",
        )
        .unwrap();
        let db = crate::config::DbArgs {
            config: Some(file),
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let s = crate::config::Settings::resolve(&db, &crate::config::ServeArgs::default())
            .unwrap()
            .backup
            .unwrap();
        assert_eq!(s.every, Duration::from_secs(6 * 3600));
        assert_eq!(s.dir, PathBuf::from("/srv/b"));
        assert_eq!((s.keep, s.max_age), (3, Some(Duration::from_secs(30 * 86_400))));
        let flags = crate::config::ServeArgs {
            backup: ScheduleArgs {
                backup_every: Some("off".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(crate::config::Settings::resolve(&db, &flags)
            .unwrap()
            .backup
            .is_none());
        let bad = crate::config::ServeArgs {
            backup: ScheduleArgs {
                backup_keep: Some(0),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = crate::config::Settings::resolve(&db, &bad).unwrap_err();
        assert!(format!("{e:#}").contains("--backup-keep"), "{e:#}");
        let none = crate::config::DbArgs { config: None, ..db };
        let s = crate::config::Settings::resolve(&none, &crate::config::ServeArgs::default()).unwrap();
        assert!(s.backup.is_none());
    }
}
