//! The domain rules of agricultural records, checked before an event is
//! stored: times that make sense (no harvest before sowing, no shipping
//! before packing), despatch references, receipts against their shipment,
//! the destination of a shipment, the agency a sample is entrusted to, and
//! non-conformant units leaving only on an override. Who may do what is
//! decided before, by the authority model (`super::super::authority`).

use super::*;

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
                // No harvest before sowing on that plot.
                let plot = ev.biz_location.as_ref().map(|l| canon(&l.id)).unwrap_or_default();
                let records = self.plot_field_records(run, &plot).await?;
                let sowings: Vec<i64> = records
                    .iter()
                    .filter(|r| r.record_kind == "sowing")
                    .map(|r| r.event_time)
                    .collect();
                if !sowings.is_empty() && sowings.iter().all(|&t| t > event_time) {
                    return Err(StoreError::invalid(
                        "eventTime",
                        Invalid::new(
                            "harvest_before_sowing",
                            "a plot cannot be harvested before it was sown",
                            "地块不能在播种之前采收",
                        ),
                    ));
                }
                // The season: field records on the plot since the last sowing.
                let since = sowings
                    .iter()
                    .copied()
                    .filter(|&t| t <= event_time)
                    .max()
                    .unwrap_or(0);
                return Ok(Checked {
                    season: records
                        .into_iter()
                        .filter(|r| r.event_time >= since && r.event_time <= event_time)
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
                if kind == RecordKind::Shipping && despatch_ref(ev).is_none() {
                    return Err(StoreError::invalid(
                        "bizTransactionList",
                        Invalid::new(
                            "despatch_ref_required",
                            "a shipment names its despatch advice (desadv)",
                            "发运须注明发货单（desadv）",
                        ),
                    ));
                }
                if let Some(d) = despatch_ref(ev).filter(|_| kind == RecordKind::Shipping) {
                    let taken = run.held.has_shipment(&d)
                        || run
                            .tx
                            .fetch_optional(
                                "SELECT despatch_ref FROM shipments WHERE despatch_ref = $1",
                                &params![d.as_str()],
                            )
                            .await?
                            .is_some();
                    if taken {
                        return Err(StoreError::invalid(
                            "bizTransactionList",
                            Invalid::new(
                                "despatch_ref_taken",
                                "this despatch reference was already shipped",
                                "该发货单号已被使用",
                            ),
                        ));
                    }
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
                    if packed_later {
                        return Err(StoreError::invalid(
                            "eventTime",
                            Invalid::new(
                                "before_packing",
                                format!("{epc} is recorded as packed after this time"),
                                format!("{epc} 的包装记录晚于此时间"),
                            ),
                        ));
                    }
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
                let Some(s) = rows.first() else {
                    return Err(StoreError::invalid(
                        "bizTransactionList",
                        Invalid::new(
                            "despatch_unknown",
                            "no shipment has this despatch reference",
                            "没有该发货单号的发运记录",
                        ),
                    ));
                };
                if s.opt_text("received_event")?.is_some() {
                    return Err(StoreError::invalid(
                        "bizTransactionList",
                        Invalid::new(
                            "already_received",
                            "this shipment was already received",
                            "该批发运已收货",
                        ),
                    ));
                }
                if s.opt_uuid("to_org_id")? != Some(caller.org_id) {
                    return Err(StoreError::invalid(
                        "bizTransactionList",
                        Invalid::new(
                            "not_the_receiver",
                            "this shipment is addressed to another organisation",
                            "该批货物的收货方是其他机构",
                        ),
                    ));
                }
                // Only what was shipped (or is packed in it) can be received.
                let shipped: BTreeSet<String> = rows
                    .iter()
                    .filter_map(|r| r.opt_text("epc").transpose())
                    .collect::<Result<_>>()?;
                for (role, epc, _, _) in units {
                    if !shipped.contains(epc) {
                        return Err(StoreError::invalid(
                            role_field(role),
                            Invalid::new(
                                "not_in_shipment",
                                format!("{epc} is not part of the shipment being received"),
                                format!("{epc} 不在所收的这批货物之中"),
                            ),
                        ));
                    }
                }
                if event_time < s.int("shipped_at")? {
                    return Err(StoreError::invalid(
                        "eventTime",
                        Invalid::new(
                            "received_before_shipped",
                            "goods cannot arrive before they left",
                            "收货时间不能早于发货时间",
                        ),
                    ));
                }
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
