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
                    if r.record_kind == "pest_control" {
                        let phi =
                            doc_agri(&doc, "preHarvestIntervalDays").and_then(|d| d.parse::<f64>().ok());
                        if let Some(days) = phi {
                            let waited = (event_time - r.event_time) as f64 / 86_400_000.0;
                            if waited < days {
                                let reg = doc_agri(&doc, "registrationNumber").unwrap_or_default();
                                violations.push((
                                    format!(
                                        "harvested {waited:.1} days after applying {reg} (pre-harvest interval {days} days)"
                                    ),
                                    format!("施用 {reg} 后 {waited:.1} 天即采收（安全间隔期 {days} 天）"),
                                ));
                            }
                        }
                    }
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
            Some(RecordKind::Testing) => {
                let failed = agri_str(ev, "conclusion")
                    .is_some_and(|c| matches!(c.as_str(), "fail" | "failed" | "不合格"));
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
