//! Every state of a row of a mutable register is a logged record
//! (`row_state`, table `row_states`): duties, certifications, company
//! prefix claims and their decisions, organisations' keys (public parts and
//! revocation), and users' accounts and role grants (not their password
//! hashes or sign-in counters, which are operational).
//!
//! Whenever such a row is inserted, changed or deleted, its state after the
//! change (the canonical JSON of its tracked columns, or nothing when it was
//! deleted) is stored with the action and the acting user, and logged, in the
//! same transaction, signed by the platform operator who keeps the registers.
//! `verify` compares every row with its latest logged state
//! ([`Store::rows_against_log`]): an edit, a deleted row and an inserted row
//! are named. Rows stored before their states were logged are logged when
//! the store opens.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use suyuan_ledger::record::canonical_json;
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::master_log::RecordKind;
use crate::{new_id, now_ms, params, Result, Store};

/// The type of a tracked column.
#[derive(Debug, Clone, Copy)]
enum Col {
    Text,
    Int,
    Bool,
}

/// A register whose rows' states are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracked {
    Duties,
    Certifications,
    CompanyPrefixes,
    OrgKeys,
    Users,
}

impl Tracked {
    pub const ALL: [Tracked; 5] = [
        Tracked::Duties,
        Tracked::Certifications,
        Tracked::CompanyPrefixes,
        Tracked::OrgKeys,
        Tracked::Users,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Tracked::Duties => "org_duties",
            Tracked::Certifications => "certifications",
            Tracked::CompanyPrefixes => "company_prefixes",
            Tracked::OrgKeys => "org_keys",
            Tracked::Users => "users",
        }
    }

    /// The SQL expression of a row's key (one text).
    fn key_sql(self) -> &'static str {
        match self {
            Tracked::Duties => "org_id || ' ' || duty",
            Tracked::OrgKeys => "key_id",
            _ => "id",
        }
    }

    /// The same, of the row of the table named `alias` (inside a query on
    /// `row_states`, whose own `id` would otherwise be meant).
    fn key_sql_of(self, alias: &str) -> String {
        match self {
            Tracked::Duties => format!("{alias}.org_id || ' ' || {alias}.duty"),
            Tracked::OrgKeys => format!("{alias}.key_id"),
            _ => format!("{alias}.id"),
        }
    }

    /// The columns a state holds.
    fn columns(self) -> &'static [(&'static str, Col)] {
        use Col::*;
        match self {
            Tracked::Duties => &[
                ("org_id", Text),
                ("duty", Text),
                ("person_name", Text),
                ("phone", Text),
                ("updated_at", Int),
            ],
            Tracked::Certifications => &[
                ("id", Text),
                ("org_id", Text),
                ("product_id", Text),
                ("kind", Text),
                ("number", Text),
                ("issuer", Text),
                ("valid_from", Text),
                ("valid_until", Text),
            ],
            Tracked::CompanyPrefixes => &[
                ("id", Text),
                ("prefix", Text),
                ("org_id", Text),
                ("certificate_number", Text),
                ("status", Text),
                ("status_reason", Text),
                ("decided_by", Text),
                ("created_at", Int),
                ("decided_at", Int),
            ],
            // The private key is sealed with the platform secret: outside.
            Tracked::OrgKeys => &[
                ("key_id", Text),
                ("org_id", Text),
                ("algorithm", Text),
                ("public_key", Text),
                ("created_at", Int),
                ("revoked_at", Int),
            ],
            // The password hash and the sign-in counters are operational.
            Tracked::Users => &[
                ("id", Text),
                ("org_id", Text),
                ("username", Text),
                ("display_name", Text),
                ("role", Text),
                ("jurisdiction", Text),
                ("disabled", Bool),
                ("created_at", Int),
            ],
        }
    }

    /// The columns a state does not hold, each with the reason.
    pub fn unlogged_columns(self) -> &'static [&'static str] {
        match self {
            Tracked::OrgKeys => &["private_key_cipher"],
            Tracked::Users => &["password_hash", "failed_logins", "locked_until"],
            _ => &[],
        }
    }

    fn select(self) -> String {
        let cols: Vec<&str> = self.columns().iter().map(|c| c.0).collect();
        format!(
            "SELECT {}, {} AS row_key FROM {}",
            cols.join(", "),
            self.key_sql(),
            self.table()
        )
    }
}

/// The canonical JSON of a row's tracked columns.
fn snapshot(t: Tracked, row: &Row) -> Result<String> {
    let mut obj = Map::new();
    for (c, ty) in t.columns() {
        let v = match ty {
            Col::Text => row.opt_text(c)?.map(Value::from),
            Col::Int => row.opt_int(c)?.map(Value::from),
            Col::Bool => row.opt_bool(c)?.map(Value::from),
        };
        obj.insert((*c).to_owned(), v.unwrap_or(Value::Null));
    }
    Ok(canonical_json(&Value::Object(obj)))
}

/// Stores the state of the row of `t` with key `key` after `action` (not
/// yet logged); answers its id and the row's organisation.
pub(crate) async fn insert_row_state(
    tx: &mut Tx,
    t: Tracked,
    key: &str,
    action: &str,
    acting_user: Option<Uuid>,
) -> Result<(Uuid, Option<Uuid>)> {
    let row = tx
        .fetch_optional(
            &format!("{} WHERE {} = $1", t.select(), t.key_sql()),
            &params![key],
        )
        .await?;
    let snap = row.as_ref().map(|r| snapshot(t, r)).transpose()?;
    let org = row.as_ref().map(|r| r.opt_uuid("org_id")).transpose()?.flatten();
    let id = new_id();
    tx.execute(
        "INSERT INTO row_states (id, table_name, row_key, action, snapshot, acting_user, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
        &params![id, t.table(), key, action, snap, acting_user, now_ms()],
    )
    .await?;
    Ok((id, org))
}

/// A row whose stored value is not its latest logged state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMismatch {
    pub table: &'static str,
    pub key: String,
    pub column: String,
    pub expected: String,
    pub found: String,
}

impl Store {
    /// Logs the state of the row of `t` with key `key` (as [`Tracked`]'s
    /// key expression gives it) after `action`, inside `tx`: its tracked
    /// columns, or none when the row is gone.
    pub(crate) async fn log_row_state(
        &self,
        tx: &mut Tx,
        t: Tracked,
        key: &str,
        action: &str,
        acting_user: Option<Uuid>,
    ) -> Result<()> {
        let (id, org) = insert_row_state(tx, t, key, action, acting_user).await?;
        // Signed by the platform operator, who keeps the registers.
        let signer = crate::org_records::operator_org(tx).await?;
        let Some(signer) = signer.or(org) else {
            return Err(crate::StoreError::NotFound {
                what: "signer of a row state",
            });
        };
        self.log_record(tx, signer, RecordKind::RowState, id, None).await
    }

    /// Logs the state of every tracked row that has none (stored before
    /// states were logged), as `logged`. One indexed query per register when
    /// there is nothing to do.
    pub(crate) async fn log_unlogged_rows(&self) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut n = 0usize;
        for t in Tracked::ALL {
            let sql = format!(
                "SELECT {k} AS row_key FROM {t} r WHERE NOT EXISTS (SELECT 1 FROM row_states s \
                 WHERE s.table_name = '{t}' AND s.row_key = {k})",
                k = t.key_sql_of("r"),
                t = t.table()
            );
            for r in tx.fetch_all(&sql, &[]).await? {
                self.log_row_state(&mut tx, t, &r.text("row_key")?, "logged", None)
                    .await?;
                n += 1;
            }
        }
        tx.commit().await?;
        if n > 0 {
            tracing::info!(
                rows = n,
                "logged the state of rows stored before their states were logged"
            );
        }
        Ok(())
    }

    /// Every row of a tracked register that is not its latest logged state
    /// (in log order), column by column; rows with no state; and rows whose
    /// latest state says they exist and that are gone.
    pub async fn rows_against_log(&self) -> Result<Vec<RowMismatch>> {
        let mut conn = self.db.conn();
        let mut out = Vec::new();
        for t in Tracked::ALL {
            let mut latest: BTreeMap<String, Option<String>> = BTreeMap::new();
            let states = conn
                .fetch_all(
                    "SELECT s.row_key, s.snapshot FROM row_states s JOIN tlog_leaves l ON l.event_pk = s.id \
                     WHERE s.table_name = $1 ORDER BY l.idx",
                    &params![t.table()],
                )
                .await?;
            for s in states {
                latest.insert(s.text("row_key")?, s.opt_text("snapshot")?);
            }
            let mut mismatch = |key: String, column: &str, expected: String, found: String| {
                out.push(RowMismatch {
                    table: t.table(),
                    key,
                    column: column.to_owned(),
                    expected,
                    found,
                });
            };
            for r in conn.fetch_all(&t.select(), &[]).await? {
                let key = r.text("row_key")?;
                let found: Value = serde_json::from_str(&snapshot(t, &r)?).unwrap_or(Value::Null);
                match latest.remove(&key) {
                    None => mismatch(
                        key,
                        "*",
                        "a logged state".into(),
                        "none (inserted outside the store?)".into(),
                    ),
                    Some(None) => mismatch(
                        key,
                        "*",
                        "no row (its latest state is its deletion)".into(),
                        "a row".into(),
                    ),
                    Some(Some(snap)) => {
                        let expected: Value = serde_json::from_str(&snap).unwrap_or(Value::Null);
                        for (c, _) in t.columns() {
                            if expected[*c] != found[*c] {
                                mismatch(key.clone(), c, expected[*c].to_string(), found[*c].to_string());
                            }
                        }
                    }
                }
            }
            for (key, snap) in latest {
                if snap.is_some() {
                    mismatch(
                        key,
                        "*",
                        "the row its latest logged state describes".into(),
                        "no such row (deleted?)".into(),
                    );
                }
            }
        }
        Ok(out)
    }
}
