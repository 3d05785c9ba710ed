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
//! The replay takes the log a page at a time from the leaf walk, which
//! reads it (one read of the log for both). Its memory is the derived state
//! (units, the edges that carry status and custody, the plots' records)
//! within a budget: what does not fit waits in a scratch file
//! ([`spill`]), so memory does not grow with the log.

use std::collections::BTreeSet;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde_json::Value;
use suyuan_core::effects::{effects, Context, Edge, Effect, SeasonRecord};
use suyuan_core::epcis::{parse_stored_event, Event, Namespaces};
use suyuan_core::refs::{place_canonical, PLACE_URN};
use suyuan_core::stages::{rules, RecordKind, AGRI_NS};
use uuid::Uuid;

use super::Problems;
use crate::db::{placeholders, Conn, Row, Val};
use crate::trace::capture::effects::{rechecks, season_record, subject_of};
use crate::trace::capture::{canon, record_kind_of, roles};
use crate::Result;
use suyuan_core::effects::{Named, FIELD_KINDS};

mod compact;
mod compare;
mod spill;
mod state;

pub(super) use compare::{corrections, orphans, stored_counts, Counted};
pub(crate) use state::REPLAY_MEMORY;

use compact::Key;
use state::{PlotRecord, State};

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
    /// The rows of `event_epcs` and `lineage` the events gave.
    pub counted: compare::Counted,
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

/// Replays the whole log and compares every derived table with it, keeping
/// about `memory` bytes of its state in memory.
pub(super) async fn replay(
    conn: &mut Conn<'_>,
    mut pages: tokio::sync::mpsc::Receiver<Page>,
    problems: &mut Problems,
    memory: usize,
    spent: std::sync::mpsc::Sender<Page>,
) -> Result<Replayed> {
    let mut state = State::new(memory)?;
    place_owners(conn, &mut state, problems).await?;
    let mut replayed = Replayed::default();
    let mut all_entrusted = BTreeSet::new();
    let mut took = Took::default();
    let mut counted = compare::Counted::default();
    loop {
        let t = std::time::Instant::now();
        // The walk stopped early (its error is reported): so does the replay.
        let Some(mut page) = pages.recv().await else {
            return Ok(replayed);
        };
        took.read += t.elapsed();
        if page.rows.is_empty() {
            break;
        }
        let rows = &page.rows;
        let t = std::time::Instant::now();
        let mut expected = Expected::default();
        let masters = master_rows(conn, rows).await?;
        for (r, prepared) in rows.iter().zip(&page.prepared) {
            let kind = r.opt_str("leaf_kind")?;
            let master = match kind {
                Some(_) => masters.get(r.str("event_pk")?),
                None => None,
            };
            let (Some(m), Some(_)) = (master, &kind) else {
                if super::logs_event(r)? {
                    replayed.events += 1;
                }
                if let Some(p) = prepared {
                    replay_event(p, &mut state, &mut expected)?;
                }
                continue;
            };
            let key = r.text("event_pk")?;
            match kind {
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
                Some("item_issue") => compare::issue(conn, m, &key, &mut state, problems).await?,
                _ => {}
            }
        }
        state.end_page()?;
        took.apply += t.elapsed();
        let t = std::time::Instant::now();
        compare::page(&expected, std::mem::take(&mut page.stored), problems);
        took.compare += t.elapsed();
        counted.epcs += expected.epcs.values().map(|v| v.len() as i64).sum::<i64>();
        counted.edges += expected.edges.values().map(|v| v.0.len() as i64).sum::<i64>();
        all_entrusted.extend(expected.entrusted);
        // Freed by the stage that made it (freeing on another thread costs more).
        let _ = spent.send(page);
    }
    let t = std::time::Instant::now();
    replayed.units = state.unit_count() as u64;
    compare::units_and_shipments(conn, &state, problems).await?;
    compare::entrustments(conn, &all_entrusted, problems).await?;
    replayed.counted = counted;
    took.end = t.elapsed();
    tracing::debug!(?took, "replay");
    Ok(replayed)
}

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
            if r.opt_str("leaf_kind")? == Some(kind) {
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
    let text = r.opt_str(col).ok().flatten()?;
    match Uuid::parse_str(text) {
        Ok(u) => Some(u),
        Err(_) => {
            problems.add(table, key.to_owned(), col, "a UUID".into(), text.to_owned(), None);
            None
        }
    }
}

/// Every place's canonical identifiers → its organisation (a shipment's
/// destination may name a place), into the state a page at a time.
async fn place_owners(conn: &mut Conn<'_>, state: &mut State, problems: &mut Problems) -> Result<()> {
    let mut after = String::new();
    loop {
        let page = conn
            .fetch_all(
                "SELECT id, gln, org_id FROM places WHERE id > $1 ORDER BY id LIMIT 5000",
                &crate::params![after.as_str()],
            )
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.text("id")?;
        for r in &page {
            let key = r.opt_text("id")?.unwrap_or_default();
            let (Some(id), Some(org)) = (
                uuid_in(r, "id", "places", &key, problems),
                uuid_in(r, "org_id", "places", &key, problems),
            ) else {
                continue;
            };
            state.add_place(&format!("{PLACE_URN}{id}"), org)?;
            if let Some(gln) = r.opt_str("gln")? {
                state.add_place(&place_canonical(id, Some(gln)), org)?;
            }
        }
        state.end_page()?;
    }
}

/// A unit allocated before any event named it.
fn allocate(r: &Row, key: &str, state: &mut State, problems: &mut Problems) -> Result<()> {
    let org = uuid_in(r, "a_org", "unit_allocations", key, problems);
    let (Some(epc), Some(org), Some(at)) = (r.opt_text("a_epc")?, org, r.opt_int("a_at")?) else {
        return Ok(());
    };
    state.allocate(&epc, org, r.opt_text("a_origin")?, at)
}

/// A page of the log as the walk hands it to the replay: its rows, and for
/// each row that logs an event, the event parsed and its own columns checked
/// ([`prepare_page`]).
pub(super) struct Page {
    pub rows: Arc<Vec<Row>>,
    pub prepared: Vec<Option<Prepared>>,
    /// The stored rows of `event_epcs` and `lineage` of its events.
    stored: compare::Stored,
}

/// What an event gives before any state: parsed, its query columns checked
/// against its document and leaf, its identifiers by role.
pub(super) struct Prepared {
    pk: String,
    org: Uuid,
    ev: Event,
    kind: Option<RecordKind>,
    record_time: i64,
    units: Vec<Named>,
}

/// The stage between the leaf walk and the replay: each page of rows the
/// walk read is prepared ([`prepare_page`]) and handed on, until the empty
/// page that ends the log. Pages the replay is done with come back
/// (`spent`) to be freed here, their rows and event documents handed back
/// to the walk (`spent_rows`): each stage frees what it made. Answers what
/// it found wrong.
pub(super) fn prepare_pages(
    store: crate::Store,
    mut rows: tokio::sync::mpsc::Receiver<super::RawPage>,
    pages: tokio::sync::mpsc::Sender<Page>,
    spent: std::sync::mpsc::Receiver<Page>,
    spent_rows: std::sync::mpsc::Sender<super::Spent>,
) -> Result<Problems> {
    let runtime = tokio::runtime::Handle::current();
    let mut conn = store.db.conn();
    let mut problems = Problems::default();
    let ns = Namespaces::standard().with_context(&serde_json::json!({ "agri": AGRI_NS }));
    let ordered = store.db.backend_name() == "sqlite";
    // The walk stopped early (its error is reported): so does the stage.
    while let Some(page) = rows.blocking_recv() {
        while let Ok(mut done) = spent.try_recv() {
            let docs = done
                .prepared
                .iter_mut()
                .flatten()
                .map(|p| std::mem::take(&mut p.ev.json))
                .collect();
            let _ = spent_rows.send((done.rows, docs));
        }
        let end = page.rows.is_empty();
        let mut page = prepare_page(page, &ns, &mut problems)?;
        let pks: Vec<&str> = page.prepared.iter().flatten().map(|p| p.pk.as_str()).collect();
        page.stored = runtime.block_on(compare::stored(&mut conn, &pks, ordered))?;
        if pages.blocking_send(page).is_err() || end {
            break;
        }
    }
    Ok(problems)
}

/// Prepares each event of a page: the work that needs no state, done while
/// the replay applies the page before.
fn prepare_page(page: super::RawPage, ns: &Namespaces, problems: &mut Problems) -> Result<Page> {
    let super::RawPage { rows, docs } = page;
    let mut prepared = Vec::with_capacity(rows.len());
    for (r, doc) in rows.iter().zip(docs) {
        prepared.push(if super::logs_event(r)? {
            prepare(r, doc, ns, problems)?
        } else {
            None
        });
    }
    Ok(Page {
        rows,
        prepared,
        stored: compare::Stored::default(),
    })
}

/// One event's row, its document parsed by the walk (`None`: not JSON):
/// `None` when it is not an event (reported).
fn prepare(
    r: &Row,
    doc: Option<Value>,
    ns: &Namespaces,
    problems: &mut Problems,
) -> Result<Option<Prepared>> {
    let pk = r.text("e_id")?;
    let org = match r.opt_str("leaf_org")?.map(Uuid::parse_str) {
        Some(Ok(org)) => org,
        // Reported (under the leaf's index, written out only then).
        _ => {
            uuid_in(r, "leaf_org", "tlog_leaves", &r.int("idx")?.to_string(), problems);
            return Ok(None);
        }
    };
    let doc = doc.unwrap_or(Value::Null);
    let ev = match parse_stored_event(doc, ns) {
        Ok(ev) => ev,
        Err(p) => {
            let first = p
                .first()
                .map(|p| format!("{}: {}", p.field, p.error.en))
                .unwrap_or_default();
            problems.add("events", pk, "document", "an EPCIS 2.0 event".into(), first, None);
            return Ok(None);
        }
    };
    let kind = record_kind_of(&ev);
    let record_time = ev
        .json
        .get("recordTime")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp_millis());
    compare::event_columns(r, &ev, kind, org, record_time, problems)?;
    let units = roles(&ev);
    Ok(Some(Prepared {
        pk,
        org,
        ev,
        kind,
        record_time,
        units,
    }))
}

/// One event: its identifiers, then its effects.
fn replay_event(p: &Prepared, state: &mut State, expected: &mut Expected) -> Result<()> {
    let (pk, org, kind, record_time) = (p.pk.clone(), p.org, p.kind, p.record_time);
    let (ev, units) = (&p.ev, &p.units);
    let mut seen = HashSet::new();
    expected.epcs.insert(
        pk.clone(),
        units
            .iter()
            .filter(|u| seen.insert((u.0, u.1.as_str())))
            .map(|u| (u.0.to_owned(), u.1.clone(), u.2, u.3.clone()))
            .collect(),
    );
    let event_id = ev.event_id.as_deref().unwrap_or_default();
    let event_time = ev.event_time_utc().timestamp_millis();
    if ev.error_declaration.is_some() {
        // The declared record no longer counts in its plot's seasons (a
        // declaration repeats the event it declares wrong, its place too).
        let plot = ev.biz_location.as_ref().map(|l| canon(&l.id)).unwrap_or_default();
        return state.correct(&plot, event_id);
    }
    let subject = subject_of(ev, kind, units, event_time);
    let plot = subject.plot.clone().unwrap_or_default();
    let org_n = state.orgs.id(org);
    let facts = season_facts(state.plot_records(&plot)?, org_n, kind, event_time);
    let name = state.names.get(&org).cloned().unwrap_or_default();
    let to_org = match kind {
        Some(RecordKind::Shipping) => destination(ev, state)?,
        _ => None,
    };
    // What the effects ask of units' status is asked of memory.
    state.load_units(units.iter().map(|u| u.1.as_str()))?;
    let changes = {
        let nonconformant = |epc: &str| state.is_non_conformant(epc);
        effects(
            &subject,
            &Context {
                season: &facts.season,
                later_harvests: &facts.later,
                sowings: &facts.sowings,
                to_org,
                agency: crate::trace::authority::destination_orgs(ev).next(),
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
        if let Some(e) = state.apply(change, org, &pk, record_time)? {
            if !edges.contains(&e) {
                edges.push(e);
            }
        }
    }
    expected.edges.insert(pk.clone(), (edges, event_id.to_owned()));
    // A planting or harvest record, for the seasons of later harvests.
    if let Some(k) = kind.filter(|k| FIELD_KINDS.contains(&k.as_str()) || *k == RecordKind::Harvest) {
        let named = expected.epcs.get(&pk).into_iter().flatten();
        let record = season_record(k.as_str(), event_time, &ev.json);
        let record = PlotRecord {
            org: org_n,
            event_id: Key::new(event_id),
            corrected: false,
            kind: k,
            event_time,
            input_lot: record.input_lot.map(Into::into),
            phi_days: record.phi_days,
            registration: record.registration.map(Into::into),
            lots: named.map(|u| u.1.as_str().into()).collect(),
        };
        state.add_plot_record(&plot, record)?;
    }
    Ok(())
}

/// What a record's effects look back on in its plot's records by the same
/// recorder (not corrected): the sowings, a harvest's season, and the later
/// harvests a planting record re-checks.
struct SeasonFacts {
    sowings: Vec<i64>,
    season: Vec<SeasonRecord>,
    later: Vec<(i64, Vec<String>)>,
}

fn season_facts(all: &[PlotRecord], org: u32, kind: Option<RecordKind>, event_time: i64) -> SeasonFacts {
    let records: Vec<&PlotRecord> = all.iter().filter(|p| p.org == org && !p.corrected).collect();
    let sowings: Vec<i64> = records
        .iter()
        .filter(|p| p.kind == RecordKind::Sowing)
        .map(|p| p.event_time)
        .collect();
    let season: Vec<SeasonRecord> = if kind == Some(RecordKind::Harvest) {
        let since = rules::harvest_season(&sowings, event_time).unwrap_or(0);
        records
            .iter()
            .filter(|p| p.kind != RecordKind::Harvest && rules::in_season(p.event_time, since, event_time))
            .map(|p| SeasonRecord {
                kind: p.kind.as_str().to_owned(),
                event_time: p.event_time,
                input_lot: p.input_lot.as_deref().map(str::to_owned),
                phi_days: p.phi_days,
                registration: p.registration.as_deref().map(str::to_owned),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut later: Vec<(i64, Vec<String>)> = Vec::new();
    if rechecks(kind) {
        for p in records
            .iter()
            .filter(|p| p.kind == RecordKind::Harvest && p.event_time >= event_time)
        {
            let lots = p.lots.iter().map(|l| l.to_string());
            match later.iter_mut().find(|h| h.0 == p.event_time) {
                Some(h) => h.1.extend(lots),
                None => later.push((p.event_time, lots.collect())),
            }
        }
    }
    SeasonFacts {
        sowings,
        season,
        later,
    }
}

/// The organisation a shipment is addressed to, as capture resolved it: the
/// first destination that is an organisation on the platform, or else a
/// place one registered.
fn destination(ev: &Event, state: &mut State) -> Result<Option<Uuid>> {
    let registered = crate::trace::authority::destination_orgs(ev).find(|o| state.names.contains_key(o));
    if registered.is_some() {
        return Ok(registered);
    }
    for d in &ev.destination_list {
        if let Some(org) = state.place_owner(&canon(&d.id))? {
            return Ok(Some(org));
        }
    }
    Ok(None)
}

/// `n` placeholders from `$1`, for the page's event rows.
pub(in crate::tlog::verify) fn in_list(keys: &[&str]) -> (String, Vec<Val>) {
    (
        placeholders(1, keys.len()),
        keys.iter().map(|&k| Val::from(k)).collect(),
    )
}
