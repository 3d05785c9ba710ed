//! Devices attached to lots and units (R-5.3.2.1, R-4.2.4): a truck logger
//! travelling with a lot, a logger packed in a pallet.
//!
//! - attaching a device of the caller's organisation to a unit it holds
//!   ([`Store::attach_to_unit`]) is a logged `device_attachment` and, in the
//!   same transaction, an EPCIS AssociationEvent ADD (bizStep `installing`:
//!   parent the device's GIAI, child the unit: a lot by its class, in
//!   `childQuantityList`, an item or a logistic unit in `childEPCs`);
//!   detaching it is another `device_attachment` with a DELETE (`removing`);
//! - the event passes the one capture path and authority model, checked
//!   first by the same rule (only the unit's holder records on it): a
//!   refusal refuses the attaching, nothing written. A device without a
//!   GIAI (see [`super::attach`]) is attached by the logged record alone;
//! - while attached (from the attaching record to the next detaching one),
//!   the device's readings count for the unit, and for what the unit's trace
//!   reaches (a lot's items): on its cold chain (`super::coldchain`) and its
//!   trace conditions (`super::conditions`), judged by the range of the
//!   place the device was at when each reading was taken.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use suyuan_core::authority::{check_unit, EventShape, UnitFacts, UnitRole};
use suyuan_core::epcis::{Action, EventType};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use super::attach::event_time_at;
use crate::db::Row;
use crate::master_log::RecordKind;
use crate::orgs::ts;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// A device attached to or detached from a unit: a logged `device_attachment`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitAttachment {
    pub id: Uuid,
    pub device_id: Uuid,
    /// The unit's canonical identifier (GS1 Digital Link on id.gs1.org).
    pub unit: String,
    /// True: attached from `created_at` on; false: detached then.
    pub attached: bool,
    /// The AssociationEvent (ADD or DELETE) captured with it; none when the
    /// device has no GIAI (see its `epcis_note`).
    pub event_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A place a device was at.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DevicePlace {
    pub place_id: Uuid,
    /// Since its registration or the move that took it there.
    pub from: DateTime<Utc>,
    /// The next move; none for the place it is at now.
    pub until: Option<DateTime<Utc>>,
}

/// Where a device has been and what it is attached to now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceAttachments {
    /// The places it was at, oldest first; the last is where it is now.
    pub places: Vec<DevicePlace>,
    /// The units it is attached to now (their attaching records).
    pub units: Vec<UnitAttachment>,
}

/// A device's time attached to a unit.
#[derive(Debug, Clone)]
pub(crate) struct UnitSpan {
    /// The attaching record's AssociationEvent, else the record's log name
    /// (`device_attachment:{id}`).
    pub source: String,
    pub device: Uuid,
    pub device_name: String,
    pub device_kind: String,
    pub from: i64,
    /// The detaching record's time, or `i64::MAX` while attached.
    pub until: i64,
}

/// The times attached, from one device's records for one unit in time
/// order, each `(attached, time)`: (index of the attaching record, from,
/// until). Attaching again while attached, or detaching while not, adds
/// nothing.
pub fn attached_spans(records: &[(bool, i64)]) -> Vec<(usize, i64, i64)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, i64)> = None;
    for (i, (attached, t)) in records.iter().enumerate() {
        match (attached, open) {
            (true, None) => open = Some((i, *t)),
            (false, Some((j, from))) => {
                out.push((j, from, *t));
                open = None;
            }
            _ => {}
        }
    }
    if let Some((j, from)) = open {
        out.push((j, from, i64::MAX));
    }
    out
}

/// The AssociationEvent attaching device `giai` to (`add`) or detaching it
/// from a unit; a lot is named by its class.
fn unit_association(giai: &str, unit: &str, is_lot: bool, add: bool, time: &str) -> (String, Value) {
    let id = format!("urn:uuid:{}", new_id());
    let mut ev = json!({
        "type": "AssociationEvent", "eventID": id,
        "eventTime": time, "eventTimeZoneOffset": "+08:00",
        "parentID": giai,
        "action": if add { "ADD" } else { "DELETE" },
        "bizStep": if add { "installing" } else { "removing" },
    });
    if is_lot {
        ev["childQuantityList"] = json!([{"epcClass": unit}]);
    } else {
        ev["childEPCs"] = json!([unit]);
    }
    (id, ev)
}

fn decode(r: &Row) -> Result<UnitAttachment> {
    Ok(UnitAttachment {
        id: r.uuid("id")?,
        device_id: r.uuid("device_id")?,
        unit: r.text("unit_epc")?,
        attached: r.bool("attached")?,
        event_id: r.opt_text("event_id")?,
        created_at: ts(r.int("created_at")?),
    })
}

const COLUMNS: &str = "a.id, a.device_id, a.unit_epc, a.attached, a.event_id, a.created_at";

fn code_refused(code: &'static str, en: String, zh: String) -> StoreError {
    StoreError::invalid("code", Invalid::new(code, en, zh))
}

impl Store {
    /// Attaches (`attach`) a device of the caller's organisation (a recorder
    /// of a verified organisation) to the unit `epc` (canonical) it holds,
    /// or detaches it. Attaching it where it is attached changes nothing;
    /// detaching it where it is not is refused (`device_not_attached`).
    pub async fn attach_to_unit(
        &self,
        caller: &Caller,
        id: Uuid,
        epc: &str,
        attach: bool,
    ) -> Result<UnitAttachment> {
        caller.require_verified_recorder()?;
        let device = self.get_device(caller, id).await?;
        if device.org_id != caller.org_id {
            return Err(StoreError::NotFound { what: "device" });
        }
        let Some(unit) = self.find_unit(epc).await? else {
            return Err(code_refused(
                "unit_unknown",
                format!("{epc} is not a unit known to the platform"),
                format!("{epc} 不是平台已知的追溯单元"),
            ));
        };
        let is_lot = unit.kind == "lot";
        let biz_step = if attach { "installing" } else { "removing" };
        // The authority model's rule, checked before anything is written (the
        // capture of the event checks it again).
        let shape = EventShape {
            event_type: EventType::Association,
            action: Some(if attach { Action::Add } else { Action::Delete }),
            record_kind: None,
            biz_step: Some(biz_step),
        };
        let role = if is_lot {
            UnitRole::ChildQuantity
        } else {
            UnitRole::Child
        };
        let facts = UnitFacts {
            holder: Some(unit.holder_org_id),
            ..UnitFacts::default()
        };
        check_unit(&crate::trace::actor(caller), &shape, role, &unit.epc, &facts)
            .map_err(|e| StoreError::invalid("code", e))?;
        let latest = self
            .db
            .conn()
            .fetch_optional(
                &format!(
                    "SELECT {COLUMNS} FROM device_attachments a WHERE a.device_id = $1 AND a.unit_epc = $2 \
                     ORDER BY a.created_at DESC, a.id DESC LIMIT 1"
                ),
                &params![id, unit.epc.as_str()],
            )
            .await?
            .map(|r| decode(&r))
            .transpose()?;
        match (&latest, attach) {
            (Some(l), true) if l.attached => return Ok(l.clone()),
            (Some(l), false) if l.attached => {}
            (_, false) => {
                return Err(code_refused(
                    "device_not_attached",
                    format!("this device is not attached to {}", unit.epc),
                    format!("该设备未关联到 {}", unit.epc),
                ))
            }
            _ => {}
        }
        let now = now_ms();
        let (event_id, events) = match device.giai.as_deref() {
            Some(giai) => {
                let (ev_id, ev) = unit_association(giai, &unit.epc, is_lot, attach, &event_time_at(now));
                (Some(ev_id), vec![ev])
            }
            None => (None, Vec::new()),
        };
        let row = new_id();
        let columns = [
            ("unit_epc", unit.epc.as_str().into()),
            ("attached", attach.into()),
        ];
        let kind = RecordKind::DeviceAttachment;
        let along = super::attach::device_record(caller, kind, row, id, columns, event_id.clone(), now);
        self.commit_associated(caller, events, along, "code").await?;
        tracing::info!(device = %id, unit = %unit.epc, attach, "device attachment");
        Ok(UnitAttachment {
            id: row,
            device_id: id,
            unit: unit.epc,
            attached: attach,
            event_id,
            created_at: ts(now),
        })
    }

    /// Where a device the caller may read has been and the units it is
    /// attached to now.
    pub async fn device_attachments(&self, caller: &Caller, id: Uuid) -> Result<DeviceAttachments> {
        let device = self.get_device(caller, id).await?;
        let places = self
            .place_spans(id)
            .await?
            .into_iter()
            .map(|(place_id, from, until)| DevicePlace {
                place_id,
                from: if from == i64::MIN {
                    device.created_at
                } else {
                    ts(from)
                },
                until: (until != i64::MAX).then(|| ts(until)),
            })
            .collect();
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM device_attachments a WHERE a.device_id = $1 \
                     ORDER BY a.created_at, a.id"
                ),
                &params![id],
            )
            .await?;
        let mut latest: Vec<UnitAttachment> = Vec::new();
        for r in &rows {
            let a = decode(r)?;
            latest.retain(|l| l.unit != a.unit);
            latest.push(a);
        }
        latest.retain(|a| a.attached);
        Ok(DeviceAttachments {
            places,
            units: latest,
        })
    }

    /// The times devices were attached to any of `units` (canonical).
    pub(crate) async fn unit_spans(&self, units: &[String]) -> Result<Vec<UnitSpan>> {
        struct Rec {
            id: String,
            device: Uuid,
            unit: String,
            name: String,
            kind: String,
            attached: bool,
            event_id: Option<String>,
            at: i64,
        }
        let mut rows: Vec<Rec> = Vec::new();
        self.for_rows_in(
            "SELECT a.id, a.device_id, a.unit_epc, a.attached, a.event_id, a.created_at, d.name, d.kind \
             FROM device_attachments a JOIN devices d ON d.id = a.device_id WHERE a.unit_epc",
            units,
            |r| {
                rows.push(Rec {
                    id: r.text("id")?,
                    device: r.uuid("device_id")?,
                    unit: r.text("unit_epc")?,
                    name: r.text("name")?,
                    kind: r.text("kind")?,
                    attached: r.bool("attached")?,
                    event_id: r.opt_text("event_id")?,
                    at: r.int("created_at")?,
                });
                Ok(())
            },
        )
        .await?;
        rows.sort_by(|a, b| (a.device, &a.unit, a.at, &a.id).cmp(&(b.device, &b.unit, b.at, &b.id)));
        let mut out = Vec::new();
        for group in rows.chunk_by(|a, b| a.device == b.device && a.unit == b.unit) {
            let records: Vec<(bool, i64)> = group.iter().map(|r| (r.attached, r.at)).collect();
            for (i, from, until) in attached_spans(&records) {
                let r = &group[i];
                out.push(UnitSpan {
                    source: r
                        .event_id
                        .clone()
                        .unwrap_or_else(|| format!("{}:{}", RecordKind::DeviceAttachment.as_str(), r.id)),
                    device: r.device,
                    device_name: r.name.clone(),
                    device_kind: r.kind.clone(),
                    from,
                    until,
                });
            }
        }
        Ok(out)
    }

    /// The parts of `span` (clamped to `now`) at each place the device was
    /// at: (place, from, until).
    pub(crate) async fn span_places(&self, span: &UnitSpan, now: i64) -> Result<Vec<(Uuid, i64, i64)>> {
        let until = span.until.min(now);
        Ok(self
            .place_spans(span.device)
            .await?
            .into_iter()
            .filter_map(|(place, since, end)| {
                let (a, b) = (span.from.max(since), until.min(end));
                (a < b).then_some((place, a, b))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_attached_from_attaching_to_detaching() {
        assert_eq!(
            attached_spans(&[(true, 10), (true, 15), (false, 20), (false, 25), (true, 30)]),
            [(0, 10, 20), (4, 30, i64::MAX)]
        );
        assert!(attached_spans(&[(false, 5)]).is_empty());
    }
}
