//! The derived state a replay builds, in memory, by applying the effects of
//! each logged record in log order: units with their holder and status,
//! the lineage edges that carry status and custody, shipments, the plots'
//! planting and harvest records the harvest rules look back on, and the
//! names of organisations (a failed test names its agency).

use std::collections::{HashMap, HashSet};

use suyuan_core::effects::{relation, Edge, Effect, SeasonRecord};
use uuid::Uuid;

use crate::trace::capture::{lot_of, split_gs1};

/// A unit as `units` should hold it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct UnitState {
    pub kind: String,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub serial: Option<String>,
    pub sscc: Option<String>,
    pub owner: Uuid,
    pub holder: Uuid,
    pub non_conformant: bool,
    pub reason: Option<String>,
    pub reason_zh: Option<String>,
    pub origin: Option<String>,
    pub created_event: Option<String>,
    pub created_at: i64,
    pub lot_epc: Option<String>,
}

impl UnitState {
    /// A unit created by an event, an allocation or an item issue.
    pub(super) fn new(epc: &str, org: Uuid, created_at: i64) -> Self {
        let (kind, gtin, batch, serial, sscc) = split_gs1(epc);
        let lot_epc = lot_of(kind, gtin.as_deref(), batch.as_deref());
        UnitState {
            kind: kind.to_owned(),
            gtin,
            batch,
            serial,
            sscc,
            owner: org,
            holder: org,
            non_conformant: false,
            reason: None,
            reason_zh: None,
            origin: None,
            created_event: None,
            created_at,
            lot_epc,
        }
    }
}

/// A shipment as `shipments` should hold it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ShipmentState {
    pub from: Uuid,
    pub to: Option<Uuid>,
    pub shipped_event: String,
    pub shipped_at: i64,
    pub received: Option<(String, i64)>,
}

/// A planting or harvest record of a plot.
#[derive(Debug, Clone)]
pub(super) struct PlotRecord {
    pub org: Uuid,
    pub event_id: String,
    pub corrected: bool,
    pub season: SeasonRecord,
    /// A harvest's identifiers (every role).
    pub lots: Vec<String>,
}

/// The state a replay has built so far.
#[derive(Default)]
pub(super) struct State {
    pub units: HashMap<String, UnitState>,
    /// Items by their lot (`units.lot_epc`).
    pub items_of: HashMap<String, Vec<String>>,
    /// What is made of a unit (packed, transformed, split), one level down.
    pub made_of: HashMap<String, Vec<String>>,
    /// What is packed in a unit, one level down.
    pub packed_in: HashMap<String, Vec<String>>,
    pub shipments: HashMap<String, ShipmentState>,
    /// Planting and harvest records by plot.
    pub plots: HashMap<String, Vec<PlotRecord>>,
    /// Organisations' registered names, as of the record being replayed.
    pub names: HashMap<Uuid, String>,
}

impl State {
    pub(super) fn is_non_conformant(&self, epc: &str) -> bool {
        self.units.get(epc).is_some_and(|u| u.non_conformant)
    }

    /// Registers a unit (or, if it exists, gives it its creating event and
    /// origin), as capture's insert does.
    pub(super) fn register(&mut self, epc: &str, org: Uuid, origin: Option<String>, pk: &str, at: i64) {
        match self.units.get_mut(epc) {
            Some(u) => {
                u.created_event.get_or_insert_with(|| pk.to_owned());
                if origin.is_some() {
                    u.origin = origin;
                }
            }
            None => {
                let mut u = UnitState::new(epc, org, at);
                u.origin = origin;
                u.created_event = Some(pk.to_owned());
                self.insert(epc, u);
            }
        }
    }

    pub(super) fn insert(&mut self, epc: &str, u: UnitState) {
        if let Some(lot) = &u.lot_epc {
            self.items_of.entry(lot.clone()).or_default().push(epc.to_owned());
        }
        self.units.insert(epc.to_owned(), u);
    }

    /// `seed` and everything made of it, all levels down.
    fn downstream(&self, seed: &str) -> Vec<String> {
        let mut seen: HashSet<&str> = HashSet::from([seed]);
        let mut out = vec![seed.to_owned()];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i].clone();
            let next = self
                .items_of
                .get(&cur)
                .into_iter()
                .chain(self.made_of.get(&cur))
                .flatten();
            for d in next {
                if seen.insert(d.as_str()) {
                    out.push(d.clone());
                }
            }
            i += 1;
        }
        out
    }

    /// Applies one effect of the event `pk` recorded by `org`. Returns the
    /// lineage edge to store with the event, if it adds one.
    pub(super) fn apply(&mut self, effect: Effect, org: Uuid, pk: &str, record_time: i64) -> Option<Edge> {
        match effect {
            Effect::Register { epc, origin } => self.register(&epc, org, origin, pk, record_time),
            Effect::NonConformant { epc, en, zh } => {
                for d in self.downstream(&epc) {
                    if let Some(u) = self.units.get_mut(&d) {
                        u.non_conformant = true;
                        u.reason = Some(match u.reason.take() {
                            None => en.clone(),
                            Some(r) => format!("{r}; {en}"),
                        });
                        u.reason_zh = Some(match u.reason_zh.take() {
                            None => zh.clone(),
                            Some(r) => format!("{r}；{zh}"),
                        });
                    }
                }
            }
            Effect::Edge(e) => {
                if relation::MADE_OF.contains(&e.relation) {
                    self.made_of
                        .entry(e.upstream.clone())
                        .or_default()
                        .push(e.downstream.clone());
                }
                if e.relation == relation::PACKED {
                    self.packed_in
                        .entry(e.downstream.clone())
                        .or_default()
                        .push(e.upstream.clone());
                }
                return Some(e);
            }
            Effect::Ship {
                despatch,
                to_org,
                shipped_at,
            } => {
                self.shipments.insert(
                    despatch,
                    ShipmentState {
                        from: org,
                        to: to_org,
                        shipped_event: pk.to_owned(),
                        shipped_at,
                        received: None,
                    },
                );
            }
            Effect::Receive {
                despatch,
                received_at,
                units,
            } => {
                if let Some(s) = self.shipments.get_mut(&despatch) {
                    s.received = Some((pk.to_owned(), received_at));
                    s.to = Some(org);
                }
                // The units received and everything packed in them.
                let mut moving: Vec<String> = units;
                let mut seen: HashSet<String> = moving.iter().cloned().collect();
                let mut i = 0;
                while i < moving.len() {
                    for c in self.packed_in.get(&moving[i]).into_iter().flatten() {
                        if seen.insert(c.clone()) {
                            moving.push(c.clone());
                        }
                    }
                    i += 1;
                }
                for epc in moving {
                    if let Some(u) = self.units.get_mut(&epc) {
                        u.holder = org;
                    }
                }
            }
            // Entrustments are compared per event by the caller.
            Effect::Entrust { .. } => {}
        }
        None
    }
}
