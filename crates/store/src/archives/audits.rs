//! Internal audits (R-4.3.5.1, 内部审核) with their checklists, and the
//! nonconformities they found (R-4.3.5.2, 不符合项) with cause, corrective
//! action, owner and due date, each versioned (`archive_audits`,
//! `archive_nonconformities`). A nonconformity is closed only with the
//! note of the check that its action worked; one open past its due date
//! (China time) is overdue.

use serde::{Deserialize, Serialize};
use suyuan_core::archives::{self as rules, ItemResult, NcStatus};
use suyuan_core::quality::recall::china_date;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{current_only, NewVersion, Stamp, Versions};
use crate::db::Row;
use crate::master_log::RecordKind;
use crate::{now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// One item of an audit's checklist.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// What was checked.
    pub item: String,
    /// `conforms`, `nonconforms` or `not_applicable`.
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An audit's version as written.
#[derive(Debug, Clone)]
pub struct NewAudit {
    /// YYYY-MM-DD.
    pub audited_on: String,
    pub scope: String,
    pub auditor: String,
    pub checklist: Vec<ChecklistItem>,
    pub findings: Option<String>,
}

/// A version of an internal audit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Audit {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub audited_on: String,
    pub scope: String,
    pub auditor: String,
    pub checklist: Vec<ChecklistItem>,
    pub findings: Option<String>,
}

/// An audit with its versions and its nonconformities (current versions).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub current: Audit,
    pub history: Vec<Audit>,
    pub nonconformities: Vec<Nonconformity>,
}

/// A nonconformity's version as written.
#[derive(Debug, Clone, Default)]
pub struct NewNonconformity {
    pub description: String,
    pub cause: String,
    pub corrective_action: String,
    /// Who carries out the action.
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// `open` (the default) or `closed`.
    pub status: Option<String>,
    /// The check that the action worked; required to close.
    pub verification: Option<String>,
}

/// A version of a nonconformity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Nonconformity {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// The audit that found it.
    pub audit_entry_id: Uuid,
    pub description: String,
    pub cause: String,
    pub corrective_action: String,
    pub owner: String,
    pub due_on: String,
    pub status: String,
    pub verification: Option<String>,
    /// Open past its due date (China time), now.
    pub overdue: bool,
}

const AUDITS: &str = "SELECT t.* FROM archive_audits t";
const NCS: &str = "SELECT t.* FROM archive_nonconformities t";

fn decode_audit(r: &Row) -> Result<Audit> {
    Ok(Audit {
        stamp: Stamp::of(r)?,
        audited_on: r.text("audited_on")?,
        scope: r.text("scope")?,
        auditor: r.text("auditor")?,
        checklist: serde_json::from_str(&r.text("checklist")?)
            .map_err(|e| StoreError::Corrupt(format!("checklist: {e}")))?,
        findings: r.opt_text("findings")?,
    })
}

fn decode_nc(r: &Row) -> Result<Nonconformity> {
    let status = r.text("status")?;
    let due_on = r.text("due_on")?;
    let overdue = NcStatus::parse(&status).is_ok_and(|s| rules::overdue(s, &due_on, china_date(now_ms())));
    Ok(Nonconformity {
        stamp: Stamp::of(r)?,
        audit_entry_id: r.uuid("audit_entry_id")?,
        description: r.text("description")?,
        cause: r.text("cause")?,
        corrective_action: r.text("corrective_action")?,
        owner: r.text("owner")?,
        due_on,
        status,
        verification: r.opt_text("verification")?,
        overdue,
    })
}

fn checklist(items: &[ChecklistItem]) -> Result<String> {
    if items.is_empty() || items.len() > rules::MAX_LIST {
        return Err(StoreError::invalid(
            "checklist",
            suyuan_core::Invalid::new(
                "list_size",
                format!("an audit checks 1 to {} items", rules::MAX_LIST),
                format!("审核检查项应为 1 至 {} 项", rules::MAX_LIST),
            ),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let at = |f: &str| format!("checklist[{i}].{f}");
        out.push(ChecklistItem {
            item: rules::short(&it.item).map_err(|e| StoreError::invalid(at("item"), e))?,
            result: ItemResult::parse(&it.result)
                .map_err(|e| StoreError::invalid(at("result"), e))?
                .as_str()
                .into(),
            note: rules::opt_long(it.note.as_deref()).map_err(|e| StoreError::invalid(at("note"), e))?,
        });
    }
    serde_json::to_string(&out).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Records an internal audit (`entry` `None`) or a new version of one.
    pub async fn record_audit(
        &self,
        caller: &Caller,
        entry: Option<Uuid>,
        new: &NewAudit,
    ) -> Result<AuditEntry> {
        caller.require_verified_recorder()?;
        let f = |field: &'static str| move |e| StoreError::invalid(field, e);
        let audited_on = rules::date(&new.audited_on).map_err(f("audited_on"))?;
        let scope = rules::short(&new.scope).map_err(f("scope"))?;
        let auditor = rules::short(&new.auditor).map_err(f("auditor"))?;
        let list = checklist(&new.checklist)?;
        let findings = rules::opt_long(new.findings.as_deref()).map_err(f("findings"))?;
        let mut tx = self.db.begin().await?;
        let (_, entry_id) = self
            .insert_version(
                &mut tx,
                NewVersion {
                    kind: RecordKind::ArchiveAudit,
                    what: "audit",
                    entry,
                    columns: vec![
                        ("audited_on", audited_on.into()),
                        ("scope", scope.into()),
                        ("auditor", auditor.into()),
                        ("checklist", list.into()),
                        ("findings", findings.into()),
                    ],
                    caller,
                },
            )
            .await?;
        tx.commit().await?;
        self.audit(caller, entry_id).await
    }

    /// The current version of each audit the caller may read (with `org`,
    /// of that organisation only).
    pub async fn audits(&self, caller: &Caller, org: Option<Uuid>, page: PageRequest) -> Result<Page<Audit>> {
        self.current_versions(caller, org, AUDITS, "archive_audits", page, decode_audit)
            .await
    }

    /// An audit with its versions and nonconformities.
    pub async fn audit(&self, caller: &Caller, entry: Uuid) -> Result<AuditEntry> {
        let Versions { current, history } = self
            .versions(caller, "audit", AUDITS, entry, decode_audit)
            .await?;
        let nonconformities = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "{NCS} WHERE t.audit_entry_id = $1 AND t.org_id = $2 AND {} ORDER BY t.entry_id",
                    current_only("archive_nonconformities")
                ),
                &params![entry, current.stamp.org_id],
            )
            .await?
            .iter()
            .map(decode_nc)
            .collect::<Result<_>>()?;
        Ok(AuditEntry {
            current,
            history,
            nonconformities,
        })
    }

    /// Records a nonconformity found by an audit (`entry` `None`, with the
    /// audit's entry) or a new version of one (its action carried out,
    /// verified and closed).
    pub async fn record_nonconformity(
        &self,
        caller: &Caller,
        audit: Option<Uuid>,
        entry: Option<Uuid>,
        new: &NewNonconformity,
    ) -> Result<Versions<Nonconformity>> {
        caller.require_verified_recorder()?;
        let f = |field: &'static str| move |e| StoreError::invalid(field, e);
        let description = rules::long(&new.description).map_err(f("description"))?;
        let cause = rules::long(&new.cause).map_err(f("cause"))?;
        let action = rules::long(&new.corrective_action).map_err(f("corrective_action"))?;
        let owner = rules::short(&new.owner).map_err(f("owner"))?;
        let due_on = rules::date(&new.due_on).map_err(f("due_on"))?;
        let status = NcStatus::parse(new.status.as_deref().unwrap_or("open")).map_err(f("status"))?;
        let verification = rules::opt_long(new.verification.as_deref()).map_err(f("verification"))?;
        rules::check_close(status, verification.as_deref()).map_err(f("verification"))?;
        let mut tx = self.db.begin().await?;
        let audit_entry = match (audit, entry) {
            (Some(a), _) => {
                self.current_row(&mut tx, caller, RecordKind::ArchiveAudit, "audit", a)
                    .await?;
                a
            }
            (None, Some(e)) => self
                .current_row(
                    &mut tx,
                    caller,
                    RecordKind::ArchiveNonconformity,
                    "nonconformity",
                    e,
                )
                .await?
                .uuid("audit_entry_id")?,
            (None, None) => return Err(StoreError::NotFound { what: "audit" }),
        };
        let (_, entry_id) = self
            .insert_version(
                &mut tx,
                NewVersion {
                    kind: RecordKind::ArchiveNonconformity,
                    what: "nonconformity",
                    entry,
                    columns: vec![
                        ("audit_entry_id", audit_entry.into()),
                        ("description", description.into()),
                        ("cause", cause.into()),
                        ("corrective_action", action.into()),
                        ("owner", owner.into()),
                        ("due_on", due_on.into()),
                        ("status", status.as_str().into()),
                        ("verification", verification.into()),
                    ],
                    caller,
                },
            )
            .await?;
        tx.commit().await?;
        self.nonconformity(caller, entry_id).await
    }

    /// The current version of each nonconformity the caller may read, with
    /// whether it is overdue (with `org`, of that organisation only).
    pub async fn nonconformities(
        &self,
        caller: &Caller,
        org: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Nonconformity>> {
        self.current_versions(caller, org, NCS, "archive_nonconformities", page, decode_nc)
            .await
    }

    /// A nonconformity with every version it had.
    pub async fn nonconformity(&self, caller: &Caller, entry: Uuid) -> Result<Versions<Nonconformity>> {
        self.versions(caller, "nonconformity", NCS, entry, decode_nc)
            .await
    }
}
