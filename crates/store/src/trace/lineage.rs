//! Lineage edges and the walks over them.
//!
//! Edges are written when a linking event is stored (transformation inputs
//! to outputs, packing children into a parent, a harvest from its plot and
//! the input lots applied there, a split), so tracing is an index walk, never
//! a scan of all events. An item belongs to its lot without an edge: the
//! walk derives the lot from the item's identifier.

use std::collections::{BTreeMap, HashSet};

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
    /// Walks lineage from `start` in `dir`, breadth first, at most
    /// `max_depth` steps. Returns every unit reached (the start at depth 0).
    pub async fn walk_lineage(&self, start: &str, dir: Direction, max_depth: u32) -> Result<Vec<Reached>> {
        let mut seen: HashSet<String> = HashSet::from([start.to_owned()]);
        let mut out = vec![Reached {
            epc: start.to_owned(),
            depth: 0,
            via: None,
            relation: None,
            event_id: None,
        }];
        let mut frontier = vec![start.to_owned()];
        let mut depth = 0;
        while !frontier.is_empty() && depth < max_depth && out.len() < MAX_WALK {
            depth += 1;
            let mut next: BTreeMap<String, Reached> = BTreeMap::new();
            let mut add = |epc: String, via: &str, relation: &str, event_id: Option<String>| {
                if !seen.contains(&epc) {
                    next.entry(epc.clone()).or_insert(Reached {
                        epc,
                        depth,
                        via: Some(via.to_owned()),
                        relation: Some(relation.to_owned()),
                        event_id,
                    });
                }
            };
            for chunk in frontier.chunks(500) {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let (from, to) = match dir {
                    Direction::Back => ("downstream", "upstream"),
                    Direction::Forward => ("upstream", "downstream"),
                };
                let sql = format!(
                    "SELECT l.{from} AS here, l.{to} AS there, l.relation, e.event_id FROM lineage l \
                     JOIN events e ON e.id = l.event_pk WHERE l.{from} IN ({})",
                    placeholders.join(",")
                );
                let ps: Vec<Val> = chunk.iter().map(|s| s.as_str().into()).collect();
                for r in self.db.conn().fetch_all(&sql, &ps).await? {
                    add(
                        r.text("there")?,
                        &r.text("here")?,
                        &r.text("relation")?,
                        r.opt_text("event_id")?,
                    );
                }
                if dir == Direction::Forward {
                    // A lot reaches its items.
                    let sql = format!(
                        "SELECT t.epc, l.epc AS lot FROM units l JOIN units t ON t.gtin = l.gtin AND t.batch = l.batch \
                         AND t.kind = 'item' WHERE l.kind = 'lot' AND l.epc IN ({})",
                        placeholders.join(",")
                    );
                    for r in self.db.conn().fetch_all(&sql, &ps).await? {
                        add(r.text("epc")?, &r.text("lot")?, relation::MEMBER_OF, None);
                    }
                }
            }
            frontier = next.keys().cloned().collect();
            for (epc, reached) in next {
                seen.insert(epc);
                out.push(reached);
            }
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
