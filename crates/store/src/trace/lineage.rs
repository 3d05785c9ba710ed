//! Lineage edges and the walks over them.
//!
//! Edges are written when a linking event is stored (transformation inputs
//! to outputs, packing children into a parent, a harvest from its plot and
//! the input lots applied there, a split), so tracing is an index walk, never
//! a scan of all events. An item belongs to its lot without an edge: the
//! walk derives the lot from the item's identifier.

use std::collections::HashSet;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{Tx, Val};
use crate::{params, Result, Store};

/// How one unit relates to the next.
pub mod relation {
    /// An input of a transformation became (part of) an output.
    pub const TRANSFORMED: &str = "transformed";
    /// A child was packed into a parent (case, pallet).
    pub const PACKED: &str = "packed";
    /// A lot was split into lots (or items).
    pub const SPLIT: &str = "split";
    /// A lot was harvested from a plot.
    pub const GROWN_ON: &str = "grown_on";
    /// An input lot was applied on the plot a lot was harvested from.
    pub const INPUT_APPLIED: &str = "input_applied";
    /// An item belongs to its lot (derived, not stored).
    pub const MEMBER_OF: &str = "member_of";
}

/// One edge to write.
#[derive(Debug, Clone)]
pub struct Edge {
    pub upstream: String,
    pub downstream: String,
    pub relation: &'static str,
}

/// Writes edges for an event inside its transaction (duplicates ignored).
pub(crate) async fn write_edges(tx: &mut Tx, event_pk: &str, edges: &[Edge]) -> Result<()> {
    for chunk in edges.chunks(500) {
        let mut sql = String::from("INSERT INTO lineage (upstream, downstream, relation, event_pk) VALUES ");
        let mut ps: Vec<Val> = vec![event_pk.into()];
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let n = ps.len();
            sql.push_str(&format!("(${},${},${},$1)", n + 1, n + 2, n + 3));
            ps.extend([
                e.upstream.as_str().into(),
                e.downstream.as_str().into(),
                e.relation.into(),
            ]);
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        tx.execute(&sql, &ps).await?;
    }
    Ok(())
}

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Upstream: where it came from.
    Back,
    /// Downstream: where it went.
    Forward,
}

/// A unit reached by a walk.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// one recursive query (both backends run `WITH RECURSIVE`): one round
    /// trip, the database follows the indexes. The edges are the stored
    /// lineage plus lot membership (an item belongs to its lot), taken from
    /// the units table. Returns every unit reached once, at its smallest
    /// depth (the start at depth 0), nearest first.
    pub async fn walk_lineage(&self, start: &str, dir: Direction, max_depth: u32) -> Result<Vec<Reached>> {
        let (from, to) = match dir {
            Direction::Back => ("downstream", "upstream"),
            Direction::Forward => ("upstream", "downstream"),
        };
        let sql = format!(
            "WITH RECURSIVE edges(upstream, downstream, relation, event_pk) AS ( \
               SELECT upstream, downstream, relation, event_pk FROM lineage \
               UNION ALL SELECT l.epc, i.epc, '{member}', NULL FROM units i \
                 JOIN units l ON l.gtin = i.gtin AND l.batch = i.batch AND l.kind = 'lot' WHERE i.kind = 'item' \
             ), walk(epc, depth, via, relation, event_pk) AS ( \
               SELECT CAST($1 AS TEXT), 0, CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT) \
               UNION SELECT e.{to}, w.depth + 1, w.epc, e.relation, e.event_pk \
                 FROM walk w JOIN edges e ON e.{from} = w.epc WHERE w.depth < $2 \
             ) \
             SELECT w.epc, w.depth, w.via, w.relation, ev.event_id FROM walk w \
             LEFT JOIN events ev ON ev.id = w.event_pk ORDER BY w.depth, w.epc LIMIT {limit}",
            member = relation::MEMBER_OF,
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
                 WHERE e.event_id = $1 ORDER BY l.upstream, l.downstream",
                &params![event_id],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.text("upstream")?, r.text("downstream")?, r.text("relation")?)))
            .collect()
    }
}
