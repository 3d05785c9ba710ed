//! What the replay derived against what is stored: each mismatch names the
//! table, the row's key, the column, what the log gives and what was found.
//! A missing row is reported as column `row` with `found` "missing"; a row
//! the log does not give as `found` "a row the log does not give".

use std::collections::{BTreeMap, BTreeSet, HashMap};

use suyuan_core::epcis::Event;
use suyuan_core::stages::{profile, RecordKind};
use uuid::Uuid;

use super::state::{State, UnitState};
use super::{in_list, uuid_in, Expected, Problems};
use crate::db::{Conn, Row};
use crate::trace::capture::{action_str, canon};
use crate::{params, Result};

const MISSING: &str = "missing";

/// A quantity and its unit of measure.
type Measure = (Option<f64>, Option<String>);
/// A stored edge: (upstream, downstream, relation, eventID).
type EdgeRow = (String, String, String, Option<String>);
const EXTRA: &str = "a row the log does not give";

fn text<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

/// Notes each column whose stored value is not the derived one.
fn columns(
    problems: &mut Problems,
    table: &str,
    key: &str,
    cols: &[(&str, String, String)],
    record: Option<&str>,
) {
    for (col, expected, found) in cols {
        if expected != found {
            problems.add(
                table,
                key.to_owned(),
                col,
                expected.clone(),
                found.clone(),
                record,
            );
        }
    }
}

/// The query columns of an event row against its document and leaf,
/// compared without copying (a page holds thousands); a mismatch is
/// reported with both values.
pub(super) fn event_columns(
    r: &Row,
    ev: &Event,
    kind: Option<RecordKind>,
    org: Uuid,
    record_time: i64,
    problems: &mut Problems,
) -> Result<()> {
    let event_id = ev.event_id.as_deref().unwrap_or_default();
    let mut org_buf = Uuid::encode_buffer();
    let org = &*org.hyphenated().encode_lower(&mut org_buf);
    let (biz_step, disposition) = (ev.biz_step_uri(), ev.disposition_uri());
    let read_point = ev.read_point.as_ref().map(|l| canon(&l.id));
    let biz_location = ev.biz_location.as_ref().map(|l| canon(&l.id));
    // (column, expected, column of the page row)
    let texts: [(&str, Option<&str>, &str); 11] = [
        ("event_id", Some(event_id), "e_event_id"),
        ("org_id", Some(org), "e_org_id"),
        ("event_type", Some(ev.event_type.as_str()), "event_type"),
        (
            "time_zone_offset",
            Some(&ev.event_time_zone_offset),
            "time_zone_offset",
        ),
        ("action", ev.action.map(action_str), "action"),
        ("biz_step", biz_step.as_deref(), "biz_step"),
        ("disposition", disposition.as_deref(), "disposition"),
        ("read_point", read_point.as_deref(), "read_point"),
        ("biz_location", biz_location.as_deref(), "biz_location"),
        ("record_kind", kind.map(|k| k.as_str()), "e_record_kind"),
        ("stage", kind.map(|k| profile(k).stage.as_str()), "stage"),
    ];
    let ints: [(&str, i64, &str); 3] = [
        ("event_time", ev.event_time_utc().timestamp_millis(), "event_time"),
        ("record_time", record_time, "record_time"),
        ("event_key", crate::trace::event_key(event_id), "event_key"),
    ];
    let mut wrong: Vec<(&str, String, String)> = Vec::new();
    for (col, expected, at) in texts {
        let found = r.opt_str(at)?;
        if found != expected {
            wrong.push((col, text(expected), text(found)));
        }
    }
    for (col, expected, at) in ints {
        let found = r.opt_int(at)?;
        if found != Some(expected) {
            wrong.push((col, expected.to_string(), text(found)));
        }
    }
    let declared = ev.error_declaration.is_some();
    let found = r.bool("is_error_declaration")?;
    if found != declared {
        wrong.push(("is_error_declaration", declared.to_string(), found.to_string()));
    }
    if !wrong.is_empty() {
        columns(problems, "events", &r.text("e_id")?, &wrong, Some(event_id));
    }
    Ok(())
}

/// The stored rows of `event_epcs` and `lineage` of a page's events, by
/// event: read while the page is prepared, compared when it is replayed.
#[derive(Default)]
pub(super) struct Stored {
    epcs: HashMap<String, BTreeMap<(String, String), Measure>>,
    edges: HashMap<String, BTreeSet<EdgeRow>>,
}

/// The stored rows of `event_epcs` and `lineage` of the events `pks`.
pub(super) async fn stored(conn: &mut Conn<'_>, pks: &[&str]) -> Result<Stored> {
    let mut out = Stored::default();
    let (found_epcs, found_edges) = (&mut out.epcs, &mut out.edges);
    for chunk in pks.chunks(500) {
        let (list, ps) = in_list(chunk);
        let sql =
            format!("SELECT event_pk, role, epc, quantity, uom FROM event_epcs WHERE event_pk IN ({list})");
        for r in conn.fetch_all(&sql, &ps).await? {
            found_epcs.entry(r.text("event_pk")?).or_default().insert(
                (r.text("role")?, r.text("epc")?),
                (r.opt_float("quantity")?, r.opt_text("uom")?),
            );
        }
        let sql = format!("SELECT event_pk, upstream, downstream, relation, event_id FROM lineage WHERE event_pk IN ({list})");
        for r in conn.fetch_all(&sql, &ps).await? {
            found_edges.entry(r.text("event_pk")?).or_default().insert((
                r.text("upstream")?,
                r.text("downstream")?,
                r.text("relation")?,
                r.opt_text("event_id")?,
            ));
        }
    }
    Ok(out)
}

/// The page's rows of `event_epcs`, `lineage` (by event) against what its
/// events give.
pub(super) fn page(expected: &Expected, stored: Stored, problems: &mut Problems) {
    let Stored {
        epcs: mut found_epcs,
        edges: mut found_edges,
    } = stored;
    for (pk, rows) in &expected.epcs {
        let mut found = found_epcs.remove(pk).unwrap_or_default();
        for (role, epc, qty, uom) in rows {
            let key = || format!("{pk} {role} {epc}");
            match found.remove(&(role.clone(), epc.clone())) {
                None => problems.add("event_epcs", key(), "row", "a row".into(), MISSING.into(), None),
                Some((q, u)) if (q, &u) != (*qty, uom) => columns(
                    problems,
                    "event_epcs",
                    &key(),
                    &[
                        ("quantity", text(*qty), text(q)),
                        ("uom", text(uom.clone()), text(u)),
                    ],
                    None,
                ),
                Some(_) => {}
            }
        }
        for (role, epc) in found.into_keys() {
            problems.add(
                "event_epcs",
                format!("{pk} {role} {epc}"),
                "row",
                "no row".into(),
                EXTRA.into(),
                None,
            );
        }
    }
    for (pk, (edges, event_id)) in &expected.edges {
        let mut found = found_edges.remove(pk).unwrap_or_default();
        for e in edges {
            let row = (
                e.upstream.clone(),
                e.downstream.clone(),
                e.relation.to_owned(),
                Some(event_id.clone()),
            );
            if !found.remove(&row) {
                let key = format!("{pk} {} -{}-> {}", e.upstream, e.relation, e.downstream);
                problems.add(
                    "lineage",
                    key,
                    "row",
                    format!("a row naming event {event_id}"),
                    MISSING.into(),
                    Some(event_id),
                );
            }
        }
        for (up, down, rel, id) in found {
            let key = format!("{pk} {up} -{rel}-> {down}");
            problems.add(
                "lineage",
                key,
                "row",
                "no row".into(),
                format!("{EXTRA} (event_id {})", text(id)),
                Some(event_id),
            );
        }
    }
}

/// Every unit against the state: stored rows in key order, each compared
/// column by column; units the log gives that are not stored.
pub(super) async fn units(conn: &mut Conn<'_>, state: &State, problems: &mut Problems) -> Result<()> {
    let mut seen = 0usize;
    // A page at a time, in key order: memory stays that of the state.
    let mut after = String::new();
    loop {
        let page = conn
            .fetch_all(
                "SELECT * FROM units WHERE epc > $1 ORDER BY epc LIMIT 5000",
                &params![after.as_str()],
            )
            .await?;
        let Some(last) = page.last() else { break };
        after = last.text("epc")?;
        seen += units_page(&page, state, problems)?;
    }
    if seen < state.units.len() {
        let stored: BTreeSet<String> = conn
            .fetch_all("SELECT epc FROM units", &[])
            .await?
            .iter()
            .map(|r| r.text("epc"))
            .collect::<Result<_>>()?;
        for epc in state.units.keys().filter(|e| !stored.contains(*e)) {
            problems.add("units", epc.clone(), "row", "a row".into(), MISSING.into(), None);
        }
    }
    Ok(())
}

/// One page of `units` against the state; answers how many of its rows the
/// state has.
fn units_page(page: &[Row], state: &State, problems: &mut Problems) -> Result<usize> {
    let mut seen = 0usize;
    for r in page {
        let epc = r.text("epc")?;
        let Some(u) = state.units.get(&epc) else {
            problems.add("units", epc, "row", "no row".into(), EXTRA.into(), None);
            continue;
        };
        seen += 1;
        let status = if u.non_conformant {
            "non_conformant"
        } else {
            "active"
        };
        let cols = [
            ("id", crate::trace::unit_id(&epc).to_string(), r.text("id")?),
            ("kind", u.kind.clone(), r.text("kind")?),
            ("gtin", text(u.gtin.clone()), text(r.opt_text("gtin")?)),
            ("batch", text(u.batch.clone()), text(r.opt_text("batch")?)),
            ("serial", text(u.serial.clone()), text(r.opt_text("serial")?)),
            ("sscc", text(u.sscc.clone()), text(r.opt_text("sscc")?)),
            ("owner_org_id", u.owner.to_string(), r.text("owner_org_id")?),
            ("holder_org_id", u.holder.to_string(), r.text("holder_org_id")?),
            ("status", status.to_owned(), r.text("status")?),
            (
                "status_reason",
                text(u.reason.clone()),
                text(r.opt_text("status_reason")?),
            ),
            (
                "status_reason_zh",
                text(u.reason_zh.clone()),
                text(r.opt_text("status_reason_zh")?),
            ),
            (
                "origin_place",
                text(u.origin.clone()),
                text(r.opt_text("origin_place")?),
            ),
            (
                "created_event",
                text(u.created_event.clone()),
                text(r.opt_text("created_event")?),
            ),
            (
                "created_at",
                u.created_at.to_string(),
                r.int("created_at")?.to_string(),
            ),
            ("lot_epc", text(u.lot_epc.clone()), text(r.opt_text("lot_epc")?)),
        ];
        columns(problems, "units", &epc, &cols, None);
    }
    Ok(seen)
}

/// Every shipment against the state.
pub(super) async fn shipments(conn: &mut Conn<'_>, state: &State, problems: &mut Problems) -> Result<()> {
    let mut left: BTreeSet<&String> = state.shipments.keys().collect();
    for r in conn.fetch_all("SELECT * FROM shipments", &[]).await? {
        let key = r.text("despatch_ref")?;
        let Some(s) = state.shipments.get(&key) else {
            problems.add("shipments", key, "row", "no row".into(), EXTRA.into(), None);
            continue;
        };
        left.remove(&key);
        let cols = [
            ("from_org_id", s.from.to_string(), r.text("from_org_id")?),
            ("to_org_id", text(s.to), text(r.opt_text("to_org_id")?)),
            ("shipped_event", s.shipped_event.clone(), r.text("shipped_event")?),
            (
                "shipped_at",
                s.shipped_at.to_string(),
                r.int("shipped_at")?.to_string(),
            ),
            (
                "received_event",
                text(s.received.as_ref().map(|x| &x.0)),
                text(r.opt_text("received_event")?),
            ),
            (
                "received_at",
                text(s.received.as_ref().map(|x| x.1)),
                text(r.opt_int("received_at")?),
            ),
        ];
        columns(problems, "shipments", &key, &cols, None);
    }
    for key in left {
        problems.add(
            "shipments",
            key.clone(),
            "row",
            "a row".into(),
            MISSING.into(),
            None,
        );
    }
    Ok(())
}

/// Every entrustment against those the sampling records give.
pub(super) async fn entrustments(
    conn: &mut Conn<'_>,
    expected: &BTreeSet<(Uuid, String, String)>,
    problems: &mut Problems,
) -> Result<()> {
    let mut left = expected.clone();
    for r in conn
        .fetch_all("SELECT agency_org_id, epc, event_pk FROM entrustments", &[])
        .await?
    {
        let key = format!(
            "{} {} {}",
            r.text("agency_org_id")?,
            r.text("epc")?,
            r.text("event_pk")?
        );
        let Some(agency) = uuid_in(&r, "agency_org_id", "entrustments", &key, problems) else {
            continue;
        };
        let row = (agency, r.text("epc")?, r.text("event_pk")?);
        if !left.remove(&row) {
            problems.add("entrustments", key, "row", "no row".into(), EXTRA.into(), None);
        }
    }
    for (agency, epc, pk) in left {
        problems.add(
            "entrustments",
            format!("{agency} {epc} {pk}"),
            "row",
            "a row".into(),
            MISSING.into(),
            None,
        );
    }
    Ok(())
}

/// `corrected_by` of every event: the error declaration stored with its
/// eventID, and nothing else.
pub(super) async fn corrections(conn: &mut Conn<'_>, problems: &mut Problems) -> Result<()> {
    let wrong = conn
        .fetch_all(
            "SELECT e.id, e.event_id, e.corrected_by FROM events e LEFT JOIN events d ON d.id = e.corrected_by \
             WHERE e.corrected_by IS NOT NULL AND (d.id IS NULL OR d.event_id <> e.event_id \
             OR d.is_error_declaration = $1 OR e.is_error_declaration = $2)",
            &params![false, true],
        )
        .await?;
    for r in wrong {
        let id = r.text("event_id")?;
        problems.add(
            "events",
            r.text("id")?,
            "corrected_by",
            "the error declaration of this eventID, or NULL".into(),
            r.text("corrected_by")?,
            Some(&id),
        );
    }
    let missing = conn
        .fetch_all(
            "SELECT e.id, e.event_id, e.corrected_by, d.id AS declaration FROM events d JOIN events e \
             ON e.event_key = d.event_key AND e.event_id = d.event_id AND e.is_error_declaration = $1 \
             WHERE d.is_error_declaration = $2 AND (e.corrected_by IS NULL OR e.corrected_by <> d.id)",
            &params![false, true],
        )
        .await?;
    for r in missing {
        let id = r.text("event_id")?;
        problems.add(
            "events",
            r.text("id")?,
            "corrected_by",
            r.text("declaration")?,
            text(r.opt_text("corrected_by")?),
            Some(&id),
        );
    }
    Ok(())
}

/// How many rows of `event_epcs` and `lineage` the logged events give.
#[derive(Debug, Default)]
pub(super) struct Counted {
    pub epcs: i64,
    pub edges: i64,
}

/// Rows of `event_epcs` and `lineage` whose event is no logged event. Every
/// row of a logged event was compared with its page, so such rows exist
/// only when a table holds more rows than the events give: only then are
/// they looked for.
pub(super) async fn orphans(conn: &mut Conn<'_>, counted: &Counted, problems: &mut Problems) -> Result<()> {
    for (table, cols, given) in [
        ("event_epcs", "x.event_pk, x.role, x.epc", counted.epcs),
        ("lineage", "x.event_pk, x.upstream, x.downstream", counted.edges),
    ] {
        let stored = conn
            .fetch_optional(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .await?;
        if stored.map(|r| r.int("n")).transpose()?.unwrap_or(0) <= given {
            continue;
        }
        let sql = format!(
            "SELECT {cols} FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM tlog_leaves l \
             WHERE l.event_pk = x.event_pk AND l.record_kind IS NULL)"
        );
        for r in conn.fetch_all(&sql, &[]).await? {
            let key = format!(
                "{} {}",
                r.text("event_pk")?,
                r.text(if table == "lineage" { "upstream" } else { "role" })?
            );
            problems.add(
                table,
                key,
                "event_pk",
                "a logged event".into(),
                EXTRA.into(),
                None,
            );
        }
    }
    Ok(())
}

/// Issued items as stored, by (lot, time of issue): the replay takes each
/// group when it meets the issue that made it.
pub(super) type Issued = HashMap<(String, i64), Vec<(String, String)>>;

/// Every stored item that an item issue made (an item of a lot named by
/// serial only), grouped by lot and time.
pub(super) async fn issued_items(conn: &mut Conn<'_>) -> Result<Issued> {
    let mut out: Issued = HashMap::new();
    let rows = conn
        .fetch_all(
            "SELECT epc, serial, lot_epc, created_at FROM units WHERE kind = 'item' AND lot_epc IS NOT NULL",
            &[],
        )
        .await?;
    for r in rows {
        let epc = r.text("epc")?;
        if epc.contains("/10/") {
            continue;
        }
        let key = (r.text("lot_epc")?, r.int("created_at")?);
        out.entry(key)
            .or_default()
            .push((r.opt_text("serial")?.unwrap_or_default(), epc));
    }
    Ok(out)
}

/// An item issue: the items stored with it must be as many as it says and
/// hash to its serials' hash; they then join the state, as the lot's items.
pub(super) fn issue(
    r: &Row,
    key: &str,
    issued: &mut Issued,
    state: &mut State,
    problems: &mut Problems,
) -> Result<()> {
    let org = uuid_in(r, "i_org", "item_issues", key, problems);
    let (Some(lot), Some(org), Some(at)) = (r.opt_text("i_lot")?, org, r.opt_int("i_at")?) else {
        return Ok(());
    };
    let mut items = issued.remove(&(lot.clone(), at)).unwrap_or_default();
    items.sort_unstable();
    let listed: String = items.iter().map(|(s, _)| format!("{s}\n")).collect();
    let hash = crate::tlog::LOG_HASH.digest(listed.as_bytes()).to_hex();
    let count = r.opt_int("i_count")?.unwrap_or(0);
    if items.len() as i64 != count || Some(&hash) != r.opt_text("i_sha")?.as_ref() {
        problems.add(
            "units",
            format!("items of {lot} issued at {at}"),
            "serial",
            format!("{count} items whose serials hash to the issue's serials_sha256 (item_issue {key})"),
            format!("{} items hashing to {hash}", items.len()),
            None,
        );
    }
    let lot_state = state.units.get(&lot).cloned();
    for (serial, epc) in items {
        let mut u = UnitState::new(&epc, org, at);
        u.lot_epc = Some(lot.clone());
        u.serial = Some(serial);
        if let Some(l) = &lot_state {
            u.gtin = l.gtin.clone();
            u.batch = l.batch.clone();
            if l.non_conformant {
                u.non_conformant = true;
                u.reason = l.reason.clone();
                u.reason_zh = l.reason_zh.clone();
            }
        }
        state.insert(&epc, u);
    }
    Ok(())
}
