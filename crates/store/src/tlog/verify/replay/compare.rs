//! What the replay derived against what is stored: each mismatch names the
//! table, the row's key, the column, what the log gives and what was found.
//! A missing row is reported as column `row` with `found` "missing"; a row
//! the log does not give as `found` "a row the log does not give".

use std::collections::BTreeSet;

use foldhash::{HashMap, HashSet};

use suyuan_core::epcis::Event;
use suyuan_core::stages::{profile, RecordKind};
use uuid::Uuid;

use super::state::{Scratch, State};
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
/// An event's rows are few: each is looked for along its event's list.
#[derive(Default)]
pub(super) struct Stored {
    epcs: HashMap<String, Vec<(String, String, Measure)>>,
    edges: HashMap<String, Vec<EdgeRow>>,
}

/// The stored rows of `event_epcs` and `lineage` of the events `pks`.
///
/// `ordered`: the database compares texts byte by byte (SQLite), so the
/// rows of the page's events, whose keys (UUIDv7, made as they were
/// captured) follow the log closely, are read as one range of each table's
/// index, those of other events dropped. A range much wider than the page
/// (keys not in log order) is read by key instead.
pub(super) async fn stored(conn: &mut Conn<'_>, pks: &[&str], ordered: bool) -> Result<Stored> {
    if ordered {
        if let Some(out) = stored_in_range(conn, pks).await? {
            return Ok(out);
        }
    }
    let mut out = Stored::default();
    for chunk in pks.chunks(500) {
        let (list, ps) = in_list(chunk);
        let epcs =
            format!("SELECT event_pk, role, epc, quantity, uom FROM event_epcs WHERE event_pk IN ({list})");
        let edges =
            format!("SELECT event_pk, upstream, downstream, relation, event_id FROM lineage WHERE event_pk IN ({list})");
        out.add(
            &conn.fetch_all(&epcs, &ps).await?,
            &conn.fetch_all(&edges, &ps).await?,
            None,
        )?;
    }
    Ok(out)
}

/// [`stored`] as two ranges; `None` when a range holds many more rows than
/// the page's events could have (then read by key).
async fn stored_in_range(conn: &mut Conn<'_>, pks: &[&str]) -> Result<Option<Stored>> {
    let (Some(first), Some(last)) = (pks.iter().min(), pks.iter().max()) else {
        return Ok(Some(Stored::default()));
    };
    let limit = (pks.len() * 64 + 1000) as i64;
    let mut read = Vec::with_capacity(2);
    for cols in [
        "event_pk, role, epc, quantity, uom FROM event_epcs",
        "event_pk, upstream, downstream, relation, event_id FROM lineage",
    ] {
        let sql = format!("SELECT {cols} WHERE event_pk >= $1 AND event_pk <= $2 LIMIT $3");
        let rows = conn.fetch_all(&sql, &params![*first, *last, limit]).await?;
        if rows.len() as i64 >= limit {
            return Ok(None);
        }
        read.push(rows);
    }
    let wanted: HashSet<&str> = pks.iter().copied().collect();
    let mut out = Stored::default();
    out.add(&read[0], &read[1], Some(&wanted))?;
    Ok(Some(out))
}

impl Stored {
    /// Rows read, those of the events `wanted` (all when `None`).
    fn add(&mut self, epcs: &[Row], edges: &[Row], wanted: Option<&HashSet<&str>>) -> Result<()> {
        let keep = |pk: &str| wanted.is_none_or(|w| w.contains(pk));
        for r in epcs {
            let pk = r.str("event_pk")?;
            if keep(pk) {
                self.epcs.entry(pk.to_owned()).or_default().push((
                    r.text("role")?,
                    r.text("epc")?,
                    (r.opt_float("quantity")?, r.opt_text("uom")?),
                ));
            }
        }
        for r in edges {
            let pk = r.str("event_pk")?;
            if keep(pk) {
                self.edges.entry(pk.to_owned()).or_default().push((
                    r.text("upstream")?,
                    r.text("downstream")?,
                    r.text("relation")?,
                    r.opt_text("event_id")?,
                ));
            }
        }
        Ok(())
    }
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
            let at = found.iter().position(|f| f.0 == *role && f.1 == *epc);
            match at.map(|i| found.swap_remove(i).2) {
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
        for (role, epc, _) in found {
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
            let at = found.iter().position(|f| {
                f.0 == e.upstream
                    && f.1 == e.downstream
                    && f.2 == e.relation
                    && f.3.as_deref() == Some(event_id.as_str())
            });
            if let Some(i) = at {
                found.swap_remove(i);
            } else {
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

/// `units` and `shipments` against the state, once the replay is done:
/// the stored units of the lower half of the keys, those of the upper half
/// and the shipments, each on a thread of its own (reading the state's
/// scratch file through a connection of its own), a page at a time in key
/// order, column by column; then, if fewer were found than the log gives,
/// the rows the log gives that are not stored.
pub(super) async fn units_and_shipments(
    conn: &mut Conn<'_>,
    state: &State,
    problems: &mut Problems,
) -> Result<()> {
    let middle = middle_key(conn, "units", "epc", state.unit_count()).await?;
    let middle = middle.as_deref();
    let runtime = tokio::runtime::Handle::current();
    let db = *conn;
    let part = |work: Part| {
        let mut found = Problems::default();
        let via = state.reader()?;
        let mut conn = db;
        let seen = runtime.block_on(async {
            match work {
                Part::Units(from, to) => {
                    in_key_order(&mut conn, "units", "epc", (from, to), |page| {
                        units_page(page, state, &via, &mut found)
                    })
                    .await
                }
                Part::Shipments => {
                    in_key_order(&mut conn, "shipments", "despatch_ref", (None, None), |page| {
                        let mut seen = 0;
                        for r in page {
                            seen += usize::from(shipment(r, state, &via, &mut found)?);
                        }
                        Ok(seen)
                    })
                    .await
                }
            }
        })?;
        Ok::<_, crate::StoreError>((seen, found))
    };
    // No key halfway (fewer rows stored than the log gives): one share.
    let mut parts = match middle {
        Some(m) => vec![Part::Units(None, Some(m)), Part::Units(Some(m), None)],
        None => vec![Part::Units(None, None)],
    };
    parts.push(Part::Shipments);
    let done: Vec<Result<(usize, Problems)>> = std::thread::scope(|s| {
        let threads: Vec<_> = parts.iter().map(|&w| s.spawn(move || part(w))).collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let (mut units_seen, mut shipments_seen) = (0, 0);
    for (work, d) in parts.iter().zip(done) {
        let (n, found) = d?;
        match work {
            Part::Units(..) => units_seen += n,
            Part::Shipments => shipments_seen += n,
        }
        problems.absorb(found);
    }
    if units_seen < state.unit_count() {
        let mut given = Vec::new();
        state.for_each_unit(|u| given.push(u.epc.clone()))?;
        missing(conn, "units", "epc", given, problems).await?;
    }
    if shipments_seen < state.shipment_count() {
        let mut given = Vec::new();
        state.for_each_shipment(|s| given.push(s.despatch.clone()))?;
        missing(conn, "shipments", "despatch_ref", given, problems).await?;
    }
    Ok(())
}

/// A share of the final comparison: the units whose keys are in a range
/// (from, inclusive, to, exclusive), or the shipments.
#[derive(Clone, Copy)]
enum Part<'a> {
    Units(Option<&'a str>, Option<&'a str>),
    Shipments,
}

/// The key of `table` halfway along its `count` rows (about), or `None`
/// when it has none there.
async fn middle_key(conn: &mut Conn<'_>, table: &str, col: &str, count: usize) -> Result<Option<String>> {
    let sql = format!("SELECT {col} FROM {table} ORDER BY {col} LIMIT 1 OFFSET $1");
    let half = i64::try_from(count / 2).unwrap_or(i64::MAX);
    let row = conn.fetch_optional(&sql, &params![half]).await?;
    row.map(|r| r.text(col)).transpose()
}

/// Every row of `table` whose key `col` is in `range` (from, inclusive,
/// to, exclusive; open where `None`), in key order, a page at a time, each
/// page handed to `each`; answers the sum of what `each` answered.
async fn in_key_order(
    conn: &mut Conn<'_>,
    table: &str,
    col: &str,
    range: (Option<&str>, Option<&str>),
    mut each: impl FnMut(&[Row]) -> Result<usize>,
) -> Result<usize> {
    let (mut total, mut after, mut first) = (0, range.0.unwrap_or_default().to_owned(), true);
    let below = if range.1.is_some() {
        format!(" AND {col} < $2")
    } else {
        String::new()
    };
    loop {
        // The first page from the range's start on, each next after the last.
        let op = if first { ">=" } else { ">" };
        let sql = format!("SELECT * FROM {table} WHERE {col} {op} $1{below} ORDER BY {col} LIMIT 5000");
        let page = match range.1 {
            Some(to) => conn.fetch_all(&sql, &params![after.as_str(), to]).await?,
            None => conn.fetch_all(&sql, &params![after.as_str()]).await?,
        };
        let Some(last) = page.last() else { break };
        (after, first) = (last.text(col)?, false);
        total += each(&page)?;
    }
    Ok(total)
}

/// Rows the log gives that `table` does not hold (by its key `col`).
async fn missing(
    conn: &mut Conn<'_>,
    table: &str,
    col: &str,
    given: Vec<Box<str>>,
    problems: &mut Problems,
) -> Result<()> {
    for chunk in given.chunks(500) {
        let keys: Vec<&str> = chunk.iter().map(|k| &**k).collect();
        let (list, ps) = in_list(&keys);
        let sql = format!("SELECT {col} FROM {table} WHERE {col} IN ({list})");
        let found: BTreeSet<String> = conn
            .fetch_all(&sql, &ps)
            .await?
            .iter()
            .map(|r| r.text(col))
            .collect::<Result<_>>()?;
        for k in keys.into_iter().filter(|k| !found.contains(*k)) {
            problems.add(table, k.to_owned(), "row", "a row".into(), MISSING.into(), None);
        }
    }
    Ok(())
}

/// One page of `units` against the state; answers how many of its rows the
/// state has.
fn units_page(page: &[Row], state: &State, via: &Scratch, problems: &mut Problems) -> Result<usize> {
    let mut seen = 0usize;
    for r in page {
        let epc = r.text("epc")?;
        let Some(u) = state.fetch_unit(via, &epc)? else {
            problems.add("units", epc, "row", "no row".into(), EXTRA.into(), None);
            continue;
        };
        seen += 1;
        let parts = State::parts(&u);
        let status = if u.status.is_some() {
            "non_conformant"
        } else {
            "active"
        };
        let reason = u.status.as_ref();
        let cols = [
            ("id", crate::trace::unit_id(&epc).to_string(), r.text("id")?),
            ("kind", parts.kind.to_owned(), r.text("kind")?),
            ("gtin", text(parts.gtin), text(r.opt_text("gtin")?)),
            ("batch", text(parts.batch), text(r.opt_text("batch")?)),
            ("serial", text(parts.serial), text(r.opt_text("serial")?)),
            ("sscc", text(parts.sscc), text(r.opt_text("sscc")?)),
            (
                "owner_org_id",
                state.orgs.uuid(u.owner).to_string(),
                r.text("owner_org_id")?,
            ),
            (
                "holder_org_id",
                state.orgs.uuid(u.holder).to_string(),
                r.text("holder_org_id")?,
            ),
            ("status", status.to_owned(), r.text("status")?),
            (
                "status_reason",
                text(reason.map(|r| &r.en)),
                text(r.opt_text("status_reason")?),
            ),
            (
                "status_reason_zh",
                text(reason.map(|r| &r.zh)),
                text(r.opt_text("status_reason_zh")?),
            ),
            (
                "origin_place",
                text(u.origin.as_deref()),
                text(r.opt_text("origin_place")?),
            ),
            (
                "created_event",
                text(u.created_event.as_ref()),
                text(r.opt_text("created_event")?),
            ),
            (
                "created_at",
                u.created_at.to_string(),
                r.int("created_at")?.to_string(),
            ),
            ("lot_epc", text(parts.lot_epc), text(r.opt_text("lot_epc")?)),
        ];
        columns(problems, "units", &epc, &cols, None);
    }
    Ok(seen)
}

/// One stored shipment against the state; whether the state has it.
fn shipment(r: &Row, state: &State, via: &Scratch, problems: &mut Problems) -> Result<bool> {
    let key = r.text("despatch_ref")?;
    let Some(s) = state.fetch_shipment(via, &key)? else {
        problems.add("shipments", key, "row", "no row".into(), EXTRA.into(), None);
        return Ok(false);
    };
    let cols = [
        (
            "from_org_id",
            state.orgs.uuid(s.from).to_string(),
            r.text("from_org_id")?,
        ),
        (
            "to_org_id",
            text(s.to.map(|o| state.orgs.uuid(o))),
            text(r.opt_text("to_org_id")?),
        ),
        (
            "shipped_event",
            s.shipped_event.to_string(),
            r.text("shipped_event")?,
        ),
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
    Ok(true)
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
pub(crate) async fn corrections(conn: &mut Conn<'_>, problems: &mut Problems) -> Result<()> {
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

/// How many rows of `event_epcs` and `lineage` the logged events give (or
/// the tables hold).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counted {
    pub epcs: i64,
    pub edges: i64,
}

/// How many rows `event_epcs` and `lineage` hold (counted beside the walk).
pub(crate) async fn stored_counts(conn: &mut Conn<'_>) -> Result<Counted> {
    let mut n = [0i64; 2];
    for (i, table) in ["event_epcs", "lineage"].into_iter().enumerate() {
        let row = conn
            .fetch_optional(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .await?;
        n[i] = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
    }
    Ok(Counted {
        epcs: n[0],
        edges: n[1],
    })
}

/// Rows of `event_epcs` and `lineage` whose event is no logged event. Every
/// row of a logged event was compared with its page, so such rows exist
/// only when a table holds more rows than the events give: only then are
/// they looked for.
pub(crate) async fn orphans(
    conn: &mut Conn<'_>,
    counted: &Counted,
    stored: &Counted,
    problems: &mut Problems,
) -> Result<()> {
    for (table, cols, given, held) in [
        (
            "event_epcs",
            "x.event_pk, x.role, x.epc",
            counted.epcs,
            stored.epcs,
        ),
        (
            "lineage",
            "x.event_pk, x.upstream, x.downstream",
            counted.edges,
            stored.edges,
        ),
    ] {
        if held <= given {
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

/// An item issue: the items stored with it (the items of its lot made at
/// its time, read when it is met) must be as many as it says and hash to
/// its serials' hash; they then join the state, as the lot's items.
pub(super) async fn issue(
    conn: &mut Conn<'_>,
    r: &Row,
    key: &str,
    state: &mut State,
    problems: &mut Problems,
) -> Result<()> {
    let org = uuid_in(r, "i_org", "item_issues", key, problems);
    let (Some(lot), Some(org), Some(at)) = (r.opt_text("i_lot")?, org, r.opt_int("i_at")?) else {
        return Ok(());
    };
    // Items of a lot named by serial only (not by batch) are issued ones.
    let mut items: Vec<(String, String)> = Vec::new();
    for row in conn
        .fetch_all(
            "SELECT epc, serial FROM units WHERE lot_epc = $1 AND created_at = $2 AND kind = 'item'",
            &params![lot.as_str(), at],
        )
        .await?
    {
        let epc = row.text("epc")?;
        if !epc.contains("/10/") {
            items.push((row.opt_text("serial")?.unwrap_or_default(), epc));
        }
    }
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
    let epcs: Vec<&str> = items.iter().map(|(_, e)| e.as_str()).collect();
    state.issue(&lot, org, at, &epcs)
}
