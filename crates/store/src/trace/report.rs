//! Trace reports: from one unit back to every upstream unit, event,
//! organisation, place and input lot (down to the plot and the seed,
//! fertiliser and pesticide lots), or forward to every downstream lot, item,
//! pallet and shipment and every organisation that received them; with the
//! traceability depth reached and the gaps (units whose origin is
//! unrecorded).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lineage::{relation, Direction, Reached};
use super::names::{self, InputLotName};
use crate::db::{placeholders, Val};
use crate::orgs::ts;
use crate::{params, Caller, Result, Store, StoreError};

/// A unit in a trace report, with the names a clerk reads beside its
/// identifiers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TracedUnit {
    #[serde(flatten)]
    pub reached: Reached,
    /// lot, item, logistic, other; absent when the platform has no record of
    /// the unit (an input lot named by a field record, a plot).
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Why it is not active, in English.
    pub status_reason: Option<String>,
    /// The same in Chinese.
    pub status_reason_zh: Option<String>,
    pub holder_org_id: Option<Uuid>,
    /// The holder's name.
    pub holder_org_name: Option<String>,
    /// A lot or item (or an input lot given as a GS1 lot): the name of the
    /// product registered with its GTIN.
    pub product_name: Option<String>,
    /// A place reached (the plot a lot was grown on): its name.
    pub place_name: Option<String>,
    /// An input lot (`urn:suyuan:input-lot:{purchase id}`): the input's name.
    pub input_name: Option<String>,
    /// An input lot: the lot number its purchase recorded.
    pub input_lot_number: Option<String>,
}

/// An event in a trace report (a summary: documents stay private).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TracedEvent {
    pub event_id: String,
    pub event_type: String,
    pub event_time: DateTime<Utc>,
    pub record_kind: Option<String>,
    pub stage: Option<String>,
    pub biz_step: Option<String>,
    pub biz_location: Option<String>,
    /// The name of the place `biz_location` names, when it is registered.
    pub place_name: Option<String>,
    pub org_id: Uuid,
    /// The name of the organisation that recorded it.
    pub org_name: String,
    /// True when an error declaration corrected this event.
    pub corrected: bool,
    /// Its position in the transparency log (the leaf index); its proof
    /// bundle is `GET /tlog/proof?event_id={event_id}`.
    pub log_index: Option<i64>,
}

/// An organisation in a trace report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TracedOrg {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

/// A unit whose origin (back) is unrecorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Gap {
    pub epc: String,
    /// The name of its product, when its GTIN is registered.
    pub product_name: Option<String>,
    pub reason: String,
}

/// The whole trace.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
    /// The name of each place of `places` (and of each plot reached) the
    /// platform knows, by URI.
    pub place_names: BTreeMap<String, String>,
    /// Input lots (seed, fertiliser, pesticide) reached.
    pub input_lots: Vec<String>,
    /// The input and lot number of each input lot of `input_lots` bought
    /// by an organisation of the report, by URI.
    pub input_lot_names: BTreeMap<String, InputLotName>,
    pub gaps: Vec<Gap>,
    /// The storage and transport conditions of the stays the events began
    /// at places with devices: readings summarised as EPCIS
    /// `sensorElementList` data and the devices' silences, derived from
    /// logged readings (`crate::devices::conditions`).
    #[serde(default)]
    pub conditions: Vec<crate::devices::conditions::StayConditions>,
}

const STAGE_ORDER: &[&str] = &[
    "planting",
    "post_harvest",
    "testing",
    "storage_transport",
    "sales",
];

/// The events of a report, joined to the organisation that recorded each.
const EVENT_COLUMNS: &str = "e.event_id, e.event_type, e.event_time, e.record_kind, e.stage, e.biz_step, \
                             e.biz_location, e.org_id, o.name AS org_name, e.corrected_by, \
                             (SELECT l.idx FROM tlog_leaves l WHERE l.event_pk = e.id) AS log_index";

fn traced_event(r: &crate::db::Row) -> Result<TracedEvent> {
    Ok(TracedEvent {
        event_id: r.text("event_id")?,
        event_type: r.text("event_type")?,
        event_time: ts(r.int("event_time")?),
        record_kind: r.opt_text("record_kind")?,
        stage: r.opt_text("stage")?,
        biz_step: r.opt_text("biz_step")?,
        biz_location: r.opt_text("biz_location")?,
        place_name: None,
        org_id: r.uuid("org_id")?,
        org_name: r.text("org_name")?,
        corrected: r.opt_text("corrected_by")?.is_some(),
        log_index: r.opt_int("log_index")?,
    })
}

/// What the platform records of a unit reached.
struct UnitFacts {
    kind: String,
    status: String,
    reason: Option<String>,
    reason_zh: Option<String>,
    holder: Uuid,
    gtin: Option<String>,
    /// An event recorded its creation (harvest, commissioning).
    created: bool,
}

/// Most identifiers bound in one statement.
const CHUNK: usize = 400;

/// Events by time, then eventID (each once).
type Timeline = BTreeMap<String, TracedEvent>;

fn add_event(events: &mut Timeline, e: TracedEvent) {
    events.insert(format!("{}|{}", e.event_time.timestamp_millis(), e.event_id), e);
}

/// Going back, the units with nothing upstream whose creation no event
/// recorded (plots and input lots are origins by nature).
fn gaps(reached: &[Reached], facts: &BTreeMap<String, UnitFacts>) -> Vec<Gap> {
    let has_upstream: BTreeSet<&str> = reached.iter().filter_map(|r| r.via.as_deref()).collect();
    let mut gaps = Vec::new();
    for r in reached {
        let origin = matches!(
            r.relation.as_deref(),
            Some(relation::GROWN_ON) | Some(relation::INPUT_APPLIED)
        );
        let created = facts.get(&r.epc).is_some_and(|f| f.created);
        if origin || has_upstream.contains(r.epc.as_str()) || created {
            continue;
        }
        gaps.push(Gap {
            epc: r.epc.clone(),
            product_name: None,
            reason: if facts.contains_key(&r.epc) {
                "no upstream unit and no event recording its creation (harvest, commissioning)".into()
            } else {
                "unknown to the platform: its origin is unrecorded".into()
            },
        });
    }
    gaps
}

impl Store {
    /// Runs `select`, which ends in a column, once per [`CHUNK`] of `keys`
    /// with `IN (…)` those keys appended; hands each row to `each`.
    pub(crate) async fn for_rows_in(
        &self,
        select: &str,
        keys: &[String],
        mut each: impl FnMut(&crate::db::Row) -> Result<()>,
    ) -> Result<()> {
        for chunk in keys.chunks(CHUNK) {
            let ps: Vec<Val> = chunk.iter().map(Val::from).collect();
            let sql = format!("{select} IN ({})", placeholders(1, chunk.len()));
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                each(&r)?;
            }
        }
        Ok(())
    }

    /// Summaries of the events (not error declarations) naming any of `epcs`.
    pub async fn events_naming(&self, epcs: &[String]) -> Result<Vec<TracedEvent>> {
        let mut out = Vec::new();
        let select = format!(
            "SELECT DISTINCT {EVENT_COLUMNS} FROM event_epcs x JOIN events e ON e.id = x.event_pk \
             JOIN organisations o ON o.id = e.org_id WHERE e.is_error_declaration = FALSE AND x.epc"
        );
        self.for_rows_in(&select, epcs, |r| {
            out.push(traced_event(r)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// The containers (cases, pallets) the units were packed into, at any
    /// level.
    pub async fn containers_of(&self, epcs: &[String]) -> Result<Vec<String>> {
        let mut found: Vec<String> = Vec::new();
        let mut frontier: Vec<String> = epcs.to_vec();
        for _ in 0..8 {
            let mut next = Vec::new();
            let select = "SELECT DISTINCT downstream FROM lineage WHERE relation = 'packed' AND upstream";
            self.for_rows_in(select, &frontier, |r| {
                let d = r.text("downstream")?;
                if !found.contains(&d) {
                    found.push(d.clone());
                    next.push(d);
                }
                Ok(())
            })
            .await?;
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
    pub(crate) async fn may_trace(&self, caller: &Caller, epc: &str) -> Result<bool> {
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

    /// What the platform records of each of `epcs` it knows.
    async fn unit_facts(&self, epcs: &[String]) -> Result<BTreeMap<String, UnitFacts>> {
        let mut facts = BTreeMap::new();
        let select = "SELECT epc, kind, status, status_reason, status_reason_zh, holder_org_id, gtin, \
                      created_event FROM units WHERE epc";
        self.for_rows_in(select, epcs, |r| {
            let f = UnitFacts {
                kind: r.text("kind")?,
                status: r.text("status")?,
                reason: r.opt_text("status_reason")?,
                reason_zh: r.opt_text("status_reason_zh")?,
                holder: r.uuid("holder_org_id")?,
                gtin: r.opt_text("gtin")?,
                created: r.opt_text("created_event")?.is_some(),
            };
            facts.insert(r.text("epc")?, f);
            Ok(())
        })
        .await?;
        // A recall (not a drill) shows on every unit it reached.
        for (epc, reason) in self.recalled_among(epcs).await? {
            if let Some(f) = facts.get_mut(&epc) {
                f.status = "recalled".into();
                f.reason = Some(format!("recalled: {reason}"));
                f.reason_zh = Some(format!("已召回：{reason}"));
            }
        }
        Ok(facts)
    }

    /// The field records of the season that produced a lot grown on
    /// `plot`: the plot's planting records up to the harvest that wrote the
    /// edge, from the last sowing before it (without one, from after the
    /// plot's previous harvest); never another lot's harvest (the lot's own
    /// is among the events naming it).
    async fn season_events(&self, plot: &Reached, events: &mut Timeline) -> Result<()> {
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
        let Some(h) = harvest else { return Ok(()) };
        let (until, org) = (h.int("event_time")?, h.uuid("org_id")?);
        let latest = |kind: &'static str| async move {
            let sql = if kind == "sowing" {
                "SELECT MAX(event_time) AS t FROM events WHERE biz_location = $1 AND record_kind = 'sowing' \
                 AND event_time <= $2 AND org_id = $3 AND corrected_by IS NULL"
            } else {
                "SELECT MAX(event_time) AS t FROM events WHERE biz_location = $1 AND record_kind = 'harvest' \
                 AND event_time < $2 AND org_id = $3 AND corrected_by IS NULL"
            };
            Ok::<_, StoreError>(
                self.db
                    .conn()
                    .fetch_optional(sql, &params![plot.epc.as_str(), until, org])
                    .await?
                    .and_then(|r| r.opt_int("t").ok().flatten()),
            )
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
                    "SELECT {EVENT_COLUMNS} FROM events e JOIN organisations o ON o.id = e.org_id \
                     WHERE e.biz_location = $1 AND e.stage = 'planting' \
                     AND e.event_time >= $2 AND e.event_time <= $3 AND e.org_id = $4 AND e.is_error_declaration = FALSE \
                     AND (e.record_kind IS NULL OR e.record_kind <> 'harvest')"
                ),
                &params![plot.epc.as_str(), since, until, org],
            )
            .await?;
        for r in &rows {
            add_event(events, traced_event(r)?);
        }
        Ok(())
    }

    /// The trace without the access check (the public view filters it).
    pub async fn trace_unchecked(&self, epc: &str, dir: Direction, max_depth: u32) -> Result<TraceReport> {
        let reached = self.walk_lineage(epc, dir, max_depth).await?;
        let depth = reached.iter().map(|r| r.depth).max().unwrap_or(0);
        let epcs: Vec<String> = reached.iter().map(|r| r.epc.clone()).collect();
        let facts = self.unit_facts(&epcs).await?;

        // Events naming the units; for plots reached, the field records of
        // the season there.
        let mut timeline = Timeline::new();
        for e in self.events_naming(&epcs).await? {
            add_event(&mut timeline, e);
        }
        for plot in reached
            .iter()
            .filter(|r| r.relation.as_deref() == Some(relation::GROWN_ON))
        {
            self.season_events(plot, &mut timeline).await?;
        }
        let events: Vec<TracedEvent> = timeline.into_values().collect();
        let gaps = match dir {
            Direction::Back => gaps(&reached, &facts),
            Direction::Forward => Vec::new(),
        };
        let stages: Vec<&str> = events.iter().filter_map(|e| e.stage.as_deref()).collect();
        let depth_reached = match dir {
            Direction::Back => STAGE_ORDER.iter().find(|s| stages.contains(s)),
            Direction::Forward => STAGE_ORDER.iter().rev().find(|s| stages.contains(s)),
        }
        .map(|s| (*s).to_owned());
        let conditions = self.stay_conditions(&events, &epcs, crate::now_ms()).await?;
        let report = TraceReport {
            conditions,
            start: epc.to_owned(),
            direction: dir,
            depth,
            depth_reached,
            units: Vec::new(),
            places: events
                .iter()
                .filter_map(|e| e.biz_location.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            events,
            organisations: Vec::new(),
            place_names: BTreeMap::new(),
            input_lots: reached
                .iter()
                .filter(|r| r.relation.as_deref() == Some(relation::INPUT_APPLIED))
                .map(|r| r.epc.clone())
                .collect(),
            input_lot_names: BTreeMap::new(),
            gaps,
        };
        self.with_names(report, reached, &facts).await
    }

    /// The report with its units and the names beside every identifier:
    /// one lookup per kind of thing (organisations, places, products,
    /// input lots) for the whole report.
    async fn with_names(
        &self,
        mut report: TraceReport,
        reached: Vec<Reached>,
        facts: &BTreeMap<String, UnitFacts>,
    ) -> Result<TraceReport> {
        let gtin = |epc: &str| match facts.get(epc) {
            Some(f) => f.gtin.clone(),
            None => names::gtin_of(epc).map(str::to_owned),
        };
        let mut wanted = names::Wanted::default();
        wanted.orgs.extend(report.events.iter().map(|e| e.org_id));
        wanted.orgs.extend(facts.values().map(|f| f.holder));
        wanted.places.extend(report.places.iter().cloned());
        for r in &reached {
            // A plot or an input lot reached, or the one the trace starts from.
            if r.relation.as_deref() == Some(relation::GROWN_ON) || names::is_place(&r.epc) {
                wanted.places.insert(r.epc.clone());
            }
            if r.relation.as_deref() == Some(relation::INPUT_APPLIED) || names::is_input_lot(&r.epc) {
                wanted.input_lots.insert(r.epc.clone());
            }
            wanted.gtins.extend(gtin(&r.epc));
        }
        let names = self.names(&wanted).await?;

        for e in &mut report.events {
            e.place_name = e.biz_location.as_ref().and_then(|p| names.places.get(p)).cloned();
        }
        for g in &mut report.gaps {
            g.product_name = gtin(&g.epc).and_then(|g| names.products.get(&g)).cloned();
        }
        report.units = reached
            .into_iter()
            .map(|r| {
                let f = facts.get(&r.epc);
                let input = names.input_lots.get(&r.epc);
                TracedUnit {
                    kind: f.map(|f| f.kind.clone()),
                    status: f.map(|f| f.status.clone()),
                    status_reason: f.and_then(|f| f.reason.clone()),
                    status_reason_zh: f.and_then(|f| f.reason_zh.clone()),
                    holder_org_id: f.map(|f| f.holder),
                    holder_org_name: f.and_then(|f| names.orgs.get(&f.holder)).map(|o| o.name.clone()),
                    product_name: gtin(&r.epc).and_then(|g| names.products.get(&g)).cloned(),
                    place_name: names.places.get(&r.epc).cloned(),
                    input_name: input.map(|i| i.input_name.clone()),
                    input_lot_number: input.map(|i| i.lot_number.clone()),
                    reached: r,
                }
            })
            .collect();
        report.place_names = report
            .places
            .iter()
            .chain(wanted.places.iter())
            .filter_map(|p| Some((p.clone(), names.places.get(p)?.clone())))
            .collect();
        report.input_lot_names = names.input_lots;
        report.organisations = names.orgs.into_values().collect();
        Ok(report)
    }
}
