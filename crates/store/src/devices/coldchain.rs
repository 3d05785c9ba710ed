//! The cold chain of a unit on its public trace (R-4.2.4: storage and
//! transport conditions): for each stay of the unit at a place (from an
//! event at that place, its `bizLocation`, to the next event of its trace,
//! or to now), the temperature readings of the cold rooms and truck
//! loggers attached to that place (a truck logger's place is its vehicle:
//! a shipping record whose `bizLocation` is the vehicle, or without one
//! whose `agri:vehicle` is the plate of a registered vehicle — the
//! shipper's own, else the first registered with that plate — puts the unit
//! in it until its next event) during the stay, whether the place's range was
//! kept, the worst excursion, and the longest silence of a device during
//! the stay (the two-hour rule, R-5.3.2.1). A logger attached to one of
//! the units of the trace (a lot, a pallet: [`super::units`]) counts too
//! while it was attached, at the place it was at then (judged by that
//! place's range); a logger counted both ways is counted once. A place's
//! range is the one it had when the readings were taken: a stay across an
//! edit of the range is shown in parts, each judged by its own range
//! (`master_versions`). No stay with readings: no cold chain (`null` in
//! the public JSON).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use suyuan_core::devices::{excursions, MAX_WINDOW_MS};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::orgs::ts;
use crate::places::Place;
use crate::{params, Result, Store, StoreError};

/// A place's temperature range from a time on: (since, min, max).
type RangeSince = (i64, Option<f64>, Option<f64>);

/// One stay with readings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColdStay {
    /// The place's name (a cold room, a vehicle).
    pub place: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The place's range (°C), when it has one.
    pub range_min: Option<f64>,
    pub range_max: Option<f64>,
    pub readings: u64,
    pub lowest: f64,
    pub highest: f64,
    /// Whether every reading was within the range.
    pub kept: bool,
    /// The longest stretch (minutes) without a reading during the stay,
    /// when it is longer than the two hours a device may stay silent.
    pub gap_minutes: Option<i64>,
}

/// The worst excursion of a unit's cold chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorstExcursion {
    pub place: String,
    pub start: DateTime<Utc>,
    pub minutes: i64,
    /// The temperature farthest outside the range (°C).
    pub extreme: f64,
}

/// A unit's cold chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColdChain {
    /// Whether every stay kept its range.
    pub kept: bool,
    pub stays: Vec<ColdStay>,
    pub worst_excursion: Option<WorstExcursion>,
}

/// A unit's stays: (place URI, from ms, until ms), from its timeline's
/// events (time ms, place URI), sorted by time; the last stay lasts to `now`.
pub fn stays(events: &[(i64, Option<String>)], now: i64) -> Vec<(String, i64, i64)> {
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    for (i, (t, place)) in events.iter().enumerate() {
        let Some(place) = place else { continue };
        let until = events.get(i + 1).map_or(now, |n| n.0);
        if until <= *t {
            continue;
        }
        match out.last_mut() {
            // Two records in a row at one place: one stay.
            Some(last) if last.0 == *place && last.2 == *t => last.2 = until,
            _ => out.push((place.clone(), *t, until)),
        }
    }
    out
}

impl Store {
    /// The vehicle a shipping record without a `bizLocation` names by its
    /// plate (`agri:vehicle`), as a place URI.
    pub(crate) async fn vehicle_of(
        &self,
        shipper: uuid::Uuid,
        doc: &serde_json::Value,
    ) -> Result<Option<String>> {
        let Some(plate) = doc
            .get(format!("{}:vehicle", suyuan_core::stages::AGRI_PREFIX))
            .or_else(|| doc.get(format!("{}vehicle", suyuan_core::stages::AGRI_NS)))
            .and_then(serde_json::Value::as_str)
            .filter(|_| {
                doc.get("bizStep")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|s| s.ends_with("shipping"))
            })
        else {
            return Ok(None);
        };
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT id FROM places WHERE kind = 'vehicle' AND plate_number = $1 \
                 ORDER BY CASE WHEN org_id = $2 THEN 0 ELSE 1 END, created_at, id LIMIT 1",
                &params![plate.trim(), shipper],
            )
            .await?;
        row.map(|r| Ok(format!("{}{}", suyuan_core::refs::PLACE_URN, r.text("id")?)))
            .transpose()
    }

    /// The cold chain over the given stays (see [`stays`]) and the times
    /// loggers were attached to any of `units` (the units of the trace:
    /// see [`super::units`]), until `now`.
    pub async fn cold_chain(
        &self,
        stays: &[(String, i64, i64)],
        units: &[String],
        now: i64,
    ) -> Result<Option<ColdChain>> {
        let mut places: HashMap<Uuid, Option<Place>> = HashMap::new();
        let mut segments = Vec::new();
        for (uri, from, until) in stays {
            let Some(place) = self.place_by_uri(uri).await? else {
                continue;
            };
            // The loggers there during the stay, each for the part of it it was.
            for (id, _, a, b) in self.devices_at(place.id, *from, *until, COLD_KINDS).await? {
                segments.push((place.id, id, a, b));
            }
            places.insert(place.id, Some(place));
        }
        for span in self.unit_spans(units).await? {
            if COLD_KINDS.contains(&span.device_kind.as_str()) {
                for (place, a, b) in self.span_places(&span, now).await? {
                    segments.push((place, span.device, a, b));
                }
            }
        }
        let mut chain = ColdChain {
            kept: true,
            stays: Vec::new(),
            worst_excursion: None,
        };
        let mut worst_severity = 0.0;
        let mut ranges: HashMap<Uuid, Vec<RangeSince>> = HashMap::new();
        for (place_id, device, from, until) in merge_segments(segments) {
            if let std::collections::hash_map::Entry::Vacant(e) = places.entry(place_id) {
                e.insert(self.place_unscoped(place_id).await?);
            }
            let Some(Some(place)) = places.get(&place_id) else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(e) = ranges.entry(place_id) {
                e.insert(self.place_ranges(place).await?);
            }
            let series = self
                .temperature_series(&device.to_string(), Some(from), Some(until))
                .await?;
            let parts = range_parts(&ranges[&place_id], from, until);
            let last = parts.len().saturating_sub(1);
            for (k, (a, b, lo, hi)) in parts.into_iter().enumerate() {
                let part: Vec<(i64, f64)> = series
                    .iter()
                    .copied()
                    .filter(|s| s.0 >= a && (s.0 < b || (k == last && s.0 <= b)))
                    .collect();
                let mut held = place.clone();
                (held.temperature_min, held.temperature_max) = (lo, hi);
                let Some((stay, worst)) = cold_stay(&held, &part, a, b) else {
                    continue;
                };
                if let Some((severity, w)) = worst.filter(|w| w.0 > worst_severity) {
                    worst_severity = severity;
                    chain.worst_excursion = Some(w);
                }
                chain.kept &= stay.kept;
                chain.stays.push(stay);
            }
        }
        Ok((!chain.stays.is_empty()).then_some(chain))
    }
}

impl Store {
    /// The temperature range `place` had from each time on, oldest first:
    /// an edited place's versions, each from when it was made (its first,
    /// the place as first logged, from the start); a place never edited,
    /// its own range.
    async fn place_ranges(&self, place: &Place) -> Result<Vec<RangeSince>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT content, created_at FROM master_versions WHERE entry_id = $1 ORDER BY version",
                &params![place.id],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len().max(1));
        for (i, r) in rows.iter().enumerate() {
            let content: serde_json::Value = serde_json::from_str(&r.text("content")?)
                .map_err(|e| StoreError::Corrupt(format!("master_versions.content: {e}")))?;
            let since = if i == 0 { i64::MIN } else { r.int("created_at")? };
            let range = |k: &str| content.get(k).and_then(serde_json::Value::as_f64);
            out.push((since, range("temperature_min"), range("temperature_max")));
        }
        if out.is_empty() {
            out.push((i64::MIN, place.temperature_min, place.temperature_max));
        }
        Ok(out)
    }
}

/// `from..until` in parts, cut where the place's range changed: (from,
/// until, min, max) of each part, in time order.
pub fn range_parts(
    ranges: &[RangeSince],
    from: i64,
    until: i64,
) -> Vec<(i64, i64, Option<f64>, Option<f64>)> {
    let mut out = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        let end = ranges.get(i + 1).map_or(i64::MAX, |n| n.0);
        let (a, b) = (from.max(r.0), until.min(end));
        if a < b || (from == until && r.0 <= from && from < end) {
            out.push((a, b, r.1, r.2));
        }
    }
    out
}

/// The device kinds whose temperatures make a cold chain.
const COLD_KINDS: &[&str] = &["cold_room", "truck_logger"];

/// One device's readings counted at one place: (place, device, from, until).
type Segment = (Uuid, Uuid, i64, i64);

/// Segments of the same device at the same place that overlap or touch,
/// merged (a logger at a truck the lot is in, and attached to the lot, is
/// counted once), in time order.
pub fn merge_segments(mut segments: Vec<Segment>) -> Vec<Segment> {
    segments.sort_by_key(|s| (s.1, s.0, s.2, s.3));
    let mut out: Vec<Segment> = Vec::new();
    for s in segments {
        match out.last_mut() {
            Some(l) if l.0 == s.0 && l.1 == s.1 && s.2 <= l.3 => l.3 = l.3.max(s.3),
            _ => out.push(s),
        }
    }
    out.sort_by_key(|s| (s.2, s.1, s.3));
    out
}

/// The stay of one device's `series` at `place` from `from` to `until`, with
/// its worst excursion and how far outside the range it went; none without
/// readings.
fn cold_stay(
    place: &Place,
    series: &[(i64, f64)],
    from: i64,
    until: i64,
) -> Option<(ColdStay, Option<(f64, WorstExcursion)>)> {
    if series.is_empty() {
        return None;
    }
    let lowest = series.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
    let highest = series.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    let mut kept = true;
    let mut worst: Option<(f64, WorstExcursion)> = None;
    if let (Some(lo), Some(hi)) = (place.temperature_min, place.temperature_max) {
        for e in excursions(series, lo, hi) {
            kept = false;
            let severity = e.severity(lo, hi);
            if worst.as_ref().is_none_or(|w| severity > w.0) {
                worst = Some((
                    severity,
                    WorstExcursion {
                        place: place.name.clone(),
                        start: ts(e.start_ms),
                        minutes: e.duration_ms() / 60_000,
                        extreme: e.extreme,
                    },
                ));
            }
        }
    }
    let mut times: Vec<i64> = vec![from];
    times.extend(series.iter().map(|s| s.0));
    times.push(until);
    let gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let stay = ColdStay {
        place: place.name.clone(),
        from: ts(from),
        until: ts(until),
        range_min: place.temperature_min,
        range_max: place.temperature_max,
        readings: series.len() as u64,
        lowest,
        highest,
        kept,
        gap_minutes: (gap > MAX_WINDOW_MS).then_some(gap / 60_000),
    };
    Some((stay, worst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stay_is_cut_where_the_range_changed() {
        let ranges = [(i64::MIN, Some(0.0), Some(4.0)), (100, Some(6.0), Some(8.0))];
        assert_eq!(range_parts(&ranges, 10, 50), vec![(10, 50, Some(0.0), Some(4.0))]);
        assert_eq!(
            range_parts(&ranges, 50, 150),
            vec![(50, 100, Some(0.0), Some(4.0)), (100, 150, Some(6.0), Some(8.0))]
        );
        assert_eq!(
            range_parts(&ranges, 120, 150),
            vec![(120, 150, Some(6.0), Some(8.0))]
        );
        assert_eq!(
            range_parts(&ranges, 100, 100),
            vec![(100, 100, Some(6.0), Some(8.0))]
        );
    }

    #[test]
    fn a_stay_lasts_to_the_next_event() {
        let e = [
            (10, Some("a".to_owned())),
            (20, None),
            (30, Some("b".to_owned())),
            (40, Some("c".to_owned())),
        ];
        assert_eq!(
            stays(&e, 100),
            [
                ("a".to_owned(), 10, 20),
                ("b".to_owned(), 30, 40),
                ("c".to_owned(), 40, 100)
            ]
        );
    }

    #[test]
    fn a_device_counted_twice_at_a_place_is_counted_once() {
        let (p, q, d, e) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        assert_eq!(
            merge_segments(vec![
                (p, d, 10, 20),
                (q, d, 20, 30),
                (p, d, 15, 25),
                (p, e, 0, 5),
                (p, d, 40, 50)
            ]),
            [(p, e, 0, 5), (p, d, 10, 25), (q, d, 20, 30), (p, d, 40, 50)]
        );
    }
}
