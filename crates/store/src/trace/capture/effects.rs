//! What an accepted event changes: units it commissions (held by the
//! caller), lineage edges (packing, transformation, harvest from a plot and
//! the inputs applied there), custody moved by receipts, shipments, testing
//! entrusted by sampling, and conformance (a failed test or a pre-harvest
//! interval breach, and what is made of non-conformant units).

use super::*;

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
        let caller = run.caller;
        let of_roles = |rs: &[&str]| -> Vec<String> {
            units
                .iter()
                .filter(|u| rs.contains(&u.0))
                .map(|u| u.1.clone())
                .collect()
        };
        let mut edges = Vec::new();
        let commissions = matches!(ev.action, Some(Action::Add))
            && matches!(ev.event_type, EventType::Object)
            || kind == Some(RecordKind::Harvest);
        if commissions {
            // A harvested lot comes from the plot of the harvest.
            let origin = ev
                .biz_location
                .as_ref()
                .map(|l| canon(&l.id))
                .filter(|_| kind == Some(RecordKind::Harvest));
            for epc in of_roles(&["epc", "quantity"]) {
                run.register_unit(&epc, pk, origin.as_deref());
            }
        }
        match ev.event_type {
            EventType::Aggregation if matches!(ev.action, Some(Action::Add)) => {
                if let Some(parent) = ev.parent_id.as_deref().map(canon) {
                    run.register_unit(&parent, pk, None);
                    let children = of_roles(&["child", "child_quantity"]);
                    // Packed with something non-conformant: so is the parent.
                    if let Some(bad) = children.iter().find(|c| run.nonconformant.contains(*c)) {
                        let (en, zh) = (
                            format!("packed with non-conformant {bad}"),
                            format!("装有不合格的 {bad}"),
                        );
                        run.mark_non_conformant(self, &parent, &en, &zh).await?;
                    }
                    for child in children {
                        edges.push(Edge {
                            upstream: child,
                            downstream: parent.clone(),
                            relation: relation::PACKED,
                        });
                    }
                }
            }
            EventType::Transformation => {
                let outputs = of_roles(&["output", "output_quantity"]);
                for out in &outputs {
                    run.register_unit(out, pk, None);
                }
                let inputs = of_roles(&["input", "input_quantity"]);
                // Made of something non-conformant: so are the outputs.
                if let Some(bad) = inputs.iter().find(|i| run.nonconformant.contains(*i)).cloned() {
                    let (en, zh) = (
                        format!("made from non-conformant {bad}"),
                        format!("由不合格的 {bad} 制成"),
                    );
                    for out in &outputs {
                        run.mark_non_conformant(self, out, &en, &zh).await?;
                    }
                }
                let rel = if inputs.len() == 1 && outputs.len() > 1 {
                    relation::SPLIT
                } else {
                    relation::TRANSFORMED
                };
                for i in &inputs {
                    for o in &outputs {
                        edges.push(Edge {
                            upstream: i.clone(),
                            downstream: o.clone(),
                            relation: rel,
                        });
                    }
                }
            }
            _ => {}
        }
        match kind {
            Some(RecordKind::Harvest) => {
                let plot = ev.biz_location.as_ref().map(|l| canon(&l.id)).unwrap_or_default();
                let latest = run.latest_harvest.entry(plot.clone()).or_insert(event_time);
                *latest = (*latest).max(event_time);
                let lots = of_roles(&["epc", "quantity"]);
                let mut violations = Vec::new();
                for r in &checked.season {
                    let doc: Value = serde_json::from_str(&r.document).unwrap_or(Value::Null);
                    if let Some(input) = doc_agri(&doc, "inputLot") {
                        for lot in &lots {
                            edges.push(Edge {
                                upstream: canon(&input),
                                downstream: lot.clone(),
                                relation: relation::INPUT_APPLIED,
                            });
                        }
                    }
                    let phi = doc_agri(&doc, "preHarvestIntervalDays").and_then(|d| d.parse::<f64>().ok());
                    let reg = doc_agri(&doc, "registrationNumber");
                    violations.extend(breach(&r.record_kind, r.event_time, phi, reg, event_time));
                }
                for lot in &lots {
                    if !plot.is_empty() {
                        edges.push(Edge {
                            upstream: plot.clone(),
                            downstream: lot.clone(),
                            relation: relation::GROWN_ON,
                        });
                    }
                    if !violations.is_empty() {
                        let en: Vec<&str> = violations.iter().map(|v| v.0.as_str()).collect();
                        let zh: Vec<&str> = violations.iter().map(|v| v.1.as_str()).collect();
                        run.mark_non_conformant(self, lot, &en.join("; "), &zh.join("；"))
                            .await?;
                    }
                }
            }
            Some(k) if k != RecordKind::Sowing && FIELD_KINDS.contains(&k.as_str()) => {
                // Recorded after a harvest it precedes: it belongs to that
                // harvest's season all the same.
                edges.extend(self.recheck_harvests(run, ev, event_time).await?);
            }
            Some(RecordKind::Testing) => {
                // The conclusion was checked to be `pass` or `fail`.
                let failed = agri(ev, "conclusion")
                    .is_some_and(|c| suyuan_core::stages::values::conclusion(c).unwrap_or(false));
                if failed {
                    // Named by the organisation that recorded the test, as
                    // registered: never by a name typed into the record.
                    let agency = run
                        .tx
                        .fetch_optional(
                            "SELECT name FROM organisations WHERE id = $1",
                            &params![caller.org_id],
                        )
                        .await?
                        .map(|r| r.text("name"))
                        .transpose()?
                        .unwrap_or_default();
                    let sample = agri_str(ev, "sampleId").unwrap_or_default();
                    let en = format!("failed test {sample} by {agency}");
                    let zh = format!("检测不合格（样品 {sample}，{agency}）");
                    for epc in of_roles(&["epc", "quantity"]) {
                        run.mark_non_conformant(self, &epc, &en, &zh).await?;
                    }
                }
            }
            Some(RecordKind::Shipping) => {
                if let Some(despatch) = despatch_ref(ev) {
                    // The despatch reference was checked free above, and
                    // the destination resolved to an organisation.
                    run.held.push_shipment(HeldShipment {
                        despatch_ref: despatch,
                        to_org_id: checked.to_org,
                        shipped_event: pk.to_owned(),
                        shipped_at: event_time,
                    });
                }
            }
            Some(RecordKind::Sampling) => {
                // Testing of what was sampled is entrusted to the agency.
                if let Some(agency) = checked.agency {
                    for epc in of_roles(&["epc", "quantity"]) {
                        run.tx
                            .execute(
                                "INSERT INTO entrustments (epc, agency_org_id, event_pk) VALUES ($1,$2,$3) \
                                 ON CONFLICT DO NOTHING",
                                &params![epc.as_str(), agency, pk],
                            )
                            .await?;
                    }
                }
            }
            Some(RecordKind::Receiving) => {
                if let Some(despatch) = despatch_ref(ev) {
                    run.tx.execute(
                        "UPDATE shipments SET received_event = $1, received_at = $2, to_org_id = $3 WHERE despatch_ref = $4",
                        &params![pk, event_time, caller.org_id, despatch.as_str()],
                    )
                    .await?;
                    // Custody moves: the units received and everything packed
                    // in them, all levels down, in one statement.
                    let received = of_roles(&["epc", "quantity"]);
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
                }
            }
            _ => {}
        }
        Ok(edges)
    }
}

/// The pre-harvest interval breach of a planting record of `kind` at
/// `applied_at` (with its interval and registration number) by a harvest at
/// `harvested_at`, if it is a spray.
fn breach(
    kind: &str,
    applied_at: i64,
    phi_days: Option<f64>,
    registration: Option<String>,
    harvested_at: i64,
) -> Option<(String, String)> {
    if kind != "pest_control" {
        return None;
    }
    let reg = registration.unwrap_or_default();
    suyuan_core::stages::rules::pre_harvest_breach(applied_at, harvested_at, phi_days?, &reg)
}

impl Store {
    /// A planting record dated before harvests already recorded on its
    /// plot: for each harvest whose season it falls in, the input it
    /// applied reaches the harvested lots (the edges returned), and a spray
    /// inside its pre-harvest interval makes them non-conformant.
    async fn recheck_harvests(
        &self,
        run: &mut CaptureRun<'_>,
        ev: &Event,
        event_time: i64,
    ) -> Result<Vec<Edge>> {
        let Some(plot) = ev.biz_location.as_ref().map(|l| l.id.clone()) else {
            return Ok(Vec::new());
        };
        let mut harvests = run.held.harvests_since(&plot, event_time);
        // Nothing harvested there since: nothing to re-check.
        if harvests.is_empty() && run.latest_harvest.get(&plot).is_none_or(|&t| t < event_time) {
            return Ok(Vec::new());
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
            return Ok(Vec::new());
        }
        let sowings: Vec<i64> = self
            .plot_field_records(run, &plot)
            .await?
            .into_iter()
            .filter(|r| r.record_kind == "sowing")
            .map(|r| r.event_time)
            .collect();
        let kind = record_kind_of(ev).map(|k| k.as_str()).unwrap_or_default();
        let phi = agri(ev, "preHarvestIntervalDays").and_then(Value::as_f64);
        let input = agri_str(ev, "inputLot");
        let mut edges = Vec::new();
        for (harvested_at, lots) in harvests {
            let start = sowings
                .iter()
                .copied()
                .filter(|&t| t <= harvested_at)
                .max()
                .unwrap_or(0);
            if !suyuan_core::stages::rules::in_season(event_time, start, harvested_at) {
                continue;
            }
            let violation = breach(
                kind,
                event_time,
                phi,
                agri_str(ev, "registrationNumber"),
                harvested_at,
            );
            for lot in lots {
                if let Some(input) = &input {
                    edges.push(Edge {
                        upstream: input.clone(),
                        downstream: lot.clone(),
                        relation: relation::INPUT_APPLIED,
                    });
                }
                if let Some((en, zh)) = &violation {
                    run.mark_non_conformant(self, &lot, en, zh).await?;
                }
            }
        }
        Ok(edges)
    }
}
