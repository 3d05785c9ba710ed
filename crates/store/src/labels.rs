//! What a label shows for a lot or an item: the unit's codes, its
//! product's name and its dates, read for the caller's own units only.
//!
//! Only an organisation that owns or holds a unit may print its labels
//! (another's unit answers "not found", as everywhere else), and only a
//! recorder of a verified, active organisation: labels put products on the
//! market, as issuing their codes does. No labels are printed for a
//! non-conformant unit (`unit_non_conformant`): codes on boxes would sell
//! what must not be sold.
//!
//! Dates: the production (harvest) date is the date in the platform's batch
//! ID; the best-before date is that plus the product's shelf life, when it
//! has one; the coding date is the day the unit was registered, in China
//! Standard Time (UTC+8), where the labels are printed.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use suyuan_core::codes::trace::{BatchId, TraceUnit};
use suyuan_core::Invalid;

use crate::db::{placeholders, Row, Val};
use crate::trace::units::{decode_unit, Unit};
use crate::{params, Caller, Result, Store, StoreError};

/// Most codes named in one request (a whole lot goes by its lot code).
pub const MAX_LISTED_CODES: usize = 1_000;

/// Most labels of a lot in one file (about 56 MB of PDF): a bigger lot is
/// printed in several files, `from` the first item of each.
pub const MAX_LABEL_UNITS: usize = 20_000;

/// One label's data.
#[derive(Debug, Clone)]
pub struct LabelData {
    /// The lot or item.
    pub unit: TraceUnit,
    /// The product's name (as registered: Chinese for consumers).
    pub product_name: String,
    /// Production or harvest date: the date of the platform's batch ID.
    pub production_date: Option<NaiveDate>,
    /// Production date plus the product's shelf life.
    pub best_before: Option<NaiveDate>,
    /// The day the unit was registered (its code issued), UTC+8.
    pub coded_on: NaiveDate,
}

const COLUMNS: &str = "t.id, t.kind, t.epc, t.gtin, t.batch, t.serial, t.sscc, t.owner_org_id, \
    t.holder_org_id, t.status, t.status_reason, t.status_reason_zh, t.origin_place, t.created_at, \
    p.name AS product_name, p.shelf_life_days";

/// Units with their product, the caller's own only (`$1` is the caller's
/// organisation).
const FROM: &str = "FROM units t LEFT JOIN products p ON p.gtin = t.gtin \
    WHERE (t.owner_org_id = $1 OR t.holder_org_id = $1)";

fn decode(r: &Row) -> Result<LabelData> {
    let unit: Unit = decode_unit(r)?;
    if unit.status != "active" {
        return Err(StoreError::conflict(
            "unit_non_conformant",
            Some("code"),
            format!(
                "{} is not conformant ({}); no labels are printed for it",
                unit.epc,
                unit.status_reason.as_deref().unwrap_or(&unit.status)
            ),
            format!(
                "{} 为不合格品（{}），不能打印标签",
                unit.epc,
                unit.status_reason_zh.as_deref().unwrap_or(&unit.status)
            ),
        ));
    }
    let trace = unit
        .trace_unit()
        .filter(|u| u.flat_code().is_some())
        .ok_or_else(|| {
            StoreError::invalid(
                "code",
                Invalid::new(
                    "label_data",
                    "labels are printed for lots and items the platform issued (with a flat trace code)",
                    "只能为平台发放的批次和单品（有追溯码）打印标签",
                ),
            )
        })?;
    let production_date = unit
        .batch
        .as_deref()
        .and_then(|b| BatchId::parse(b).ok())
        .map(|b| b.date());
    let shelf_life = r.opt_int("shelf_life_days")?;
    let best_before = match (production_date, shelf_life) {
        (Some(d), Some(days)) if days > 0 => d.checked_add_signed(Duration::days(days)),
        _ => None,
    };
    let china = FixedOffset::east_opt(8 * 3600).ok_or_else(|| StoreError::Corrupt("UTC+8".into()))?;
    let coded_on = DateTime::from_timestamp_millis(r.int("created_at")?)
        .unwrap_or_default()
        .with_timezone(&china)
        .date_naive();
    Ok(LabelData {
        unit: trace,
        product_name: r.opt_text("product_name")?.unwrap_or_default(),
        production_date,
        best_before,
        coded_on,
    })
}

impl Store {
    /// The labels of the items of a lot the caller owns or holds, in serial
    /// order, at most [`MAX_LABEL_UNITS`] from the `from`-th (1-based):
    /// `lot_epc` is the lot's canonical identifier. A lot without items
    /// answers `lot_has_no_items`; `from` past its last item
    /// `label_from_range`.
    pub async fn lot_label_data(
        &self,
        caller: &Caller,
        lot_epc: &str,
        from: usize,
    ) -> Result<Vec<LabelData>> {
        caller.require_verified_recorder()?;
        let lot = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT t.id {FROM} AND t.epc = $2 AND t.kind = 'lot'"),
                &params![caller.org_id, lot_epc],
            )
            .await?;
        if lot.is_none() {
            return Err(StoreError::NotFound { what: "lot" });
        }
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} {FROM} AND t.lot_epc = $2 AND t.kind = 'item' ORDER BY t.serial \
                     LIMIT {MAX_LABEL_UNITS} OFFSET $3"
                ),
                &params![caller.org_id, lot_epc, from.saturating_sub(1) as i64],
            )
            .await?;
        if rows.is_empty() && from > 1 {
            return Err(StoreError::invalid(
                "from",
                Invalid::new(
                    "label_from_range",
                    "from is past the lot's last item",
                    "from 超出该批次的单品数",
                ),
            ));
        }
        if rows.is_empty() {
            return Err(StoreError::conflict(
                "lot_has_no_items",
                Some("lot"),
                "this lot has no item codes yet: issue them first, or name the lot's own code to print a lot label",
                "该批次尚未发放单品码：请先发放，或直接指定批次码打印批次标签",
            ));
        }
        rows.iter().map(decode).collect()
    }

    /// The labels of the named units (canonical identifiers), in the order
    /// named. Any unit the caller neither owns nor holds (or that does not
    /// exist) makes the whole request "not found".
    pub async fn units_label_data(&self, caller: &Caller, epcs: &[String]) -> Result<Vec<LabelData>> {
        caller.require_verified_recorder()?;
        if epcs.len() > MAX_LISTED_CODES {
            return Err(too_many("code"));
        }
        let mut found = std::collections::HashMap::new();
        for chunk in epcs.chunks(400) {
            let mut ps: Vec<Val> = vec![caller.org_id.into()];
            ps.extend(chunk.iter().map(|e| Val::from(e.as_str())));
            let sql = format!(
                "SELECT {COLUMNS} {FROM} AND t.epc IN ({})",
                placeholders(2, chunk.len())
            );
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                found.insert(r.text("epc")?, r);
            }
        }
        epcs.iter()
            .map(|e| {
                found
                    .get(e)
                    .ok_or(StoreError::NotFound { what: "unit" })
                    .and_then(decode)
            })
            .collect()
    }
}

fn too_many(field: &str) -> StoreError {
    StoreError::invalid(
        field,
        Invalid::new(
            "label_too_many",
            format!("at most {MAX_LISTED_CODES} codes per request"),
            format!("每次最多 {MAX_LISTED_CODES} 个码"),
        ),
    )
}
