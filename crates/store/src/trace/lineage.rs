//! Lineage edges and the walks over them.
//!
//! Edges are written when a linking event is stored (transformation inputs
//! to outputs, packing children into a parent, a harvest from its plot and
//! the input lots applied there, a split), so tracing is an index walk, never
//! a scan of all events. An item belongs to its lot without an edge: the
//! item's row names its lot (`units.lot_epc`), and the walk follows that too.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{params, Result, Store};

pub use suyuan_core::effects::{relation, Edge};

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Upstream: where it came from.
    Back,
    /// Downstream: where it went.
    Forward,
}

/// A unit reached by a walk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reached {
    pub epc: String,
    /// Steps from the starting unit.
    pub depth: u32,
    /// The unit one step nearer the start, and how they relate.
    pub via: Option<String>,
    pub relation: Option<String>,
    /// The event that wrote the edge (its EPCIS eventID), if any.
    pub event_id: Option<String>,
}

/// Most units one walk visits (a recall of a whole season stays far below).
pub const MAX_WALK: usize = 2_000_000;

impl Store {
    /// Walks lineage from `start` in `dir`, at most `max_depth` steps, in
    /// one recursive query: one round trip, the database follows the
    /// indexes. Each step follows the stored lineage edges and lot
    /// membership (an item names its lot in `units.lot_epc`). Returns every
    /// unit reached once, at its smallest depth (the start at depth 0),
    /// nearest first.
    ///
    /// The one query written twice: SQLite takes the two kinds of step as two
    /// recursive SELECTs, PostgreSQL (which allows one recursive reference)
    /// as one LATERAL union. Both read the same tables through the same
    /// indexes and give the same rows (the trace tests run on both). On
    /// PostgreSQL the NULL test stays outside the union (`OFFSET 0` keeps it
    /// there): inside, a planner with stale statistics would answer an `epc`
    /// lookup by scanning every item through the `lot_epc` index.
    pub async fn walk_lineage(&self, start: &str, dir: Direction, max_depth: u32) -> Result<Vec<Reached>> {
        let (from, to, m_from, m_to) = match dir {
            Direction::Back => ("downstream", "upstream", "epc", "lot_epc"),
            Direction::Forward => ("upstream", "downstream", "lot_epc", "epc"),
        };
        let member = relation::MEMBER_OF;
        let steps = match self.db {
            crate::Db::Sqlite(_) => format!(
                "SELECT l.{to}, w.depth + 1, w.epc, l.relation, l.event_id \
                   FROM walk w JOIN lineage l ON l.{from} = w.epc WHERE w.depth < $2 \
                 UNION SELECT u.{m_to}, w.depth + 1, w.epc, '{member}', NULL \
                   FROM walk w JOIN units u ON u.{m_from} = w.epc WHERE w.depth < $2 AND u.lot_epc IS NOT NULL"
            ),
            crate::Db::Postgres(_) => format!(
                "SELECT e.next, w.depth + 1, w.epc, e.relation, e.event_id FROM walk w CROSS JOIN LATERAL ( \
                   SELECT l.{to} AS next, l.relation, l.event_id FROM lineage l WHERE l.{from} = w.epc \
                   UNION ALL SELECT u.{m_to}, '{member}', CAST(NULL AS TEXT) FROM units u \
                     WHERE u.{m_from} = w.epc OFFSET 0 \
                 ) e WHERE w.depth < $2 AND e.next IS NOT NULL"
            ),
        };
        // Edges carry their eventID: the walk never reads the events table.
        let sql = format!(
            "WITH RECURSIVE walk(epc, depth, via, relation, event_id) AS ( \
               SELECT CAST($1 AS TEXT), 0, CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT) \
               UNION {steps} \
             ) \
             SELECT epc, depth, via, relation, event_id FROM walk ORDER BY depth, epc LIMIT {limit}",
            limit = MAX_WALK * 4,
        );
        let ps = params![start, i64::from(max_depth)];
        let rows = self.db.conn().fetch_all(&sql, &ps).await?;
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for r in rows {
            let epc = r.text("epc")?;
            if !seen.insert(epc.clone()) {
                continue;
            }
            out.push(Reached {
                epc,
                depth: u32::try_from(r.int("depth")?).unwrap_or(u32::MAX),
                via: r.opt_text("via")?,
                relation: r.opt_text("relation")?,
                event_id: r.opt_text("event_id")?,
            });
        }
        Ok(out)
    }

    /// The forward walk as a PostgreSQL user would write it by hand: one
    /// recursive CTE (for comparison in the benchmark). Returns the number of
    /// units reached.
    pub async fn forward_count_by_cte(&self, start: &str) -> Result<i64> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "WITH RECURSIVE down(epc) AS (SELECT $1::text UNION \
                 SELECT l.downstream FROM lineage l JOIN down d ON l.upstream = d.epc) \
                 SELECT COUNT(*) - 1 AS n FROM down",
                &params![start],
            )
            .await?;
        Ok(row.map(|r| r.int("n")).transpose()?.unwrap_or(0))
    }

    /// Edges written by one event (for tests and verification).
    pub async fn edges_of_event(&self, event_id: &str) -> Result<Vec<(String, String, String)>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT l.upstream, l.downstream, l.relation FROM lineage l JOIN events e ON e.id = l.event_pk \
                 WHERE e.event_key = $1 AND e.event_id = $2 ORDER BY l.upstream, l.downstream",
                &params![super::event_key(event_id), event_id],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.text("upstream")?, r.text("downstream")?, r.text("relation")?)))
            .collect()
    }
}
