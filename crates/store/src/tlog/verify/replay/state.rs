//! The derived state a replay builds by applying the effects of each logged
//! record in log order: units with their holder and status, the lineage
//! edges that carry status and custody, shipments, the plots' planting and
//! harvest records the harvest rules look back on, the organisation of
//! each registered place (a shipment may be addressed to one), and the
//! names of organisations (a failed test names its agency).
//!
//! Kept within a memory budget ([`super::spill`]): each map holds what was
//! touched lately in memory and the rest in a scratch file, keyed by a hash
//! of the identifier. A unit is what the log alone decides about it (owner,
//! holder, status, origin, creating event, time, an issued item's lot); the
//! columns its identifier gives (kind, GTIN, batch, serial, SSCC, lot) are
//! worked out again when it is compared.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::borrow::Cow;
use std::sync::Arc;

use suyuan_core::effects::{relation, Edge, Effect};
use suyuan_core::stages::RecordKind;
use uuid::Uuid;

use super::compact::{Key, Orgs};
pub(super) use super::spill::Scratch;
use super::spill::{trim_all, Codec, Dec, Enc, Keys, Spill, Trim, K};
use crate::trace::capture::{lot_of, split_gs1};
use crate::Result;

/// Why a unit is non-conformant, in English and Chinese.
#[derive(Debug, PartialEq)]
pub(super) struct Reason {
    pub en: String,
    pub zh: String,
}

/// A unit as the log gives it: its identifier and what the identifier does
/// not say.
#[derive(Debug, Clone)]
pub(super) struct Unit {
    pub epc: Box<str>,
    pub owner: u32,
    pub holder: u32,
    /// An issued item's lot (the lot it was issued from); otherwise its lot
    /// is the one its identifier names.
    pub lot: Option<Box<str>>,
    /// An issued item whose lot was known when it was issued: its GTIN and
    /// batch are the lot's.
    pub of_known_lot: bool,
    pub created_at: i64,
    pub created_event: Option<Key>,
    pub origin: Option<Box<str>>,
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
    pub despatch: Box<str>,
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
    pub input_lot: Option<Box<str>>,
    pub phi_days: Option<f64>,
    pub registration: Option<Box<str>>,
    /// A harvest's identifiers (every role).
    pub lots: Box<[Box<str>]>,
}

/// What a replay may keep in memory of its state, by default (the rest
/// goes to its scratch file).
pub(crate) const REPLAY_MEMORY: usize = 16 << 20;

/// The state a replay has built so far.
pub(super) struct State {
    scratch: Scratch,
    keys: Keys,
    budget: usize,
    /// Units by their identifier.
    units: Spill<Unit>,
    unit_count: usize,
    pub orgs: Orgs,
    /// Items by their lot.
    items_of: Spill<Vec<K>>,
    /// What is made of a unit (packed, transformed, split), one level down.
    made_of: Spill<Vec<K>>,
    /// What is packed in a unit, one level down.
    packed_in: Spill<Vec<K>>,
    /// Shipments by despatch advice.
    shipments: Spill<ShipmentState>,
    shipment_count: usize,
    /// Planting and harvest records by plot.
    plots: Spill<Vec<PlotRecord>>,
    /// The organisation of each registered place, by each of its canonical
    /// identifiers (a shipment's destination may name a place).
    places: Spill<u32>,
    /// Organisations' registered names, as of the record being replayed.
    pub names: HashMap<Uuid, String>,
}

impl State {
    /// An empty state that keeps at most about `budget` bytes in memory.
    pub(super) fn new(budget: usize) -> Result<Self> {
        let mut scratch = Scratch::open()?;
        Ok(State {
            units: Spill::new(&mut scratch)?,
            items_of: Spill::new(&mut scratch)?,
            made_of: Spill::new(&mut scratch)?,
            packed_in: Spill::new(&mut scratch)?,
            shipments: Spill::new(&mut scratch)?,
            plots: Spill::new(&mut scratch)?,
            places: Spill::new(&mut scratch)?,
            scratch,
            keys: Keys::default(),
            budget,
            unit_count: 0,
            shipment_count: 0,
            orgs: Orgs::default(),
            names: HashMap::new(),
        })
    }

    /// A page of the log is replayed: what was touched least lately leaves
    /// memory if the state costs more than its budget.
    pub(super) fn end_page(&mut self) -> Result<()> {
        let mut maps: [&mut dyn Trim; 7] = [
            &mut self.units,
            &mut self.items_of,
            &mut self.made_of,
            &mut self.packed_in,
            &mut self.shipments,
            &mut self.plots,
            &mut self.places,
        ];
        trim_all(&mut maps, &self.scratch, self.budget)
    }

    /// The place identified `canonical` belongs to `org`.
    pub(super) fn add_place(&mut self, canonical: &str, org: Uuid) -> Result<()> {
        let org = self.orgs.id(org);
        self.places.insert(&self.scratch, self.keys.of(canonical), org)?;
        Ok(())
    }

    /// The organisation of the place identified `canonical`, if one is
    /// registered.
    pub(super) fn place_owner(&mut self, canonical: &str) -> Result<Option<Uuid>> {
        let org = self.places.get(&self.scratch, self.keys.of(canonical))?.copied();
        Ok(org.map(|o| self.orgs.uuid(o)))
    }

    /// How many units the log gives.
    pub(super) fn unit_count(&self) -> usize {
        self.unit_count
    }

    /// How many shipments the log gives.
    pub(super) fn shipment_count(&self) -> usize {
        self.shipment_count
    }

    /// Another connection to the scratch file, for a comparison on another
    /// thread once the replay is done ([`State::fetch_unit`]).
    pub(super) fn reader(&self) -> Result<Scratch> {
        self.scratch.reader()
    }

    /// The unit identified `epc`, read once (for the comparison) through
    /// `via` (a [`State::reader`]).
    pub(super) fn fetch_unit(&self, via: &Scratch, epc: &str) -> Result<Option<Cow<'_, Unit>>> {
        let u = self.units.fetch(via, self.keys.of(epc))?;
        Ok(u.filter(|u| &*u.epc == epc))
    }

    /// Every unit.
    pub(super) fn for_each_unit(&self, f: impl FnMut(&Unit)) -> Result<()> {
        self.units.for_each(&self.scratch, f)
    }

    /// The shipment of despatch advice `despatch`, read once through `via`.
    pub(super) fn fetch_shipment(
        &self,
        via: &Scratch,
        despatch: &str,
    ) -> Result<Option<Cow<'_, ShipmentState>>> {
        let s = self.shipments.fetch(via, self.keys.of(despatch))?;
        Ok(s.filter(|s| &*s.despatch == despatch))
    }

    /// Every shipment.
    pub(super) fn for_each_shipment(&self, f: impl FnMut(&ShipmentState)) -> Result<()> {
        self.shipments.for_each(&self.scratch, f)
    }

    /// Brings the units `epcs` into memory, for [`State::is_non_conformant`].
    pub(super) fn load_units<'a>(&mut self, epcs: impl Iterator<Item = &'a str>) -> Result<()> {
        for epc in epcs {
            self.units.get(&self.scratch, self.keys.of(epc))?;
        }
        Ok(())
    }

    /// Whether unit `epc`, brought into memory by [`State::load_units`], is
    /// non-conformant.
    pub(super) fn is_non_conformant(&self, epc: &str) -> bool {
        self.units
            .peek(self.keys.of(epc))
            .is_some_and(|u| u.status.is_some())
    }

    /// The columns the identifier of unit `u` gives, with its lot's.
    pub(super) fn parts(u: &Unit) -> Parts {
        let (kind, mut gtin, mut batch, serial, sscc) = split_gs1(&u.epc);
        if let (true, Some(lot)) = (u.of_known_lot, &u.lot) {
            let (_, lot_gtin, lot_batch, _, _) = split_gs1(lot);
            (gtin, batch) = (lot_gtin, lot_batch);
        }
        let lot_epc = match &u.lot {
            None => lot_of(kind, gtin.as_deref(), batch.as_deref()),
            Some(lot) => Some(lot.to_string()),
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

    /// A new unit `epc` of `org`, made at `at`.
    fn new_unit(&mut self, epc: &str, org: Uuid, at: i64) -> Unit {
        let org = self.orgs.id(org);
        Unit {
            epc: epc.into(),
            owner: org,
            holder: org,
            lot: None,
            of_known_lot: false,
            created_at: at,
            created_event: None,
            origin: None,
            status: None,
        }
    }

    /// Registers a unit (or, if it exists, gives it its creating event and
    /// origin), as capture's insert does.
    pub(super) fn register(
        &mut self,
        epc: &str,
        org: Uuid,
        origin: Option<String>,
        pk: &str,
        at: i64,
    ) -> Result<()> {
        let k = self.keys.of(epc);
        let origin: Option<Box<str>> = origin.map(Into::into);
        let set = |u: &mut Unit| {
            u.created_event.get_or_insert_with(|| Key::new(pk));
            if origin.is_some() {
                u.origin = origin.clone();
            }
        };
        if self.units.update(&self.scratch, k, set)?.is_none() {
            let mut u = self.new_unit(epc, org, at);
            u.origin = origin;
            u.created_event = Some(Key::new(pk));
            self.insert(k, u)?;
        }
        Ok(())
    }

    /// A unit allocated before any event named it (or, if it exists, given
    /// the allocation's time and, if it has none, its origin).
    pub(super) fn allocate(&mut self, epc: &str, org: Uuid, origin: Option<String>, at: i64) -> Result<()> {
        let k = self.keys.of(epc);
        let origin: Option<Box<str>> = origin.map(Into::into);
        let set = |u: &mut Unit| {
            u.created_at = at;
            if u.origin.is_none() {
                u.origin = origin.clone();
            }
        };
        if self.units.update(&self.scratch, k, set)?.is_none() {
            let mut u = self.new_unit(epc, org, at);
            u.origin = origin;
            self.insert(k, u)?;
        }
        Ok(())
    }

    /// Items issued from `lot`: each the lot's, non-conformant with it.
    pub(super) fn issue(&mut self, lot: &str, org: Uuid, at: i64, items: &[&str]) -> Result<()> {
        let lot_unit = self.units.get(&self.scratch, self.keys.of(lot))?;
        let lot_status = lot_unit.map(|l| l.status.clone());
        for epc in items {
            let mut u = self.new_unit(epc, org, at);
            u.lot = Some(lot.into());
            if let Some(status) = &lot_status {
                u.of_known_lot = true;
                u.status = status.clone();
            }
            self.insert(self.keys.of(epc), u)?;
        }
        Ok(())
    }

    /// Stores unit `u` under `k`, filed under its lot.
    fn insert(&mut self, k: K, u: Unit) -> Result<()> {
        let lot = match &u.lot {
            None => {
                let (kind, gtin, batch, _, _) = split_gs1(&u.epc);
                lot_of(kind, gtin.as_deref(), batch.as_deref()).map(|l| self.keys.of(&l))
            }
            Some(lot) => Some(self.keys.of(lot)),
        };
        if let Some(lot) = lot {
            self.items_of
                .upsert(&self.scratch, lot, Vec::new, |v| v.push(k))?;
        }
        if !self.units.insert(&self.scratch, k, u)? {
            self.unit_count += 1;
        }
        Ok(())
    }

    /// `seed` and everything made of it, all levels down.
    fn downstream(&mut self, seed: &str) -> Result<Vec<K>> {
        let seed = self.keys.of(seed);
        let mut seen: HashSet<K> = HashSet::from_iter([seed]);
        let mut out = vec![seed];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i];
            for links in [&mut self.items_of, &mut self.made_of] {
                for &d in links.get(&self.scratch, cur)?.into_iter().flatten() {
                    if seen.insert(d) {
                        out.push(d);
                    }
                }
            }
            i += 1;
        }
        Ok(out)
    }

    /// Applies one effect of the event `pk` recorded by `org`. Returns the
    /// lineage edge to store with the event, if it adds one.
    pub(super) fn apply(
        &mut self,
        effect: Effect,
        org: Uuid,
        pk: &str,
        record_time: i64,
    ) -> Result<Option<Edge>> {
        match effect {
            Effect::Register { epc, origin } => self.register(&epc, org, origin, pk, record_time)?,
            Effect::NonConformant { epc, en, zh } => self.non_conformant(&epc, en, zh)?,
            Effect::Edge(e) => {
                let (up, down) = (self.keys.of(&e.upstream), self.keys.of(&e.downstream));
                if relation::MADE_OF.contains(&e.relation) {
                    self.made_of
                        .upsert(&self.scratch, up, Vec::new, |v| v.push(down))?;
                }
                if e.relation == relation::PACKED {
                    self.packed_in
                        .upsert(&self.scratch, down, Vec::new, |v| v.push(up))?;
                }
                return Ok(Some(e));
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
                    despatch: despatch.as_str().into(),
                };
                if !self
                    .shipments
                    .insert(&self.scratch, self.keys.of(&despatch), ship)?
                {
                    self.shipment_count += 1;
                }
            }
            Effect::Receive {
                despatch,
                received_at,
                units,
            } => self.receive(&despatch, org, pk, received_at, &units)?,
            // Entrustments are compared per event by the caller.
            Effect::Entrust { .. } => {}
        }
        Ok(None)
    }

    /// `epc` and everything made of it become non-conformant, for the
    /// reason given (added to any they had).
    fn non_conformant(&mut self, epc: &str, en: String, zh: String) -> Result<()> {
        let fresh = Arc::new(Reason { en, zh });
        for d in self.downstream(epc)? {
            self.units.update(&self.scratch, d, |u| {
                u.status = Some(match u.status.take() {
                    None => fresh.clone(),
                    Some(r) => Arc::new(Reason {
                        en: format!("{}; {}", r.en, fresh.en),
                        zh: format!("{}；{}", r.zh, fresh.zh),
                    }),
                });
            })?;
        }
        Ok(())
    }

    /// A receipt of `despatch` by `org`: the shipment received, and the
    /// units received and everything packed in them held by `org`.
    fn receive(
        &mut self,
        despatch: &str,
        org: Uuid,
        pk: &str,
        received_at: i64,
        units: &[String],
    ) -> Result<()> {
        let org = self.orgs.id(org);
        self.shipments
            .update(&self.scratch, self.keys.of(despatch), |s| {
                s.received = Some((Key::new(pk), received_at));
                s.to = Some(org);
            })?;
        let mut moving: Vec<K> = units.iter().map(|u| self.keys.of(u)).collect();
        let mut seen: HashSet<K> = moving.iter().copied().collect();
        let mut i = 0;
        while i < moving.len() {
            for &c in self
                .packed_in
                .get(&self.scratch, moving[i])?
                .into_iter()
                .flatten()
            {
                if seen.insert(c) {
                    moving.push(c);
                }
            }
            i += 1;
        }
        for k in moving {
            self.units.update(&self.scratch, k, |u| u.holder = org)?;
        }
        Ok(())
    }

    /// The records of `plot` so far.
    pub(super) fn plot_records(&mut self, plot: &str) -> Result<&[PlotRecord]> {
        let records = self.plots.get(&self.scratch, self.keys.of(plot))?;
        Ok(records.map_or(&[], Vec::as_slice))
    }

    /// A record of `plot`.
    pub(super) fn add_plot_record(&mut self, plot: &str, record: PlotRecord) -> Result<()> {
        let k = self.keys.of(plot);
        self.plots.upsert(&self.scratch, k, Vec::new, |v| v.push(record))
    }

    /// The records of `plot` with eventID `event_id` no longer count (an
    /// error declaration names them).
    pub(super) fn correct(&mut self, plot: &str, event_id: &str) -> Result<()> {
        self.plots.update(&self.scratch, self.keys.of(plot), |records| {
            for p in records.iter_mut().filter(|p| p.event_id.is(event_id)) {
                p.corrected = true;
            }
        })?;
        Ok(())
    }
}

impl Codec for Key {
    fn encode(&self, out: &mut Enc) {
        match self {
            Key::Uuid(u) => {
                out.u8(0);
                out.u128(u.as_u128());
            }
            Key::Urn(u) => {
                out.u8(1);
                out.u128(u.as_u128());
            }
            Key::Text(t) => {
                out.u8(2);
                out.str(t);
            }
        }
    }
    fn decode(d: &mut Dec<'_>) -> Option<Self> {
        Some(match d.u8()? {
            0 => Key::Uuid(Uuid::from_u128(d.u128()?)),
            1 => Key::Urn(Uuid::from_u128(d.u128()?)),
            _ => Key::Text(d.str()?.into()),
        })
    }
    fn heap(&self) -> usize {
        match self {
            Key::Text(t) => t.len(),
            _ => 0,
        }
    }
}

fn opt_key(out: &mut Enc, k: Option<&Key>) {
    match k {
        None => out.u8(0),
        Some(k) => {
            out.u8(1);
            k.encode(out);
        }
    }
}

fn read_opt_key(d: &mut Dec<'_>) -> Option<Option<Key>> {
    match d.u8()? {
        0 => Some(None),
        _ => Some(Some(Key::decode(d)?)),
    }
}

fn boxed(s: Option<&str>) -> Option<Box<str>> {
    s.map(Into::into)
}

fn len(s: &Option<Box<str>>) -> usize {
    s.as_ref().map_or(0, |s| s.len())
}

impl Codec for Unit {
    fn encode(&self, out: &mut Enc) {
        out.str(&self.epc);
        out.u32(self.owner);
        out.u32(self.holder);
        out.opt_str(self.lot.as_deref());
        out.u8(u8::from(self.of_known_lot));
        out.i64(self.created_at);
        opt_key(out, self.created_event.as_ref());
        out.opt_str(self.origin.as_deref());
        match &self.status {
            None => out.u8(0),
            Some(r) => {
                out.u8(1);
                out.str(&r.en);
                out.str(&r.zh);
            }
        }
    }
    fn decode(d: &mut Dec<'_>) -> Option<Self> {
        Some(Unit {
            epc: d.str()?.into(),
            owner: d.u32()?,
            holder: d.u32()?,
            lot: boxed(d.opt_str()?),
            of_known_lot: d.u8()? != 0,
            created_at: d.i64()?,
            created_event: read_opt_key(d)?,
            origin: boxed(d.opt_str()?),
            status: match d.u8()? {
                0 => None,
                _ => Some(Arc::new(Reason {
                    en: d.str()?.to_owned(),
                    zh: d.str()?.to_owned(),
                })),
            },
        })
    }
    fn heap(&self) -> usize {
        // A reason is shared by the units a failure reaches: not counted.
        self.epc.len() + len(&self.lot) + len(&self.origin) + self.created_event.as_ref().map_or(0, Key::heap)
    }
}

impl Codec for ShipmentState {
    fn encode(&self, out: &mut Enc) {
        out.str(&self.despatch);
        out.u32(self.from);
        out.u32(self.to.unwrap_or(u32::MAX));
        self.shipped_event.encode(out);
        out.i64(self.shipped_at);
        match &self.received {
            None => out.u8(0),
            Some((k, at)) => {
                out.u8(1);
                k.encode(out);
                out.i64(*at);
            }
        }
    }
    fn decode(d: &mut Dec<'_>) -> Option<Self> {
        Some(ShipmentState {
            despatch: d.str()?.into(),
            from: d.u32()?,
            to: Some(d.u32()?).filter(|&t| t != u32::MAX),
            shipped_event: Key::decode(d)?,
            shipped_at: d.i64()?,
            received: match d.u8()? {
                0 => None,
                _ => Some((Key::decode(d)?, d.i64()?)),
            },
        })
    }
    fn heap(&self) -> usize {
        self.despatch.len() + self.shipped_event.heap() + self.received.as_ref().map_or(0, |r| r.0.heap())
    }
}

impl Codec for Vec<PlotRecord> {
    fn encode(&self, out: &mut Enc) {
        out.u32(self.len() as u32);
        for p in self {
            out.u32(p.org);
            p.event_id.encode(out);
            out.u8(u8::from(p.corrected));
            out.str(p.kind.as_str());
            out.i64(p.event_time);
            out.opt_str(p.input_lot.as_deref());
            match p.phi_days {
                None => out.u8(0),
                Some(d) => {
                    out.u8(1);
                    out.i64(d.to_bits() as i64);
                }
            }
            out.opt_str(p.registration.as_deref());
            out.u32(p.lots.len() as u32);
            for l in p.lots.iter() {
                out.str(l);
            }
        }
    }
    fn decode(d: &mut Dec<'_>) -> Option<Self> {
        let n = d.u32()?;
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            out.push(PlotRecord {
                org: d.u32()?,
                event_id: Key::decode(d)?,
                corrected: d.u8()? != 0,
                kind: RecordKind::parse(d.str()?)?,
                event_time: d.i64()?,
                input_lot: boxed(d.opt_str()?),
                phi_days: match d.u8()? {
                    0 => None,
                    _ => Some(f64::from_bits(d.i64()? as u64)),
                },
                registration: boxed(d.opt_str()?),
                lots: {
                    let n = d.u32()?;
                    (0..n).map(|_| d.str().map(Into::into)).collect::<Option<_>>()?
                },
            });
        }
        Some(out)
    }
    fn heap(&self) -> usize {
        self.capacity() * std::mem::size_of::<PlotRecord>()
            + self
                .iter()
                .map(|p| {
                    p.event_id.heap()
                        + len(&p.input_lot)
                        + len(&p.registration)
                        + p.lots.iter().map(|l| l.len() + 16).sum::<usize>()
                })
                .sum::<usize>()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn round_trip<T: Codec>(v: &T) -> T {
        let mut e = Enc::default();
        v.encode(&mut e);
        T::decode(&mut Dec(&e.0)).unwrap()
    }

    #[test]
    fn state_values_round_trip() {
        let u = Unit {
            epc: "https://id.gs1.org/01/09520000000011/21/7".into(),
            owner: 1,
            holder: 2,
            lot: Some("https://id.gs1.org/01/09520000000011/10/A".into()),
            of_known_lot: true,
            created_at: -3,
            created_event: Some(Key::new("urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")),
            origin: Some("urn:suyuan:place:x".into()),
            status: Some(Arc::new(Reason {
                en: "failed".into(),
                zh: "不合格".into(),
            })),
        };
        let back = round_trip(&u);
        assert_eq!(format!("{back:?}"), format!("{u:?}"));
        let s = ShipmentState {
            despatch: "DA-1".into(),
            from: 0,
            to: None,
            shipped_event: Key::new("ni:///sha-256;abc"),
            shipped_at: 5,
            received: Some((Key::new("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), 6)),
        };
        assert_eq!(format!("{:?}", round_trip(&s)), format!("{s:?}"));
        let p = vec![PlotRecord {
            org: 3,
            event_id: Key::new("e"),
            corrected: true,
            kind: RecordKind::Harvest,
            event_time: 9,
            input_lot: None,
            phi_days: Some(7.5),
            registration: Some("PD20080001".into()),
            lots: vec!["a".into(), "b".into()].into(),
        }];
        assert_eq!(format!("{:?}", round_trip(&p)), format!("{p:?}"));
    }
}
