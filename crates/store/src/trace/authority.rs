//! The facts the authority model decides on, read once per capture from
//! what is stored, and the check every captured event passes.
//!
//! The rules themselves are pure and live in `suyuan_core::authority` (with
//! the table of who may do what); this module only fetches: who holds each
//! unit a document names (capture reads that itself and keeps it current),
//! who owns the GS1 keys of units the platform does not know yet, which
//! units were entrusted to the caller for testing, the regions of the
//! holders (for officers), and which organisation registered each place the
//! document's events happen at. Everything is read *before* the document's
//! first event, so nothing in a document grants authority to a later event
//! in it, except what the store itself keeps current between documents:
//! custody (units the caller commissions are the caller's; a receipt moves
//! custody).

use std::collections::{BTreeSet, HashMap, HashSet};

use suyuan_core::authority::{check_place, check_unit, Actor, EventShape, UnitFacts, UnitRole};
use suyuan_core::epcis::{Event, Vocabulary};
use suyuan_core::model::OrgKind;
use suyuan_core::stages::RecordKind;
use suyuan_core::Invalid;
use uuid::Uuid;

use crate::db::{placeholders, Tx, Val};
use crate::{Caller, Result, StoreError};

/// The caller as the authority model sees it.
pub(crate) fn actor(caller: &Caller) -> Actor<'_> {
    Actor {
        org: caller.org_id,
        kind: caller.org_kind,
        status: caller.org_status,
        role: caller.role,
        jurisdiction: caller.jurisdiction.as_deref(),
    }
}

/// What capture reads once, before the first event.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Owners of the GS1 keys of named units the platform does not know.
    key_owners: HashMap<String, Uuid>,
    /// Named units the platform does not know whose product is deactivated.
    retired: HashSet<String>,
    /// Named units whose testing was entrusted to the caller (agencies).
    entrusted: HashSet<String>,
    /// Region codes of the organisations holding named units (officers).
    regions: HashMap<Uuid, String>,
    /// The organisation that registered each named place.
    place_owners: HashMap<String, Uuid>,
}

impl Facts {
    /// Reads the facts for a document naming `units` (canonical identifiers)
    /// and `places` (canonical bizLocation / readPoint identifiers), given
    /// the holders capture already read.
    pub(crate) async fn read(
        tx: &mut Tx,
        caller: &Caller,
        units: &BTreeSet<&str>,
        places: &BTreeSet<String>,
        holders: &HashMap<String, Uuid>,
    ) -> Result<Facts> {
        let unknown = units.iter().copied().filter(|u| !holders.contains_key(*u));
        let key_owners = crate::prefixes::key_owners(tx, unknown.clone()).await?;
        let retired = crate::prefixes::retired_keys(tx, unknown).await?;
        let mut entrusted = HashSet::new();
        if caller.org_kind == OrgKind::TestingAgency {
            let held: Vec<&str> = units
                .iter()
                .copied()
                .filter(|u| holders.contains_key(*u))
                .collect();
            for chunk in held.chunks(400) {
                let mut ps: Vec<Val> = vec![caller.org_id.into()];
                ps.extend(chunk.iter().map(|&s| Val::from(s)));
                let sql = format!(
                    "SELECT DISTINCT x.epc FROM entrustments x JOIN events e ON e.id = x.event_pk \
                     WHERE x.agency_org_id = $1 AND e.corrected_by IS NULL AND x.epc IN ({})",
                    placeholders(2, chunk.len())
                );
                for r in tx.fetch_all(&sql, &ps).await? {
                    entrusted.insert(r.text("epc")?);
                }
            }
        }
        let mut regions = HashMap::new();
        if caller.officer_jurisdiction().is_some() {
            let orgs: BTreeSet<Uuid> = holders.values().copied().collect();
            let orgs: Vec<Uuid> = orgs.into_iter().collect();
            for chunk in orgs.chunks(400) {
                let ps: Vec<Val> = chunk.iter().map(|&o| Val::from(o)).collect();
                let sql = format!(
                    "SELECT id, region FROM organisations WHERE id IN ({})",
                    placeholders(1, chunk.len())
                );
                for r in tx.fetch_all(&sql, &ps).await? {
                    regions.insert(r.uuid("id")?, r.text("region")?);
                }
            }
        }
        let place_owners = place_owners(tx, places).await?;
        Ok(Facts {
            key_owners,
            retired,
            entrusted,
            regions,
            place_owners,
        })
    }

    /// The organisation that registered a place named in an event.
    pub(crate) fn place_owner(&self, uri: &str) -> Option<Uuid> {
        self.place_owners.get(uri).copied()
    }
}

/// The place a canonical identifier names: (`urn:suyuan:place:{id}` → id)
/// or (a GLN Digital Link → GLN).
pub(super) enum PlaceRef<'a> {
    Id(&'a str),
    Gln(&'a str),
}

pub(super) fn place_ref(uri: &str) -> Option<PlaceRef<'_>> {
    if let Some(id) = uri.strip_prefix(super::capture::PLACE_URN_PREFIX) {
        return Some(PlaceRef::Id(id));
    }
    let path = uri.strip_prefix(super::CANONICAL_DOMAIN)?;
    let rest = path.strip_prefix("/414/")?;
    Some(PlaceRef::Gln(rest.split('/').next().unwrap_or(rest)))
}

/// Which organisation registered each of `places` (those registered), in
/// a few statements however many places a document names.
async fn place_owners(tx: &mut Tx, places: &BTreeSet<String>) -> Result<HashMap<String, Uuid>> {
    let mut by_id: HashMap<&str, &str> = HashMap::new();
    let mut by_gln: HashMap<&str, Vec<&str>> = HashMap::new();
    for uri in places {
        match place_ref(uri) {
            Some(PlaceRef::Id(id)) if Uuid::parse_str(id).is_ok() => {
                by_id.insert(id, uri);
            }
            Some(PlaceRef::Gln(gln)) => by_gln.entry(gln).or_default().push(uri),
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for (column, keys) in [
        ("id", by_id.keys().copied().collect::<Vec<_>>()),
        ("gln", by_gln.keys().copied().collect::<Vec<_>>()),
    ] {
        for chunk in keys.chunks(400) {
            let ps: Vec<Val> = chunk.iter().map(|&k| Val::from(k)).collect();
            let sql = format!(
                "SELECT {column} AS k, org_id FROM places WHERE {column} IN ({})",
                placeholders(1, chunk.len())
            );
            for r in tx.fetch_all(&sql, &ps).await? {
                let key = r.text("k")?;
                let org = r.uuid("org_id")?;
                if column == "id" {
                    if let Some(uri) = by_id.get(key.as_str()) {
                        out.insert((*uri).to_owned(), org);
                    }
                } else {
                    for uri in by_gln.get(key.as_str()).into_iter().flatten() {
                        out.insert((*uri).to_owned(), org);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The shape of an event, as far as authority goes.
pub(crate) fn shape<'e>(
    ev: &'e Event,
    kind: Option<RecordKind>,
    biz_step: Option<&'e str>,
) -> EventShape<'e> {
    EventShape {
        event_type: ev.event_type,
        action: ev.action,
        record_kind: kind,
        biz_step,
    }
}

/// The bizStep of an event, compacted to its CBV short name where it has one.
pub(crate) fn compact_biz_step(ev: &Event) -> Option<String> {
    ev.biz_step
        .as_deref()
        .map(|s| Vocabulary::BizStep.compact_or_keep(s))
}

/// Checks one event against the authority model: every unit it names (by
/// role, canonical) and the places it happens at. `received`: the event is a
/// receipt whose shipment capture has checked is addressed to the caller and
/// holds every unit it names.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_event(
    actor: &Actor<'_>,
    facts: &Facts,
    holders: &HashMap<String, Uuid>,
    shape: &EventShape<'_>,
    units: &[(&'static str, String, Option<f64>, Option<String>)],
    places: &[(&'static str, Option<String>)],
    received: bool,
) -> Result<()> {
    for (role, epc, _, _) in units {
        let role = UnitRole::parse(role).unwrap_or(UnitRole::Epc);
        let holder = holders.get(epc.as_str()).copied();
        let unit = UnitFacts {
            holder,
            holder_region: holder.and_then(|h| facts.regions.get(&h)).map(String::as_str),
            key_owner: facts.key_owners.get(epc.as_str()).copied(),
            key_retired: facts.retired.contains(epc.as_str()),
            addressed_to_actor: received,
            entrusted_to_actor: facts.entrusted.contains(epc.as_str()),
        };
        check_unit(actor, shape, role, epc, &unit).map_err(|e| StoreError::invalid(role.field(), e))?;
    }
    for (field, uri) in places {
        if let Some(uri) = uri {
            check_place(actor, shape, facts.place_owner(uri)).map_err(|e| StoreError::invalid(*field, e))?;
        }
    }
    Ok(())
}

/// The refusal of a capture by an actor who may record nothing.
pub(crate) fn refused(e: Invalid) -> StoreError {
    StoreError::forbidden(e.code, e.en, e.zh)
}

/// The organisations an event's destinationList names directly
/// (`urn:suyuan:org:{id}`), in order.
pub(crate) fn destination_orgs(ev: &Event) -> impl Iterator<Item = Uuid> + '_ {
    ev.destination_list.iter().filter_map(|d| {
        d.id.strip_prefix(super::capture::ORG_URN_PREFIX)
            .and_then(|u| Uuid::parse_str(u).ok())
    })
}

/// The organisation a shipment is addressed to: the first destination
/// that is an organisation on the platform (`urn:suyuan:org:{id}`) or a
/// place one registered (GLN Digital Link or `urn:suyuan:place:{id}`). A
/// shipment that names neither is refused: its receipt could not be
/// attributed, so anyone knowing the despatch reference could receive it.
pub(crate) async fn shipment_destination(tx: &mut Tx, ev: &Event) -> Result<Uuid> {
    for org in destination_orgs(ev) {
        if tx
            .fetch_optional("SELECT id FROM organisations WHERE id = $1", &[org.into()])
            .await?
            .is_some()
        {
            return Ok(org);
        }
    }
    let places: BTreeSet<String> = ev
        .destination_list
        .iter()
        .map(|d| suyuan_core::epcis::canonical_web_uri(&d.id).unwrap_or_else(|| d.id.clone()))
        .collect();
    let owners = place_owners(tx, &places).await?;
    for d in &ev.destination_list {
        let uri = suyuan_core::epcis::canonical_web_uri(&d.id).unwrap_or_else(|| d.id.clone());
        if let Some(org) = owners.get(&uri) {
            return Ok(*org);
        }
    }
    Err(StoreError::invalid(
        "destinationList",
        Invalid::new(
            "destination_unknown",
            "a shipment is addressed to an organisation on the platform: a destination urn:suyuan:org:{id}, or a place it registered",
            "发运须发往平台上的机构：目的地为 urn:suyuan:org:{id} 或该机构登记的场所",
        ),
    ))
}

/// The testing agency a `sampling` record entrusts: the organisation its
/// destinationList names, which must be a verified testing agency.
pub(crate) async fn entrusted_agency(tx: &mut Tx, ev: &Event) -> Result<Uuid> {
    let org = destination_orgs(ev).next();
    let row = match org {
        Some(o) => {
            tx.fetch_optional(
                "SELECT kind, status FROM organisations WHERE id = $1",
                &[o.into()],
            )
            .await?
        }
        None => None,
    };
    let kind = row.as_ref().map(|r| r.text("kind")).transpose()?;
    let status = row.as_ref().map(|r| r.text("status")).transpose()?;
    suyuan_core::authority::check_entrusted_agency(
        kind.as_deref().and_then(|k| OrgKind::parse(k).ok()),
        status
            .as_deref()
            .and_then(|s| suyuan_core::model::OrgStatus::parse(s).ok()),
    )
    .map_err(|e| StoreError::invalid("destinationList", e))?;
    org.ok_or_else(|| StoreError::Corrupt("agency checked but absent".into()))
}
