//! Storage and transport conditions on a trace (R-4.2.4, R-5.3.2.1): for
//! each storage or transport record of a trace (`storage_in`, `shipping`,
//! `receiving`) that put the units at a place with devices (its
//! `bizLocation`; a shipping record without one: the vehicle its
//! `agri:vehicle` plate names), the stay from that record to the next
//! record of the trace (or to now), with
//!
//! - the readings of the place's devices during the stay summarised as
//!   EPCIS 2.0 `sensorElementList` data: one sensor element per device,
//!   its `sensorMetadata` naming the device (`urn:suyuan:device:{id}`) and
//!   the period (`startTime`, `endTime`), its `sensorReport` the minimum,
//!   maximum and mean of each quantity measured (temperature `CEL`,
//!   relative humidity `P1`, illuminance `LUX`);
//! - the silences of those devices during the stay longer than the two
//!   hours a device may stay silent: the gaps in the record of the lot.
//!
//! A device attached to a unit of the trace ([`super::units`]: a logger
//! travelling with a lot) adds the same for the time it was attached, at
//! each place it was at then, less what a stay counted of it already; such
//! conditions name the AssociationEvent that attached it (or the logged
//! record `device_attachment:{id}` when the device has no GIAI).
//!
//! **Why derived, not stored in the event.** A record's document is what
//! its organisation signed and the log holds; adding a summary to it would
//! change a signed document, and a summary written when the record is
//! captured would miss the readings of the stay that follow it (late
//! readings are accepted). So the summary is a pure function of logged
//! records, computed when the trace is read: the events (logged), the
//! registry (logged devices) and the readings (each batch logged, checked
//! by `verify`). Anyone holding the log can recompute it, and it can never
//! disagree with the records it summarises. It is served beside the
//! events (`TraceReport::conditions`), never inside their documents.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use suyuan_core::devices::{epcis_sensor, DEVICE_URN, MAX_WINDOW_MS};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::orgs::ts;
use crate::trace::report::TracedEvent;
use crate::{params, Result, Store};

/// The record kinds that put units at a place for a stay.
const STAY_KINDS: &[&str] = &["storage_in", "shipping", "receiving"];

/// A device silent during a stay.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceGap {
    pub device_id: Uuid,
    pub device_name: String,
    /// Its last reading before the silence (or the stay's start).
    pub from: DateTime<Utc>,
    /// Its first reading after it (or the stay's end).
    pub until: DateTime<Utc>,
    pub minutes: i64,
}

/// The conditions of one stay.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StayConditions {
    /// The storage or transport record that began the stay; for a device
    /// attached to a unit of the trace, the AssociationEvent that attached
    /// it (`device_attachment:{id}`, the logged record, when none did).
    pub event_id: String,
    /// The place (its URI) and name.
    pub place: String,
    pub place_name: String,
    pub from: DateTime<Utc>,
    /// The next record of the trace, or now.
    pub until: DateTime<Utc>,
    /// EPCIS 2.0 `sensorElementList`: per device, the minimum, maximum and
    /// mean of each quantity over the stay. Derived from logged readings.
    #[schema(value_type = Vec<Object>)]
    pub sensor_element_list: Vec<Value>,
    /// Silences longer than two hours of the place's devices during the stay.
    pub gaps: Vec<DeviceGap>,
}

/// Silences longer than `window` in `times` (sorted, ms) between `from`
/// and `until`: (last before, first after).
pub fn silences(times: &[i64], from: i64, until: i64, window: i64) -> Vec<(i64, i64)> {
    let mut points = Vec::with_capacity(times.len() + 2);
    points.push(from);
    points.extend(times.iter().copied().filter(|t| *t >= from && *t <= until));
    points.push(until);
    points
        .windows(2)
        .filter(|w| w[1] - w[0] > window)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// The parts of `from..until` outside every interval of `covered`.
pub fn uncovered(from: i64, until: i64, covered: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut parts = vec![(from, until)];
    for &(a, b) in covered {
        parts = parts
            .into_iter()
            .flat_map(|(x, y)| {
                let before = (x < a.min(y)).then_some((x, a.min(y)));
                let after = (b.max(x) < y).then_some((b.max(x), y));
                before.into_iter().chain(after)
            })
            .collect();
    }
    parts
}

fn rfc3339(ms: i64) -> String {
    ts(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Rounded to 3 decimals (a mean of readings given to a tenth or so).
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Store {
    /// The conditions of the stays the trace's events began (see the
    /// module doc), and of the times devices were attached to its `units`
    /// (the parts of them not counted by a stay already); `events` in time
    /// order.
    pub async fn stay_conditions(
        &self,
        events: &[TracedEvent],
        units: &[String],
        now: i64,
    ) -> Result<Vec<StayConditions>> {
        // Attaching a logger to a unit (an AssociationEvent) ends no stay.
        let association = suyuan_core::epcis::EventType::Association.as_str();
        let live: Vec<&TracedEvent> = events
            .iter()
            .filter(|e| !e.corrected && e.event_type != association)
            .collect();
        let mut out = Vec::new();
        // The places that ever had a device: a trace over none of them (most
        // traces, and every trace of a platform without devices) costs one
        // query, not a few per storage or transport record.
        let equipped = self.places_with_devices().await?;
        if equipped.is_empty() {
            return Ok(out);
        }
        let mut places: HashMap<String, Option<crate::places::Place>> = HashMap::new();
        // What the stays counted of each device already.
        let mut covered: HashMap<Uuid, Vec<(i64, i64)>> = HashMap::new();
        for (i, e) in live.iter().enumerate() {
            if !e.record_kind.as_deref().is_some_and(|k| STAY_KINDS.contains(&k)) {
                continue;
            }
            let from = e.event_time.timestamp_millis();
            let until = live
                .iter()
                .skip(i + 1)
                .map(|n| n.event_time.timestamp_millis())
                .find(|t| *t > from)
                .unwrap_or(now);
            let place_uri = match &e.biz_location {
                Some(p) => Some(p.clone()),
                None => self.vehicle_of_event(e).await?,
            };
            let Some(uri) = place_uri else { continue };
            let place = match places.get(&uri) {
                Some(p) => p.clone(),
                None => {
                    let p = self.place_by_uri(&uri).await?;
                    places.insert(uri.clone(), p.clone());
                    p
                }
            };
            let Some(place) = place.filter(|p| equipped.contains(&p.id)) else {
                continue;
            };
            // The devices there during the stay, each for the part of it it was.
            let devices = self.devices_at(place.id, from, until, &[]).await?;
            if devices.is_empty() {
                continue;
            }
            for d in &devices {
                covered.entry(d.0).or_default().push((d.2, d.3));
            }
            out.push(
                self.conditions_of(&e.event_id, &uri, &place, &devices, (from, until))
                    .await?,
            );
        }
        for span in self.unit_spans(units).await? {
            let done = covered.get(&span.device).cloned().unwrap_or_default();
            for (place_id, a, b) in self.span_places(&span, now).await? {
                let Some(place) = self.place_unscoped(place_id).await? else {
                    continue;
                };
                let uri = suyuan_core::refs::place_canonical(place.id, place.gln.as_deref());
                for (a, b) in uncovered(a, b, &done) {
                    let device = [(span.device, span.device_name.clone(), a, b)];
                    out.push(
                        self.conditions_of(&span.source, &uri, &place, &device, (a, b))
                            .await?,
                    );
                }
            }
        }
        out.sort_by_key(|c| c.from);
        Ok(out)
    }

    /// Every place a device was ever registered at or moved to.
    async fn places_with_devices(&self) -> Result<HashSet<Uuid>> {
        self.db
            .conn()
            .fetch_all(
                "SELECT place_id FROM devices UNION SELECT place_id FROM device_moves",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.uuid("place_id"))
            .collect()
    }

    /// A shipping record's vehicle, from its document's plate.
    async fn vehicle_of_event(&self, e: &TracedEvent) -> Result<Option<String>> {
        if e.record_kind.as_deref() != Some("shipping") {
            return Ok(None);
        }
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT document FROM events WHERE event_key = $1 AND event_id = $2",
                &params![crate::trace::event_key(&e.event_id), e.event_id.as_str()],
            )
            .await?;
        let Some(doc) = row
            .map(|r| r.text("document"))
            .transpose()?
            .and_then(|d| serde_json::from_str::<Value>(&d).ok())
        else {
            return Ok(None);
        };
        self.vehicle_of(e.org_id, &doc).await
    }

    /// The conditions at `uri` from `from` to `until` of `devices` there,
    /// each for its part of it: (id, name, from, until).
    async fn conditions_of(
        &self,
        event_id: &str,
        uri: &str,
        place: &crate::places::Place,
        devices: &[(Uuid, String, i64, i64)],
        (from, until): (i64, i64),
    ) -> Result<StayConditions> {
        let mut conn = self.db.conn();
        let mut elements = Vec::new();
        let mut gaps = Vec::new();
        for (device_id, name, from, until) in devices {
            let (device_id, from, until) = (*device_id, *from, *until);
            let id = device_id.to_string();
            let summary = conn
                .fetch_all(
                    "SELECT quantity, MIN(value) AS lo, MAX(value) AS hi, AVG(value) AS mean, COUNT(*) AS n \
                     FROM device_readings WHERE device_id = $1 AND time_ms >= $2 AND time_ms <= $3 \
                     GROUP BY quantity ORDER BY quantity",
                    &params![id.as_str(), from, until],
                )
                .await?;
            let mut reports = Vec::new();
            for s in &summary {
                let Some((kind, uom)) = epcis_sensor(&s.text("quantity")?) else {
                    continue;
                };
                reports.push(json!({
                    "type": kind,
                    "minValue": s.float("lo")?,
                    "maxValue": s.float("hi")?,
                    "meanValue": round3(s.float("mean")?),
                    "uom": uom,
                }));
            }
            if !reports.is_empty() {
                elements.push(json!({
                    "sensorMetadata": {
                        "deviceID": format!("{DEVICE_URN}{id}"),
                        "startTime": rfc3339(from),
                        "endTime": rfc3339(until),
                    },
                    "sensorReport": reports,
                }));
            }
            let times: Vec<i64> = conn
                .fetch_all(
                    "SELECT DISTINCT time_ms FROM device_readings WHERE device_id = $1 AND time_ms >= $2 \
                     AND time_ms <= $3 ORDER BY time_ms",
                    &params![id.as_str(), from, until],
                )
                .await?
                .iter()
                .map(|r| r.int("time_ms"))
                .collect::<Result<_>>()?;
            for (a, b) in silences(&times, from, until, MAX_WINDOW_MS) {
                gaps.push(DeviceGap {
                    device_id,
                    device_name: name.clone(),
                    from: ts(a),
                    until: ts(b),
                    minutes: (b - a) / 60_000,
                });
            }
        }
        Ok(StayConditions {
            event_id: event_id.to_owned(),
            place: uri.to_owned(),
            place_name: place.name.clone(),
            from: ts(from),
            until: ts(until),
            sensor_element_list: elements,
            gaps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silences_longer_than_the_window_are_gaps() {
        let h = 3_600_000;
        // Readings at 1 h and 2 h of a 6 h stay: silent from 2 h to the end.
        assert_eq!(silences(&[h, 2 * h], 0, 6 * h, 2 * h), [(2 * h, 6 * h)]);
        // No reading at all: the whole stay.
        assert_eq!(silences(&[], 0, 3 * h, 2 * h), [(0, 3 * h)]);
        // Readings outside the stay do not count.
        assert_eq!(silences(&[10 * h], 0, h, 2 * h), []);
        assert!(silences(&[h, 2 * h], 0, 3 * h, 2 * h).is_empty());
    }

    #[test]
    fn what_a_stay_counted_is_not_counted_again() {
        assert_eq!(uncovered(0, 10, &[(3, 5)]), [(0, 3), (5, 10)]);
        assert_eq!(uncovered(0, 10, &[(20, 30)]), [(0, 10)]);
        assert_eq!(uncovered(0, 10, &[(-5, 3), (8, 12)]), [(3, 8)]);
        assert!(uncovered(0, 10, &[(0, 10)]).is_empty());
    }
}
