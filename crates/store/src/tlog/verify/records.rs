//! What a leaf logs: its record (an event document, or a master-data row
//! in its canonical form) against the leaf's record hash, and the leaf's
//! own `event_id` and `created_at` against what that record binds.

use foldhash::{HashMap, HashMapExt};

use super::leaves::Leaf;
use super::Problems;
use crate::db::{Conn, Row};
use crate::master_log::RecordKind;
use crate::tlog::{ms_to_rfc3339, LOG_HASH};
use crate::Result;

/// What the record hash binds of the leaf's own columns: the record's name
/// (`event_id`: the eventID inside the event document, or `<kind>:<id>` of
/// the master-data row, whose canonical form holds its id) and when it was
/// made (`created_at`: the document's `recordTime`, or the row's
/// `created_at`). `None` when the record is not there (reported).
#[derive(Default)]
pub(super) struct Bound {
    pub(super) name: Option<String>,
    pub(super) time: Option<i64>,
    /// Where they were read, for the report.
    pub(super) source: &'static str,
    /// The master-data kind; `None` for an event.
    pub(super) kind: Option<&'static str>,
}

/// The record hash against what the leaf logs: a master-data record's
/// canonical form, from its row, or the stored event document (`bound`:
/// what the document binds, read when it was parsed; `None` when it is not
/// JSON). Answers what the record hash binds of the leaf's columns.
pub(super) async fn check_record(
    conn: &mut Conn<'_>,
    leaf: &Leaf<'_>,
    r: &Row,
    bound: Option<Bound>,
    masters: &MasterRows,
    problems: &mut Problems,
) -> Result<Bound> {
    let (idx, ev, expected) = (leaf.idx, leaf.ev(), &leaf.record_hash_text);
    match (r.opt_text("record_kind")?, r.opt_str("event_document")?) {
        (Some(kind_text), _) => match RecordKind::parse(&kind_text) {
            None => {
                problems.add(
                    "tlog_leaves",
                    leaf.at(),
                    "record_kind",
                    "place, product, input or input_purchase".into(),
                    kind_text,
                    ev,
                );
                Ok(Bound::default())
            }
            Some(kind) => {
                let pk = r.text("event_pk")?;
                let row = masters.get(&(kind, pk.clone()));
                check_master_record(conn, (kind, pk), row, leaf, problems).await
            }
        },
        (None, None) => {
            let pk = r.text("event_pk")?;
            dangling(leaf, "events", &pk, problems);
            problems.add(
                "events",
                pk,
                "id",
                format!("the event of leaf {idx}"),
                "no such event (deleted?)".into(),
                ev,
            );
            Ok(Bound::default())
        }
        (None, Some(doc)) => {
            let digest = LOG_HASH.digest(doc.as_bytes());
            if !digest.is_hex(expected) {
                let h = digest.to_hex();
                problems.add(
                    "events",
                    r.text("event_pk")?,
                    "document",
                    format!("a document hashing to {expected} (leaf {idx})"),
                    format!("a document hashing to {h}"),
                    ev,
                );
            }
            let bound = bound.unwrap_or_default();
            if bound.name.is_none() || bound.time.is_none() {
                problems.add(
                    "events",
                    r.text("event_pk")?,
                    "document",
                    "an event with its eventID and recordTime (which the leaf's event_id and created_at repeat)"
                        .into(),
                    format!("eventID {:?}, recordTime {:?}", bound.name, bound.time.map(ms_to_rfc3339)),
                    ev,
                );
            }
            Ok(bound)
        }
    }
}

/// A leaf whose row is not there: deleted, or the leaf's `event_pk` changed.
fn dangling(leaf: &Leaf<'_>, table: &str, pk: &str, problems: &mut Problems) {
    problems.add(
        "tlog_leaves",
        leaf.at(),
        "event_pk",
        format!("the id of a row of {table}"),
        format!("{pk}, which is no row of {table}"),
        leaf.ev(),
    );
}

/// The rows of a page's master-data records, by kind and id.
pub(super) type MasterRows = HashMap<(RecordKind, String), Row>;

/// The rows the master-data leaves of a page log, read with one query per
/// kind and hundreds of rows (a page of places is a few reads, not one a
/// leaf).
pub(super) async fn master_rows(conn: &mut Conn<'_>, rows: &[Row]) -> Result<MasterRows> {
    let mut wanted: HashMap<RecordKind, Vec<&str>> = HashMap::new();
    for r in rows {
        if let Some(kind) = r.opt_str("record_kind")?.and_then(RecordKind::parse) {
            wanted.entry(kind).or_default().push(r.str("event_pk")?);
        }
    }
    let mut out = HashMap::new();
    for (kind, ids) in wanted {
        for chunk in ids.chunks(500) {
            let (list, ps) = super::replay::in_list(chunk);
            let sql = format!("SELECT * FROM {} WHERE id IN ({list})", kind.table());
            for row in conn.fetch_all(&sql, &ps).await? {
                out.insert((kind, row.text("id")?), row);
            }
        }
    }
    Ok(out)
}

/// A master-data record's canonical form, from its row (`None`: there is
/// none), against the leaf's record hash. Answers its name and `created_at`.
async fn check_master_record(
    conn: &mut Conn<'_>,
    (kind, pk): (RecordKind, String),
    row: Option<&Row>,
    leaf: &Leaf<'_>,
    problems: &mut Problems,
) -> Result<Bound> {
    let (idx, ev, expected) = (leaf.idx, leaf.ev(), &leaf.record_hash_text);
    let Some(row) = row else {
        dangling(leaf, kind.table(), &pk, problems);
        problems.add(
            kind.table(),
            pk,
            "id",
            format!("the {} of leaf {idx}", kind.as_str()),
            "no such row (deleted?)".into(),
            ev,
        );
        return Ok(Bound::default());
    };
    let h = LOG_HASH.digest(&kind.canonical_bytes(row)?).to_hex();
    // An edited entry's row is its latest version; its version 1 is
    // checked against this leaf (`Store::master_rows_against_log`).
    if &h != expected && !crate::master_versions::has_versions(conn, kind, &pk).await? {
        problems.add(
            kind.table(),
            pk.clone(),
            "row",
            format!("a row whose canonical form hashes to {expected} (leaf {idx})"),
            format!("a row hashing to {h}"),
            ev,
        );
    }
    Ok(Bound {
        name: Some(kind.leaf_name(&pk)),
        time: row.opt_int("created_at")?,
        source: "created_at of its row",
        kind: Some(kind.as_str()),
    })
}

/// The eventID and `recordTime` (in ms) of a stored event document, parsed
/// (a field that is not a string is not there).
pub(super) fn bound_by_document(document: &serde_json::Value) -> Bound {
    let field = |name: &str| document.get(name).and_then(serde_json::Value::as_str);
    Bound {
        name: field("eventID").map(str::to_owned),
        time: field("recordTime")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis()),
        source: "recordTime of its event document",
        kind: None,
    }
}

/// The leaf's `event_id` and `created_at`, which its hash does not cover
/// directly, are what its record hash binds ([`Bound`]): so whoever reads
/// them reads signed values.
pub(super) fn check_bound_columns(
    leaf: &Leaf<'_>,
    r: &Row,
    bound: &Bound,
    problems: &mut Problems,
) -> Result<()> {
    if let Some(name) = bound.name.as_deref().filter(|n| *n != leaf.event_id) {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "event_id",
            format!("{name} (the name its record hash binds)"),
            leaf.event_id.to_owned(),
            Some(name),
        );
    }
    let created = r.int("created_at")?;
    if let Some(time) = bound.time.filter(|t| *t != created) {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "created_at",
            format!("{time} ({}, the {})", ms_to_rfc3339(time), bound.source),
            format!("{created} ({})", ms_to_rfc3339(created)),
            bound.name.as_deref().or(leaf.ev()),
        );
    }
    Ok(())
}
