//! The archives of chapter 4.3 of the standard: management documents
//! ([`documents`]), customers and distributors ([`customers`]), training
//! sessions ([`training`]), internal audits and their nonconformities
//! ([`audits`]), and the files attached to them ([`attachments`]). The
//! pure rules are `suyuan_core::archives`.
//!
//! **The log is the truth.** Every row of every archive table is a logged
//! record (`master_log::RecordKind::Archive*`), inserted once in the
//! transaction that logs it and never changed. An entry (a document, a
//! customer …) is named by its `entry_id`; each change of it is a new row,
//! a *version*, numbered 1, 2, … under the log's append lock, and its
//! current state is its highest version. `verify` re-derives every row's
//! record hash, so an edited or deleted version is named.
//!
//! **Who may.** A recorder or admin of a verified organisation writes its
//! own archives ([`Caller::require_verified_recorder`]: pending and
//! suspended organisations and the operator are refused); its users read
//! them, and so do the officers whose jurisdiction covers it
//! ([`Caller::record_scope`]); anyone else is told the entry is not found.

pub mod attachments;
pub mod audits;
pub mod customers;
pub mod documents;
pub mod season;
pub mod training;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Tx, Val};
use crate::master_log::RecordKind;
use crate::tlog::APPEND_LOCK;
use crate::{new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

pub use attachments::{Attach, AttachmentInfo, NewAttachment};

/// An entry's current version and every version it had, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Versions<T> {
    pub current: T,
    pub history: Vec<T>,
}

/// What every version of every archive entry carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stamp {
    /// This version's row (and log record) id.
    pub id: Uuid,
    /// The entry, the same in all its versions.
    pub entry_id: Uuid,
    /// 1 for the first version, then 2, 3 …
    pub version: i64,
    /// The organisation whose archive it is.
    pub org_id: Uuid,
    /// The user who recorded this version.
    pub acting_user: Option<String>,
    /// When this version was recorded (ms since the epoch).
    pub created_at: i64,
}

impl Stamp {
    pub(crate) fn of(r: &Row) -> Result<Stamp> {
        Ok(Stamp {
            id: r.uuid("id")?,
            entry_id: r.uuid("entry_id")?,
            version: r.int("version")?,
            org_id: r.uuid("org_id")?,
            acting_user: r.opt_text("acting_user")?,
            created_at: r.int("created_at")?,
        })
    }
}

/// What a version's insert needs besides its own columns.
pub(crate) struct NewVersion<'a> {
    pub kind: RecordKind,
    /// What the entry is called in a "not found" answer.
    pub what: &'static str,
    /// `None`: a new entry (version 1).
    pub entry: Option<Uuid>,
    pub columns: Vec<(&'static str, Val)>,
    pub caller: &'a Caller,
}

/// The condition selecting an entry's highest version (alias `t`).
pub(crate) fn current_only(table: &str) -> String {
    format!("t.version = (SELECT MAX(v.version) FROM {table} v WHERE v.entry_id = t.entry_id)")
}

impl Store {
    /// Inserts and logs one version of an entry inside `tx`: the next
    /// version of `entry` (of the caller's organisation; another's is not
    /// found), or version 1 of a new entry. Answers the row id and entry.
    pub(crate) async fn insert_version(&self, tx: &mut Tx, new: NewVersion<'_>) -> Result<(Uuid, Uuid)> {
        let table = new.kind.table();
        if let Tx::Postgres(_) = tx {
            // Versions of one entry are numbered in turn.
            tx.execute(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"), &[])
                .await?;
        }
        let (entry_id, version) = match new.entry {
            None => (new_id(), 1),
            Some(entry) => {
                let last = tx
                    .fetch_optional(
                        &format!("SELECT MAX(version) AS v FROM {table} WHERE entry_id = $1 AND org_id = $2"),
                        &params![entry, new.caller.org_id],
                    )
                    .await?
                    .and_then(|r| r.opt_int("v").ok().flatten())
                    .ok_or(StoreError::NotFound { what: new.what })?;
                (entry, last + 1)
            }
        };
        let id = new_id();
        let mut names = vec!["id", "org_id", "entry_id", "version", "acting_user", "created_at"];
        let mut vals: Vec<Val> = params![
            id,
            new.caller.org_id,
            entry_id,
            version,
            new.caller.user_id,
            now_ms()
        ]
        .to_vec();
        for (n, v) in new.columns {
            names.push(n);
            vals.push(v);
        }
        let marks: Vec<String> = (1..=vals.len()).map(|i| format!("${i}")).collect();
        tx.execute(
            &format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                marks.join(", ")
            ),
            &vals,
        )
        .await?;
        self.log_record(tx, new.caller.org_id, new.kind, id, None).await?;
        Ok((id, entry_id))
    }

    /// The current versions of the entries the caller may read (with
    /// `org`, only that organisation's: an officer's one enterprise),
    /// paged. `select` selects from alias `t` (with any joins) and has no
    /// WHERE.
    pub(crate) async fn current_versions<T>(
        &self,
        caller: &Caller,
        org: Option<Uuid>,
        select: &str,
        table: &str,
        page: PageRequest,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Page<T>> {
        let (scope, p) = caller.record_scope("t", 1);
        let mut sql = format!("{select} WHERE {scope} AND {}", current_only(table));
        let mut ps = vec![p];
        if let Some(org) = org {
            sql.push_str(" AND t.org_id = $2");
            ps.push(org.into());
        }
        self.page(&sql, ps, page, decode).await
    }

    /// Every version of an entry the caller may read, oldest first; not
    /// found when there is none.
    pub(crate) async fn versions<T: Clone>(
        &self,
        caller: &Caller,
        what: &'static str,
        select: &str,
        entry: Uuid,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Versions<T>> {
        let (scope, p) = caller.record_scope("t", 2);
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!("{select} WHERE t.entry_id = $1 AND {scope} ORDER BY t.version"),
                &[entry.into(), p],
            )
            .await?;
        let history = rows.iter().map(decode).collect::<Result<Vec<T>>>()?;
        let current = history.last().cloned().ok_or(StoreError::NotFound { what })?;
        Ok(Versions { current, history })
    }

    /// The current version's row of an entry of the caller's organisation.
    pub(crate) async fn current_row(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        kind: RecordKind,
        what: &'static str,
        entry: Uuid,
    ) -> Result<Row> {
        let table = kind.table();
        tx.fetch_optional(
            &format!(
                "SELECT * FROM {table} t WHERE t.entry_id = $1 AND t.org_id = $2 AND {}",
                current_only(table)
            ),
            &params![entry, caller.org_id],
        )
        .await?
        .ok_or(StoreError::NotFound { what })
    }
}
