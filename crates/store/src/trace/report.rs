//! Trace reports: from one unit back to every upstream unit, event,
//! organisation, place and input lot (down to the plot and the seed,
//! fertiliser and pesticide lots), or forward to every downstream lot, item,
//! pallet and shipment and every organisation that received them; with the
//! traceability depth reached and the gaps (units whose origin is
//! unrecorded).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::lineage::{relation, Direction, Reached};
use crate::db::Val;
use crate::orgs::ts;
use crate::{params, Caller, Result, Store, StoreError};

/// A unit in a trace report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TracedUnit {
    #[serde(flatten)]
    pub reached: Reached,
    /// lot, item, logistic, other; absent when the platform has no record of
    /// the unit (an input lot named by a field record, a plot).
    pub kind: Option<String>,
    pub status: Option<String>,
    pub status_reason: Option<String>,
    pub holder_org_id: Option<Uuid>,
}

/// An event in a trace report (a summary: documents stay private).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TracedEvent {
    pub event_id: String,
    pub event_type: String,
    pub event_time: DateTime<Utc>,
    pub record_kind: Option<String>,
    pub stage: Option<String>,
    pub biz_step: Option<String>,
    pub biz_location: Option<String>,
    pub org_id: Uuid,
    /// True when an error declaration corrected this event.
    pub corrected: bool,
}

/// An organisation in a trace report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TracedOrg {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

/// A unit whose origin (back) is unrecorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gap {
    pub epc: String,
    pub reason: String,
}

/// The whole trace.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraceReport {
    pub start: String,
    pub direction: Direction,
    /// Steps of lineage walked.
    pub depth: u32,
    /// The last link of the chain the trace reaches: for a trace
    /// back, the earliest stage recorded (planting when it reaches the plot);
    /// forward, the latest (sales when it reaches a sale).
    pub depth_reached: Option<String>,
    pub units: Vec<TracedUnit>,
    pub events: Vec<TracedEvent>,
    pub organisations: Vec<TracedOrg>,
    /// Places named by the events (bizLocation), canonical.
    pub places: Vec<String>,
    /// Input lots (seed, fertiliser, pesticide) reached.
    pub input_lots: Vec<String>,
    pub gaps: Vec<Gap>,
}

const STAGE_ORDER: &[&str] = &[
    "planting",
    "post_harvest",
    "testing",
    "storage_transport",
    "sales",
];

fn in_list(column: &str, start: usize, n: usize) -> String {
    let ps: Vec<String> = (start..start + n).map(|i| format!("${i}")).collect();
    format!("{column} IN ({})", ps.join(","))
}

const EVENT_COLUMNS: &str = "e.event_id, e.event_type, e.event_time, e.record_kind, e.stage, e.biz_step, \
                             e.biz_location, e.org_id, e.corrected_by";

fn traced_event(r: &crate::db::Row) -> Result<TracedEvent> {
    Ok(TracedEvent {
        event_id: r.text("event_id")?,
        event_type: r.text("event_type")?,
        event_time: ts(r.int("event_time")?),
        record_kind: r.opt_text("record_kind")?,
        stage: r.opt_text("stage")?,
        biz_step: r.opt_text("biz_step")?,
        biz_location: r.opt_text("biz_location")?,
        org_id: r.uuid("org_id")?,
        corrected: r.opt_text("corrected_by")?.is_some(),
    })
}

impl Store {
    /// Summaries of the events (not error declarations) naming any of `epcs`.
    pub async fn events_naming(&self, epcs: &[String]) -> Result<Vec<TracedEvent>> {
        let mut out = Vec::new();
        for chunk in epcs.chunks(500) {
            let ps: Vec<Val> = chunk.iter().map(|s| s.as_str().into()).collect();
            let sql = format!(
                "SELECT DISTINCT {EVENT_COLUMNS} FROM event_epcs x JOIN events e ON e.id = x.event_pk \
                 WHERE e.is_error_declaration = FALSE AND {}",
                in_list("x.epc", 1, chunk.len())
            );
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                out.push(traced_event(&r)?);
            }
        }
        Ok(out)
    }

    /// The containers (cases, pallets) the units were packed into, at any
    /// level.
    pub async fn containers_of(&self, epcs: &[String]) -> Result<Vec<String>> {
        let mut found: Vec<String> = Vec::new();
        let mut frontier: Vec<String> = epcs.to_vec();
        for _ in 0..8 {
            let mut next = Vec::new();
            for chunk in frontier.chunks(500) {
                let ps: Vec<Val> = chunk.iter().map(|s| s.as_str().into()).collect();
                let sql = format!(
                    "SELECT DISTINCT downstream FROM lineage WHERE relation = 'packed' AND {}",
                    in_list("upstream", 1, chunk.len())
                );
                for r in self.db.conn().fetch_all(&sql, &ps).await? {
                    let d = r.text("downstream")?;
                    if !found.contains(&d) {
                        found.push(d.clone());
                        next.push(d);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        Ok(found)
    }

    /// May the caller trace this unit? Its owner or holder, an organisation
    /// that recorded an event on it or a link from it (an input lot it
    /// applied), or an officer.
    async fn may_trace(&self, caller: &Caller, epc: &str) -> Result<bool> {
        if caller.officer_jurisdiction().is_some() {
            return Ok(true);
        }
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT 1 AS ok FROM units WHERE epc = $1 AND (owner_org_id = $2 OR holder_org_id = $2) \
                 UNION SELECT 1 AS ok FROM event_epcs x JOIN events e ON e.id = x.event_pk \
                 WHERE x.epc = $1 AND e.org_id = $2 \
                 UNION SELECT 1 AS ok FROM lineage l JOIN events e ON e.id = l.event_pk \
                 WHERE (l.upstream = $1 OR l.downstream = $1) AND e.org_id = $2",
                &params![epc, caller.org_id],
            )
            .await?;
        Ok(row.is_some())
    }

    /// Traces a unit (canonical identifier) back or forward.
    pub async fn trace(
        &self,
        caller: &Caller,
        epc: &str,
        dir: Direction,
        max_depth: u32,
    ) -> Result<TraceReport> {
        // An input lot or a place in any accepted form.
        let epc = &self.canonical_reference(epc).await?;
        if !self.may_trace(caller, epc).await? {
            return Err(StoreError::NotFound { what: "unit" });
        }
        self.trace_unchecked(epc, dir, max_depth).await
    }

    /// The trace without the access check (the public view filters it).
    pub async fn trace_unchecked(&self, epc: &str, dir: Direction, max_depth: u32) -> Result<TraceReport> {
        let reached = self.walk_lineage(epc, dir, max_depth).await?;
        let depth = reached.iter().map(|r| r.depth).max().unwrap_or(0);
        let epcs: Vec<String> = reached.iter().map(|r| r.epc.clone()).collect();

        // Unit facts.
        let mut facts: BTreeMap<String, (String, String, Option<String>, Uuid)> = BTreeMap::new();
        for chunk in epcs.chunks(500) {
            let ps: Vec<Val> = chunk.iter().map(|s| s.as_str().into()).collect();
            let sql = format!(
                "SELECT epc, kind, status, status_reason, holder_org_id FROM units WHERE {}",
                in_list("epc", 1, chunk.len())
            );
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                facts.insert(
                    r.text("epc")?,
                    (
                        r.text("kind")?,
                        r.text("status")?,
                        r.opt_text("status_reason")?,
                        r.uuid("holder_org_id")?,
                    ),
                );
            }
        }

        // Events naming the units; for plots reached, the field records there.
        let mut events: BTreeMap<String, TracedEvent> = BTreeMap::new();
        for e in self.events_naming(&epcs).await? {
            events.insert(format!("{}|{}", e.event_time.timestamp_millis(), e.event_id), e);
        }
        let plots: Vec<&Reached> = reached
            .iter()
            .filter(|r| r.relation.as_deref() == Some(relation::GROWN_ON))
            .collect();
        for plot in &plots {
            // The season that produced the lot: field records on the plot up
            // to the harvest that wrote the edge, from the last sowing; never
            // another lot's harvest (the lot's own is among the events
            // naming it).
            let harvest = match &plot.event_id {
                Some(id) => {
                    self.db
                        .conn()
                        .fetch_optional(
                            "SELECT event_time, org_id FROM events WHERE event_key = $1 AND event_id = $2",
                            &params![super::event_key(id), id.as_str()],
                        )
                        .await?
                }
                None => None,
            };
            let Some(h) = harvest else { continue };
            let (until, org) = (h.int("event_time")?, h.uuid("org_id")?);
            // From the last sowing before the harvest; without one, from
            // after the plot's previous harvest (its previous season).
            let latest = |kind: &'static str| {
                let plot = plot.epc.clone();
                async move {
                    let sql = if kind == "sowing" {
                        "SELECT MAX(event_time) AS t FROM events WHERE biz_location = $1 AND record_kind = 'sowing' \
                         AND event_time <= $2 AND org_id = $3 AND corrected_by IS NULL"
                    } else {
                        "SELECT MAX(event_time) AS t FROM events WHERE biz_location = $1 AND record_kind = 'harvest' \
                         AND event_time < $2 AND org_id = $3 AND corrected_by IS NULL"
                    };
                    Ok::<_, crate::StoreError>(
                        self.db
                            .conn()
                            .fetch_optional(sql, &params![plot.as_str(), until, org])
                            .await?
                            .and_then(|r| r.opt_int("t").ok().flatten()),
                    )
                }
            };
            let since = match latest("sowing").await? {
                Some(sown) => sown,
                None => latest("harvest").await?.map_or(0, |t| t + 1),
            };
            let rows = self
                .db
                .conn()
                .fetch_all(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.biz_location = $1 AND e.stage = 'planting' \
                         AND e.event_time >= $2 AND e.event_time <= $3 AND e.org_id = $4 AND e.is_error_declaration = FALSE \
                         AND (e.record_kind IS NULL OR e.record_kind <> 'harvest')"
                    ),
                    &params![plot.epc.as_str(), since, until, org],
                )
                .await?;
            for r in &rows {
                let e = traced_event(r)?;
                events.insert(format!("{}|{}", e.event_time.timestamp_millis(), e.event_id), e);
            }
        }
        let events: Vec<TracedEvent> = events.into_values().collect();

        // Organisations involved.
        let org_ids: BTreeSet<Uuid> = events
            .iter()
            .map(|e| e.org_id)
            .chain(facts.values().map(|f| f.3))
            .collect();
        let mut organisations = Vec::new();
        for id in &org_ids {
            if let Some(r) = self
                .db
                .conn()
                .fetch_optional(
                    "SELECT id, name, kind FROM organisations WHERE id = $1",
                    &params![*id],
                )
                .await?
            {
                organisations.push(TracedOrg {
                    id: r.uuid("id")?,
                    name: r.text("name")?,
                    kind: r.text("kind")?,
                });
            }
        }

        let places: BTreeSet<String> = events.iter().filter_map(|e| e.biz_location.clone()).collect();
        let input_lots: Vec<String> = reached
            .iter()
            .filter(|r| r.relation.as_deref() == Some(relation::INPUT_APPLIED))
            .map(|r| r.epc.clone())
            .collect();

        // Gaps: going back, a unit with nothing upstream whose creation no
        // event recorded (plots and input lots are origins by nature).
        let mut gaps = Vec::new();
        if dir == Direction::Back {
            let has_upstream: BTreeSet<&str> = reached.iter().filter_map(|r| r.via.as_deref()).collect();
            let mut created: BTreeSet<String> = BTreeSet::new();
            for chunk in epcs.chunks(500) {
                let ps: Vec<Val> = chunk.iter().map(|s| s.as_str().into()).collect();
                let sql = format!(
                    "SELECT epc FROM units WHERE created_event IS NOT NULL AND {}",
                    in_list("epc", 1, chunk.len())
                );
                for r in self.db.conn().fetch_all(&sql, &ps).await? {
                    created.insert(r.text("epc")?);
                }
            }
            for r in &reached {
                let origin = matches!(
                    r.relation.as_deref(),
                    Some(relation::GROWN_ON) | Some(relation::INPUT_APPLIED)
                );
                if origin || has_upstream.contains(r.epc.as_str()) || created.contains(&r.epc) {
                    continue;
                }
                gaps.push(Gap {
                    epc: r.epc.clone(),
                    reason: if facts.contains_key(&r.epc) {
                        "no upstream unit and no event recording its creation (harvest, commissioning)".into()
                    } else {
                        "unknown to the platform: its origin is unrecorded".into()
                    },
                });
            }
        }
        let stages: Vec<&str> = events.iter().filter_map(|e| e.stage.as_deref()).collect();
        let depth_reached = match dir {
            Direction::Back => STAGE_ORDER.iter().find(|s| stages.contains(s)),
            Direction::Forward => STAGE_ORDER.iter().rev().find(|s| stages.contains(s)),
        }
        .map(|s| (*s).to_owned());

        let units = reached
            .into_iter()
            .map(|r| {
                let f = facts.get(&r.epc);
                TracedUnit {
                    kind: f.map(|f| f.0.clone()),
                    status: f.map(|f| f.1.clone()),
                    status_reason: f.and_then(|f| f.2.clone()),
                    holder_org_id: f.map(|f| f.3),
                    reached: r,
                }
            })
            .collect();
        Ok(TraceReport {
            start: epc.to_owned(),
            direction: dir,
            depth,
            depth_reached,
            units,
            events,
            organisations,
            places: places.into_iter().collect(),
            input_lots,
            gaps,
        })
    }
}
