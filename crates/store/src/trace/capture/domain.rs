//! The domain rules of agricultural records, checked before an event is
//! stored: times that make sense (no harvest before sowing, no shipping
//! before packing), despatch references, receipts against their shipment,
//! the destination of a shipment, the agency a sample is entrusted to, and
//! non-conformant units leaving only on an override. Who may do what is
//! decided before, by the authority model (`super::super::authority`).

use super::*;
use suyuan_core::stages::rules;

/// A refusal of a pure rule, as the store reports it.
fn refusal((field, invalid): rules::Refusal) -> StoreError {
    StoreError::invalid(field, invalid)
}

/// What the domain rules established for an event, for its effects.
#[derive(Debug, Default)]
pub(super) struct Checked {
    /// A harvest: the plot's records of the season.
    pub(super) season: Vec<FieldRecord>,
    /// A shipment: the organisation it is addressed to.
    pub(super) to_org: Option<Uuid>,
    /// A sampling record: the agency testing is entrusted to.
    pub(super) agency: Option<Uuid>,
}

impl Store {
    /// The domain rules of agricultural records. For a harvest, returns the
    /// plot's season (its planting records since the last sowing).
    pub(super) async fn check_domain(
        &self,
        run: &mut CaptureRun<'_>,
        ev: &Event,
        kind: RecordKind,
        units: &[Named],
        event_time: i64,
    ) -> Result<Checked> {
        let caller = run.caller;
        match kind {
            RecordKind::Harvest => {
                // No harvest before sowing on that plot; the season is the
                // plot's records since the last sowing before it.
                let plot = ev.biz_location.as_ref().map(|l| canon(&l.id)).unwrap_or_default();
                let records = self.plot_field_records(run, &plot).await?;
                let sowings: Vec<i64> = records
                    .iter()
                    .filter(|r| r.record_kind == "sowing")
                    .map(|r| r.event_time)
                    .collect();
                let since = rules::harvest_season(&sowings, event_time).map_err(refusal)?;
                return Ok(Checked {
                    season: records
                        .into_iter()
                        .filter(|r| rules::in_season(r.event_time, since, event_time))
                        .collect(),
                    ..Checked::default()
                });
            }
            RecordKind::Shipping | RecordKind::StorageOut | RecordKind::Sale => {
                // A non-conformant unit leaves only on an explicit override,
                // whose reason the record itself carries (and so the log).
                if matches!(kind, RecordKind::Shipping | RecordKind::Sale) {
                    if let Some((role, epc, _, _)) = units.iter().find(|u| run.nonconformant.contains(&u.1)) {
                        match agri_str(ev, "nonConformanceOverride").filter(|r| !r.trim().is_empty()) {
                            None => {
                                return Err(StoreError::invalid(
                                    role_field(role),
                                    Invalid::new(
                                        "unit_non_conformant",
                                        format!(
                                            "{epc} is non-conformant; it leaves only with agri:nonConformanceOverride \
                                             giving the reason (e.g. shipped back for destruction)"
                                        ),
                                        format!("{epc} 为不合格品，须在 agri:nonConformanceOverride 中说明理由方可发出（如退回销毁）"),
                                    ),
                                ))
                            }
                            Some(reason) => run.warnings.push(CaptureError {
                                event_index: Some(run.index),
                                field: "agri:nonConformanceOverride".into(),
                                code: "non_conformant_released".into(),
                                detail: format!("{epc} is non-conformant and was released on an override: {reason}"),
                                detail_zh: format!("{epc} 为不合格品，依例外说明放行：{reason}"),
                            }),
                        }
                    }
                }
                if kind == RecordKind::Shipping {
                    let despatch = despatch_ref(ev);
                    let taken = match &despatch {
                        Some(d) => {
                            run.held.has_shipment(d)
                                || run
                                    .tx
                                    .fetch_optional(
                                        "SELECT despatch_ref FROM shipments WHERE despatch_ref = $1",
                                        &params![d.as_str()],
                                    )
                                    .await?
                                    .is_some()
                        }
                        None => false,
                    };
                    rules::despatch_free(despatch.as_deref(), taken).map_err(refusal)?;
                }
                // No shipping (or selling) before packing.
                for (_, epc, _, _) in units {
                    // A unit this capture registered has no stored packing.
                    let packed_later = run.held.packed_after(epc, event_time)
                        || !run.registered.contains(epc) && run
                            .tx
                            .fetch_optional(
                                "SELECT e.event_time FROM event_epcs x JOIN events e ON e.id = x.event_pk \
                                 WHERE x.epc = $1 AND e.record_kind = 'packing' AND e.event_time > $2 \
                                 AND e.corrected_by IS NULL",
                                &params![epc.as_str(), event_time],
                            )
                            .await?
                            .is_some();
                    rules::not_before_packing(epc, packed_later).map_err(refusal)?;
                }
            }
            RecordKind::Receiving => {
                let despatch = despatch_ref(ev).ok_or_else(|| {
                    StoreError::invalid(
                        "bizTransactionList",
                        Invalid::new(
                            "despatch_ref_required",
                            "a receipt names the despatch advice (desadv) it receives against",
                            "收货须注明对应的发货单（desadv）",
                        ),
                    )
                })?;
                // The shipment and its contents are read from the database.
                if run.held.touches_custody() {
                    run.flush(self).await?;
                }
                let rows = run
                    .tx
                    .fetch_all(
                        "SELECT s.to_org_id, s.received_event, s.shipped_at, x.epc FROM shipments s \
                         LEFT JOIN event_epcs x ON x.event_pk = s.shipped_event WHERE s.despatch_ref = $1",
                        &params![despatch.as_str()],
                    )
                    .await?;
                let contents: Vec<String> = rows
                    .iter()
                    .filter_map(|r| r.opt_text("epc").transpose())
                    .collect::<Result<_>>()?;
                let shipment = match rows.first() {
                    Some(r) => Some(rules::ShipmentFacts {
                        to_org: r.opt_uuid("to_org_id")?,
                        received: r.opt_text("received_event")?.is_some(),
                        shipped_at: r.int("shipped_at")?,
                        contents: &contents,
                    }),
                    None => None,
                };
                let received: Vec<(&'static str, &str)> = units
                    .iter()
                    .map(|(role, epc, _, _)| (role_field(role), epc.as_str()))
                    .collect();
                rules::receipt_against(shipment.as_ref(), caller.org_id, &received, event_time)
                    .map_err(refusal)?;
            }
            RecordKind::Sampling => {
                return Ok(Checked {
                    agency: Some(crate::trace::authority::entrusted_agency(&mut run.tx, ev).await?),
                    ..Checked::default()
                });
            }
            _ => {}
        }
        if kind == RecordKind::Shipping {
            return Ok(Checked {
                to_org: Some(crate::trace::authority::shipment_destination(&mut run.tx, ev).await?),
                ..Checked::default()
            });
        }
        Ok(Checked::default())
    }

    /// Planting records on a plot, stored or held by this capture, of the
    /// caller's organisation and not corrected.
    pub(super) async fn plot_field_records(
        &self,
        run: &mut CaptureRun<'_>,
        plot: &str,
    ) -> Result<Vec<FieldRecord>> {
        let mut ps: Vec<Val> = vec![plot.into()];
        ps.extend(FIELD_KINDS.iter().map(|&k| Val::from(k)));
        // The organisation is checked here, not in SQL: under a generic
        // plan PostgreSQL would intersect the plot's few rows with the
        // organisation's index entries, which are all its events.
        let sql = format!(
            "SELECT org_id, record_kind, event_time, document FROM events WHERE biz_location = $1 \
             AND corrected_by IS NULL AND record_kind IN ({})",
            placeholders(2, FIELD_KINDS.len())
        );
        let mut out = Vec::new();
        for r in run.tx.fetch_all(&sql, &ps).await? {
            if r.uuid("org_id")? != run.caller.org_id {
                continue;
            }
            out.push(FieldRecord {
                record_kind: r.text("record_kind")?,
                event_time: r.int("event_time")?,
                document: r.text("document")?,
            });
        }
        out.extend(run.held.field_records(plot));
        Ok(out)
    }
}
