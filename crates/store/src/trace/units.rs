//! Lots and items: allocating batch IDs, issuing item trace codes in bulk,
//! and looking a unit up by any of its codes.
//!
//! A lot is allocated a batch ID of the platform's layout (date, site,
//! sequence: see `suyuan_core::codes::trace`) for one of the organisation's
//! products; items of the lot get random serials, issued up to 100,000 per
//! request and written in multi-row inserts inside one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::codes::trace::{item_trace_code, random_serials, BatchId, TraceUnit};
use suyuan_core::codes::Gtin;
use suyuan_core::fields::iso_date;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use super::canonical_epc;
use crate::db::{Row, Val};
use crate::orgs::ts;
use crate::{field, new_id, now_ms, params, Caller, Result, Store, StoreError};

/// Most items issued in one request.
pub const MAX_ITEMS_PER_REQUEST: usize = 100_000;

/// A request to allocate a lot of one of the caller's products.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLot {
    pub product_id: Uuid,
    /// Production or harvest date, `YYYY-MM-DD`.
    pub date: String,
    /// Two characters [0-9A-Z] naming the site (base, packing house) within
    /// the organisation.
    pub site: String,
    /// The plot or place the lot comes from.
    pub origin_place_id: Option<Uuid>,
}

/// A traceability unit as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unit {
    pub id: Uuid,
    /// lot, item, logistic or input_lot.
    pub kind: String,
    /// Canonical identifier (GS1 Digital Link on id.gs1.org).
    pub epc: String,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub serial: Option<String>,
    pub sscc: Option<String>,
    pub owner_org_id: Uuid,
    pub holder_org_id: Uuid,
    /// active, non_conformant, recalled, …
    pub status: String,
    /// Why it is not active, in English.
    pub status_reason: Option<String>,
    /// The same in Chinese.
    pub status_reason_zh: Option<String>,
    pub origin_place: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Items issued for a lot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedItems {
    /// The logged issue record (`GET /tlog/proof?record=item_issue:{id}`).
    pub issue_id: Uuid,
    pub lot: Unit,
    pub count: usize,
    /// Flat item trace codes (37 characters), in issue order.
    pub codes: Vec<String>,
}

pub(crate) const UNIT_COLUMNS: &str =
    "t.id, t.kind, t.epc, t.gtin, t.batch, t.serial, t.sscc, t.owner_org_id, \
    t.holder_org_id, t.status, t.status_reason, t.status_reason_zh, t.origin_place, t.created_at";

pub(crate) fn decode_unit(r: &Row) -> Result<Unit> {
    Ok(Unit {
        id: r.uuid("id")?,
        kind: r.text("kind")?,
        epc: r.text("epc")?,
        gtin: r.opt_text("gtin")?,
        batch: r.opt_text("batch")?,
        serial: r.opt_text("serial")?,
        sscc: r.opt_text("sscc")?,
        owner_org_id: r.uuid("owner_org_id")?,
        holder_org_id: r.uuid("holder_org_id")?,
        status: r.text("status")?,
        status_reason: r.opt_text("status_reason")?,
        status_reason_zh: r.opt_text("status_reason_zh")?,
        origin_place: r.opt_text("origin_place")?,
        created_at: ts(r.int("created_at")?),
    })
}

impl Unit {
    /// The unit as a [`TraceUnit`], for formatting its codes.
    pub fn trace_unit(&self) -> Option<TraceUnit> {
        let gtin = self.gtin.as_deref().and_then(|g| Gtin::parse(g).ok());
        match (self.kind.as_str(), gtin, &self.batch, &self.serial, &self.sscc) {
            ("lot", Some(g), Some(b), _, _) => TraceUnit::lot(g, b).ok(),
            ("item", Some(g), Some(b), Some(s), _) => TraceUnit::item(g, b, s).ok(),
            ("logistic", _, _, _, Some(s)) => {
                suyuan_core::codes::Sscc::parse(s).ok().map(TraceUnit::logistic)
            }
            _ => None,
        }
    }
}

/// Filters of the lot list.
#[derive(Debug, Clone, Default)]
pub struct LotFilter {
    /// `active`, `non_conformant`, …
    pub status: Option<String>,
    /// Lots of this product (one of the caller's).
    pub product_id: Option<Uuid>,
    /// Registered on or after this date (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Registered before the end of this date (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
}

/// Milliseconds at the start of an ISO date (UTC), naming `name` on error.
fn day_start(name: &str, d: &str) -> Result<i64> {
    let day = field(name, iso_date(d))?;
    Ok(day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default())
}

impl Store {
    /// The lots the caller's organisation holds or owns, newest last,
    /// filtered by status, product and registration date.
    pub async fn list_lots(
        &self,
        caller: &Caller,
        filter: &LotFilter,
        page: crate::PageRequest,
    ) -> Result<crate::Page<Unit>> {
        let mut ps: Vec<Val> = vec![caller.org_id.into()];
        let mut sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units t WHERE t.kind = 'lot' AND (t.holder_org_id = $1 OR t.owner_org_id = $1)"
        );
        if let Some(s) = &filter.status {
            ps.push(s.as_str().into());
            sql.push_str(&format!(" AND t.status = ${}", ps.len()));
        }
        if let Some(p) = filter.product_id {
            let product = self.require_own(caller, "products", "product_id", p).await?;
            ps.push(product.text("gtin")?.into());
            sql.push_str(&format!(" AND t.gtin = ${}", ps.len()));
        }
        if let Some(d) = &filter.from {
            ps.push(day_start("from", d)?.into());
            sql.push_str(&format!(" AND t.created_at >= ${}", ps.len()));
        }
        if let Some(d) = &filter.to {
            ps.push((day_start("to", d)? + 86_400_000).into());
            sql.push_str(&format!(" AND t.created_at < ${}", ps.len()));
        }
        self.page(&sql, ps, page, decode_unit).await
    }

    /// Allocates the next batch ID for (product, date, site) and registers
    /// the lot, held by the caller's organisation.
    pub async fn create_lot(&self, caller: &Caller, new: &NewLot) -> Result<Unit> {
        caller.require_verified_recorder()?;
        let product = self
            .require_own(caller, "products", "product_id", new.product_id)
            .await?;
        crate::master_versions::require_active(&product, "product_id")?;
        let gtin = Gtin::parse(&product.text("gtin")?).map_err(|e| StoreError::Corrupt(e.en))?;
        let date = field("date", iso_date(&new.date))?;
        let site = new.site.trim().to_ascii_uppercase();
        field("site", BatchId::new(date, &site, 0))?;
        let origin = match new.origin_place_id {
            Some(p) => {
                let place = self.require_own(caller, "places", "origin_place_id", p).await?;
                crate::master_versions::require_active(&place, "origin_place_id")?;
                Some(p.to_string())
            }
            None => None,
        };
        let prefix = format!("{}{site}", date.format("%Y%m%d"));
        // Two recorders allocating at once may pick the same sequence; the
        // unique key then refuses one, which simply tries the next.
        for _ in 0..8 {
            let row = self
                .db
                .conn()
                .fetch_optional(
                    "SELECT COUNT(*) AS n FROM units WHERE kind = 'lot' AND gtin = $1 AND batch LIKE $2",
                    &params![gtin.as_str(), format!("{prefix}%")],
                )
                .await?;
            let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
            let seq = u16::try_from(n).unwrap_or(u16::MAX);
            let batch = BatchId::new(date, &site, seq).map_err(|_| {
                StoreError::conflict(
                    "batch_sequence_exhausted",
                    Some("site"),
                    "all 1296 lots of this site and date are allocated; use another site code",
                    "该场所当日的 1296 个批次号已用完，请使用其他场所代码",
                )
            })?;
            let unit = TraceUnit::our_lot(gtin.clone(), &batch);
            match self.insert_unit(caller, "lot", &unit, origin.as_deref()).await {
                Ok(u) => return Ok(u),
                Err(e) if e.is_unique_violation() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::conflict(
            "batch_allocation_busy",
            None,
            "could not allocate a batch ID; try again",
            "批次号分配冲突，请重试",
        ))
    }

    /// Allocates a unit before any event names it: its row, and its
    /// allocation as a logged record (`unit_allocation`), in one transaction.
    async fn insert_unit(
        &self,
        caller: &Caller,
        kind: &str,
        unit: &TraceUnit,
        origin: Option<&str>,
    ) -> Result<Unit> {
        let epc = canonical_epc(unit).map_err(|e| StoreError::invalid("unit", e))?;
        let id = super::unit_id(&epc);
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO units (id, epc, kind, gtin, batch, serial, sscc, owner_org_id, holder_org_id, status, \
             status_reason, origin_place, created_event, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'active',NULL,$10,NULL,$11)",
            &params![
                id,
                epc.as_str(),
                kind,
                unit.gtin().map(|g| g.as_str().to_owned()),
                unit.batch(),
                unit.serial(),
                unit.sscc().map(|s| s.as_str().to_owned()),
                caller.org_id,
                caller.org_id,
                origin,
                now
            ],
        )
        .await?;
        let allocation = new_id();
        tx.execute(
            "INSERT INTO unit_allocations (id, org_id, epc, kind, origin_place, allocated_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
            &params![
                allocation,
                caller.org_id,
                epc.as_str(),
                kind,
                origin,
                caller.user_id,
                now
            ],
        )
        .await?;
        self.log_record(
            &mut tx,
            caller.org_id,
            crate::master_log::RecordKind::UnitAllocation,
            allocation,
            None,
        )
        .await?;
        tx.commit().await?;
        self.get_unit(caller, id).await
    }

    /// A unit the caller owns or holds.
    pub async fn get_unit(&self, caller: &Caller, id: Uuid) -> Result<Unit> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!(
                    "SELECT {UNIT_COLUMNS} FROM units t WHERE t.id = $1 AND (t.owner_org_id = $2 OR t.holder_org_id = $2)"
                ),
                &params![id, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "unit" })?;
        decode_unit(&row)
    }

    /// A unit by its canonical identifier, whoever holds it (for trace and
    /// the public view; callers decide what to show).
    pub async fn find_unit(&self, epc: &str) -> Result<Option<Unit>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {UNIT_COLUMNS} FROM units t WHERE t.epc = $1"),
                &params![epc],
            )
            .await?;
        row.as_ref().map(decode_unit).transpose()
    }

    /// Issues `count` items of a lot the caller holds: random serials,
    /// unique on the platform, all or nothing.
    ///
    /// No codes are issued for a non-conformant lot unless `override_reason`
    /// says why (e.g. relabelling for return to the supplier); the items are
    /// then non-conformant too. Every issue is a logged record
    /// (`item_issue`: the lot, the count, the hash of the serials, the user,
    /// the override's reason), in the transaction that stores the items.
    pub async fn issue_items(
        &self,
        caller: &Caller,
        lot_id: Uuid,
        count: usize,
        override_reason: Option<&str>,
    ) -> Result<IssuedItems> {
        caller.require_verified_recorder()?;
        if !(1..=MAX_ITEMS_PER_REQUEST).contains(&count) {
            return Err(StoreError::invalid(
                "count",
                Invalid::new(
                    "count_range",
                    format!("issue 1 to {MAX_ITEMS_PER_REQUEST} items per request"),
                    format!("每次可发放 1 至 {MAX_ITEMS_PER_REQUEST} 个单品码"),
                ),
            ));
        }
        let lot = self.get_unit(caller, lot_id).await?;
        if lot.kind != "lot" || lot.holder_org_id != caller.org_id {
            return Err(StoreError::NotFound { what: "unit" });
        }
        let override_reason = override_reason
            .filter(|r| !r.trim().is_empty())
            .map(|r| crate::field("non_conformance_override", suyuan_core::fields::text(r, 500)))
            .transpose()?;
        let non_conformant = lot.status == "non_conformant";
        if non_conformant && override_reason.is_none() {
            // Codes put on boxes would sell what must not be sold.
            return Err(StoreError::conflict(
                "lot_non_conformant",
                Some("lot"),
                format!(
                    "this lot is non-conformant ({}); item codes are issued for it only with \
                     non_conformance_override giving the reason",
                    lot.status_reason.as_deref().unwrap_or("")
                ),
                format!(
                    "该批次为不合格品（{}），须在 non_conformance_override 中说明理由方可发放单品码",
                    lot.status_reason_zh.as_deref().unwrap_or("")
                ),
            ));
        }
        let (status, reason, reason_zh) = if non_conformant {
            (
                "non_conformant",
                lot.status_reason.clone(),
                lot.status_reason_zh.clone(),
            )
        } else {
            ("active", None, None)
        };
        let gtin = Gtin::parse(lot.gtin.as_deref().unwrap_or("")).map_err(|e| StoreError::Corrupt(e.en))?;
        let batch = BatchId::parse(lot.batch.as_deref().unwrap_or("")).map_err(|_| {
            StoreError::invalid(
                "lot",
                Invalid::new(
                    "lot_not_ours",
                    "item codes are issued only for lots with a platform batch ID",
                    "只有使用平台批次号的批次才能发放单品码",
                ),
            )
        })?;
        // Serials are random (50 bits); a clash with an earlier issue is
        // astronomically rare, and the unique key refuses it: we retry once
        // with fresh serials.
        for _ in 0..2 {
            let mut serials = random_serials(count);
            // In key order, the inserts walk each index once from left to
            // right instead of landing on random pages.
            serials.sort_unstable();
            let now = now_ms();
            let mut tx = self.db.begin().await?;
            // What every item of the lot shares is bound once.
            let shared: [Val; 9] = [
                gtin.as_str().into(),
                batch.as_str().into(),
                caller.org_id.into(),
                caller.org_id.into(),
                now.into(),
                lot.epc.as_str().into(),
                status.into(),
                reason.clone().into(),
                reason_zh.clone().into(),
            ];
            let mut values: Vec<Val> = Vec::with_capacity(serials.len() * 3);
            for serial in &serials {
                // Serials are [0-9A-Z]: nothing to percent-encode.
                let epc = format!(
                    "{}/01/{}/21/{}",
                    super::CANONICAL_DOMAIN,
                    gtin.as_str(),
                    serial.as_str()
                );
                values.extend([super::unit_id(&epc).into(), epc.into(), serial.as_str().into()]);
            }
            match tx
                .insert_rows_sharing(
                    "INSERT INTO units (id, epc, kind, gtin, batch, serial, owner_org_id, holder_org_id, status, \
                     created_at, lot_epc, status_reason, status_reason_zh) SELECT v.column1, v.column2, 'item', $1, $2, \
                     v.column3, $3, $4, $7, $5, $6, $8, $9 FROM",
                    &shared,
                    3,
                    &values,
                    "",
                )
                .await
            {
                Ok(_) => {}
                Err(e) if e.is_unique_violation() => continue,
                Err(e) => return Err(e),
            }
            // The issue itself, logged: what was issued, by whom, and why
            // for a non-conformant lot.
            let issue = new_id();
            let listed: String = serials.iter().map(|s| format!("{}\n", s.as_str())).collect();
            tx.execute(
                "INSERT INTO item_issues (id, org_id, lot_epc, item_count, serials_sha256, issued_by, \
                 override_reason, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                &params![
                    issue,
                    caller.org_id,
                    lot.epc.as_str(),
                    count as i64,
                    crate::tlog::LOG_HASH.digest(listed.as_bytes()).to_hex(),
                    caller.user_id,
                    override_reason.clone(),
                    now
                ],
            )
            .await?;
            self.log_record(
                &mut tx,
                caller.org_id,
                crate::master_log::RecordKind::ItemIssue,
                issue,
                None,
            )
            .await?;
            tx.commit().await?;
            tracing::info!(lot = %lot_id, count, overridden = override_reason.is_some(), "item codes issued");
            let codes = serials
                .iter()
                .map(|s| item_trace_code(&gtin, &batch, s))
                .collect();
            return Ok(IssuedItems {
                issue_id: issue,
                lot,
                count,
                codes,
            });
        }
        Err(StoreError::conflict(
            "serial_clash",
            None,
            "serial clash; try again",
            "序列号冲突，请重试",
        ))
    }
}
