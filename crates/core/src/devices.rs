//! Devices and their readings (R-5.3.2.1, R-4.2.4): the kinds of device,
//! the quantities they measure with their SenML units (RFC 8428) and
//! plausible ranges, the two request forms a batch of readings comes in
//! (the plain JSON form and SenML), the checks a reading passes, the
//! canonical form of a batch that its logged record hashes, and the
//! excursions of a series outside a temperature range. Pure: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::Invalid;

/// Most readings one batch may hold.
pub const MAX_BATCH: usize = 10_000;
/// How far ahead of the server's clock a reading's time may be (clock skew).
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// The longest a device may stay silent (R-5.3.2.1: at least every 2 hours).
pub const MAX_WINDOW_MS: i64 = 2 * 3600 * 1000;
/// Domain separation of the key a device signs its MQTT messages with.
pub const HMAC_KEY_CONTEXT: &str = "suyuan-device-hmac/v1";
/// Domain separation of a batch's canonical form.
pub const BATCH_CONTEXT: &str = "suyuan-readings/v1";
/// A device's identifier in EPCIS documents (`deviceID`, an association's child).
pub const DEVICE_URN: &str = "urn:suyuan:device:";

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Soil moisture on a plot.
    SoilMoisture,
    /// Air temperature and humidity.
    Air,
    /// A cold room's logger.
    ColdRoom,
    /// A temperature logger travelling in a vehicle.
    TruckLogger,
    Other,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 5] = [
        DeviceKind::SoilMoisture,
        DeviceKind::Air,
        DeviceKind::ColdRoom,
        DeviceKind::TruckLogger,
        DeviceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::SoilMoisture => "soil_moisture",
            DeviceKind::Air => "air",
            DeviceKind::ColdRoom => "cold_room",
            DeviceKind::TruckLogger => "truck_logger",
            DeviceKind::Other => "other",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            DeviceKind::SoilMoisture => "土壤墒情",
            DeviceKind::Air => "空气温湿度",
            DeviceKind::ColdRoom => "冷库",
            DeviceKind::TruckLogger => "车载温度记录仪",
            DeviceKind::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            Invalid::new(
                "device_kind",
                "one of soil_moisture, air, cold_room, truck_logger, other",
                "应为 soil_moisture、air、cold_room、truck_logger、other 之一",
            )
        })
    }

    /// Whether its temperature is held to its place's range (cold chain).
    pub fn keeps_cold(self) -> bool {
        matches!(self, DeviceKind::ColdRoom | DeviceKind::TruckLogger)
    }

    /// How long the device may stay silent before an alert: 2 hours for
    /// every kind by default; `configured` (ms) may shorten it, never
    /// lengthen it.
    pub fn window_ms(self, configured: Option<i64>) -> i64 {
        configured
            .filter(|w| *w > 0)
            .map_or(MAX_WINDOW_MS, |w| w.min(MAX_WINDOW_MS))
    }
}

/// A quantity a device measures: its name, SenML unit and plausible range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub name: &'static str,
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub zh: &'static str,
}

/// Every quantity accepted.
pub const QUANTITIES: &[Quantity] = &[
    Quantity {
        name: "temperature",
        unit: "Cel",
        min: -60.0,
        max: 100.0,
        zh: "温度",
    },
    Quantity {
        name: "humidity",
        unit: "%RH",
        min: 0.0,
        max: 100.0,
        zh: "相对湿度",
    },
    Quantity {
        name: "soil_moisture",
        unit: "%",
        min: 0.0,
        max: 100.0,
        zh: "土壤含水量",
    },
    Quantity {
        name: "soil_temperature",
        unit: "Cel",
        min: -40.0,
        max: 80.0,
        zh: "土壤温度",
    },
    Quantity {
        name: "co2",
        unit: "ppm",
        min: 0.0,
        max: 50_000.0,
        zh: "二氧化碳",
    },
    Quantity {
        name: "illuminance",
        unit: "lx",
        min: 0.0,
        max: 200_000.0,
        zh: "光照度",
    },
    Quantity {
        name: "battery",
        unit: "%EL",
        min: 0.0,
        max: 100.0,
        zh: "电量",
    },
];

/// The quantity named `name`.
pub fn quantity(name: &str) -> Option<&'static Quantity> {
    QUANTITIES.iter().find(|q| q.name == name)
}

/// The EPCIS 2.0 sensor report `type` (CBV sensor measurement type) and
/// UN/CEFACT unit of a quantity that describes storage and transport
/// conditions; none for the others (soil, battery, CO2).
pub fn epcis_sensor(quantity: &str) -> Option<(&'static str, &'static str)> {
    match quantity {
        "temperature" => Some(("Temperature", "CEL")),
        "humidity" => Some(("RelativeHumidity", "P1")),
        "illuminance" => Some(("Illuminance", "LUX")),
        _ => None,
    }
}

/// One reading as sent in the plain JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingIn {
    /// RFC 3339 time of the measurement.
    pub time: String,
    /// One of temperature, humidity, soil_moisture, soil_temperature, co2, illuminance, battery.
    pub quantity: String,
    pub value: f64,
    /// The quantity's SenML unit: Cel, %RH, %, ppm, lx, %EL.
    pub unit: String,
}

/// The plain JSON form of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingsIn {
    pub readings: Vec<ReadingIn>,
}

/// A checked reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub quantity: &'static str,
    pub time_ms: i64,
    pub value: f64,
    pub unit: &'static str,
}

fn bad(field: String, code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> (String, Invalid) {
    (field, Invalid::new(code, en, zh))
}

/// Checks one reading; `Err` names the field at fault and the rule.
pub fn check_reading(
    i: usize,
    quantity_name: &str,
    time_ms: i64,
    value: f64,
    unit: &str,
    now_ms: i64,
) -> Result<Reading, (String, Invalid)> {
    let at = |f: &str| format!("readings[{i}].{f}");
    let q = quantity(quantity_name).ok_or_else(|| {
        let names: Vec<&str> = QUANTITIES.iter().map(|q| q.name).collect();
        bad(
            at("quantity"),
            "unknown_quantity",
            format!("one of {}", names.join(", ")),
            format!("应为 {} 之一", names.join("、")),
        )
    })?;
    if unit != q.unit {
        return Err(bad(
            at("unit"),
            "wrong_unit",
            format!("{} is measured in {} (SenML)", q.name, q.unit),
            format!("{}的单位应为 {}（SenML）", q.zh, q.unit),
        ));
    }
    if !value.is_finite() || value < q.min || value > q.max {
        return Err(bad(
            at("value"),
            "implausible_value",
            format!("{} lies within {}..{} {}", q.name, q.min, q.max, q.unit),
            format!("{}应在 {} 至 {} {} 之间", q.zh, q.min, q.max, q.unit),
        ));
    }
    if time_ms > now_ms + MAX_SKEW_MS {
        return Err(bad(
            at("time"),
            "time_in_future",
            "a reading's time may not lie in the future (5 minutes of clock skew allowed)",
            "读数时间不能晚于当前时间（允许 5 分钟时钟偏差）",
        ));
    }
    // 2000-01-01: an earlier time is a device whose clock was never set.
    if time_ms < 946_684_800_000 {
        return Err(bad(
            at("time"),
            "time_unset",
            "a reading's time is before 2000: the device's clock is not set",
            "读数时间早于 2000 年：设备时钟未设置",
        ));
    }
    Ok(Reading {
        quantity: q.name,
        time_ms,
        value,
        unit: q.unit,
    })
}

fn batch_size(n: usize) -> Result<(), (String, Invalid)> {
    if n == 0 || n > MAX_BATCH {
        return Err(bad(
            "readings".into(),
            "batch_size",
            format!("a batch holds 1 to {MAX_BATCH} readings"),
            format!("每批应有 1 至 {MAX_BATCH} 条读数"),
        ));
    }
    Ok(())
}

/// Parses an RFC 3339 time to ms since the epoch.
pub fn parse_time(field: String, s: &str) -> Result<i64, (String, Invalid)> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            bad(
                field,
                "time_format",
                "an RFC 3339 time with its offset, e.g. 2026-03-01T08:00:00+08:00",
                "应为带时区的 RFC 3339 时间，如 2026-03-01T08:00:00+08:00",
            )
        })
}

/// Checks a batch in the plain JSON form.
pub fn check_plain(body: &ReadingsIn, now_ms: i64) -> Result<Vec<Reading>, (String, Invalid)> {
    batch_size(body.readings.len())?;
    body.readings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = parse_time(format!("readings[{i}].time"), &r.time)?;
            check_reading(i, &r.quantity, t, r.value, &r.unit, now_ms)
        })
        .collect()
}

/// Checks a batch in SenML JSON (RFC 8428): base name `bn`, base time
/// `bt`, base unit `bu`, and per record `n`, `u`, `v`, `t` (seconds; a time
/// below 2^28 is relative to now, as the RFC says). The quantity is the
/// last segment of the resolved name after `:` or `/`.
pub fn check_senml(body: &Value, now_ms: i64) -> Result<Vec<Reading>, (String, Invalid)> {
    let records = body.as_array().ok_or_else(|| {
        bad(
            "readings".into(),
            "senml_pack",
            "a SenML pack is a JSON array of records",
            "SenML 数据包应为记录组成的 JSON 数组",
        )
    })?;
    batch_size(records.len())?;
    let (mut bn, mut bt, mut bu) = (String::new(), 0.0_f64, None::<String>);
    let mut out = Vec::with_capacity(records.len());
    for (i, rec) in records.iter().enumerate() {
        let at = |f: &str| format!("readings[{i}].{f}");
        let obj = rec.as_object().ok_or_else(|| {
            bad(
                at("n"),
                "senml_record",
                "a SenML record is a JSON object",
                "SenML 记录应为 JSON 对象",
            )
        })?;
        if let Some(v) = obj.get("bn").and_then(Value::as_str) {
            bn = v.to_owned();
        }
        if let Some(v) = obj.get("bt").and_then(Value::as_f64) {
            bt = v;
        }
        if let Some(v) = obj.get("bu").and_then(Value::as_str) {
            bu = Some(v.to_owned());
        }
        let name = format!("{bn}{}", obj.get("n").and_then(Value::as_str).unwrap_or(""));
        let q = name.rsplit([':', '/']).next().unwrap_or("").to_owned();
        let unit = obj
            .get("u")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| bu.clone())
            .unwrap_or_default();
        let value = obj.get("v").and_then(Value::as_f64).ok_or_else(|| {
            bad(
                at("v"),
                "senml_value",
                "each record carries a numeric value v",
                "每条记录须有数值 v",
            )
        })?;
        let t = bt + obj.get("t").and_then(Value::as_f64).unwrap_or(0.0);
        let time_ms = if t.abs() < 268_435_456.0 {
            now_ms + (t * 1000.0).round() as i64
        } else {
            (t * 1000.0).round() as i64
        };
        out.push(check_reading(i, &q, time_ms, value, &unit, now_ms)?);
    }
    Ok(out)
}

/// The readings of a batch in their canonical order (quantity, time), with
/// repeats of the same quantity and time dropped (the first kept).
pub fn dedupe(mut readings: Vec<Reading>) -> Vec<Reading> {
    readings.sort_by(|a, b| (a.quantity, a.time_ms).cmp(&(b.quantity, b.time_ms)));
    readings.dedup_by(|b, a| a.quantity == b.quantity && a.time_ms == b.time_ms);
    readings
}

/// The canonical form of a batch's readings, which its logged record
/// hashes: `suyuan-readings/v1\n<device id>\n` then one line
/// `<quantity>\t<time ms>\t<value>\t<unit>\n` per reading in (quantity,
/// time) order; the value as Rust prints an `f64` (shortest form that reads
/// back the same number).
pub fn canonical_batch<'a>(
    device_id: &str,
    readings: impl IntoIterator<Item = (&'a str, i64, f64, &'a str)>,
) -> String {
    let mut lines: Vec<(&str, i64, f64, &str)> = readings.into_iter().collect();
    lines.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut s = format!("{BATCH_CONTEXT}\n{device_id}\n");
    for (q, t, v, u) in lines {
        s.push_str(&format!("{q}\t{t}\t{v}\t{u}\n"));
    }
    s
}

/// SHA-256, hex, of [`canonical_batch`].
pub fn batch_sha256<'a>(
    device_id: &str,
    readings: impl IntoIterator<Item = (&'a str, i64, f64, &'a str)>,
) -> String {
    hex_lower(&Sha256::digest(canonical_batch(device_id, readings).as_bytes()))
}

/// The key a device signs its MQTT messages with, derived from its token:
/// SHA-256(`suyuan-device-hmac/v1` || token).
pub fn hmac_key(token: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(HMAC_KEY_CONTEXT.as_bytes());
    h.update(token.as_bytes());
    h.finalize().into()
}

/// HMAC-SHA256 of `payload` with `key`, hex: what a device sends with an
/// MQTT message.
pub fn sign_hmac(key: &[u8], payload: &[u8]) -> String {
    use hmac::Mac;
    // An HMAC takes a key of any length.
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(payload);
    hex_lower(&mac.finalize().into_bytes())
}

/// Whether `mac_hex` is the HMAC-SHA256 of `payload` with `key` (compared
/// in constant time).
pub fn verify_hmac(key: &[u8], payload: &[u8], mac_hex: &str) -> bool {
    use hmac::Mac;
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(payload);
    let given: Option<Vec<u8>> = mac_hex
        .len()
        .is_multiple_of(2)
        .then(|| {
            (0..mac_hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(mac_hex.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    given.is_some_and(|g| mac.verify_slice(&g).is_ok())
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stretch of time a series spent outside its range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Excursion {
    /// The first reading outside the range (ms).
    pub start_ms: i64,
    /// The first reading back inside it, or the last one outside when it
    /// has not come back (then `ongoing`).
    pub end_ms: i64,
    /// The value farthest outside the range.
    pub extreme: f64,
    pub ongoing: bool,
}

impl Excursion {
    pub fn duration_ms(&self) -> i64 {
        self.end_ms - self.start_ms
    }

    /// How far outside the range its extreme lies.
    pub fn severity(&self, min: f64, max: f64) -> f64 {
        (min - self.extreme).max(self.extreme - max).max(0.0)
    }
}

/// The excursions of a series (time ms, value), in time order, outside
/// `min..=max`.
pub fn excursions(series: &[(i64, f64)], min: f64, max: f64) -> Vec<Excursion> {
    let mut out = Vec::new();
    let mut open: Option<Excursion> = None;
    let beyond = |v: f64| (min - v).max(v - max);
    for &(t, v) in series {
        let outside = v < min || v > max;
        match (&mut open, outside) {
            (None, true) => {
                open = Some(Excursion {
                    start_ms: t,
                    end_ms: t,
                    extreme: v,
                    ongoing: true,
                })
            }
            (Some(e), true) => {
                e.end_ms = t;
                if beyond(v) > beyond(e.extreme) {
                    e.extreme = v;
                }
            }
            (Some(e), false) => {
                e.end_ms = t;
                e.ongoing = false;
                out.push(*e);
                open = None;
            }
            (None, false) => {}
        }
    }
    out.extend(open);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn units_ranges_and_times_are_checked() {
        assert!(check_reading(0, "temperature", NOW, 3.5, "Cel", NOW).is_ok());
        assert_eq!(
            check_reading(0, "temperature", NOW, 3.5, "K", NOW).unwrap_err().0,
            "readings[0].unit"
        );
        assert_eq!(
            check_reading(1, "humidity", NOW, 120.0, "%RH", NOW)
                .unwrap_err()
                .1
                .code,
            "implausible_value"
        );
        assert_eq!(
            check_reading(0, "weight", NOW, 1.0, "kg", NOW)
                .unwrap_err()
                .1
                .code,
            "unknown_quantity"
        );
        assert!(check_reading(0, "temperature", NOW + MAX_SKEW_MS, 1.0, "Cel", NOW).is_ok());
        assert_eq!(
            check_reading(0, "temperature", NOW + MAX_SKEW_MS + 1, 1.0, "Cel", NOW)
                .unwrap_err()
                .1
                .code,
            "time_in_future"
        );
        assert!(check_reading(0, "temperature", NOW, f64::NAN, "Cel", NOW).is_err());
    }

    #[test]
    fn senml_resolves_base_fields() {
        let pack = serde_json::json!([
            {"bn": "urn:dev:mac:0024befffe804ff1:", "bt": 1.78e9, "bu": "Cel", "n": "temperature", "v": 3.5},
            {"n": "temperature", "t": 60, "v": 3.75},
            {"n": "humidity", "u": "%RH", "v": 80}
        ]);
        let r = check_senml(&pack, NOW).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].time_ms, 1_780_000_000_000);
        assert_eq!(r[1].time_ms, 1_780_000_060_000);
        assert_eq!(r[2].quantity, "humidity");
        let wrong = serde_json::json!([{"n": "temperature", "u": "Far", "v": 40}]);
        assert_eq!(check_senml(&wrong, NOW).unwrap_err().0, "readings[0].unit");
        assert_eq!(
            check_senml(&serde_json::json!({}), NOW).unwrap_err().1.code,
            "senml_pack"
        );
    }

    #[test]
    fn the_canonical_form_ignores_order() {
        let a = batch_sha256(
            "d",
            [("temperature", 2, 3.5, "Cel"), ("temperature", 1, 4.0, "Cel")],
        );
        let b = batch_sha256(
            "d",
            [("temperature", 1, 4.0, "Cel"), ("temperature", 2, 3.5, "Cel")],
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            batch_sha256(
                "d",
                [("temperature", 1, 4.0, "Cel"), ("temperature", 2, 3.6, "Cel")]
            )
        );
        assert!(canonical_batch("d", [("temperature", 1, 4.0, "Cel")]).ends_with("temperature\t1\t4\tCel\n"));
    }

    #[test]
    fn excursions_have_duration_and_extreme() {
        let s = [(0, 2.0), (10, 5.0), (20, 7.5), (30, 3.0), (40, -1.0), (50, -0.5)];
        let e = excursions(&s, 0.0, 4.0);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].start_ms, e[0].end_ms, e[0].extreme, e[0].ongoing),
            (10, 30, 7.5, false)
        );
        assert_eq!(e[0].duration_ms(), 20);
        assert!(e[1].ongoing);
        assert_eq!(e[1].extreme, -1.0);
        assert_eq!(e[0].severity(0.0, 4.0), 3.5);
    }

    #[test]
    fn hmac_round_trips() {
        let key = hmac_key("syd_x");
        let mac = sign_hmac(&key, b"{}");
        assert!(verify_hmac(&key, b"{}", &mac));
        assert!(!verify_hmac(&key, b"{ }", &mac));
        assert!(!verify_hmac(&hmac_key("syd_y"), b"{}", &mac));
        assert!(!verify_hmac(&key, b"{}", "zz"));
    }

    #[test]
    fn the_window_is_never_longer_than_two_hours() {
        assert_eq!(DeviceKind::ColdRoom.window_ms(None), MAX_WINDOW_MS);
        assert_eq!(DeviceKind::ColdRoom.window_ms(Some(600_000)), 600_000);
        assert_eq!(
            DeviceKind::ColdRoom.window_ms(Some(10 * MAX_WINDOW_MS)),
            MAX_WINDOW_MS
        );
    }
}
