//! The derived state a replay builds, in memory, by applying the effects of
//! each logged record in log order: units with their holder and status,
//! the lineage edges that carry status and custody, shipments, the plots'
//! planting and harvest records the harvest rules look back on, and the
//! names of organisations (a failed test names its agency).
//!
//! Kept small ([`super::compact`]): a unit is its identifier, kept once and
//! numbered, and what the log alone decides about it (owner, holder,
//! status, origin, creating event, time); the columns its identifier gives
//! (kind, GTIN, batch, serial, SSCC, lot) are worked out again when it is
//! compared. Memory is then a few dozen bytes a unit, edge and record.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use suyuan_core::effects::{relation, Edge, Effect};
use suyuan_core::stages::RecordKind;
use uuid::Uuid;

use super::compact::{Interned, Key, Links, Orgs, NONE};
use crate::trace::capture::{lot_of, split_gs1};

/// Why a unit is non-conformant, in English and Chinese.
#[derive(Debug, PartialEq)]
pub(super) struct Reason {
    pub en: String,
    pub zh: String,
}

/// A unit as the log gives it: what its identifier does not say.
#[derive(Debug, Clone)]
pub(super) struct Unit {
    pub owner: u32,
    pub holder: u32,
    /// An issued item's lot (the lot it was issued from), or [`NONE`]: its
    /// lot is then the one its identifier names.
    pub lot: u32,
    /// An issued item whose lot was known when it was issued: its GTIN and
    /// batch are the lot's.
    pub of_known_lot: bool,
    pub created_at: i64,
    pub created_event: Option<Key>,
    pub origin: Option<Arc<str>>,
    /// Non-conformant, and why; `None` while active.
    pub status: Option<Arc<Reason>>,
}

/// The columns of `units` a unit's identifier (and its lot's) gives.
pub(super) struct Parts {
    pub kind: &'static str,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub serial: Option<String>,
    pub sscc: Option<String>,
    pub lot_epc: Option<String>,
}

/// A shipment as `shipments` should hold it.
#[derive(Debug, Clone)]
pub(super) struct ShipmentState {
    pub from: u32,
    pub to: Option<u32>,
    pub shipped_event: Key,
    pub shipped_at: i64,
    pub received: Option<(Key, i64)>,
}

/// A planting or harvest record of a plot.
#[derive(Debug, Clone)]
pub(super) struct PlotRecord {
    pub org: u32,
    pub event_id: Key,
    pub corrected: bool,
    pub kind: RecordKind,
    pub event_time: i64,
    pub input_lot: Option<Arc<str>>,
    pub phi_days: Option<f64>,
    pub registration: Option<Arc<str>>,
    /// A harvest's identifiers (every role).
    pub lots: Box<[u32]>,
}

/// The state a replay has built so far.
#[derive(Default)]
pub(super) struct State {
    /// Every identifier met, numbered.
    pub epcs: Interned,
    /// Units by the number of their identifier.
    units: Vec<Option<Unit>>,
    unit_count: usize,
    pub orgs: Orgs,
    /// Items by their lot.
    items_of: Links,
    /// What is made of a unit (packed, transformed, split), one level down.
    made_of: Links,
    /// What is packed in a unit, one level down.
    packed_in: Links,
    pub shipments: HashMap<Box<str>, ShipmentState>,
    /// Planting and harvest records by plot.
    pub plots: HashMap<Box<str>, Vec<PlotRecord>>,
    /// Organisations' registered names, as of the record being replayed.
    pub names: HashMap<Uuid, String>,
    /// Texts many records share (places, input lots, registrations), once.
    shared: HashSet<Arc<str>>,
}

impl State {
    /// How many units the log gives.
    pub(super) fn unit_count(&self) -> usize {
        self.unit_count
    }

    /// The unit numbered `id`, if there is one.
    pub(super) fn unit(&self, id: u32) -> Option<&Unit> {
        self.units.get(id as usize)?.as_ref()
    }

    /// The unit identified `epc`, if there is one.
    pub(super) fn unit_of(&self, epc: &str) -> Option<&Unit> {
        self.unit(self.epcs.get(epc)?)
    }

    fn unit_mut(&mut self, id: u32) -> Option<&mut Unit> {
        self.units.get_mut(id as usize)?.as_mut()
    }

    /// Every unit, by the number of its identifier.
    pub(super) fn units(&self) -> impl Iterator<Item = (u32, &Unit)> {
        self.units
            .iter()
            .enumerate()
            .filter_map(|(i, u)| Some((i as u32, u.as_ref()?)))
    }

    /// `s`, shared with every other record naming it.
    pub(super) fn share(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.shared.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        self.shared.insert(a.clone());
        a
    }

    pub(super) fn is_non_conformant(&self, epc: &str) -> bool {
        self.unit_of(epc).is_some_and(|u| u.status.is_some())
    }

    /// The columns the identifier of unit `id` gives, with its lot's.
    pub(super) fn parts(&self, id: u32, u: &Unit) -> Parts {
        let (kind, mut gtin, mut batch, serial, sscc) = split_gs1(self.epcs.text(id));
        if u.of_known_lot {
            let (_, lot_gtin, lot_batch, _, _) = split_gs1(self.epcs.text(u.lot));
            (gtin, batch) = (lot_gtin, lot_batch);
        }
        let lot_epc = match u.lot {
            NONE => lot_of(kind, gtin.as_deref(), batch.as_deref()),
            lot => Some(self.epcs.text(lot).to_owned()),
        };
        Parts {
            kind,
            gtin,
            batch,
            serial,
            sscc,
            lot_epc,
        }
    }

    /// A new unit of `org`, made at `at`.
    pub(super) fn new_unit(&mut self, org: Uuid, at: i64) -> Unit {
        let org = self.orgs.id(org);
        Unit {
            owner: org,
            holder: org,
            lot: NONE,
            of_known_lot: false,
            created_at: at,
            created_event: None,
            origin: None,
            status: None,
        }
    }

    /// Registers a unit (or, if it exists, gives it its creating event and
    /// origin), as capture's insert does.
    pub(super) fn register(&mut self, epc: &str, org: Uuid, origin: Option<String>, pk: &str, at: i64) {
        let origin = origin.map(|o| self.share(&o));
        let id = self.epcs.intern(epc);
        match self.unit_mut(id) {
            Some(u) => {
                u.created_event.get_or_insert_with(|| Key::new(pk));
                if origin.is_some() {
                    u.origin = origin;
                }
            }
            None => {
                let mut u = self.new_unit(org, at);
                u.origin = origin;
                u.created_event = Some(Key::new(pk));
                self.insert(id, u);
            }
        }
    }

    /// A unit allocated before any event named it (or, if it exists, given
    /// the allocation's time and, if it has none, its origin).
    pub(super) fn allocate(&mut self, epc: &str, org: Uuid, origin: Option<String>, at: i64) {
        let origin = origin.map(|o| self.share(&o));
        let id = self.epcs.intern(epc);
        match self.unit_mut(id) {
            Some(u) => {
                u.created_at = at;
                if u.origin.is_none() {
                    u.origin = origin;
                }
            }
            None => {
                let mut u = self.new_unit(org, at);
                u.origin = origin;
                self.insert(id, u);
            }
        }
    }

    /// Items issued from `lot`: each the lot's, non-conformant with it.
    pub(super) fn issue(&mut self, lot: &str, org: Uuid, at: i64, items: &[&str]) {
        let lot = self.epcs.intern(lot);
        let lot_status = self.unit(lot).map(|l| l.status.clone());
        for epc in items {
            let id = self.epcs.intern(epc);
            let mut u = self.new_unit(org, at);
            u.lot = lot;
            if let Some(status) = &lot_status {
                u.of_known_lot = true;
                u.status = status.clone();
            }
            self.insert(id, u);
        }
    }

    /// Stores unit `id`, filed under its lot.
    fn insert(&mut self, id: u32, u: Unit) {
        let lot = match u.lot {
            NONE => {
                let (kind, gtin, batch, _, _) = split_gs1(self.epcs.text(id));
                lot_of(kind, gtin.as_deref(), batch.as_deref()).map(|l| self.epcs.intern(&l))
            }
            lot => Some(lot),
        };
        if let Some(lot) = lot {
            self.items_of.push(lot, id);
        }
        let at = id as usize;
        if self.units.len() <= at {
            self.units.resize_with(at + 1, || None);
        }
        if self.units[at].replace(u).is_none() {
            self.unit_count += 1;
        }
    }

    /// `seed` and everything made of it, all levels down.
    fn downstream(&self, seed: &str) -> Vec<u32> {
        let Some(seed) = self.epcs.get(seed) else {
            return Vec::new();
        };
        let mut seen: HashSet<u32> = HashSet::from([seed]);
        let mut out = vec![seed];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i];
            for d in self.items_of.of(cur).chain(self.made_of.of(cur)) {
                if seen.insert(d) {
                    out.push(d);
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
            Effect::NonConformant { epc, en, zh } => self.non_conformant(&epc, en, zh),
            Effect::Edge(e) => {
                if relation::MADE_OF.contains(&e.relation) {
                    let (up, down) = (self.epcs.intern(&e.upstream), self.epcs.intern(&e.downstream));
                    self.made_of.push(up, down);
                }
                if e.relation == relation::PACKED {
                    let (up, down) = (self.epcs.intern(&e.upstream), self.epcs.intern(&e.downstream));
                    self.packed_in.push(down, up);
                }
                return Some(e);
            }
            Effect::Ship {
                despatch,
                to_org,
                shipped_at,
            } => {
                let ship = ShipmentState {
                    from: self.orgs.id(org),
                    to: to_org.map(|o| self.orgs.id(o)),
                    shipped_event: Key::new(pk),
                    shipped_at,
                    received: None,
                };
                self.shipments.insert(despatch.into(), ship);
            }
            Effect::Receive {
                despatch,
                received_at,
                units,
            } => self.receive(&despatch, org, pk, received_at, &units),
            // Entrustments are compared per event by the caller.
            Effect::Entrust { .. } => {}
        }
        None
    }

    /// `epc` and everything made of it become non-conformant, for the
    /// reason given (added to any they had).
    fn non_conformant(&mut self, epc: &str, en: String, zh: String) {
        let fresh = Arc::new(Reason { en, zh });
        for d in self.downstream(epc) {
            if let Some(u) = self.unit_mut(d) {
                u.status = Some(match u.status.take() {
                    None => fresh.clone(),
                    Some(r) => Arc::new(Reason {
                        en: format!("{}; {}", r.en, fresh.en),
                        zh: format!("{}；{}", r.zh, fresh.zh),
                    }),
                });
            }
        }
    }

    /// A receipt of `despatch` by `org`: the shipment received, and the
    /// units received and everything packed in them held by `org`.
    fn receive(&mut self, despatch: &str, org: Uuid, pk: &str, received_at: i64, units: &[String]) {
        let org = self.orgs.id(org);
        if let Some(s) = self.shipments.get_mut(despatch) {
            s.received = Some((Key::new(pk), received_at));
            s.to = Some(org);
        }
        let mut moving: Vec<u32> = units.iter().filter_map(|u| self.epcs.get(u)).collect();
        let mut seen: HashSet<u32> = moving.iter().copied().collect();
        let mut i = 0;
        while i < moving.len() {
            for c in self.packed_in.of(moving[i]) {
                if seen.insert(c) {
                    moving.push(c);
                }
            }
            i += 1;
        }
        for id in moving {
            if let Some(u) = self.unit_mut(id) {
                u.holder = org;
            }
        }
    }
}
