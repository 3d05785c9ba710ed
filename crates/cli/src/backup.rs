//! `suyuan backup` and `suyuan restore`.
//!
//! - `backup --out FILE [--include-secret-key]` takes a consistent online
//!   snapshot while the server runs (SQLite: `VACUUM INTO`; PostgreSQL:
//!   `pg_dump --format=custom` of the store's schema, under a snapshot
//!   exported by a transaction that also reads the log's head), and writes
//!   it with its manifest ([`crate::backup_file`]): time, backend, size and
//!   SHA-256 of the snapshot, schema version, the log's size and root as
//!   read in the snapshot, and the personal-data key's fingerprint (the key
//!   only with `--include-secret-key`). It does not migrate the database.
//! - `restore FILE` into `--data-dir DIR` or `--database-url URL` refuses a
//!   file that is not whole (`backup_truncated`, `backup_corrupted`), a
//!   schema newer than this program (`schema_newer`), a target that holds
//!   tables (`target_not_empty`, unless `--force`) and a key that is not
//!   the one the data was sealed with (`key_missing`, `key_mismatch`). After
//!   restoring it checks the copy's log head against the manifest and runs
//!   the same verification as `suyuan verify`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_store::backup::{self as store_backup, PgSnapshot, SnapshotHead};
use suyuan_store::tlog::VerifyReport;
use suyuan_store::{Backend, Db, OpenOptions, PersonalDataCipher, Store};

use crate::backup_file::{self, Manifest};
use crate::backup_tools;
use crate::config::{DbArgs, ServeArgs, Settings};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (written beside it first, then renamed).
    #[arg(long)]
    pub out: PathBuf,
    /// Put the personal-data key in the backup (keep such a file as safe as the key).
    #[arg(long)]
    pub include_secret_key: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file.
    pub file: PathBuf,
    /// Overwrite a target that already holds data (and a different key file).
    #[arg(long)]
    pub force: bool,
}

/// Takes a snapshot of `db` into `out` with its manifest.
pub async fn create_backup(
    db: &Db,
    backend: &Backend,
    cipher: &PersonalDataCipher,
    secret_key: Option<String>,
    out: &Path,
) -> Result<Manifest> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            bail!("--out: the folder {} does not exist", dir.display());
        }
    }
    let snapshot = backup_file::temp_beside(out, "snapshot");
    let result = write_backup(db, backend, cipher, secret_key, out, &snapshot).await;
    remove_sqlite_files(&snapshot);
    result
}

async fn write_backup(
    db: &Db,
    backend: &Backend,
    cipher: &PersonalDataCipher,
    secret_key: Option<String>,
    out: &Path,
    snapshot: &Path,
) -> Result<Manifest> {
    let (head, pg_schema) = snapshot_into(db, backend, snapshot).await?;
    let (sha, size) = backup_file::hash_file(snapshot)?;
    let manifest = Manifest {
        format: backup_file::FORMAT.into(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        suyuan_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend.name().into(),
        snapshot_format: if pg_schema.is_some() {
            "pg_dump-custom"
        } else {
            "sqlite3"
        }
        .into(),
        pg_schema,
        snapshot_size: size,
        snapshot_sha256: sha,
        schema_version: head.schema_version,
        tree_size: head.tree_size,
        root: head.root,
        key_fingerprint: cipher.fingerprint().into(),
        secret_key,
    };
    let (path, out, m) = (snapshot.to_path_buf(), out.to_path_buf(), manifest.clone());
    tokio::task::spawn_blocking(move || backup_file::write(&out, &m, &path)).await??;
    Ok(manifest)
}

fn remove_sqlite_files(path: &Path) {
    let _ = std::fs::remove_file(path);
    for ext in ["-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// The snapshot file and the head read in it (and, on PostgreSQL, the schema dumped).
async fn snapshot_into(
    db: &Db,
    backend: &Backend,
    snapshot: &Path,
) -> Result<(SnapshotHead, Option<String>)> {
    match backend {
        Backend::Sqlite(_) => {
            // SQLite runs on the calling thread: keep the copy off the
            // runtime's workers that serve requests meanwhile.
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(store_backup::sqlite_snapshot(db, snapshot))
            })
            .context("VACUUM INTO failed")?;
            let copy = Db::open(
                &Backend::Sqlite(snapshot.to_path_buf()),
                &OpenOptions {
                    max_connections: 1,
                    pg_schema: None,
                },
            )
            .await?;
            let head = store_backup::read_head(&copy).await;
            copy.close().await;
            drop(copy);
            Ok((head.context("cannot read the snapshot's log")?, None))
        }
        Backend::Postgres(url) => {
            let snap = PgSnapshot::export(db).await.context("cannot export a snapshot")?;
            let dumped = backup_tools::pg_dump(url, &snap.id, &snap.schema, snapshot).await;
            let head = snap.head.clone();
            let schema = snap.schema.clone();
            let _ = snap.release().await;
            dumped?;
            Ok((head, Some(schema)))
        }
    }
}

/// `suyuan backup`.
pub async fn run_backup(db_args: &DbArgs, args: BackupArgs) -> Result<()> {
    let settings = Settings::resolve(db_args, &ServeArgs::default())?;
    if let Backend::Sqlite(path) = &settings.backend {
        if !path.exists() {
            bail!(
                "no database at {}: pass --data-dir or --database-url",
                path.display()
            );
        }
    }
    let cipher = settings.existing_cipher()?;
    let key = if args.include_secret_key {
        Some(settings.secret_key_text()?)
    } else {
        None
    };
    let db = Db::open(&settings.backend, &OpenOptions::default())
        .await
        .with_context(|| format!("cannot open the {} database", settings.backend.name()))?;
    let m = create_backup(&db, &settings.backend, &cipher, key, &args.out).await;
    db.close().await;
    let m = m?;
    println!(
        "ok: backup {} ({} snapshot, {} bytes, sha256 {}); schema {}, log of {} records, root {}; key {}{}",
        args.out.display(),
        m.backend,
        m.snapshot_size,
        m.snapshot_sha256,
        m.schema_version,
        m.tree_size,
        m.root,
        m.key_fingerprint,
        if m.secret_key.is_some() {
            " (included)"
        } else {
            " (not included)"
        }
    );
    Ok(())
}

/// What a restore found.
pub struct Restored {
    pub manifest: Manifest,
    pub report: VerifyReport,
}

/// Restores `file` into `backend` with `cipher`, then checks the copy:
/// its head against the manifest, and the whole log as `suyuan verify`
/// does. `force` allows a target that holds tables.
pub async fn restore_into(
    file: &Path,
    backend: &Backend,
    cipher: &PersonalDataCipher,
    force: bool,
) -> Result<Restored> {
    let extracted = match backend {
        Backend::Sqlite(path) => backup_file::temp_beside(path, "restore"),
        Backend::Postgres(_) => {
            backup_file::temp_beside(&std::env::temp_dir().join("suyuan-restore"), "dump")
        }
    };
    let result = restore_extracted(file, &extracted, backend, cipher, force).await;
    remove_sqlite_files(&extracted);
    result
}

async fn restore_extracted(
    file: &Path,
    extracted: &Path,
    backend: &Backend,
    cipher: &PersonalDataCipher,
    force: bool,
) -> Result<Restored> {
    let manifest = {
        let (f, e) = (file.to_path_buf(), extracted.to_path_buf());
        tokio::task::spawn_blocking(move || backup_file::read(&f, &e)).await??
    };
    check_manifest(&manifest, backend, cipher)?;
    let opts = OpenOptions::default();
    match backend {
        Backend::Sqlite(path) => {
            if path.exists() {
                let db = Db::open(backend, &opts).await?;
                let empty = store_backup::is_empty(&db).await;
                db.close().await;
                refuse_unless_empty(empty?, force, &path.display().to_string())?;
            }
            remove_sqlite_files(path);
            std::fs::rename(extracted, path)
                .with_context(|| format!("cannot move the database to {}", path.display()))?;
            backup_file::sync_dir(path)?;
        }
        Backend::Postgres(url) => {
            let db = Db::open(backend, &opts).await?;
            let put = pg_put(&db, url, extracted, manifest.pg_schema.as_deref(), force).await;
            db.close().await;
            put?;
        }
    }
    let db = Db::open(backend, &opts).await?;
    let head = store_backup::read_head(&db).await;
    db.close().await;
    let head = head.context("cannot read the restored log")?;
    if head.tree_size != manifest.tree_size || head.root != manifest.root {
        bail!(
            "restore_mismatch: the restored log has {} records and root {}, the manifest {} and {}",
            head.tree_size,
            head.root,
            manifest.tree_size,
            manifest.root
        );
    }
    let store = Store::open(backend, &opts, cipher.clone())
        .await
        .context("cannot open the restored database")?;
    let report = store.verify_log().await;
    store.close().await;
    let report = report.context("cannot verify the restored log")?;
    if let Some(first) = report.problems.first() {
        bail!(
            "restore_does_not_verify: the restored log does not verify ({} problems); first: {first}",
            report.problems.len()
        );
    }
    Ok(Restored { manifest, report })
}

/// PostgreSQL: the dump restored into the target's schema (cleared first).
async fn pg_put(db: &Db, url: &str, dump: &Path, dumped: Option<&str>, force: bool) -> Result<()> {
    refuse_unless_empty(store_backup::is_empty(db).await?, force, "the database's schema")?;
    let target = store_backup::pg_schema(db).await?;
    let dumped = dumped.unwrap_or("public");
    store_backup::pg_clear_schemas(db, &target, dumped).await?;
    backup_tools::pg_restore(url, dump).await?;
    store_backup::pg_rename_schema(db, dumped, &target).await?;
    Ok(())
}

fn refuse_unless_empty(empty: bool, force: bool, what: &str) -> Result<()> {
    if !empty && !force {
        bail!("target_not_empty: {what} already holds data; restore into an empty target, or pass --force to overwrite it");
    }
    Ok(())
}

/// The rules a manifest must meet before anything is written.
fn check_manifest(m: &Manifest, backend: &Backend, cipher: &PersonalDataCipher) -> Result<()> {
    let latest = Store::latest_schema_version();
    if m.schema_version > latest {
        bail!(
            "schema_newer: the backup's schema (version {}) is newer than this program's (version {latest}); restore it with a newer suyuan",
            m.schema_version
        );
    }
    if m.backend != backend.name() {
        bail!(
            "backend_mismatch: the backup is of a {} database and the target is {}",
            m.backend,
            backend.name()
        );
    }
    if cipher.fingerprint() != m.key_fingerprint {
        bail!(
            "key_mismatch: the personal-data key at hand ({}) is not the one the backup's data is sealed with ({})",
            cipher.fingerprint(),
            m.key_fingerprint
        );
    }
    Ok(())
}

/// The key for the restored data: the backup's own (returned with its text,
/// to be written to the data folder once the restore succeeded); or, when
/// the backup holds none, the one configured or already in the data
/// folder, which must have the manifest's fingerprint.
fn restore_key(
    settings: &Settings,
    file: &Path,
    force: bool,
) -> Result<(PersonalDataCipher, Option<String>)> {
    let manifest = backup_file::peek_manifest(file)?;
    let present = settings.existing_cipher().ok();
    match &manifest.secret_key {
        Some(text) => {
            let cipher = PersonalDataCipher::from_key_text(text)
                .map_err(|e| anyhow::anyhow!("backup_corrupted: the included key: {e}"))?;
            if cipher.fingerprint() != manifest.key_fingerprint {
                bail!("backup_corrupted: the included key does not have the manifest's fingerprint");
            }
            if let Some(p) = present.filter(|p| p.fingerprint() != cipher.fingerprint()) {
                if !force {
                    bail!(
                        "key_mismatch: a different personal-data key ({}) is already configured or in {}; pass --force to replace the key file",
                        p.fingerprint(),
                        settings.data_dir.display()
                    );
                }
            }
            Ok((cipher, Some(text.clone())))
        }
        None => present.with_context(|| {
            format!(
                "key_missing: the backup does not hold the personal-data key (fingerprint {}); give it with --secret-key \
                 (SUYUAN_SECRET_KEY) or put it in {}",
                manifest.key_fingerprint,
                settings.data_dir.join("secret.key").display()
            )
        })
        .map(|c| (c, None)),
    }
}

/// Writes the key file (owner-only), beside it first then renamed.
fn write_key(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = backup_file::temp_beside(path, "new");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(text.trim().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    backup_file::sync_dir(path)
}

/// `suyuan restore`.
pub async fn run_restore(db_args: &DbArgs, args: RestoreArgs) -> Result<()> {
    let settings = Settings::resolve(db_args, &ServeArgs::default())?;
    if let Backend::Sqlite(path) = &settings.backend {
        if path.parent() == Some(settings.data_dir.as_path()) {
            std::fs::create_dir_all(&settings.data_dir)
                .with_context(|| format!("cannot create the data folder {}", settings.data_dir.display()))?;
        }
    }
    let (cipher, key) = restore_key(&settings, &args.file, args.force)?;
    let r = restore_into(&args.file, &settings.backend, &cipher, args.force).await?;
    if let Some(text) = key {
        write_key(&settings.data_dir.join("secret.key"), &text)?;
    }
    println!(
        "ok: restored {} (taken {}) into the {} database; verified {} records, root {} as in the manifest",
        args.file.display(),
        r.manifest.created_at,
        settings.backend.name(),
        r.report.leaves,
        r.report.root
    );
    Ok(())
}
