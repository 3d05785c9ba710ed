//! Schema migrations, embedded in the binary and run at start.
//!
//! One list of SQL files serves both backends, so both always have the same
//! schema. Each applied migration is recorded in `schema_migrations`; on
//! PostgreSQL an advisory lock makes concurrent starts of several servers safe.

use crate::db::{Db, Tx};
use crate::{params, StoreError};

/// (version, name, SQL), in order. Append only: never edit an applied file.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "trace", include_str!("../migrations/0002_trace.sql")),
    (3, "tlog", include_str!("../migrations/0003_tlog.sql")),
    (
        4,
        "lot_membership",
        include_str!("../migrations/0004_lot_membership.sql"),
    ),
    (
        5,
        "integrity_and_witnesses",
        include_str!("../migrations/0005_integrity_and_witnesses.sql"),
    ),
    (
        6,
        "detached_signatures",
        include_str!("../migrations/0006_detached_signatures.sql"),
    ),
    (
        7,
        "master_data_leaves",
        include_str!("../migrations/0007_master_data_leaves.sql"),
    ),
    (
        8,
        "walk_indexes",
        include_str!("../migrations/0008_walk_indexes.sql"),
    ),
    (
        9,
        "company_prefix",
        include_str!("../migrations/0009_company_prefix.sql"),
    ),
    (
        10,
        "leaves_by_row",
        include_str!("../migrations/0010_leaves_by_row.sql"),
    ),
    (
        11,
        "fewer_event_indexes",
        include_str!("../migrations/0011_fewer_event_indexes.sql"),
    ),
    (
        12,
        "batch_signed_leaves",
        include_str!("../migrations/0012_batch_signed_leaves.sql"),
    ),
    (
        13,
        "event_keys",
        include_str!("../migrations/0013_event_keys.sql"),
    ),
    (
        14,
        "scan_clients",
        include_str!("../migrations/0014_scan_clients.sql"),
    ),
    (15, "accounts", include_str!("../migrations/0015_accounts.sql")),
    (16, "authority", include_str!("../migrations/0016_authority.sql")),
    (
        17,
        "status_reach",
        include_str!("../migrations/0017_status_reach.sql"),
    ),
    (
        18,
        "item_issues",
        include_str!("../migrations/0018_item_issues.sql"),
    ),
    (
        19,
        "org_records",
        include_str!("../migrations/0019_org_records.sql"),
    ),
    (
        20,
        "unit_allocations",
        include_str!("../migrations/0020_unit_allocations.sql"),
    ),
    (
        21,
        "row_states",
        include_str!("../migrations/0021_row_states.sql"),
    ),
    (
        22,
        "attention_index",
        include_str!("../migrations/0022_attention_index.sql"),
    ),
    (23, "devices", include_str!("../migrations/0023_devices.sql")),
    (24, "oversight", include_str!("../migrations/0024_oversight.sql")),
    (25, "quality", include_str!("../migrations/0025_quality.sql")),
    (
        26,
        "client_certs",
        include_str!("../migrations/0026_client_certs.sql"),
    ),
    (27, "audit", include_str!("../migrations/0027_audit.sql")),
    (
        28,
        "backup_runs",
        include_str!("../migrations/0028_backup_runs.sql"),
    ),
    (
        29,
        "sign_in_attempts",
        include_str!("../migrations/0029_sign_in_attempts.sql"),
    ),
    (30, "archives", include_str!("../migrations/0030_archives.sql")),
    (31, "webhooks", include_str!("../migrations/0031_webhooks.sql")),
    (
        32,
        "master_versions",
        include_str!("../migrations/0032_master_versions.sql"),
    ),
    (
        34,
        "device_attachments",
        include_str!("../migrations/0034_device_attachments.sql"),
    ),
    (
        35,
        "device_units",
        include_str!("../migrations/0035_device_units.sql"),
    ),
    (
        36,
        "dashboard_indexes",
        include_str!("../migrations/0036_dashboard_indexes.sql"),
    ),
];

/// The newest version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Applies every migration not yet applied. Returns how many it applied.
pub async fn run(db: &Db) -> Result<usize, StoreError> {
    let mut tx = db.begin().await?;
    if let Tx::Postgres(_) = tx {
        // Serialises concurrent starts; released at commit.
        tx.execute("SELECT pg_advisory_xact_lock(7263540001)", &[])
            .await?;
    }
    tx.execute(CREATE_TABLE, &[]).await?;
    let current = applied_version(&mut tx).await?;
    if current > latest_version() {
        return Err(StoreError::Config(format!(
            "the database schema (version {current}) is newer than this program (version {}); upgrade suyuan",
            latest_version()
        )));
    }
    // Every migration not recorded, in order: one merged later under a lower
    // number than those already applied (23 after 24 and 25) still runs.
    let done: std::collections::BTreeSet<i64> = tx
        .fetch_all("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.int("version"))
        .collect::<Result<_, _>>()?;
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| !done.contains(&m.0)) {
        tracing::info!(version, name, "applying migration");
        Db::execute_script(&mut tx, sql).await?;
        if *version == 13 {
            key_stored_events(&mut tx).await?;
        }
        if *version == 20 {
            derive_units(&mut tx).await?;
            bind_cosignature_times(&mut tx).await?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &params![*version, *name, crate::now_ms()],
        )
        .await?;
        applied += 1;
    }
    tx.commit().await?;
    Ok(applied)
}

/// Migration 13's data: the key of every stored event's eventID (SQL has no
/// portable SHA-256).
pub async fn key_stored_events(tx: &mut Tx) -> Result<(), StoreError> {
    let rows = tx
        .fetch_all("SELECT id, event_id FROM events WHERE event_key IS NULL", &[])
        .await?;
    for r in rows {
        let event_id = r.text("event_id")?;
        tx.execute(
            "UPDATE events SET event_key = $1 WHERE id = $2",
            &params![crate::trace::event_key(&event_id), r.text("id")?],
        )
        .await?;
    }
    Ok(())
}

/// Migration 20's data: every unit's id from its identifier, its
/// `created_at` from the record that created it, and an allocation record
/// (logged when the store opens) for each unit created before any event
/// named it.
pub async fn derive_units(tx: &mut Tx) -> Result<(), StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT u.id, u.epc, u.kind, u.owner_org_id, u.origin_place, u.created_at, u.created_event, \
             u.lot_epc, e.record_time FROM units u LEFT JOIN events e ON e.id = u.created_event",
            &[],
        )
        .await?;
    for r in rows {
        let epc = r.text("epc")?;
        let created_at = r.int("created_at")?;
        let issued_item =
            r.text("kind")? == "item" && r.opt_text("lot_epc")?.is_some() && !epc.contains("/10/");
        let created = match r.opt_int("record_time")? {
            // Stored when its event was: the event's recordTime.
            Some(t) if t <= created_at => t,
            // Allocated before an event named it, or never named.
            _ if !issued_item => {
                tx.execute(
                    "INSERT INTO unit_allocations (id, org_id, epc, kind, origin_place, allocated_by, created_at) \
                     VALUES ($1,$2,$3,$4,$5,NULL,$6)",
                    &params![
                        crate::new_id(),
                        r.text("owner_org_id")?,
                        epc.as_str(),
                        r.text("kind")?,
                        r.opt_text("origin_place")?,
                        created_at
                    ],
                )
                .await?;
                created_at
            }
            _ => created_at,
        };
        tx.execute(
            "UPDATE units SET id = $1, created_at = $2 WHERE id = $3",
            &params![crate::trace::unit_id(&epc), created, r.text("id")?],
        )
        .await?;
    }
    Ok(())
}

/// Migration 20's data: a cosignature's `created_at` is the time its signed
/// line states.
pub async fn bind_cosignature_times(tx: &mut Tx) -> Result<(), StoreError> {
    for r in tx
        .fetch_all("SELECT size, vkey, line FROM tlog_cosignatures", &[])
        .await?
    {
        let Ok(c) = suyuan_ledger::cosignature::Cosignature::parse(&r.text("line")?) else {
            continue;
        };
        tx.execute(
            "UPDATE tlog_cosignatures SET created_at = $1 WHERE size = $2 AND vkey = $3",
            &params![
                crate::witnessing::cosignature_time(&c)?,
                r.int("size")?,
                r.text("vkey")?
            ],
        )
        .await?;
    }
    Ok(())
}

async fn applied_version(tx: &mut Tx) -> Result<i64, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations",
            &[],
        )
        .await?;
    match row {
        Some(r) => r.int("v"),
        None => Ok(0),
    }
}

/// The schema version in the database (0 when none), for `/readyz`.
pub async fn current_version(db: &Db) -> Result<i64, StoreError> {
    let row = db
        .conn()
        .fetch_optional(
            "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations",
            &[],
        )
        .await?;
    match row {
        Some(r) => r.int("v"),
        None => Ok(0),
    }
}
