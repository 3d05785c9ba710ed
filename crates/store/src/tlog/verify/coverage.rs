//! Rows that should have a leaf and have none: an event or master-data
//! record inserted directly, outside the store (and so outside the log).
//! Since when a kind of record is logged is read from the records (their
//! bound time, [`Earliest`]), not from the leaves' unsigned `created_at`.

use super::leaves::Earliest;
use super::Problems;
use crate::db::Conn;
use crate::master_log::RecordKind;
use crate::{params, Result};

/// Events recorded since the log began but missing from it (an event row
/// inserted directly). Events captured before the log existed (schema
/// version 2) are not logged and not checked. `found`: the leaves whose
/// event the walk found, each a different event (`event_pk` is unique); when
/// the events are no more than those, every event has its leaf and none is
/// looked for.
pub(super) async fn unlogged_events(
    conn: &mut Conn<'_>,
    earliest: &Earliest,
    found: u64,
    problems: &mut Problems,
) -> Result<()> {
    let Some(since) = earliest.get(&None) else {
        return Ok(());
    };
    let stored = conn
        .fetch_optional("SELECT COUNT(*) AS n FROM events", &[])
        .await?;
    if stored.map(|r| r.int("n")).transpose()?.unwrap_or(0) <= i64::try_from(found).unwrap_or(i64::MAX) {
        return Ok(());
    }
    let unlogged = conn
        .fetch_all(
            "SELECT e.id, e.event_id FROM events e LEFT JOIN tlog_leaves l ON l.event_pk = e.id \
             WHERE l.idx IS NULL AND e.record_time >= $1 ORDER BY e.record_time, e.id LIMIT 100",
            &params![*since],
        )
        .await?;
    for r in &unlogged {
        let event_id = r.text("event_id")?;
        problems.add(
            "events",
            r.text("id")?,
            "id",
            "a leaf for every event recorded since the log began".into(),
            "no leaf (event inserted outside the capture?)".into(),
            Some(&event_id),
        );
    }
    Ok(())
}

/// Master-data records created since the log covers their kind but missing
/// from it (a row inserted directly).
pub(super) async fn unlogged_records(
    conn: &mut Conn<'_>,
    earliest: &Earliest,
    problems: &mut Problems,
) -> Result<()> {
    for kind in RecordKind::ALL {
        let Some(since) = earliest.get(&Some(kind.as_str())) else {
            continue;
        };
        let rows = conn
            .fetch_all(
                &format!(
                    "SELECT t.id FROM {} t LEFT JOIN tlog_leaves l ON l.event_pk = t.id \
                     WHERE l.idx IS NULL AND t.created_at >= $1 ORDER BY t.created_at, t.id LIMIT 100",
                    kind.table()
                ),
                &params![*since],
            )
            .await?;
        for r in &rows {
            let id = r.text("id")?;
            problems.add(
                kind.table(),
                id.clone(),
                "id",
                format!(
                    "a leaf for every {} created since the log covers them",
                    kind.as_str()
                ),
                "no leaf (row inserted outside the store?)".into(),
                Some(&kind.leaf_name(&id)),
            );
        }
    }
    Ok(())
}
