//! Recalls: started from a unit, a lot, an input lot or
//! a failed test, they reach every unit made of it, packed from it or
//! issued for it, all levels down (the same walk that carries a lot's
//! non-conformance), and name who holds each and whether it was sold.
//!
//! - **who may start one**: an organisation that owns or holds the unit or
//!   recorded an event on it (the same rule as tracing it), or an officer
//!   of the jurisdiction of the unit's owner. Anyone else is refused with
//!   `recall_not_holder` and may ask the regulator.
//! - **the record** (`recalls`, logged): level, reason, plan, deadlines
//!   and the affected set it binds: `affected_count` and `affected_sha256`,
//!   the SHA-256 of the lines `epc \t holder \t sold(0|1) \n` in epc order,
//!   which `verify` recomputes from `recall_units`.
//! - **effects**: an affected unit of a recall that is not a drill shows as
//!   recalled on its consumer page and in traces ([`Store::recall_of`]).
//! - **holders** acknowledge the notice and account for what they removed,
//!   returned or destroyed (`recall_acts`, logged), never more than they
//!   held ([`check_accounting`]).
//! - **drills** (演练) are recalls with `drill` set: the same records,
//!   timed, and no public effect.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use suyuan_core::calendar::Calendar;
use suyuan_core::model::RecallLevel;
use suyuan_core::quality::recall::{self as rules, check_accounting, Accounted, PlanText};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Val};
use crate::master_log::RecordKind;
use crate::tlog::LOG_HASH;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// A request to start a recall.
#[derive(Debug, Clone)]
pub struct NewRecall {
    /// The canonical identifier it starts from (unused with `test_event`).
    pub start: String,
    /// A failed test's eventID: the recall starts from the units it tested.
    pub test_event: Option<String>,
    pub level: String,
    pub reason: String,
    pub drill: bool,
    pub plan: PlanText,
}

/// A recall just started.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StartedRecall {
    pub id: Uuid,
    pub affected_units: i64,
    /// Holders notified.
    pub holders: usize,
    /// Time to compute the affected set and record the recall, seconds.
    pub seconds: f64,
}

/// One holder's progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolderProgress {
    pub org_id: Uuid,
    pub org_name: String,
    /// Affected units it held when the recall started.
    pub units: i64,
    /// Of those, already sold to consumers.
    pub sold: i64,
    pub acknowledged_at: Option<i64>,
    pub accounted: Accounted,
    /// Not acknowledged by `report_by`, or not accounted in full by the end of `complete_by`.
    pub overdue: bool,
}

/// A recall with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recall {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub start_code: String,
    pub test_event: Option<String>,
    /// `1`, `2` or `3`.
    pub level: String,
    pub reason: String,
    pub drill: bool,
    pub plan: PlanText,
    pub affected_count: i64,
    /// Start and report the plan by (ms).
    pub report_by: i64,
    /// Complete by the end of this day (YYYY-MM-DD).
    pub complete_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub holders: Vec<HolderProgress>,
}

impl Recall {
    /// Units accounted for by every holder.
    pub fn accounted_total(&self) -> f64 {
        self.holders.iter().map(|h| h.accounted.total()).sum()
    }
}

/// The recall a consumer sees on a unit's page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicRecall {
    pub level: String,
    pub reason: String,
    /// Who recalls it.
    pub by: String,
    pub started_at: i64,
    /// What a consumer holding it should do, in Chinese and English.
    pub advice_zh: String,
    pub advice_en: String,
}

/// One affected unit in a recall's report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecallUnit {
    pub epc: String,
    pub kind: Option<String>,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub holder_org_id: Uuid,
    pub holder_name: String,
    pub sold: bool,
}

fn recall_closed() -> StoreError {
    StoreError::conflict("recall_closed", None, "this recall is closed", "本次召回已结束")
}

fn refuse(field: &str, code: &'static str, en: &str, zh: &str) -> StoreError {
    StoreError::invalid(field, Invalid::new(code, en, zh))
}

/// The holiday calendar kept by the operator (latest record of each day).
pub(crate) async fn calendar(store: &Store) -> Result<Calendar> {
    let (holidays, working) = store.calendar_days().await?;
    let parse = |d: &String| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    Ok(Calendar::new(
        holidays.iter().filter_map(parse),
        working.iter().filter_map(parse),
    ))
}

/// The SHA-256 a recall binds over its affected set.
pub(crate) fn affected_hash(lines: &[(String, String, bool)]) -> String {
    let mut text = String::new();
    for (epc, holder, sold) in lines {
        text.push_str(&format!("{epc}\t{holder}\t{}\n", u8::from(*sold)));
    }
    LOG_HASH.digest(text.as_bytes()).to_hex()
}

impl Store {
    /// The units a recall starts from.
    async fn recall_seeds(&self, new: &NewRecall) -> Result<Vec<String>> {
        let Some(test) = &new.test_event else {
            return Ok(vec![new.start.clone()]);
        };
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT x.epc FROM events e JOIN event_epcs x ON x.event_pk = e.id \
                 WHERE e.event_id = $1 AND e.record_kind = 'testing' AND e.is_error_declaration = FALSE \
                 AND x.role IN ('epc', 'quantity') ORDER BY x.epc",
                &params![test.as_str()],
            )
            .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound { what: "test" });
        }
        rows.iter().map(|r| r.text("epc")).collect()
    }

    /// May the caller recall the units `seeds`?
    async fn may_recall(&self, caller: &Caller, seeds: &[String]) -> Result<()> {
        if let Some(prefix) = caller.officer_jurisdiction() {
            let owner = self
                .db
                .conn()
                .fetch_optional(
                    "SELECT o.region FROM units u JOIN organisations o ON o.id = u.owner_org_id WHERE u.epc = $1",
                    &params![seeds[0].as_str()],
                )
                .await?;
            return match owner {
                Some(r) if r.opt_text("region")?.unwrap_or_default().starts_with(prefix) => Ok(()),
                _ => Err(StoreError::NotFound { what: "unit" }),
            };
        }
        caller.require_verified_recorder()?;
        for s in seeds {
            if self.may_trace(caller, s).await? {
                return Ok(());
            }
        }
        if self.find_unit(&seeds[0]).await?.is_none() {
            return Err(StoreError::NotFound { what: "unit" });
        }
        Err(StoreError::forbidden(
            "recall_not_holder",
            "your organisation never held this unit nor recorded anything on it: ask the regulator of its producer to start the recall",
            "贵单位从未持有该产品，也未对其作过记录：请向其生产者所在地的监管部门提出召回请求",
        ))
    }

    /// Starts a recall (or a drill): computes the affected set, records it,
    /// and notifies every holder (their inbox is [`Store::recalls_for`]).
    pub async fn start_recall(&self, caller: &Caller, new: &NewRecall) -> Result<StartedRecall> {
        let started = std::time::Instant::now();
        let level = RecallLevel::parse(&new.level).map_err(|i| StoreError::invalid("level", i))?;
        let reason = rules::reason(&new.reason).map_err(|i| StoreError::invalid("reason", i))?;
        let plan = new
            .plan
            .clone()
            .checked()
            .map_err(|(f, i)| StoreError::invalid(format!("plan.{f}"), i))?;
        let seeds = self.recall_seeds(new).await?;
        self.may_recall(caller, &seeds).await?;
        let calendar = calendar(self).await?;
        let now = now_ms();
        let deadlines = rules::deadlines(level, now, &calendar);

        let mut tx = self.db.begin().await?;
        let reached = crate::trace::status::with_downstream(&mut tx, &seeds).await?;
        let reached: Vec<String> = reached.into_iter().collect();
        let mut lines: Vec<(String, String, bool)> = Vec::with_capacity(reached.len());
        let mut sold: BTreeSet<String> = BTreeSet::new();
        for chunk in reached.chunks(400) {
            let ps: Vec<Val> = chunk.iter().map(|s| Val::from(s.as_str())).collect();
            let marks = crate::db::placeholders(1, chunk.len());
            for r in tx
                .fetch_all(
                    &format!(
                        "SELECT DISTINCT x.epc FROM event_epcs x JOIN events e ON e.id = x.event_pk \
                         WHERE e.record_kind = 'sale' AND e.corrected_by IS NULL AND x.epc IN ({marks})"
                    ),
                    &ps,
                )
                .await?
            {
                sold.insert(r.text("epc")?);
            }
            for r in tx
                .fetch_all(
                    &format!("SELECT epc, holder_org_id FROM units WHERE epc IN ({marks})"),
                    &ps,
                )
                .await?
            {
                let epc = r.text("epc")?;
                let is_sold = sold.contains(&epc);
                lines.push((epc, r.text("holder_org_id")?, is_sold));
            }
        }
        if lines.is_empty() {
            return Err(StoreError::NotFound { what: "unit" });
        }
        lines.sort();
        let id = new_id();
        tx.execute(
            "INSERT INTO recalls (id, org_id, start_code, test_event, level, reason, drill, plan, affected_count, \
             affected_sha256, report_by, complete_by, started_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
            &params![
                id,
                caller.org_id,
                seeds[0].as_str(),
                new.test_event.clone(),
                level.as_str(),
                reason,
                new.drill,
                suyuan_ledger::record::canonical_json(&serde_json::to_value(&plan).unwrap_or_default()),
                lines.len() as i64,
                affected_hash(&lines),
                deadlines.report_by,
                deadlines.complete_by.format("%Y-%m-%d").to_string(),
                caller.user_id,
                now
            ],
        )
        .await?;
        let mut values: Vec<Val> = Vec::with_capacity(lines.len() * 3);
        for (epc, holder, is_sold) in &lines {
            values.extend([
                Val::from(epc.as_str()),
                Val::from(holder.as_str()),
                Val::Bool(*is_sold),
            ]);
        }
        tx.insert_rows_sharing(
            "INSERT INTO recall_units (recall_id, epc, holder_org_id, sold) SELECT $1, v.column1, v.column2, v.column3 FROM",
            &[id.into()],
            3,
            &values,
            "",
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::Recall, id, None)
            .await?;
        tx.commit().await?;
        let holders = lines.iter().map(|l| &l.1).collect::<BTreeSet<_>>().len();
        tracing::info!(recall = %id, affected = lines.len(), holders, drill = new.drill, "recall started");
        Ok(StartedRecall {
            id,
            affected_units: lines.len() as i64,
            holders,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// A recall with every holder's progress, if the caller may see it: its
    /// starter, a holder of an affected unit, an officer of the
    /// jurisdiction of the starter or of a holder, the operator.
    pub async fn recall(&self, caller: &Caller, id: Uuid) -> Result<Recall> {
        let mut conn = self.db.conn();
        let r = conn
            .fetch_optional(
                "SELECT r.*, o.name AS org_name, o.region AS org_region FROM recalls r \
                 JOIN organisations o ON o.id = r.org_id WHERE r.id = $1",
                &params![id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "recall" })?;
        let holders = conn
            .fetch_all(
                "SELECT u.holder_org_id, o.name, o.region, COUNT(*) AS n, \
                 SUM(CASE WHEN u.sold THEN 1 ELSE 0 END) AS sold FROM recall_units u \
                 JOIN organisations o ON o.id = u.holder_org_id WHERE u.recall_id = $1 \
                 GROUP BY u.holder_org_id, o.name, o.region ORDER BY o.name, u.holder_org_id",
                &params![id],
            )
            .await?;
        let acts = conn
            .fetch_all(
                "SELECT org_id, action, removed, returned, destroyed, created_at FROM recall_acts \
                 WHERE recall_id = $1 ORDER BY created_at, id",
                &params![id],
            )
            .await?;
        let starter = r.uuid("org_id")?;
        let visible = caller.is_operator()
            || starter == caller.org_id
            || holders
                .iter()
                .any(|h| h.uuid("holder_org_id").ok() == Some(caller.org_id))
            || caller.officer_jurisdiction().is_some_and(|p| {
                r.opt_text("org_region")
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .starts_with(p)
                    || holders.iter().any(|h| {
                        h.opt_text("region")
                            .ok()
                            .flatten()
                            .unwrap_or_default()
                            .starts_with(p)
                    })
            });
        if !visible {
            return Err(StoreError::NotFound { what: "recall" });
        }
        decode_recall(&r, &holders, &acts)
    }

    /// The recalls the caller takes part in, newest first: started by its
    /// organisation or reaching a unit it held (officers: those of their
    /// jurisdiction).
    pub async fn recalls_for(&self, caller: &Caller) -> Result<Vec<Recall>> {
        let rows = match caller.officer_jurisdiction() {
            Some(prefix) => {
                self.db
                    .conn()
                    .fetch_all(
                        "SELECT r.id FROM recalls r JOIN organisations o ON o.id = r.org_id \
                         WHERE o.region LIKE $1 ORDER BY r.created_at DESC LIMIT 200",
                        &params![format!("{prefix}%")],
                    )
                    .await?
            }
            None => {
                self.db
                    .conn()
                    .fetch_all(
                        "SELECT r.id, r.created_at FROM recalls r WHERE r.org_id = $1 \
                         UNION SELECT r.id, r.created_at FROM recalls r JOIN recall_units u ON u.recall_id = r.id \
                         WHERE u.holder_org_id = $1 ORDER BY created_at DESC LIMIT 200",
                        &params![caller.org_id],
                    )
                    .await?
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.recall(caller, r.uuid("id")?).await?);
        }
        Ok(out)
    }

    /// Records a holder's act on a recall: `acknowledged` (once), or
    /// `accounted` with what it removed, returned or destroyed.
    pub async fn recall_act(
        &self,
        caller: &Caller,
        id: Uuid,
        action: &str,
        accounted: &Accounted,
        note: Option<&str>,
        units: &[String],
    ) -> Result<Recall> {
        caller.require_verified_recorder()?;
        let note = note
            .filter(|n| !n.trim().is_empty())
            .map(|n| crate::field("note", suyuan_core::fields::text(n, 500)))
            .transpose()?;
        let recall = self.recall(caller, id).await?;
        let closed = recall.closed_at.is_some();
        let mine = recall.holders.iter().find(|h| h.org_id == caller.org_id);
        let zero = Accounted::default();
        let amounts = match action {
            "acknowledged" | "accounted" => {
                let Some(mine) = mine else {
                    return Err(StoreError::forbidden(
                        "recall_not_holder",
                        "your organisation holds none of this recall's units",
                        "贵单位未持有本次召回涉及的产品",
                    ));
                };
                if closed {
                    return Err(recall_closed());
                }
                if action == "acknowledged" {
                    if mine.acknowledged_at.is_some() {
                        return Err(StoreError::conflict(
                            "already_acknowledged",
                            None,
                            "your organisation has already acknowledged this recall",
                            "贵单位已确认过本次召回通知",
                        ));
                    }
                    zero
                } else {
                    check_accounting(mine.units as f64, &mine.accounted, accounted)
                        .map_err(|(f, i)| StoreError::invalid(f, i))?;
                    *accounted
                }
            }
            "closed" => {
                if recall.org_id != caller.org_id {
                    return Err(StoreError::NotFound { what: "recall" });
                }
                if closed {
                    return Err(recall_closed());
                }
                zero
            }
            _ => {
                return Err(refuse(
                    "action",
                    "recall_action_unknown",
                    "the action is one of acknowledged, accounted, closed",
                    "操作应为 acknowledged、accounted 或 closed",
                ))
            }
        };
        let event_id = if units.is_empty() {
            None
        } else {
            Some(self.accounting_event(caller, id, action, &amounts, units).await?)
        };
        let act = new_id();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO recall_acts (id, recall_id, org_id, action, removed, returned, destroyed, note, event_id, \
             acting_user, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
            &params![
                act,
                id,
                caller.org_id,
                action,
                amounts.removed,
                amounts.returned,
                amounts.destroyed,
                note,
                event_id,
                caller.user_id,
                now_ms()
            ],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::RecallAct, act, None)
            .await?;
        tx.commit().await?;
        self.recall(caller, id).await
    }

    /// Records what a holder removed, returned or destroyed as an EPCIS
    /// ObjectEvent naming the units (CBV: `removing` with disposition
    /// `recalled`, or `destroying` with `destroyed`), through capture and
    /// its authority rules; answers the eventID. The units must be this
    /// recall's, held by the caller, as many as the one kind accounted.
    async fn accounting_event(
        &self,
        caller: &Caller,
        recall: uuid::Uuid,
        action: &str,
        amounts: &Accounted,
        units: &[String],
    ) -> Result<String> {
        let kinds = [amounts.removed, amounts.returned, amounts.destroyed];
        let named = units.len() as f64;
        if action != "accounted"
            || kinds.iter().filter(|v| **v > 0.0).count() != 1
            || kinds.iter().sum::<f64>() != named
        {
            return Err(refuse(
                "epcs",
                "recall_units_mismatch",
                "name units only when accounting for one kind (removed, returned or destroyed), as many as its number",
                "列出单位时，只能登记一种处置（下架、退回或销毁），且数量与所列单位相同",
            ));
        }
        let mut held = 0usize;
        self.for_rows_in(
            &format!(
                "SELECT epc FROM recall_units WHERE recall_id = '{recall}' AND holder_org_id = '{}' AND epc",
                caller.org_id
            ),
            units,
            |_| {
                held += 1;
                Ok(())
            },
        )
        .await?;
        if held != units.iter().collect::<BTreeSet<_>>().len() || held != units.len() {
            return Err(refuse(
                "epcs",
                "recall_unit_not_held",
                "every unit named must be one of this recall's that your organisation held",
                "所列单位须为本次召回中贵单位持有的产品",
            ));
        }
        let (step, disposition) = if amounts.destroyed > 0.0 {
            ("destroying", "destroyed")
        } else {
            ("removing", "recalled")
        };
        let event_id = format!("urn:uuid:{}", new_id());
        let doc = serde_json::json!({
            "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": chrono::Utc::now().to_rfc3339(),
            "epcisBody": {"eventList": [{
                "type": "ObjectEvent", "eventID": event_id,
                "eventTime": chrono::Utc::now().to_rfc3339(), "eventTimeZoneOffset": "+08:00",
                "action": "OBSERVE", "epcList": units,
                "bizStep": step, "disposition": disposition,
            }]}
        });
        let job = self
            .capture(caller, &doc, crate::trace::capture::ErrorBehaviour::Rollback)
            .await?;
        if let Some(e) = job.errors.first() {
            return Err(refuse("epcs", "recall_event_refused", &e.detail, &e.detail_zh));
        }
        Ok(event_id)
    }

    /// The affected units of a recall, with their holders (for its report).
    pub async fn recall_units(&self, caller: &Caller, id: Uuid) -> Result<Vec<RecallUnit>> {
        self.recall(caller, id).await?;
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT r.epc, r.holder_org_id, r.sold, u.kind, u.gtin, u.batch, o.name FROM recall_units r \
                 LEFT JOIN units u ON u.epc = r.epc JOIN organisations o ON o.id = r.holder_org_id \
                 WHERE r.recall_id = $1 ORDER BY o.name, r.epc",
                &params![id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RecallUnit {
                    epc: r.text("epc")?,
                    kind: r.opt_text("kind")?,
                    gtin: r.opt_text("gtin")?,
                    batch: r.opt_text("batch")?,
                    holder_org_id: r.uuid("holder_org_id")?,
                    holder_name: r.text("name")?,
                    sold: r.bool("sold")?,
                })
            })
            .collect()
    }

    /// The recall (not a drill) a unit is affected by, newest first.
    pub async fn recall_of(&self, epc: &str) -> Result<Option<PublicRecall>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT r.level, r.reason, r.created_at, o.name FROM recall_units u \
                 JOIN recalls r ON r.id = u.recall_id JOIN organisations o ON o.id = r.org_id \
                 WHERE u.epc = $1 AND r.drill = FALSE ORDER BY r.created_at DESC LIMIT 1",
                &params![epc],
            )
            .await?;
        row.map(|r| {
            Ok(PublicRecall {
                level: r.text("level")?,
                reason: r.text("reason")?,
                by: r.text("name")?,
                started_at: r.int("created_at")?,
                advice_zh: "请立即停止食用。可凭本页及购物凭证到购买处退货，或联系召回企业。".into(),
                advice_en: "Stop eating it now. Return it where you bought it with this page and your receipt, or contact the recalling company.".into(),
            })
        })
        .transpose()
    }

    /// The units of `epcs` that a recall (not a drill) reached, with its reason.
    pub async fn recalled_among(&self, epcs: &[String]) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        self.for_rows_in(
            "SELECT u.epc, r.reason FROM recall_units u JOIN recalls r ON r.id = u.recall_id \
             WHERE r.drill = FALSE AND u.epc",
            epcs,
            |r| {
                out.insert(r.text("epc")?, r.text("reason")?);
                Ok(())
            },
        )
        .await?;
        Ok(out)
    }

    /// Each recall whose `recall_units` no longer hash to what its record
    /// binds: (recall id, expected, found).
    pub async fn recalls_against_log(&self) -> Result<Vec<(String, String, String)>> {
        let mut conn = self.db.conn();
        let recalls = conn
            .fetch_all(
                "SELECT id, affected_count, affected_sha256 FROM recalls ORDER BY id",
                &[],
            )
            .await?;
        let mut bad = Vec::new();
        for r in &recalls {
            let id = r.text("id")?;
            let rows = conn
                .fetch_all(
                    "SELECT epc, holder_org_id, sold FROM recall_units WHERE recall_id = $1 ORDER BY epc",
                    &params![id.as_str()],
                )
                .await?;
            let lines: Vec<(String, String, bool)> = rows
                .iter()
                .map(|x| Ok((x.text("epc")?, x.text("holder_org_id")?, x.bool("sold")?)))
                .collect::<Result<_>>()?;
            let found = affected_hash(&lines);
            let want = r.text("affected_sha256")?;
            if found != want || lines.len() as i64 != r.int("affected_count")? {
                bad.push((
                    id,
                    format!("{} units hashing to {want}", r.int("affected_count")?),
                    format!("{} units hashing to {found}", lines.len()),
                ));
            }
        }
        // Units of a recall that does not exist.
        for r in conn
            .fetch_all(
                "SELECT DISTINCT u.recall_id FROM recall_units u LEFT JOIN recalls r ON r.id = u.recall_id WHERE r.id IS NULL",
                &[],
            )
            .await?
        {
            bad.push((r.text("recall_id")?, "a logged recall".into(), "no recall record".into()));
        }
        Ok(bad)
    }
}

fn decode_recall(r: &Row, holders: &[Row], acts: &[Row]) -> Result<Recall> {
    let report_by = r.int("report_by")?;
    let complete_by = r.text("complete_by")?;
    let now = now_ms();
    let today = rules::china_date(now).format("%Y-%m-%d").to_string();
    let mut closed_at = None;
    let mut progress = Vec::with_capacity(holders.len());
    for h in holders {
        let org = h.uuid("holder_org_id")?;
        let mut ack = None;
        let mut acc = Accounted::default();
        for a in acts.iter().filter(|a| a.uuid("org_id").ok() == Some(org)) {
            match a.text("action")?.as_str() {
                "acknowledged" => ack = ack.or(Some(a.int("created_at")?)),
                "accounted" => {
                    acc = acc.add(&Accounted {
                        removed: a.float("removed")?,
                        returned: a.float("returned")?,
                        destroyed: a.float("destroyed")?,
                    })
                }
                _ => {}
            }
        }
        let units = h.int("n")?;
        let overdue =
            (ack.is_none() && now > report_by) || (acc.total() < units as f64 && today > complete_by);
        progress.push(HolderProgress {
            org_id: org,
            org_name: h.text("name")?,
            units,
            sold: h.int("sold")?,
            acknowledged_at: ack,
            accounted: acc,
            overdue,
        });
    }
    for a in acts {
        if a.text("action")? == "closed" {
            closed_at = Some(a.int("created_at")?);
        }
    }
    Ok(Recall {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        org_name: r.text("org_name")?,
        start_code: r.text("start_code")?,
        test_event: r.opt_text("test_event")?,
        level: r.text("level")?,
        reason: r.text("reason")?,
        drill: r.bool("drill")?,
        plan: serde_json::from_str(&r.text("plan")?).unwrap_or_default(),
        affected_count: r.int("affected_count")?,
        report_by,
        complete_by,
        created_at: r.int("created_at")?,
        closed_at,
        holders: progress,
    })
}
