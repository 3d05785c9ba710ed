//! The replay: the log's records, in log order, re-derive every derived
//! table, and what is stored is compared with what they derive, row by row.
//!
//! - an **event** gives its query columns in `events` (from its document and
//!   its leaf) and its rows of `event_epcs`; its effects — computed by the
//!   same [`suyuan_core::effects::effects`] capture calls — give its lineage
//!   edges and entrustments, and change units, custody, status and
//!   shipments. The rows an event gives are compared when its page of the
//!   log is read;
//! - a **unit allocation** gives a unit before any event names it; an
//!   **item issue** gives its items (their serials are read from `units` and
//!   must hash to the issue's `serials_sha256`); an **organisation record**
//!   gives the name a failed test is reported under;
//! - at the end, `units` and `shipments` are compared with the state built,
//!   and `corrected_by` of `events` with the error declarations stored.
//!
//! The replay reads the log once, a page at a time. Its memory is the
//! derived state itself (units, the edges that carry status and custody,
//! the plots' records), not the log.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;
use suyuan_core::effects::{effects, Context, Edge, Effect, SeasonRecord};
use suyuan_core::epcis::{parse_event, Event, Namespaces};
use suyuan_core::refs::{place_canonical, PLACE_URN};
use suyuan_core::stages::{rules, RecordKind, AGRI_NS};
use uuid::Uuid;

use super::{Problems, VERIFY_PAGE};
use crate::db::{placeholders, Conn, Row, Val};
use crate::trace::capture::effects::{rechecks, season_record, subject_of};
use crate::trace::capture::{canon, record_kind_of, roles};
use crate::{params, Result};

mod compare;
mod state;

use state::{PlotRecord, State, UnitState};

/// Where the replay's time went (reported at debug level).
#[derive(Debug, Default)]
struct Took {
    read: std::time::Duration,
    apply: std::time::Duration,
    compare: std::time::Duration,
    end: std::time::Duration,
}

/// What the replay went through.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Replayed {
    pub events: u64,
    pub units: u64,
}

/// A row of `event_epcs` of an event: (role, epc, quantity, uom).
pub(super) type EpcRow = (String, String, Option<f64>, Option<String>);

/// The derived rows one event gives, compared with what is stored once its
/// page is read.
#[derive(Default)]
pub(super) struct Expected {
    /// event pk → (role, epc, quantity, uom).
    pub epcs: HashMap<String, Vec<EpcRow>>,
    /// event pk → (edge, eventID).
    pub edges: HashMap<String, (Vec<Edge>, String)>,
    /// (agency, epc, event pk).
    pub entrusted: BTreeSet<(Uuid, String, String)>,
}

/// Replays the whole log and compares every derived table with it.
pub(super) async fn replay(conn: &mut Conn<'_>, problems: &mut Problems) -> Result<Replayed> {
    let mut state = State::default();
    let mut issued = compare::issued_items(conn).await?;
    let places = place_owners(conn, problems).await?;
    let ns = Namespaces::standard().with_context(&serde_json::json!({ "agri": AGRI_NS }));
    let mut replayed = Replayed::default();
    let mut all_entrusted = BTreeSet::new();
    let mut next: i64 = 0;
    let mut took = Took::default();
    let mut counted = compare::Counted::default();
    loop {
        let t = std::time::Instant::now();
        let rows = conn.fetch_all(PAGE_SQL, &params![next, VERIFY_PAGE]).await?;
        took.read += t.elapsed();
        let Some(last) = rows.last() else { break };
        next = last.int("idx")? + 1;
        let t = std::time::Instant::now();
        let mut expected = Expected::default();
        let masters = master_rows(conn, &rows).await?;
        for r in &rows {
            let kind = r.opt_text("leaf_kind")?;
            let master = match &kind {
                Some(_) => masters.get(&r.text("event_pk")?),
                None => None,
            };
            let (Some(m), Some(_)) = (master, &kind) else {
                if kind.is_none() && r.opt_text("e_id")?.is_some() {
                    replayed.events += 1;
                    replay_event(r, &ns, &places, &mut state, &mut expected, problems)?;
                }
                continue;
            };
            let key = r.text("event_pk")?;
            match kind.as_deref() {
                Some("org_record") => {
                    let org = uuid_in(m, "r_org", "org_records", &key, problems);
                    if let (Some(org), Some(snap)) = (org, m.opt_text("r_snapshot")?) {
                        let v: Value = serde_json::from_str(&snap).unwrap_or(Value::Null);
                        if let Some(name) = v.get("name").and_then(Value::as_str) {
                            state.names.insert(org, name.to_owned());
                        }
                    }
                }
                Some("unit_allocation") => allocate(m, &key, &mut state, problems)?,
                Some("item_issue") => compare::issue(m, &key, &mut issued, &mut state, problems)?,
                _ => {}
            }
        }
        took.apply += t.elapsed();
        let t = std::time::Instant::now();
        compare::page(conn, &expected, problems).await?;
        took.compare += t.elapsed();
        counted.epcs += expected.epcs.values().map(|v| v.len() as i64).sum::<i64>();
        counted.edges += expected.edges.values().map(|v| v.0.len() as i64).sum::<i64>();
        all_entrusted.extend(expected.entrusted);
    }
    let t = std::time::Instant::now();
    drop(issued);
    replayed.units = state.units.len() as u64;
    compare::units(conn, &state, problems).await?;
    compare::shipments(conn, &state, problems).await?;
    compare::entrustments(conn, &all_entrusted, problems).await?;
    compare::corrections(conn, problems).await?;
    compare::orphans(conn, &counted, problems).await?;
    took.end = t.elapsed();
    tracing::debug!(?took, "replay");
    Ok(replayed)
}

/// A page of the log with the event each event leaf logs.
const PAGE_SQL: &str = "SELECT l.idx, l.org_id AS leaf_org, l.record_kind AS leaf_kind, l.event_pk, \
     e.id AS e_id, e.event_id AS e_event_id, e.org_id AS e_org_id, e.event_type, e.event_time, \
     e.time_zone_offset, e.record_time, e.action, e.biz_step, e.disposition, e.read_point, e.biz_location, \
     e.record_kind AS e_record_kind, e.stage, e.is_error_declaration, e.event_key, e.document \
     FROM tlog_leaves l LEFT JOIN events e ON e.id = l.event_pk \
     WHERE l.idx >= $1 ORDER BY l.idx LIMIT $2";

/// The master records of a page the replay needs (few: a page is mostly
/// events), by leaf row: item issues, unit allocations, organisation
/// records, each read with one query per kind.
async fn master_rows(conn: &mut Conn<'_>, rows: &[Row]) -> Result<HashMap<String, Row>> {
    let mut out = HashMap::new();
    for (kind, sql) in [
        (
            "item_issue",
            "SELECT id, org_id AS i_org, lot_epc AS i_lot, item_count AS i_count, serials_sha256 AS i_sha, \
             created_at AS i_at FROM item_issues WHERE id IN",
        ),
        (
            "unit_allocation",
            "SELECT id, org_id AS a_org, epc AS a_epc, origin_place AS a_origin, created_at AS a_at \
             FROM unit_allocations WHERE id IN",
        ),
        (
            "org_record",
            "SELECT id, org_id AS r_org, snapshot AS r_snapshot FROM org_records WHERE id IN",
        ),
    ] {
        let mut ids = Vec::new();
        for r in rows {
            if r.opt_text("leaf_kind")?.as_deref() == Some(kind) {
                ids.push(r.text("event_pk")?);
            }
        }
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        for chunk in ids.chunks(500) {
            let (list, ps) = in_list(chunk);
            for m in conn.fetch_all(&format!("{sql} ({list})"), &ps).await? {
                out.insert(m.text("id")?, m);
            }
        }
    }
    Ok(out)
}

/// A UUID column, or a problem naming it.
pub(super) fn uuid_in(r: &Row, col: &str, table: &str, key: &str, problems: &mut Problems) -> Option<Uuid> {
    let text = r.opt_text(col).ok().flatten()?;
    match Uuid::parse_str(&text) {
        Ok(u) => Some(u),
        Err(_) => {
            problems.add(table, key.to_owned(), col, "a UUID".into(), text, None);
            None
        }
    }
}

/// Every place's canonical identifiers → its organisation (a shipment's
/// destination may name a place).
async fn place_owners(conn: &mut Conn<'_>, problems: &mut Problems) -> Result<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for r in conn.fetch_all("SELECT id, gln, org_id FROM places", &[]).await? {
        let key = r.opt_text("id")?.unwrap_or_default();
        let (Some(id), Some(org)) = (
            uuid_in(&r, "id", "places", &key, problems),
            uuid_in(&r, "org_id", "places", &key, problems),
        ) else {
            continue;
        };
        out.insert(format!("{PLACE_URN}{id}"), org);
        if let Some(gln) = r.opt_text("gln")? {
            out.insert(place_canonical(id, Some(&gln)), org);
        }
    }
    Ok(out)
}

/// A unit allocated before any event named it.
fn allocate(r: &Row, key: &str, state: &mut State, problems: &mut Problems) -> Result<()> {
    let org = uuid_in(r, "a_org", "unit_allocations", key, problems);
    let (Some(epc), Some(org), Some(at)) = (r.opt_text("a_epc")?, org, r.opt_int("a_at")?) else {
        return Ok(());
    };
    let origin = r.opt_text("a_origin")?;
    match state.units.get_mut(&epc) {
        // Allocated before its event, logged after it (a unit stored before
        // allocations were logged): the allocation's time stands.
        Some(u) => {
            u.created_at = at;
            if u.origin.is_none() {
                u.origin = origin;
            }
        }
        None => {
            let mut u = UnitState::new(&epc, org, at);
            u.origin = origin;
            state.insert(&epc, u);
        }
    }
    Ok(())
}

/// One event: its own columns and identifiers, then its effects.
fn replay_event(
    r: &Row,
    ns: &Namespaces,
    places: &HashMap<String, Uuid>,
    state: &mut State,
    expected: &mut Expected,
    problems: &mut Problems,
) -> Result<()> {
    let pk = r.text("e_id")?;
    let Some(org) = uuid_in(r, "leaf_org", "tlog_leaves", &r.int("idx")?.to_string(), problems) else {
        return Ok(());
    };
    let doc: Value = serde_json::from_str(&r.text("document")?).unwrap_or(Value::Null);
    let ev = match parse_event(&doc, ns) {
        Ok(ev) => ev,
        Err(p) => {
            let first = p
                .first()
                .map(|p| format!("{}: {}", p.field, p.error.en))
                .unwrap_or_default();
            problems.add("events", pk, "document", "an EPCIS 2.0 event".into(), first, None);
            return Ok(());
        }
    };
    let kind = record_kind_of(&ev);
    let record_time = doc
        .get("recordTime")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp_millis());
    compare::event_columns(r, &ev, kind, org, record_time, problems)?;
    let units = roles(&ev);
    let mut seen = HashSet::new();
    expected.epcs.insert(
        pk.clone(),
        units
            .iter()
            .filter(|u| seen.insert((u.0, u.1.clone())))
            .map(|u| (u.0.to_owned(), u.1.clone(), u.2, u.3.clone()))
            .collect(),
    );
    let event_id = ev.event_id.clone().unwrap_or_default();
    let event_time = ev.event_time_utc().timestamp_millis();
    if ev.error_declaration.is_some() {
        // The declared record no longer counts in its plot's seasons (a
        // declaration repeats the event it declares wrong, its place too).
        let plot = ev.biz_location.as_ref().map(|l| canon(&l.id)).unwrap_or_default();
        for p in state.plots.get_mut(&plot).into_iter().flatten() {
            if p.event_id == event_id {
                p.corrected = true;
            }
        }
        return Ok(());
    }
    let subject = subject_of(&ev, kind, &units, event_time);
    let plot = subject.plot.clone().unwrap_or_default();
    let mine = |p: &&PlotRecord| p.org == org && !p.corrected;
    let records: Vec<&PlotRecord> = state
        .plots
        .get(&plot)
        .into_iter()
        .flatten()
        .filter(mine)
        .collect();
    let sowings: Vec<i64> = records
        .iter()
        .filter(|p| p.season.kind == "sowing")
        .map(|p| p.season.event_time)
        .collect();
    let season: Vec<SeasonRecord> = if kind == Some(RecordKind::Harvest) {
        let since = rules::harvest_season(&sowings, event_time).unwrap_or(0);
        records
            .iter()
            .filter(|p| {
                p.season.kind != "harvest" && rules::in_season(p.season.event_time, since, event_time)
            })
            .map(|p| p.season.clone())
            .collect()
    } else {
        Vec::new()
    };
    let mut later: Vec<(i64, Vec<String>)> = Vec::new();
    if rechecks(kind) {
        for p in records
            .iter()
            .filter(|p| p.season.kind == "harvest" && p.season.event_time >= event_time)
        {
            match later.iter_mut().find(|h| h.0 == p.season.event_time) {
                Some(h) => h.1.extend(p.lots.iter().cloned()),
                None => later.push((p.season.event_time, p.lots.clone())),
            }
        }
    }
    let name = state.names.get(&org).cloned().unwrap_or_default();
    let changes = {
        let nonconformant = |epc: &str| state.is_non_conformant(epc);
        effects(
            &subject,
            &Context {
                season: &season,
                later_harvests: &later,
                sowings: &sowings,
                to_org: (kind == Some(RecordKind::Shipping))
                    .then(|| destination(&ev, state, places))
                    .flatten(),
                agency: crate::trace::authority::destination_orgs(&ev).next(),
                recorder_name: &name,
                nonconformant: &nonconformant,
            },
        )
    };
    let mut edges: Vec<Edge> = Vec::new();
    for change in changes {
        if let Effect::Entrust { epc, agency } = &change {
            expected.entrusted.insert((*agency, epc.clone(), pk.clone()));
        }
        if let Some(e) = state.apply(change, org, &pk, record_time) {
            if !edges.contains(&e) {
                edges.push(e);
            }
        }
    }
    expected.edges.insert(pk.clone(), (edges, event_id.clone()));
    // A planting or harvest record, for the seasons of later harvests.
    if kind
        .is_some_and(|k| suyuan_core::effects::FIELD_KINDS.contains(&k.as_str()) || k == RecordKind::Harvest)
    {
        let doc_record = season_record(kind.map(|k| k.as_str()).unwrap_or_default(), event_time, &doc);
        let lots = expected
            .epcs
            .get(&pk)
            .into_iter()
            .flatten()
            .map(|u| u.1.clone())
            .collect();
        state.plots.entry(plot).or_default().push(PlotRecord {
            org,
            event_id,
            corrected: false,
            season: doc_record,
            lots,
        });
    }
    Ok(())
}

/// The organisation a shipment is addressed to, as capture resolved it: the
/// first destination that is an organisation on the platform, or else a
/// place one registered.
fn destination(ev: &Event, state: &State, places: &HashMap<String, Uuid>) -> Option<Uuid> {
    crate::trace::authority::destination_orgs(ev)
        .find(|o| state.names.contains_key(o))
        .or_else(|| {
            ev.destination_list
                .iter()
                .find_map(|d| places.get(&canon(&d.id)).copied())
        })
}

/// `n` placeholders from `$1`, for the page's event rows.
pub(super) fn in_list(keys: &[&str]) -> (String, Vec<Val>) {
    (
        placeholders(1, keys.len()),
        keys.iter().map(|&k| Val::from(k)).collect(),
    )
}
