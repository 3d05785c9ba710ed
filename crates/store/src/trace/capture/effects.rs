//! Applying what an accepted event changes to the database. The changes
//! themselves are computed by the pure [`suyuan_core::effects::effects`]
//! from the event and the facts looked up here (the plot's season, later
//! harvests, the recorder's name, which units are non-conformant); the
//! replay of `suyuan verify` calls the same function on its own state.

use suyuan_core::effects::{effects, Context, Effect, SeasonRecord, Subject};

use super::*;

/// The facts of an event its effects depend on.
pub(crate) fn subject_of<'a>(
    ev: &Event,
    kind: Option<RecordKind>,
    units: &'a [Named],
    event_time: i64,
) -> Subject<'a> {
    Subject {
        event_type: ev.event_type,
        action: ev.action,
        kind,
        parent: ev.parent_id.as_deref().map(canon),
        plot: ev.biz_location.as_ref().map(|l| canon(&l.id)),
        units,
        event_time,
        input_lot: agri_str(ev, "inputLot").map(|i| canon(&i)),
        phi_days: agri(ev, "preHarvestIntervalDays").and_then(Value::as_f64),
        registration: agri_str(ev, "registrationNumber"),
        failed_test: kind == Some(RecordKind::Testing)
            && agri(ev, "conclusion")
                .is_some_and(|c| suyuan_core::stages::values::conclusion(c).unwrap_or(false)),
        sample_id: agri_str(ev, "sampleId"),
        despatch: despatch_ref(ev),
    }
}

/// A stored planting record as a harvest's season sees it.
pub(crate) fn season_record(kind: &str, event_time: i64, document: &Value) -> SeasonRecord {
    SeasonRecord {
        kind: kind.to_owned(),
        event_time,
        input_lot: doc_agri(document, "inputLot").map(|i| canon(&i)),
        phi_days: doc_agri(document, "preHarvestIntervalDays").and_then(|d| d.parse::<f64>().ok()),
        registration: doc_agri(document, "registrationNumber"),
    }
}

/// Whether a record kind re-checks harvests recorded before it on its plot.
pub(crate) fn rechecks(kind: Option<RecordKind>) -> bool {
    kind.is_some_and(|k| k != RecordKind::Sowing && FIELD_KINDS.contains(&k.as_str()))
}

impl Store {
    /// What an accepted record changes: units, custody, status. Returns the
    /// lineage edges it adds (held with the event).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn apply_effects(
        &self,
        run: &mut CaptureRun<'_>,
        ev: &Event,
        kind: Option<RecordKind>,
        units: &[Named],
        pk: &str,
        event_time: i64,
        checked: &Checked,
    ) -> Result<Vec<Edge>> {
        let subject = subject_of(ev, kind, units, event_time);
        let season: Vec<SeasonRecord> = checked
            .season
            .iter()
            .map(|r| {
                let doc: Value = serde_json::from_str(&r.document).unwrap_or(Value::Null);
                season_record(&r.record_kind, r.event_time, &doc)
            })
            .collect();
        let (later_harvests, sowings) = if rechecks(kind) {
            self.later_harvests(run, &subject).await?
        } else {
            Default::default()
        };
        let recorder_name = if subject.failed_test {
            let name = run
                .tx
                .fetch_optional(
                    "SELECT name FROM organisations WHERE id = $1",
                    &params![run.caller.org_id],
                )
                .await?;
            name.map(|r| r.text("name")).transpose()?.unwrap_or_default()
        } else {
            String::new()
        };
        if kind == Some(RecordKind::Harvest) {
            if let Some(plot) = &subject.plot {
                let latest = run.latest_harvest.entry(plot.clone()).or_insert(event_time);
                *latest = (*latest).max(event_time);
            }
        }
        let changes = {
            let nonconformant = |epc: &str| run.nonconformant.contains(epc);
            effects(
                &subject,
                &Context {
                    season: &season,
                    later_harvests: &later_harvests,
                    sowings: &sowings,
                    to_org: checked.to_org,
                    agency: checked.agency,
                    recorder_name: &recorder_name,
                    nonconformant: &nonconformant,
                },
            )
        };
        let mut edges = Vec::new();
        for change in changes {
            match change {
                Effect::Register { epc, origin } => run.register_unit(&epc, pk, origin.as_deref()),
                Effect::NonConformant { epc, en, zh } => {
                    run.mark_non_conformant(self, &epc, &en, &zh).await?
                }
                Effect::Edge(e) => edges.push(e),
                Effect::Ship {
                    despatch,
                    to_org,
                    shipped_at,
                } => run.held.push_shipment(HeldShipment {
                    despatch_ref: despatch,
                    to_org_id: to_org,
                    shipped_event: pk.to_owned(),
                    shipped_at,
                }),
                Effect::Entrust { epc, agency } => {
                    run.tx
                        .execute(
                            "INSERT INTO entrustments (epc, agency_org_id, event_pk) VALUES ($1,$2,$3) \
                             ON CONFLICT DO NOTHING",
                            &params![epc.as_str(), agency, pk],
                        )
                        .await?;
                }
                Effect::Receive {
                    despatch,
                    received_at,
                    units,
                } => self.receive(run, pk, &despatch, received_at, &units).await?,
            }
        }
        Ok(edges)
    }

    /// A receipt: the shipment is received, and custody of the units
    /// received and everything packed in them, all levels down, moves to
    /// the caller in one statement.
    async fn receive(
        &self,
        run: &mut CaptureRun<'_>,
        pk: &str,
        despatch: &str,
        received_at: i64,
        received: &[String],
    ) -> Result<()> {
        let caller = run.caller;
        run.tx
            .execute(
                "UPDATE shipments SET received_event = $1, received_at = $2, to_org_id = $3 WHERE despatch_ref = $4",
                &params![pk, received_at, caller.org_id, despatch],
            )
            .await?;
        let mut moving = Vec::new();
        for chunk in received.chunks(500) {
            let mut ps: Vec<Val> = vec![caller.org_id.into()];
            ps.extend(chunk.iter().map(|s| Val::from(s.as_str())));
            let seeds: Vec<String> = (2..chunk.len() + 2).map(|i| format!("(${i})")).collect();
            let sql = format!(
                "WITH RECURSIVE moving (epc) AS (VALUES {} \
                 UNION SELECT l.upstream FROM lineage l JOIN moving m ON l.downstream = m.epc \
                 WHERE l.relation = 'packed') \
                 UPDATE units SET holder_org_id = $1 WHERE epc IN (SELECT epc FROM moving) RETURNING epc",
                seeds.join(",")
            );
            for r in run.tx.fetch_all(&sql, &ps).await? {
                moving.push(r.text("epc")?);
            }
        }
        for epc in &moving {
            if let Some(holder) = run.holders.get_mut(epc) {
                *holder = caller.org_id;
            }
        }
        Ok(())
    }

    /// For a planting record dated before harvests already recorded on its
    /// plot: those harvests of the caller (time and lots), and the caller's
    /// sowings on the plot. Empty when nothing was harvested there since.
    async fn later_harvests(
        &self,
        run: &mut CaptureRun<'_>,
        subject: &Subject<'_>,
    ) -> Result<(Vec<(i64, Vec<String>)>, Vec<i64>)> {
        let Some(plot) = subject.plot.clone() else {
            return Ok(Default::default());
        };
        let event_time = subject.event_time;
        let mut harvests = run.held.harvests_since(&plot, event_time);
        if harvests.is_empty() && run.latest_harvest.get(&plot).is_none_or(|&t| t < event_time) {
            return Ok(Default::default());
        }
        let rows = run
            .tx
            .fetch_all(
                "SELECT e.org_id, e.event_time, x.epc FROM events e JOIN event_epcs x ON x.event_pk = e.id \
                 WHERE e.biz_location = $1 AND e.record_kind = 'harvest' AND e.event_time >= $2 \
                 AND e.corrected_by IS NULL",
                &params![plot.as_str(), event_time],
            )
            .await?;
        for r in rows {
            if r.uuid("org_id")? != run.caller.org_id {
                continue;
            }
            let t = r.int("event_time")?;
            match harvests.iter_mut().find(|h| h.0 == t) {
                Some(h) => h.1.push(r.text("epc")?),
                None => harvests.push((t, vec![r.text("epc")?])),
            }
        }
        if harvests.is_empty() {
            return Ok(Default::default());
        }
        let sowings = self
            .plot_field_records(run, &plot)
            .await?
            .into_iter()
            .filter(|r| r.record_kind == "sowing")
            .map(|r| r.event_time)
            .collect();
        Ok((harvests, sowings))
    }
}
