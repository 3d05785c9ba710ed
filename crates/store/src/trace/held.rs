//! The writes of one capture, held back and flushed in multi-row statements.
//!
//! A document of thousands of events would otherwise cost a dozen single-row
//! statements per event (the event, each unit it names, each lineage edge,
//! the log leaf and its Merkle nodes). Capture checks each event against
//! what is already stored *and* what this capture holds, so holding writes
//! back changes nothing a caller can observe: the checks that read held kinds
//! of rows either look here too ([`Held::field_records`],
//! [`Held::packed_after`], [`Held::has_event`], [`Held::has_shipment`]; the
//! holders of units capture reads once and keeps up to date itself) or flush
//! first ([`Held::touches_custody`], corrections, status changes of units).
//! Everything is flushed before the transaction commits, so the capture is
//! still all-or-nothing.

use std::collections::HashMap;

use suyuan_ledger::hash::Hash;
use uuid::Uuid;

use super::lineage::Edge;
use crate::db::{Tx, Val};
use crate::detached::DetachedSignature;
use crate::{Result, Store};

/// An event row waiting to be written.
#[derive(Debug, Clone)]
pub(crate) struct HeldEvent {
    pub pk: String,
    pub event_id: String,
    /// [`super::event_key`] of `event_id`.
    pub event_key: i64,
    pub event_type: &'static str,
    pub event_time: i64,
    pub time_zone_offset: String,
    pub record_time: i64,
    pub action: Option<&'static str>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    pub record_kind: Option<&'static str>,
    pub stage: Option<&'static str>,
    pub is_error_declaration: bool,
    /// The stored document (exactly the text the log's record hash covers).
    pub document: String,
    /// The log's hash of `document`.
    pub record_hash: Hash,
    /// The client's checked signature, if it signed the event itself.
    pub detached: Option<DetachedSignature>,
}

/// One identifier an event names, by role.
#[derive(Debug, Clone)]
pub(crate) struct HeldEpc {
    pub event: usize,
    pub role: &'static str,
    pub epc: String,
    pub quantity: Option<f64>,
    pub uom: Option<String>,
}

/// A unit an event creates, held by the capturing organisation from then on.
#[derive(Debug, Clone)]
pub(crate) struct HeldUnit {
    pub epc: String,
    pub kind: &'static str,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub serial: Option<String>,
    pub sscc: Option<String>,
    /// The lot an item belongs to.
    pub lot_epc: Option<String>,
    /// A harvested lot's plot.
    pub origin: Option<String>,
    /// The row of the event that created it.
    pub created_event: String,
    /// The recordTime of that event.
    pub created_at: i64,
}

/// A shipment recorded by a held shipping event.
#[derive(Debug, Clone)]
pub(crate) struct HeldShipment {
    pub despatch_ref: String,
    pub to_org_id: Option<Uuid>,
    pub shipped_event: String,
    pub shipped_at: i64,
}

/// A field record on a plot (for the harvest rules), stored or held.
#[derive(Debug, Clone)]
pub(crate) struct FieldRecord {
    pub record_kind: String,
    pub event_time: i64,
    pub document: String,
}

pub(crate) use suyuan_core::effects::FIELD_KINDS;

/// The writes of one capture not yet sent to the database.
#[derive(Debug, Default)]
pub(crate) struct Held {
    events: Vec<HeldEvent>,
    epcs: Vec<HeldEpc>,
    edges: Vec<(usize, Edge)>,
    /// (eventID, is error declaration) → index in `events`.
    by_id: HashMap<(String, bool), usize>,
    units: Vec<HeldUnit>,
    /// EPC → index in `units`.
    unit_index: HashMap<String, usize>,
    shipments: Vec<HeldShipment>,
}

impl Held {
    /// Holds an event and what it names; returns its index for its edges.
    pub fn push(&mut self, event: HeldEvent, epcs: impl IntoIterator<Item = HeldEpc>) -> usize {
        let i = self.events.len();
        self.by_id
            .insert((event.event_id.clone(), event.is_error_declaration), i);
        self.events.push(event);
        self.epcs.extend(epcs.into_iter().map(|mut e| {
            e.event = i;
            e
        }));
        i
    }

    pub fn push_edges(&mut self, event: usize, edges: Vec<Edge>) {
        self.edges.extend(edges.into_iter().map(|e| (event, e)));
    }

    /// Holds a unit an event creates. A unit created twice keeps its first
    /// event and its last known origin (as the stored row would).
    pub fn push_unit(&mut self, unit: HeldUnit) {
        match self.unit_index.get(&unit.epc) {
            Some(&i) => {
                let held = &mut self.units[i];
                if unit.origin.is_some() {
                    held.origin = unit.origin;
                }
            }
            None => {
                self.unit_index.insert(unit.epc.clone(), self.units.len());
                self.units.push(unit);
            }
        }
    }

    /// Whether units are held (flushed before their rows are changed).
    pub fn push_shipment(&mut self, shipment: HeldShipment) {
        self.shipments.push(shipment);
    }

    /// Whether a held shipment has this despatch reference.
    pub fn has_shipment(&self, despatch_ref: &str) -> bool {
        self.shipments.iter().any(|s| s.despatch_ref == despatch_ref)
    }

    /// Whether this capture holds an event with this eventID.
    pub fn has_event(&self, event_id: &str, is_error_declaration: bool) -> bool {
        self.by_id
            .contains_key(&(event_id.to_owned(), is_error_declaration))
    }

    /// Planting records held for a plot (all are the capturing
    /// organisation's and none is corrected: a correction flushes first).
    pub fn field_records<'a>(&'a self, plot: &'a str) -> impl Iterator<Item = FieldRecord> + 'a {
        self.events
            .iter()
            .filter(move |e| {
                e.biz_location.as_deref() == Some(plot)
                    && e.record_kind.is_some_and(|k| FIELD_KINDS.contains(&k))
                    && !e.is_error_declaration
            })
            .map(|e| FieldRecord {
                record_kind: e.record_kind.unwrap_or_default().to_owned(),
                event_time: e.event_time,
                document: e.document.clone(),
            })
    }

    /// Harvests held for a plot at or after `time`: (time, lots harvested).
    pub fn harvests_since(&self, plot: &str, time: i64) -> Vec<(i64, Vec<String>)> {
        let mut out: Vec<(i64, Vec<String>)> = Vec::new();
        for x in &self.epcs {
            let e = &self.events[x.event];
            if e.record_kind == Some("harvest")
                && e.biz_location.as_deref() == Some(plot)
                && e.event_time >= time
                && !e.is_error_declaration
            {
                match out.iter_mut().find(|h| h.0 == e.event_time) {
                    Some(h) => h.1.push(x.epc.clone()),
                    None => out.push((e.event_time, vec![x.epc.clone()])),
                }
            }
        }
        out
    }

    /// Whether a held packing record names `epc` later than `time`.
    pub fn packed_after(&self, epc: &str, time: i64) -> bool {
        self.epcs.iter().any(|x| {
            let e = &self.events[x.event];
            x.epc == epc && e.record_kind == Some("packing") && e.event_time > time && !e.is_error_declaration
        })
    }

    /// Whether anything held bears on custody (a shipment's contents or
    /// what is packed in what): receipts read those from the database, so
    /// they flush first when this is true.
    pub fn touches_custody(&self) -> bool {
        !self.edges.is_empty() || !self.shipments.is_empty() || !self.units.is_empty()
    }
}

impl Store {
    /// Writes everything held, in order: events, the identifiers they name,
    /// lineage edges, units, shipments, then the log leaves.
    pub(crate) async fn flush_held(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        capture_id: Uuid,
        held: &mut Held,
    ) -> Result<()> {
        if held.events.is_empty() && held.units.is_empty() && held.shipments.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(held);
        // One signature for the capture's records (a batch root).
        let records: Vec<(Hash, Option<&DetachedSignature>)> = held
            .events
            .iter()
            .map(|e| (e.record_hash, e.detached.as_ref()))
            .collect();
        let signatures = self.sign_events(tx, org_id, &records).await?;
        let org: Val = org_id.into();
        let capture: Val = capture_id.into();
        // Rows go in in the order of a random key they carry (eventID, EPC,
        // upstream unit): that index is then walked once from left to right
        // instead of being written on random pages. The log keeps the
        // capture's order.
        let mut events: Vec<&HeldEvent> = held.events.iter().collect();
        events.sort_unstable_by(|a, b| a.event_id.cmp(&b.event_id));
        let mut values: Vec<Val> = Vec::with_capacity(held.events.len() * 18);
        for e in events {
            values.extend([
                e.pk.as_str().into(),
                e.event_id.as_str().into(),
                e.event_key.into(),
                org.clone(),
                capture.clone(),
                e.event_type.into(),
                e.event_time.into(),
                e.time_zone_offset.as_str().into(),
                e.record_time.into(),
                e.action.into(),
                e.biz_step.clone().into(),
                e.disposition.clone().into(),
                e.read_point.clone().into(),
                e.biz_location.clone().into(),
                e.record_kind.into(),
                e.stage.into(),
                e.is_error_declaration.into(),
                e.document.as_str().into(),
            ]);
        }
        tx.insert_rows(
            "INSERT INTO events (id, event_id, event_key, org_id, capture_id, event_type, event_time, time_zone_offset, \
             record_time, action, biz_step, disposition, read_point, biz_location, record_kind, stage, \
             is_error_declaration, document)",
            18,
            &values,
            "",
        )
        .await?;
        if !held.epcs.is_empty() {
            let mut epcs: Vec<&HeldEpc> = held.epcs.iter().collect();
            epcs.sort_unstable_by(|a, b| a.epc.cmp(&b.epc));
            let mut values: Vec<Val> = Vec::with_capacity(held.epcs.len() * 5);
            for x in epcs {
                values.extend([
                    held.events[x.event].pk.as_str().into(),
                    x.role.into(),
                    x.epc.as_str().into(),
                    x.quantity.into(),
                    x.uom.clone().into(),
                ]);
            }
            tx.insert_rows(
                "INSERT INTO event_epcs (event_pk, role, epc, quantity, uom)",
                5,
                &values,
                "ON CONFLICT DO NOTHING",
            )
            .await?;
        }
        if !held.edges.is_empty() {
            let mut edges: Vec<&(usize, Edge)> = held.edges.iter().collect();
            edges.sort_unstable_by(|a, b| a.1.upstream.cmp(&b.1.upstream));
            let mut values: Vec<Val> = Vec::with_capacity(held.edges.len() * 5);
            for (i, e) in edges {
                values.extend([
                    e.upstream.as_str().into(),
                    e.downstream.as_str().into(),
                    e.relation.into(),
                    held.events[*i].pk.as_str().into(),
                    held.events[*i].event_id.as_str().into(),
                ]);
            }
            tx.insert_rows(
                "INSERT INTO lineage (upstream, downstream, relation, event_pk, event_id)",
                5,
                &values,
                "ON CONFLICT DO NOTHING",
            )
            .await?;
        }
        if !held.units.is_empty() {
            let mut units: Vec<&HeldUnit> = held.units.iter().collect();
            units.sort_unstable_by(|a, b| a.epc.cmp(&b.epc));
            let mut values: Vec<Val> = Vec::with_capacity(units.len() * 15);
            for u in units {
                values.extend([
                    super::unit_id(&u.epc).into(),
                    u.epc.as_str().into(),
                    u.kind.into(),
                    u.gtin.clone().into(),
                    u.batch.clone().into(),
                    u.serial.clone().into(),
                    u.sscc.clone().into(),
                    org.clone(),
                    org.clone(),
                    "active".into(),
                    u.origin.clone().into(),
                    u.created_event.as_str().into(),
                    u.created_at.into(),
                    u.lot_epc.clone().into(),
                ]);
            }
            // A unit allocated beforehand (by code issue) is the caller's:
            // capture checked that. It gains its creating event and origin.
            tx.insert_rows(
                "INSERT INTO units (id, epc, kind, gtin, batch, serial, sscc, owner_org_id, holder_org_id, status, \
                 origin_place, created_event, created_at, lot_epc)",
                14,
                &values,
                "ON CONFLICT (epc) DO UPDATE SET created_event = COALESCE(units.created_event, excluded.created_event), \
                 origin_place = COALESCE(excluded.origin_place, units.origin_place)",
            )
            .await?;
        }
        if !held.shipments.is_empty() {
            let mut values: Vec<Val> = Vec::with_capacity(held.shipments.len() * 5);
            for s in &held.shipments {
                values.extend([
                    s.despatch_ref.as_str().into(),
                    org.clone(),
                    s.to_org_id.into(),
                    s.shipped_event.as_str().into(),
                    s.shipped_at.into(),
                ]);
            }
            tx.insert_rows(
                "INSERT INTO shipments (despatch_ref, from_org_id, to_org_id, shipped_event, shipped_at)",
                5,
                &values,
                "",
            )
            .await?;
        }
        let leaves: Vec<(&str, &str, i64)> = held
            .events
            .iter()
            .map(|e| (e.event_id.as_str(), e.pk.as_str(), e.record_time))
            .collect();
        self.log_events(tx, org_id, &leaves, &signatures).await
    }
}
