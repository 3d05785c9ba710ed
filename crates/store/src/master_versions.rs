//! Edits of master data: places, products, suppliers and inputs change as
//! *versions*, and are deactivated instead of deleted (#14).
//!
//! **The versions are the history; the entry's row is its latest version.**
//! An entry (a place …) keeps its id, its organisation and its identity
//! fields (see each kind's `edit_*`: a place's kind, parent and GLN, a
//! product's GTIN and company prefix, a supplier's credit code, an input's
//! kind and registration number); the rest changes by a new version:
//!
//! - each version is a row of `master_versions` holding the canonical form
//!   of the entry's row after it (`content`: the bytes its own leaf would
//!   hash, [`RecordKind::canonical_bytes`]), whether the entry is active,
//!   the action (`created`, `edited`, `deactivated`, `activated`), the
//!   acting user and the time;
//! - version 1 is written at the entry's first change, under the entry's
//!   own id: the record as first logged, whose leaf is the entry's own
//!   (`place:<id>` …); versions 2, 3 … are logged records
//!   ([`RecordKind::MasterVersion`]) signed like the first (an edit takes a
//!   detached client signature like a create; a deactivation is signed with
//!   the platform-held key), numbered under the log's append lock, in the
//!   transaction that updates the entry's row;
//! - `verify` ([`Store::master_rows_against_log`]) checks that version 1
//!   is the record its leaf logged, that the versions are numbered 1, 2 …,
//!   and that the entry's row (every logged column, and `active`) is its
//!   latest version; the leaf walk checks every later version against its
//!   own leaf. An edited or deleted version and a row that is not its
//!   latest version are named.
//!
//! **Deactivation.** A deactivated place or input is named by no new record
//! (capture refuses it naming the field, `trace::refs`; so do purchases and
//! plots), nor is a deactivated supplier by a new purchase; lists hide
//! deactivated entries unless asked for all. Records already stored keep
//! naming them and traces still show them.
//!
//! **Who may.** A recorder or admin of a verified, active organisation
//! changes its own entries ([`Caller::require_verified_recorder`]); another
//! organisation's entry is not found.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{NullKind, Row, Tx, Val};
use crate::master_log::{ClientSignature, RecordKind};
use crate::row_states::RowMismatch;
use crate::tlog::{APPEND_LOCK, LOG_HASH};
use crate::{new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// The kinds of master data edited as versions.
pub const VERSIONED: [RecordKind; 4] = [
    RecordKind::Place,
    RecordKind::Product,
    RecordKind::Supplier,
    RecordKind::Input,
];

/// What a version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Edited,
    Deactivated,
    Activated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Edited => "edited",
            Action::Deactivated => "deactivated",
            Action::Activated => "activated",
        }
    }
}

/// A version of a place, product, supplier or input.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Version<T> {
    /// 1 for the record as created, then 2, 3 …
    pub version: i64,
    /// `created`, `edited`, `deactivated` or `activated`.
    pub action: String,
    /// Whether the entry was active after this version.
    pub active: bool,
    /// The user who recorded this version (none for version 1, whose
    /// creator the record does not name).
    pub acting_user: Option<Uuid>,
    /// That user's login.
    pub acting_username: Option<String>,
    /// When this version was recorded (ms since the epoch).
    pub recorded_at: i64,
    /// The entry as this version left it.
    pub record: T,
}

/// Every version of an entry, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct History<T> {
    pub versions: Vec<Version<T>>,
}

/// Refuses a change of an identity field: `given` must be what `current`
/// holds in `column`.
fn fixed(current: &Row, column: &str, given: Option<&str>) -> Result<()> {
    if current.opt_text(column)?.as_deref() == given {
        return Ok(());
    }
    Err(StoreError::invalid(
        column,
        Invalid::new(
            "field_fixed",
            format!("{column} names the entry and does not change: register a new entry instead"),
            format!("{column} 是该条目的标识，不能修改：如需变更请登记新条目"),
        ),
    ))
}

/// Refuses a change of any of the identity `columns` among the checked
/// columns `set` of an edit.
fn fixed_in(current: &Row, set: &[(&'static str, Val)], columns: &[&str]) -> Result<()> {
    for (name, val) in set.iter().filter(|(n, _)| columns.contains(n)) {
        let given = match val {
            Val::Text(t) => Some(t.as_str()),
            _ => None,
        };
        fixed(current, name, given)?;
    }
    Ok(())
}

/// What an entry of `kind` is called in a "not found" answer.
fn what(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Place => "place",
        RecordKind::Product => "product",
        RecordKind::Supplier => "supplier",
        _ => "input",
    }
}

/// Inserts an entry's first row (its checked columns `set`) inside `tx`.
pub(crate) async fn insert_entry(
    tx: &mut Tx,
    kind: RecordKind,
    id: Uuid,
    org_id: Uuid,
    set: Vec<(&'static str, Val)>,
) -> Result<u64> {
    let mut names = vec!["id", "org_id", "created_at"];
    let mut vals: Vec<Val> = params![id, org_id, now_ms()].to_vec();
    for (n, v) in set {
        names.push(n);
        vals.push(v);
    }
    let marks: Vec<String> = (1..=vals.len()).map(|i| format!("${i}")).collect();
    tx.execute(
        &format!(
            "INSERT INTO {} ({}) VALUES ({})",
            kind.table(),
            names.join(", "),
            marks.join(", ")
        ),
        &vals,
    )
    .await
}

/// Refuses a deactivated entry named by `field` of a new record.
pub(crate) fn require_active(row: &Row, field: &str) -> Result<()> {
    if row.bool("active")? {
        return Ok(());
    }
    Err(StoreError::invalid(
        field,
        Invalid::new(
            "deactivated",
            format!("{field}: this entry is deactivated and is named by no new record"),
            format!("{field}：该条目已停用，新记录不能引用"),
        ),
    ))
}

/// Whether the entry `id` of `kind` has versions (its row may then differ
/// from the record its leaf logged, which is its version 1).
pub(crate) async fn has_versions(conn: &mut crate::db::Conn<'_>, kind: RecordKind, id: &str) -> Result<bool> {
    if !VERSIONED.contains(&kind) {
        return Ok(false);
    }
    Ok(conn
        .fetch_optional("SELECT id FROM master_versions WHERE id = $1", &params![id])
        .await?
        .is_some())
}

/// The SQL condition a list adds: active entries only, unless all.
fn active_only(all: bool) -> &'static str {
    if all {
        ""
    } else {
        " AND t.active = TRUE"
    }
}

/// A row with the columns of `kind`'s canonical form, read back from a
/// version's `content`, and its `active`.
fn content_row(kind: RecordKind, content: &str, active: bool) -> Result<Row> {
    let obj: serde_json::Map<String, Value> = serde_json::from_str(content)
        .map_err(|e| StoreError::Corrupt(format!("master_versions.content: {e}")))?;
    let mut names = Vec::new();
    let mut vals = Vec::new();
    for name in kind.column_names() {
        names.push(name.to_owned());
        vals.push(match obj.get(name) {
            Some(Value::String(s)) => Val::Text(s.clone()),
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or_default()),
            },
            _ => Val::Null(NullKind::Text),
        });
    }
    names.push("active".into());
    vals.push(Val::Bool(active));
    Ok(Row::from_columns(names, vals))
}

fn text_of(kind: RecordKind, row: &Row) -> Result<String> {
    String::from_utf8(kind.canonical_bytes(row)?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Records a change of an entry of the caller's organisation as its next
    /// version, updating its row, in one transaction (see the module doc).
    async fn record_version(
        &self,
        caller: &Caller,
        kind: RecordKind,
        entry: Uuid,
        action: Action,
        set: Vec<(&'static str, Val)>,
        signature: Option<&ClientSignature>,
    ) -> Result<()> {
        caller.require_verified_recorder()?;
        let detached = match action {
            Action::Edited => {
                self.check_record_signature(caller.org_id, RecordKind::MasterVersion, signature)
                    .await?
            }
            _ => None,
        };
        let table = kind.table();
        let mut tx = self.db.begin().await?;
        if let Tx::Postgres(_) = tx {
            // Versions of one entry are numbered in turn.
            tx.execute(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"), &[])
                .await?;
        }
        let row = tx
            .fetch_optional(
                &format!("SELECT * FROM {table} WHERE id = $1 AND org_id = $2"),
                &params![entry, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: what(kind) })?;
        let was_active = row.bool("active")?;
        let active = match action {
            Action::Deactivated => false,
            Action::Activated => true,
            _ => was_active,
        };
        if action != Action::Edited && active == was_active {
            let (code, en, zh) = if active {
                (
                    "already_active",
                    "the entry is active already",
                    "该条目已是启用状态",
                )
            } else {
                (
                    "already_deactivated",
                    "the entry is deactivated already",
                    "该条目已停用",
                )
            };
            return Err(StoreError::conflict(code, Some("active"), en, zh));
        }
        let before = text_of(kind, &row)?;
        let last = self.first_version(&mut tx, caller, kind, &row, &before).await?;
        let mut sets: Vec<String> = Vec::new();
        let mut vals: Vec<Val> = Vec::new();
        for (name, val) in set {
            vals.push(val);
            sets.push(format!("{name} = ${}", vals.len()));
        }
        vals.push(active.into());
        sets.push(format!("active = ${}", vals.len()));
        vals.push(entry.into());
        tx.execute(
            &format!(
                "UPDATE {table} SET {} WHERE id = ${}",
                sets.join(", "),
                vals.len()
            ),
            &vals,
        )
        .await?;
        let after = tx
            .fetch_optional(&format!("SELECT * FROM {table} WHERE id = $1"), &params![entry])
            .await?
            .ok_or(StoreError::NotFound { what: what(kind) })?;
        let content = text_of(kind, &after)?;
        if action == Action::Edited && content == before {
            return Err(StoreError::conflict(
                "no_change",
                None,
                "the new content is the same as the current one: nothing to record",
                "新内容与当前内容相同，无需记录",
            ));
        }
        let id = new_id();
        tx.execute(
            "INSERT INTO master_versions (id, org_id, record, entry_id, version, action, active, content, \
             acting_user, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            &params![
                id,
                caller.org_id,
                kind.as_str(),
                entry,
                last + 1,
                action.as_str(),
                active,
                content,
                caller.user_id,
                now_ms()
            ],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::MasterVersion, id, detached)
            .await?;
        tx.commit().await
    }

    /// The entry's last version number, writing version 1 (the record as
    /// first logged, under the entry's id) when it has none.
    async fn first_version(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        kind: RecordKind,
        row: &Row,
        content: &str,
    ) -> Result<i64> {
        let entry = row.uuid("id")?;
        let last = tx
            .fetch_optional(
                "SELECT MAX(version) AS v FROM master_versions WHERE entry_id = $1",
                &params![entry],
            )
            .await?
            .and_then(|r| r.opt_int("v").ok().flatten());
        if let Some(last) = last {
            return Ok(last);
        }
        tx.execute(
            "INSERT INTO master_versions (id, org_id, record, entry_id, version, action, active, content, \
             acting_user, created_at) VALUES ($1,$2,$3,$4,1,$5,$6,$7,$8,$9)",
            &params![
                entry,
                caller.org_id,
                kind.as_str(),
                entry,
                Action::Created.as_str(),
                true,
                content,
                Option::<Uuid>::None,
                row.int("created_at")?
            ],
        )
        .await?;
        Ok(1)
    }

    /// The current row of an entry of the caller's organisation (another's
    /// is not found), for an edit's checks.
    pub(crate) async fn own_entry(
        &self,
        caller: &Caller,
        kind: RecordKind,
        what: &'static str,
        id: Uuid,
    ) -> Result<Row> {
        caller.require_verified_recorder()?;
        self.db
            .conn()
            .fetch_optional(
                &format!("SELECT * FROM {} WHERE id = $1 AND org_id = $2", kind.table()),
                &params![id, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what })
    }

    /// Records an edit of an entry of the caller's organisation: `set`, its
    /// checked new content, whose identity `columns` must be what the entry
    /// holds; answers once the version is stored.
    pub(crate) async fn record_edit(
        &self,
        caller: &Caller,
        kind: RecordKind,
        entry: Uuid,
        set: Vec<(&'static str, Val)>,
        columns: &[&str],
        signature: Option<&ClientSignature>,
    ) -> Result<()> {
        let current = self.own_entry(caller, kind, what(kind), entry).await?;
        fixed_in(&current, &set, columns)?;
        self.record_version(caller, kind, entry, Action::Edited, set, signature)
            .await
    }

    /// Deactivates (`active` false) or activates a place, product,
    /// supplier or input of the caller's organisation, as a new version.
    pub async fn set_entry_active(
        &self,
        caller: &Caller,
        kind: RecordKind,
        entry: Uuid,
        active: bool,
    ) -> Result<()> {
        if !VERSIONED.contains(&kind) {
            return Err(StoreError::NotFound { what: "entry" });
        }
        let action = if active {
            Action::Activated
        } else {
            Action::Deactivated
        };
        self.record_version(caller, kind, entry, action, Vec::new(), None)
            .await
    }

    /// The entries the caller may read, optionally of one organisation,
    /// active ones only unless `all`. `select` selects from alias `t`.
    pub(crate) async fn list_entries<T>(
        &self,
        caller: &Caller,
        select: &str,
        org_id: Option<Uuid>,
        all: bool,
        page: PageRequest,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Page<T>> {
        let (scope, p) = caller.record_scope("t", 1);
        let mut sql = format!("{select} WHERE {scope}{}", active_only(all));
        let mut ps = vec![p];
        if let Some(org) = org_id {
            ps.push(org.into());
            sql.push_str(&format!(" AND t.org_id = ${}", ps.len()));
        }
        self.page(&sql, ps, page, decode).await
    }

    /// Every version of an entry the caller may read, oldest first (one,
    /// the record as created, when it never changed); not found otherwise.
    pub(crate) async fn entry_history<T>(
        &self,
        caller: &Caller,
        kind: RecordKind,
        what: &'static str,
        entry: Uuid,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<History<T>> {
        let (scope, p) = caller.record_scope("t", 2);
        let mut conn = self.db.conn();
        let current = conn
            .fetch_optional(
                &format!("SELECT * FROM {} t WHERE t.id = $1 AND {scope}", kind.table()),
                &[entry.into(), p],
            )
            .await?
            .ok_or(StoreError::NotFound { what })?;
        let rows = conn
            .fetch_all(
                "SELECT v.*, u.username FROM master_versions v LEFT JOIN users u ON u.id = v.acting_user \
                 WHERE v.entry_id = $1 AND v.record = $2 ORDER BY v.version",
                &params![entry, kind.as_str()],
            )
            .await?;
        if rows.is_empty() {
            let versions = vec![Version {
                version: 1,
                action: Action::Created.as_str().into(),
                active: current.bool("active")?,
                acting_user: None,
                acting_username: None,
                recorded_at: current.int("created_at")?,
                record: decode(&current)?,
            }];
            return Ok(History { versions });
        }
        let versions = rows
            .iter()
            .map(|v| {
                let active = v.bool("active")?;
                Ok(Version {
                    version: v.int("version")?,
                    action: v.text("action")?,
                    active,
                    acting_user: v.opt_uuid("acting_user")?,
                    acting_username: v.opt_text("username")?,
                    recorded_at: v.int("created_at")?,
                    record: decode(&content_row(kind, &v.text("content")?, active)?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(History { versions })
    }

    /// What `verify` finds wrong with the versions of master data: a
    /// version 1 that is not the record its leaf logged (or is missing),
    /// versions not numbered 1, 2 …, an entry's row that is not its latest
    /// version, and a row deactivated by no version. Later versions are
    /// checked against their own leaves by the leaf walk.
    pub async fn master_rows_against_log(&self) -> Result<Vec<RowMismatch>> {
        let mut conn = self.db.conn();
        let mut out = Vec::new();
        let rows = conn
            .fetch_all(
                "SELECT v.*, l.record_hash AS leaf_hash, l.record_kind AS leaf_kind FROM master_versions v \
                 LEFT JOIN tlog_leaves l ON l.event_pk = v.id ORDER BY v.entry_id, v.version",
                &[],
            )
            .await?;
        let mut entries: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
        for r in &rows {
            entries.entry(r.text("entry_id")?).or_default().push(r);
        }
        for (entry, versions) in entries {
            out.extend(check_versions(&entry, &versions)?);
            let Some(kind) =
                RecordKind::parse(&versions[0].text("record")?).filter(|k| VERSIONED.contains(k))
            else {
                continue;
            };
            let row = conn
                .fetch_optional(
                    &format!("SELECT * FROM {} WHERE id = $1", kind.table()),
                    &params![entry.as_str()],
                )
                .await?;
            let latest = versions[versions.len() - 1];
            out.extend(check_current(kind, &entry, row.as_ref(), latest)?);
        }
        for kind in VERSIONED {
            let sql = format!(
                "SELECT t.id FROM {} t WHERE t.active = FALSE AND NOT EXISTS \
                 (SELECT 1 FROM master_versions v WHERE v.entry_id = t.id)",
                kind.table()
            );
            for r in conn.fetch_all(&sql, &[]).await? {
                out.push(mismatch(
                    kind.table(),
                    r.text("id")?,
                    "active",
                    "true (no version deactivated it)".into(),
                    "false".into(),
                ));
            }
        }
        Ok(out)
    }
}

fn mismatch(table: &'static str, key: String, column: &str, expected: String, found: String) -> RowMismatch {
    RowMismatch {
        table,
        key,
        column: column.to_owned(),
        expected,
        found,
    }
}

/// An entry's versions: numbered 1, 2 …, all of one kind and organisation,
/// version 1 under the entry's id being the record its leaf logged.
fn check_versions(entry: &str, versions: &[&Row]) -> Result<Vec<RowMismatch>> {
    const T: &str = "master_versions";
    let mut out = Vec::new();
    let first = versions[0];
    let (record, org) = (first.text("record")?, first.text("org_id")?);
    if !VERSIONED.iter().any(|k| k.as_str() == record) {
        out.push(mismatch(
            T,
            first.text("id")?,
            "record",
            "place, product, supplier or input".into(),
            record.clone(),
        ));
    }
    for (i, v) in versions.iter().enumerate() {
        let id = v.text("id")?;
        let n = v.int("version")?;
        if n != i as i64 + 1 {
            out.push(mismatch(
                T,
                id.clone(),
                "version",
                (i + 1).to_string(),
                n.to_string(),
            ));
        }
        for (col, want) in [("record", &record), ("org_id", &org)] {
            let found = v.text(col)?;
            if &found != want {
                out.push(mismatch(T, id.clone(), col, want.clone(), found));
            }
        }
        if (id == entry) != (n == 1) {
            out.push(mismatch(
                T,
                id,
                "id",
                "the entry's id for version 1 (and only for it)".into(),
                format!("version {n} under id {}", v.text("id")?),
            ));
        }
    }
    if first.text("id")? != entry {
        out.push(mismatch(
            T,
            entry.to_owned(),
            "version",
            "version 1, the record as first logged".into(),
            "none (deleted?)".into(),
        ));
        return Ok(out);
    }
    out.extend(check_first(first, &record)?);
    Ok(out)
}

/// Version 1: the record its entry's leaf logged, as created, by no one.
fn check_first(first: &Row, record: &str) -> Result<Vec<RowMismatch>> {
    const T: &str = "master_versions";
    let id = first.text("id")?;
    let mut out = Vec::new();
    let content = first.text("content")?;
    let hash = LOG_HASH.digest(content.as_bytes()).to_hex();
    match first.opt_text("leaf_hash")? {
        Some(h) if h == hash => {}
        other => out.push(mismatch(
            T,
            id.clone(),
            "content",
            format!(
                "the record its leaf logged (hashing to {})",
                other.unwrap_or_else(|| "?".into())
            ),
            format!("content hashing to {hash}"),
        )),
    }
    let leaf_kind = first.opt_text("leaf_kind")?.unwrap_or_default();
    if leaf_kind != record {
        out.push(mismatch(T, id.clone(), "record", leaf_kind, record.to_owned()));
    }
    let logged: Value = serde_json::from_str(&content).unwrap_or(Value::Null);
    let checks = [
        (
            "action",
            Value::from(Action::Created.as_str()),
            first.opt_text("action")?.map(Value::from),
        ),
        (
            "active",
            Value::from(true),
            first.opt_bool("active")?.map(Value::from),
        ),
        (
            "acting_user",
            Value::Null,
            first.opt_text("acting_user")?.map(Value::from),
        ),
        (
            "org_id",
            logged["org_id"].clone(),
            first.opt_text("org_id")?.map(Value::from),
        ),
        (
            "created_at",
            logged["created_at"].clone(),
            first.opt_int("created_at")?.map(Value::from),
        ),
    ];
    for (col, want, found) in checks {
        let found = found.unwrap_or(Value::Null);
        if want != found {
            out.push(mismatch(T, id.clone(), col, want.to_string(), found.to_string()));
        }
    }
    Ok(out)
}

/// The entry's row against its latest version, column by column.
fn check_current(kind: RecordKind, entry: &str, row: Option<&Row>, latest: &Row) -> Result<Vec<RowMismatch>> {
    let table = kind.table();
    let Some(row) = row else {
        return Ok(vec![mismatch(
            table,
            entry.to_owned(),
            "*",
            "the row its versions describe".into(),
            "no such row (deleted?)".into(),
        )]);
    };
    let mut out = Vec::new();
    let found: Value = serde_json::from_slice(&kind.canonical_bytes(row)?).unwrap_or(Value::Null);
    let expected: Value = serde_json::from_str(&latest.text("content")?).unwrap_or(Value::Null);
    for col in kind.column_names() {
        if expected[col] != found[col] {
            out.push(mismatch(
                table,
                entry.to_owned(),
                col,
                expected[col].to_string(),
                found[col].to_string(),
            ));
        }
    }
    let (want, is) = (latest.bool("active")?, row.bool("active")?);
    if want != is {
        out.push(mismatch(
            table,
            entry.to_owned(),
            "active",
            want.to_string(),
            is.to_string(),
        ));
    }
    Ok(out)
}
