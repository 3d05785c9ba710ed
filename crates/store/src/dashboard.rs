//! What an organisation's console shows at a glance: its latest records, the
//! shipments on their way to it, its lots that need attention, how many item
//! codes it issued and how often consumers scanned them, and the partners it
//! can name as a shipment's or a sample's destination.
//!
//! Every query is scoped to the caller's organisation (a shipment is the
//! receiver's to see only when it is addressed to it), like the rest of the
//! store; the console adds no access rule of its own.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::orgs::ts;
use crate::trace::units::{decode_unit, Unit, UNIT_COLUMNS};
use crate::{params, Caller, Result, Store, StoreError};

/// One of the organisation's stored events, summarised.
#[derive(Debug, Clone)]
pub struct RecentEvent {
    pub event_id: String,
    pub event_type: String,
    pub event_time: DateTime<Utc>,
    pub time_zone_offset: String,
    pub biz_step: Option<String>,
    pub record_kind: Option<String>,
    pub biz_location: Option<String>,
    /// This row is an error declaration (a correction of an earlier event).
    pub is_error_declaration: bool,
    /// An error declaration corrected this event.
    pub corrected: bool,
}

/// A shipment addressed to the caller's organisation and not yet received.
#[derive(Debug, Clone)]
pub struct IncomingShipment {
    pub despatch_ref: String,
    pub from_org_id: Uuid,
    pub from_org_name: String,
    pub shipped_at: DateTime<Utc>,
    /// The shipping event's `epcList` (instances: items, pallets).
    pub epcs: Vec<String>,
    /// The shipping event's `quantityList` (lots with quantities).
    pub quantities: Vec<Value>,
}

/// Item codes the organisation issued and their public scans.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeCounts {
    pub items: i64,
    /// Items scanned at least once.
    pub scanned_items: i64,
    /// Scans of all its items (once per client and day).
    pub scans: i64,
}

/// An organisation a record can name as its destination.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

impl Store {
    /// The caller's organisation's latest `limit` events, by when they
    /// happened (read backwards along the `(org_id, event_time)` index, so
    /// the cost does not grow with the organisation's history).
    pub async fn recent_events(&self, caller: &Caller, limit: u32) -> Result<Vec<RecentEvent>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT event_id, event_type, event_time, time_zone_offset, biz_step, record_kind, biz_location, \
                 is_error_declaration, corrected_by FROM events WHERE org_id = $1 \
                 ORDER BY event_time DESC LIMIT $2",
                &params![caller.org_id, i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RecentEvent {
                    event_id: r.text("event_id")?,
                    event_type: r.text("event_type")?,
                    event_time: ts(r.int("event_time")?),
                    time_zone_offset: r.text("time_zone_offset")?,
                    biz_step: r.opt_text("biz_step")?,
                    record_kind: r.opt_text("record_kind")?,
                    biz_location: r.opt_text("biz_location")?,
                    is_error_declaration: r.bool("is_error_declaration")?,
                    corrected: r.opt_text("corrected_by")?.is_some(),
                })
            })
            .collect()
    }

    /// Shipments addressed to the caller's organisation that it has not
    /// received yet, oldest first, with the units each carries.
    pub async fn incoming_shipments(&self, caller: &Caller) -> Result<Vec<IncomingShipment>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT s.despatch_ref, s.from_org_id, o.name, s.shipped_at, e.document \
                 FROM shipments s JOIN organisations o ON o.id = s.from_org_id \
                 LEFT JOIN events e ON e.id = s.shipped_event \
                 WHERE s.to_org_id = $1 AND s.received_event IS NULL ORDER BY s.shipped_at LIMIT 200",
                &params![caller.org_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let doc: Value = match r.opt_text("document")? {
                    Some(d) => serde_json::from_str(&d).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    None => Value::Null,
                };
                let list = |k: &str| doc.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
                Ok(IncomingShipment {
                    despatch_ref: r.text("despatch_ref")?,
                    from_org_id: r.uuid("from_org_id")?,
                    from_org_name: r.text("name")?,
                    shipped_at: ts(r.int("shipped_at")?),
                    epcs: list("epcList")
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    quantities: list("quantityList"),
                })
            })
            .collect()
    }

    /// The caller's lots (held or owned) that are not active: non-conformant
    /// after a failed test or a pre-harvest interval not kept, recalled …;
    /// the latest first.
    pub async fn lots_needing_attention(&self, caller: &Caller, limit: u32) -> Result<Vec<Unit>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {UNIT_COLUMNS} FROM units t WHERE t.kind = 'lot' AND t.status <> 'active' \
                     AND (t.holder_org_id = $1 OR t.owner_org_id = $1) ORDER BY t.created_at DESC LIMIT $2"
                ),
                &params![caller.org_id, i64::from(limit)],
            )
            .await?;
        rows.iter().map(decode_unit).collect()
    }

    /// How many item codes the caller's organisation issued (from its
    /// logged issues, one row per issue, not one per item), how many of
    /// them consumers scanned, and how many scans they had (its totals, kept
    /// as scans are counted: one row, whatever the number of its items).
    pub async fn code_counts(&self, caller: &Caller) -> Result<CodeCounts> {
        let issued = self
            .db
            .conn()
            .fetch_optional(
                "SELECT CAST(COALESCE(SUM(item_count), 0) AS BIGINT) AS items FROM item_issues WHERE org_id = $1",
                &params![caller.org_id],
            )
            .await?;
        let scanned = self
            .db
            .conn()
            .fetch_optional(
                "SELECT scanned_items AS scanned, scans FROM scan_totals WHERE org_id = $1",
                &params![caller.org_id],
            )
            .await?;
        Ok(CodeCounts {
            items: issued.map(|r| r.int("items")).transpose()?.unwrap_or(0),
            scanned_items: scanned
                .as_ref()
                .map(|r| r.int("scanned"))
                .transpose()?
                .unwrap_or(0),
            scans: scanned.as_ref().map(|r| r.int("scans")).transpose()?.unwrap_or(0),
        })
    }

    /// The verified organisations other than the caller's (and the platform
    /// operator) that a record may name as its destination, by name.
    pub async fn partners(&self, caller: &Caller) -> Result<Vec<Partner>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT id, name, kind FROM organisations WHERE status = 'verified' AND id <> $1 \
                 AND kind <> 'platform_operator' ORDER BY name LIMIT 500",
                &params![caller.org_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Partner {
                    id: r.uuid("id")?,
                    name: r.text("name")?,
                    kind: r.text("kind")?,
                })
            })
            .collect()
    }
}
