//! Every state an organisation takes — registered, verified, suspended,
//! restored — is a logged record (`org_record`, `org_records`): the
//! organisation's registered facts at that moment (`snapshot`, the
//! canonical JSON of its row; the legal representative's ID number only
//! masked), its status and the reason, who acted, and when. The record is
//! signed by the platform operator's key and appended to the log in the
//! transaction that changes the organisation, so `organisations` is always
//! its latest logged state, and [`Store::organisations_against_log`] names
//! every organisation whose row says something else (a name, a credit code,
//! a status changed behind the store's back).

use serde_json::{Map, Value};
use suyuan_core::model::OrgKind;
use suyuan_ledger::record::canonical_json;
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::master_log::RecordKind;
use crate::{new_id, now_ms, params, Result, Store};

/// The columns of `organisations` a snapshot holds (the ciphertext of the
/// legal representative's ID number stays out; its masked form is in).
const SNAPSHOT_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "producer_form",
    "name",
    "uscc",
    "uscc_checksum_ok",
    "review_reason",
    "region",
    "address",
    "legal_rep_name",
    "legal_rep_id_masked",
    "contact_name",
    "contact_phone",
    "contact_email",
    "status",
    "status_reason",
    "created_at",
    "updated_at",
];

/// The canonical JSON of an organisation's row.
fn snapshot(row: &Row) -> Result<String> {
    let mut obj = Map::new();
    for c in SNAPSHOT_COLUMNS {
        let v = match *c {
            "uscc_checksum_ok" => Value::from(row.bool(c)?),
            "created_at" | "updated_at" => Value::from(row.int(c)?),
            _ => row.opt_text(c)?.map_or(Value::Null, Value::from),
        };
        obj.insert((*c).to_owned(), v);
    }
    Ok(canonical_json(&Value::Object(obj)))
}

/// The platform operator's organisation, who keeps the registers and signs
/// their states.
pub(crate) async fn operator_org(tx: &mut Tx) -> Result<Option<Uuid>> {
    tx.fetch_optional(
        "SELECT id FROM organisations WHERE kind = $1",
        &params![OrgKind::PlatformOperator.as_str()],
    )
    .await?
    .map(|r| r.uuid("id"))
    .transpose()
}

/// An organisation whose row is not its latest logged state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMismatch {
    pub org_id: String,
    /// The column that differs (`*` when no state was ever logged).
    pub column: String,
    pub expected: String,
    pub found: String,
}

impl Store {
    /// Logs the organisation's current row as its state after `action`
    /// (`registered`, `verified`, `suspended`, `restored`), inside `tx`.
    pub(crate) async fn log_org_state(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        action: &str,
        acting_user: Option<Uuid>,
    ) -> Result<()> {
        let row = tx
            .fetch_optional(
                &format!(
                    "SELECT {} FROM organisations WHERE id = $1",
                    SNAPSHOT_COLUMNS.join(", ")
                ),
                &params![org_id],
            )
            .await?
            .ok_or(crate::StoreError::NotFound { what: "organisation" })?;
        let id = new_id();
        tx.execute(
            "INSERT INTO org_records (id, org_id, action, status, status_reason, acting_user, snapshot, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            &params![
                id,
                org_id,
                action,
                row.text("status")?,
                row.opt_text("status_reason")?,
                acting_user,
                snapshot(&row)?,
                now_ms()
            ],
        )
        .await?;
        // Signed by the platform operator, who keeps the register.
        let signer = operator_org(tx).await?.unwrap_or(org_id);
        self.log_record(tx, signer, RecordKind::OrgRecord, id, None).await
    }

    /// Logs the current state of every organisation that has none (one
    /// registered before organisations' states were logged), as `logged`.
    /// Cheap when there is nothing to do: one indexed query.
    pub(crate) async fn log_unlogged_organisations(&self) -> Result<()> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT o.id FROM organisations o WHERE NOT EXISTS \
                 (SELECT 1 FROM org_records r WHERE r.org_id = o.id)",
                &[],
            )
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        for r in rows {
            self.log_org_state(&mut tx, r.uuid("id")?, "logged", None).await?;
        }
        tx.commit().await?;
        tracing::info!("logged the state of organisations registered before the organisation log");
        Ok(())
    }

    /// Every organisation whose row differs from its latest logged state
    /// (latest in log order), column by column (or that has none).
    pub async fn organisations_against_log(&self) -> Result<Vec<OrgMismatch>> {
        let sql = format!(
            "SELECT {}, (SELECT r.snapshot FROM org_records r JOIN tlog_leaves l ON l.event_pk = r.id \
             WHERE r.org_id = o.id ORDER BY l.idx DESC LIMIT 1) AS logged FROM organisations o ORDER BY o.id",
            SNAPSHOT_COLUMNS
                .iter()
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut out = Vec::new();
        for row in self.db.conn().fetch_all(&sql, &[]).await? {
            let org_id = row.text("id")?;
            let found: Value = serde_json::from_str(&snapshot(&row)?).unwrap_or(Value::Null);
            let Some(logged) = row.opt_text("logged")? else {
                out.push(OrgMismatch {
                    org_id,
                    column: "*".into(),
                    expected: "a logged state".into(),
                    found: "none".into(),
                });
                continue;
            };
            let expected: Value = serde_json::from_str(&logged).unwrap_or(Value::Null);
            for c in SNAPSHOT_COLUMNS {
                let (e, f) = (&expected[*c], &found[*c]);
                if e != f {
                    out.push(OrgMismatch {
                        org_id: org_id.clone(),
                        column: (*c).to_owned(),
                        expected: e.to_string(),
                        found: f.to_string(),
                    });
                }
            }
        }
        // An organisation whose states are logged has a row.
        let gone = self
            .db
            .conn()
            .fetch_all(
                "SELECT DISTINCT r.org_id FROM org_records r WHERE NOT EXISTS \
                 (SELECT 1 FROM organisations o WHERE o.id = r.org_id)",
                &[],
            )
            .await?;
        for r in gone {
            out.push(OrgMismatch {
                org_id: r.text("org_id")?,
                column: "id".into(),
                expected: "the organisation whose states org_records logs".into(),
                found: "no such row (deleted?)".into(),
            });
        }
        Ok(out)
    }

    /// Logs the allocations of units stored before allocations were logged
    /// (written by migration 20): each signed by its organisation's key.
    pub(crate) async fn log_unlogged_allocations(&self) -> Result<()> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT a.id, a.org_id FROM unit_allocations a WHERE NOT EXISTS \
                 (SELECT 1 FROM tlog_leaves l WHERE l.event_pk = a.id)",
                &[],
            )
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        for r in &rows {
            self.log_record(
                &mut tx,
                r.uuid("org_id")?,
                crate::master_log::RecordKind::UnitAllocation,
                r.uuid("id")?,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        tracing::info!(
            count = rows.len(),
            "logged the allocations of units stored before allocations were logged"
        );
        Ok(())
    }
}
