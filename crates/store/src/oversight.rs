//! What a regulator's officer sees and records about the enterprises in its
//! jurisdiction (R-5.3.3.3, R-8.2.4): the enterprises with their
//! verification status and when each last recorded, the lots that are not
//! conformant, inspections (巡查) with their findings, and sampling checks
//! of an enterprise's records.
//!
//! Officers only, and only inside the jurisdiction (an enterprise outside
//! it is not found); they read enterprise records and never change them.
//! Their own acts are logged records (kind `oversight_record`), signed by
//! the regulator's key.
//!
//! A **records sampling check** draws up to `n` of the enterprise's records
//! recorded in a period at random (the database's `random()`), and checks
//! each: its **format** (the stored document is an EPCIS event in JSON),
//! its **completeness** against its record kind's profile
//! ([`suyuan_core::stages::schema::check_event`]), and its **consistency
//! with the log** (a leaf names it and the leaf's record hash is the hash
//! of the stored document). The outcome names every record drawn and what
//! was found, so anyone can check the check.

use serde::Serialize;
use serde_json::{json, Value};
use suyuan_core::model::OrgKind;
use suyuan_core::stages::RecordKind as Stage;
use suyuan_core::Invalid;
use uuid::Uuid;

use crate::db::Row;
use crate::master_log::RecordKind;
use crate::tlog::LOG_HASH;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// An enterprise in the jurisdiction and its recording activity.
#[derive(Debug, Clone, Serialize)]
pub struct Enterprise {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub region: String,
    /// When it last recorded (ms), if ever.
    pub last_recorded: Option<i64>,
}

/// A lot that is not conformant (or recalled), with why and whose it is.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedLot {
    pub unit_id: String,
    pub epc: String,
    pub status: String,
    pub reason: Option<String>,
    pub reason_zh: Option<String>,
    pub owner: String,
}

/// An inspection or a sampling check, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct OversightRecord {
    pub id: String,
    pub kind: String,
    pub period_from: Option<i64>,
    pub period_to: Option<i64>,
    pub sample_size: Option<i64>,
    pub failed: Option<i64>,
    pub findings: String,
    pub conclusion: String,
    pub acting_user: String,
    pub at: i64,
}

/// Inspection conclusions.
pub const INSPECTION_CONCLUSIONS: [&str; 2] = ["satisfactory", "rectification_required"];

fn officer_prefix(caller: &Caller) -> Result<String> {
    caller.officer_jurisdiction().map(str::to_owned).ok_or_else(|| {
        StoreError::forbidden(
            "officer_only",
            "only a verified regulator's officer with a jurisdiction may do this",
            "只有已认证监管部门的监管人员可以执行此操作",
        )
    })
}

fn decode_record(r: &Row) -> Result<OversightRecord> {
    Ok(OversightRecord {
        id: r.text("id")?,
        kind: r.text("kind")?,
        period_from: r.opt_int("period_from")?,
        period_to: r.opt_int("period_to")?,
        sample_size: r.opt_int("sample_size")?,
        failed: r.opt_int("failed")?,
        findings: r.text("findings")?,
        conclusion: r.text("conclusion")?,
        acting_user: r.text("acting_user")?,
        at: r.int("created_at")?,
    })
}

/// What a check found wrong with one stored event, if anything.
fn check_stored_event(r: &Row) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let doc = r.text("document")?;
    let event: Option<Value> = serde_json::from_str(&doc).ok().filter(Value::is_object);
    match (
        &event,
        r.opt_text("record_kind")?.as_deref().and_then(Stage::parse),
    ) {
        (None, _) => found.push("format: the stored document is not a JSON event".to_owned()),
        (Some(e), Some(kind)) => {
            for (field, invalid) in suyuan_core::stages::schema::check_event(kind, e) {
                found.push(format!("profile: {field}: {}", invalid.en));
            }
        }
        // A plain EPCIS event has no profile beyond its format.
        (Some(_), None) => {}
    }
    match r.opt_text("record_hash")? {
        None => found.push("log: no leaf names this record".to_owned()),
        Some(h) if h != LOG_HASH.digest(doc.as_bytes()).to_hex() => {
            found.push("log: the stored document does not hash to its leaf's record hash".to_owned())
        }
        Some(_) => {}
    }
    Ok(found)
}

impl Store {
    /// The enterprises in the officer's jurisdiction (not regulators, not
    /// the operator), with when each last recorded; by name.
    pub async fn jurisdiction_enterprises(&self, caller: &Caller) -> Result<Vec<Enterprise>> {
        let prefix = officer_prefix(caller)?;
        self.db
            .conn()
            .fetch_all(
                "SELECT o.id, o.name, o.kind, o.status, o.region, \
                 (SELECT MAX(e.record_time) FROM events e WHERE e.org_id = o.id) AS last_recorded \
                 FROM organisations o WHERE o.region LIKE $1 AND o.kind NOT IN ($2, $3) ORDER BY o.name, o.id",
                &params![
                    format!("{prefix}%"),
                    OrgKind::Regulator.as_str(),
                    OrgKind::PlatformOperator.as_str()
                ],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Enterprise {
                    id: r.text("id")?,
                    name: r.text("name")?,
                    kind: r.text("kind")?,
                    status: r.text("status")?,
                    region: r.text("region")?,
                    last_recorded: r.opt_int("last_recorded")?,
                })
            })
            .collect()
    }

    /// One enterprise in the officer's jurisdiction; outside it, not found.
    pub async fn jurisdiction_enterprise(&self, caller: &Caller, id: Uuid) -> Result<Enterprise> {
        let all = self.jurisdiction_enterprises(caller).await?;
        all.into_iter()
            .find(|e| e.id == id.to_string())
            .ok_or(StoreError::NotFound { what: "organisation" })
    }

    /// Lots held or owned in the jurisdiction that are not conformant or
    /// were recalled, the latest first.
    pub async fn jurisdiction_flagged_lots(&self, caller: &Caller, limit: i64) -> Result<Vec<FlaggedLot>> {
        let prefix = officer_prefix(caller)?;
        self.db
            .conn()
            .fetch_all(
                "SELECT u.id, u.epc, u.status, u.status_reason, u.status_reason_zh, o.name AS owner FROM units u \
                 JOIN organisations o ON o.id = u.owner_org_id \
                 WHERE u.kind = 'lot' AND u.status <> 'active' AND (o.region LIKE $1 OR u.holder_org_id IN \
                 (SELECT id FROM organisations WHERE region LIKE $1)) ORDER BY u.created_at DESC LIMIT $2",
                &params![format!("{prefix}%"), limit],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(FlaggedLot {
                    unit_id: r.text("id")?,
                    epc: r.text("epc")?,
                    status: r.text("status")?,
                    reason: r.opt_text("status_reason")?,
                    reason_zh: r.opt_text("status_reason_zh")?,
                    owner: r.text("owner")?,
                })
            })
            .collect()
    }

    /// The inspections and sampling checks of an enterprise, newest first.
    pub async fn oversight_records(&self, caller: &Caller, org: Uuid) -> Result<Vec<OversightRecord>> {
        self.jurisdiction_enterprise(caller, org).await?;
        self.db
            .conn()
            .fetch_all(
                "SELECT * FROM oversight_records WHERE org_id = $1 ORDER BY created_at DESC, id DESC",
                &params![org],
            )
            .await?
            .iter()
            .map(decode_record)
            .collect()
    }

    /// Records an inspection of an enterprise: its findings and conclusion
    /// (`satisfactory` or `rectification_required`).
    pub async fn record_inspection(
        &self,
        caller: &Caller,
        org: Uuid,
        findings: &str,
        conclusion: &str,
    ) -> Result<OversightRecord> {
        self.jurisdiction_enterprise(caller, org).await?;
        let findings = suyuan_core::codes::text::bounded_multiline_text(findings, 4000)
            .map_err(|e| StoreError::invalid("findings", e))?;
        if !INSPECTION_CONCLUSIONS.contains(&conclusion) {
            return Err(StoreError::invalid(
                "conclusion",
                Invalid::new(
                    "inspection_conclusion",
                    "conclusion is satisfactory or rectification_required",
                    "结论应为 satisfactory（合格）或 rectification_required（责令整改）",
                ),
            ));
        }
        self.insert_oversight(caller, org, "inspection", None, &findings, conclusion)
            .await
    }

    /// Draws up to `n` (1 to 100) records the enterprise recorded in
    /// [`from`, `to`) (ms) at random, checks each (see the module doc) and
    /// records the outcome: `conformant` when every record drawn passed.
    pub async fn records_sampling_check(
        &self,
        caller: &Caller,
        org: Uuid,
        from: i64,
        to: i64,
        n: i64,
    ) -> Result<OversightRecord> {
        self.jurisdiction_enterprise(caller, org).await?;
        if to <= from {
            return Err(StoreError::invalid(
                "period_to",
                Invalid::new(
                    "period_order",
                    "the period ends after it begins",
                    "检查期间的结束应晚于开始",
                ),
            ));
        }
        if !(1..=100).contains(&n) {
            return Err(StoreError::invalid(
                "sample_size",
                Invalid::new(
                    "sample_size",
                    "a sample is 1 to 100 records",
                    "抽样数量应为 1 至 100 条",
                ),
            ));
        }
        let drawn = self
            .db
            .conn()
            .fetch_all(
                "SELECT e.event_id, e.record_kind, e.document, l.record_hash FROM \
                 (SELECT id FROM events WHERE org_id = $1 AND record_time >= $2 AND record_time < $3 \
                  ORDER BY random() LIMIT $4) s \
                 JOIN events e ON e.id = s.id LEFT JOIN tlog_leaves l ON l.event_pk = e.id ORDER BY e.record_time, e.id",
                &params![org, from, to, n],
            )
            .await?;
        let mut checked = Vec::with_capacity(drawn.len());
        let mut failed = 0i64;
        for r in &drawn {
            let found = check_stored_event(r)?;
            if !found.is_empty() {
                failed += 1;
            }
            checked.push(
                json!({"event_id": r.text("event_id")?, "record_kind": r.opt_text("record_kind")?,
                                "ok": found.is_empty(), "found": found}),
            );
        }
        let conclusion = match (drawn.is_empty(), failed) {
            (true, _) => "no_records",
            (false, 0) => "conformant",
            _ => "nonconformant",
        };
        let findings = suyuan_ledger::record::canonical_json(&json!({ "records": checked }));
        self.insert_oversight(
            caller,
            org,
            "records_check",
            Some((from, to, drawn.len() as i64, failed)),
            &findings,
            conclusion,
        )
        .await
    }

    async fn insert_oversight(
        &self,
        caller: &Caller,
        org: Uuid,
        kind: &str,
        sample: Option<(i64, i64, i64, i64)>,
        findings: &str,
        conclusion: &str,
    ) -> Result<OversightRecord> {
        let id = new_id();
        let (from, to, size, failed) = match sample {
            Some((f, t, s, x)) => (Some(f), Some(t), Some(s), Some(x)),
            None => (None, None, None, None),
        };
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO oversight_records (id, kind, org_id, officer_org_id, acting_user, period_from, period_to, \
             sample_size, failed, findings, conclusion, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
            &params![
                id,
                kind,
                org,
                caller.org_id,
                caller.user_id,
                from,
                to,
                size,
                failed,
                findings,
                conclusion,
                now_ms()
            ],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::OversightRecord, id, None)
            .await?;
        let row = tx
            .fetch_optional("SELECT * FROM oversight_records WHERE id = $1", &params![id])
            .await?
            .ok_or(StoreError::NotFound { what: "record" })?;
        tx.commit().await?;
        decode_record(&row)
    }
}
