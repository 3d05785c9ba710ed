//! A trace as rows for a sortable spreadsheet (in the style of FSMA 204's
//! electronic sortable spreadsheet): one row per event and unit it names —
//! the unit (trace code, GTIN, lot), the product, quantity and unit, the
//! place (name and GLN), the time, the business step and record kind, the
//! organisation that recorded it and the other side of a hand-over, and the
//! despatch advice it belongs to.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use utoipa::ToSchema;

use super::report::TraceReport;
use crate::{Result, Store};

/// A unit an event names, with its quantity and unit of measure.
type Named = (String, Option<f64>, Option<String>);

/// One row: an event and one unit it names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraceRow {
    pub epc: String,
    pub gtin: Option<String>,
    pub lot: Option<String>,
    pub product_name: Option<String>,
    pub quantity: Option<f64>,
    pub uom: Option<String>,
    pub place_name: Option<String>,
    pub place_gln: Option<String>,
    /// RFC 3339, UTC.
    pub event_time: String,
    pub biz_step: Option<String>,
    pub record_kind: Option<String>,
    pub recorded_by: String,
    /// The other side of a shipment or receipt.
    pub other_party: Option<String>,
    pub despatch_ref: Option<String>,
    pub event_id: String,
}

impl Store {
    /// The rows of a trace report (see the module doc), in event time order.
    pub async fn trace_rows(&self, report: &TraceReport) -> Result<Vec<TraceRow>> {
        let ids: Vec<String> = report.events.iter().map(|e| e.event_id.clone()).collect();
        let in_report: BTreeSet<&str> = report.units.iter().map(|u| u.reached.epc.as_str()).collect();
        let products: BTreeMap<&str, &str> = report
            .units
            .iter()
            .filter_map(|u| Some((u.reached.epc.as_str(), u.product_name.as_deref()?)))
            .collect();
        // Units each event names, with their quantities.
        let mut named: BTreeMap<String, Vec<Named>> = BTreeMap::new();
        self.for_rows_in(
            "SELECT e.event_id, x.epc, x.quantity, x.uom FROM events e JOIN event_epcs x ON x.event_pk = e.id \
             WHERE e.is_error_declaration = FALSE AND e.event_id",
            &ids,
            |r| {
                named.entry(r.text("event_id")?).or_default().push((
                    r.text("epc")?,
                    r.opt_float("quantity")?,
                    r.opt_text("uom")?,
                ));
                Ok(())
            },
        )
        .await?;
        // Hand-overs: the despatch advice and the other side.
        let mut handovers: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        self.for_rows_in(
            "SELECT e.event_id, s.despatch_ref, s.shipped_event = e.id AS shipped, f.name AS from_name, t.name AS to_name \
             FROM events e JOIN shipments s ON (s.shipped_event = e.id OR s.received_event = e.id) \
             JOIN organisations f ON f.id = s.from_org_id LEFT JOIN organisations t ON t.id = s.to_org_id \
             WHERE e.event_id",
            &ids,
            |r| {
                let other = if r.bool("shipped")? { r.opt_text("to_name")? } else { r.opt_text("from_name")? };
                handovers.insert(r.text("event_id")?, (r.text("despatch_ref")?, other));
                Ok(())
            },
        )
        .await?;
        let places: Vec<String> = report
            .events
            .iter()
            .filter_map(|e| e.biz_location.clone())
            .collect();
        let mut glns: BTreeMap<String, String> = BTreeMap::new();
        for uri in places.iter().collect::<BTreeSet<_>>() {
            if let Some(p) = self.place_by_uri(uri).await? {
                if let Some(g) = p.gln {
                    glns.insert(uri.clone(), g);
                }
            }
        }
        let mut rows = Vec::new();
        for e in &report.events {
            let handover = handovers.get(&e.event_id);
            for (epc, quantity, uom) in named.get(&e.event_id).into_iter().flatten() {
                if !in_report.contains(epc.as_str()) {
                    continue;
                }
                let unit = suyuan_core::codes::trace::TraceUnit::parse_any(epc).ok();
                rows.push(TraceRow {
                    epc: epc.clone(),
                    gtin: unit
                        .as_ref()
                        .and_then(|u| u.gtin().map(|g| g.as_str().to_owned())),
                    lot: unit.as_ref().and_then(|u| u.batch().map(str::to_owned)),
                    product_name: products.get(epc.as_str()).map(|s| (*s).to_owned()),
                    quantity: *quantity,
                    uom: uom.clone(),
                    place_name: e.place_name.clone(),
                    place_gln: e.biz_location.as_ref().and_then(|b| glns.get(b).cloned()),
                    event_time: e.event_time.to_rfc3339(),
                    biz_step: e.biz_step.clone(),
                    record_kind: e.record_kind.clone(),
                    recorded_by: e.org_name.clone(),
                    other_party: handover.and_then(|h| h.1.clone()),
                    despatch_ref: handover.map(|h| h.0.clone()),
                    event_id: e.event_id.clone(),
                });
            }
        }
        Ok(rows)
    }
}
