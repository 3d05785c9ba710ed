//! What a capture reads once, before its first event, in a few statements
//! however many events the document holds: who holds the units it names
//! (and which are non-conformant), the latest harvest on the plots its
//! planting records name, and which of its eventIDs are stored already.

use super::*;

/// Who holds each of `epcs` (those the platform knows), and which of them
/// are non-conformant, in one read.
pub(super) async fn unit_holders<'e>(
    tx: &mut Tx,
    epcs: impl Iterator<Item = &'e str>,
) -> Result<(HashMap<String, Uuid>, BTreeSet<String>)> {
    let epcs: Vec<&str> = epcs.collect();
    let mut holders = HashMap::new();
    let mut nonconformant = BTreeSet::new();
    for chunk in epcs.chunks(500) {
        let ps: Vec<Val> = chunk.iter().map(|&s| s.into()).collect();
        let sql = format!(
            "SELECT epc, holder_org_id, status FROM units WHERE epc IN ({})",
            placeholders(1, chunk.len())
        );
        for r in tx.fetch_all(&sql, &ps).await? {
            let epc = r.text("epc")?;
            if r.text("status")? == "non_conformant" {
                nonconformant.insert(epc.clone());
            }
            holders.insert(epc, r.uuid("holder_org_id")?);
        }
    }
    Ok((holders, nonconformant))
}

/// The latest stored harvest on each plot that a planting record (other
/// than a sowing) of the document names, in one statement.
pub(super) async fn latest_harvests<'e>(
    tx: &mut Tx,
    events: impl Iterator<Item = &'e Event>,
) -> Result<HashMap<String, i64>> {
    let plots: BTreeSet<String> = events
        .filter(|e| {
            record_kind_of(e).is_some_and(|k| k != RecordKind::Sowing && FIELD_KINDS.contains(&k.as_str()))
        })
        .filter_map(|e| e.biz_location.as_ref().map(|l| l.id.clone()))
        .collect();
    let plots: Vec<String> = plots.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in plots.chunks(500) {
        let ps: Vec<Val> = chunk.iter().map(|s| Val::from(s.as_str())).collect();
        let sql = format!(
            "SELECT biz_location, MAX(event_time) AS t FROM events WHERE biz_location IN ({}) \
             AND record_kind = 'harvest' AND corrected_by IS NULL GROUP BY biz_location",
            placeholders(1, chunk.len())
        );
        for r in tx.fetch_all(&sql, &ps).await? {
            out.insert(r.text("biz_location")?, r.int("t")?);
        }
    }
    Ok(out)
}

/// The organisations that recorded any of `event_ids` already (by eventID
/// and whether the row is an error declaration).
pub(super) async fn stored_event_orgs<'p>(
    tx: &mut Tx,
    events: impl Iterator<Item = &'p Prepared>,
) -> Result<HashMap<(String, bool), Uuid>> {
    let mut out = HashMap::new();
    let mut ids: HashSet<&str> = HashSet::new();
    let mut keys: BTreeSet<i64> = BTreeSet::new();
    for p in events {
        ids.insert(&p.event_id);
        keys.insert(p.event_key);
    }
    let keys: Vec<i64> = keys.into_iter().collect();
    for chunk in keys.chunks(500) {
        let ps: Vec<Val> = chunk.iter().map(|&k| k.into()).collect();
        let sql = format!(
            "SELECT event_id, is_error_declaration, org_id FROM events WHERE event_key IN ({})",
            placeholders(1, chunk.len())
        );
        for r in tx.fetch_all(&sql, &ps).await? {
            let event_id = r.text("event_id")?;
            // Another eventID with the same key is not one of these.
            if !ids.contains(event_id.as_str()) {
                continue;
            }
            out.insert((event_id, r.bool("is_error_declaration")?), r.uuid("org_id")?);
        }
    }
    Ok(out)
}
