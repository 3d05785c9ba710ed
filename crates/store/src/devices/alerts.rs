//! Alerts (R-5.3.2.1): the periodic check ([`Store::check_devices`], run
//! by `suyuan serve` every minute and by tests with an explicit `now`)
//! raises
//!
//! - a `silent` alert for an enabled device whose latest reading (or its
//!   registration, before any) is older than its kind's window (2 hours by
//!   default, shorter when configured, never longer), closed when readings
//!   come back;
//! - an `excursion` alert for each stretch a cold room's or truck logger's
//!   temperature spent outside its place's `temperature_min`..`temperature_max`,
//!   with its span and extreme (`suyuan_core::devices::excursions`),
//!   recomputed from the readings of the devices that received any since
//!   the last check; each reading is judged by the range of the place the
//!   device was at when it was taken (its registered place until its first
//!   move, then each move's place from the move's time).
//!
//! `device_alerts` is operational (see the catalogue): a silence depends
//! on the time of the check, which no logged record states, so `verify`
//! cannot replay it; excursions are recomputed from the logged readings by
//! each check. Traces read conditions from the logged readings, never from
//! this table. Each alert raised or ended is queued for the organisation's
//! webhook in the same transaction (`super::webhooks`). The organisation sees its alerts, an officer those of the
//! organisations in the jurisdiction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use suyuan_core::devices::{excursions, DeviceKind};
use utoipa::ToSchema;
use uuid::Uuid;

use super::webhooks::AlertNote;
use crate::db::Row;
use crate::orgs::ts;
use crate::{new_id, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// An alert as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alert {
    pub id: Uuid,
    pub org_id: Uuid,
    pub device_id: Uuid,
    pub device_name: String,
    /// `silent` or `excursion`.
    pub kind: String,
    pub started_at: DateTime<Utc>,
    /// When it ended (readings came back, temperature back in range); none while it lasts.
    pub ended_at: Option<DateTime<Utc>>,
    /// Minutes it lasted (so far, for an excursion still open: to its last reading).
    pub minutes: Option<i64>,
    /// An excursion's value farthest outside the range (°C).
    pub extreme: Option<f64>,
}

/// What one check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub devices: u64,
    pub silent_raised: u64,
    pub silent_closed: u64,
    /// Excursion alerts after the check, of the devices recomputed.
    pub excursions: u64,
}

const ALERT_COLUMNS: &str = "t.id, t.org_id, t.device_id, d.name AS device_name, t.kind, t.started_at, \
     t.ended_at, t.extreme, (SELECT MAX(b.last_time) FROM reading_batches b WHERE b.device_id = t.device_id) AS last";

fn decode_alert(r: &Row) -> Result<Alert> {
    let started = r.int("started_at")?;
    let ended = r.opt_int("ended_at")?;
    let kind = r.text("kind")?;
    let until = ended.or_else(|| {
        (kind == "excursion")
            .then(|| r.opt_int("last").ok().flatten())
            .flatten()
    });
    Ok(Alert {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        device_id: r.uuid("device_id")?,
        device_name: r.text("device_name")?,
        kind,
        started_at: ts(started),
        ended_at: ended.map(ts),
        minutes: until.map(|u| (u - started).max(0) / 60_000),
        extreme: r.opt_float("extreme")?,
    })
}

impl Store {
    /// Runs the check at `now` (ms). `windows` shortens a kind's window
    /// (ms; never beyond 2 hours). `since`: recompute excursions of the
    /// devices that received batches after this time (ms); `None` for all.
    pub async fn check_devices(
        &self,
        now: i64,
        windows: &HashMap<DeviceKind, i64>,
        since: Option<i64>,
    ) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT t.id, t.org_id, t.name, t.kind, t.created_at, \
                 COALESCE((SELECT s.enabled FROM device_states s WHERE s.device_id = t.id \
                           ORDER BY s.created_at DESC, s.id DESC LIMIT 1), TRUE) AS enabled, \
                 (SELECT MAX(b.last_time) FROM reading_batches b WHERE b.device_id = t.id) AS last, \
                 (SELECT MIN(a.started_at) FROM device_alerts a WHERE a.device_id = t.id AND a.kind = 'silent' \
                  AND a.ended_at IS NULL) AS open_since FROM devices t",
                &[],
            )
            .await?;
        // (org, device, started, name) to raise; (org, device, ended, name, started) to close.
        let mut raise: Vec<(String, String, i64, String)> = Vec::new();
        let mut close: Vec<(String, String, i64, String, i64)> = Vec::new();
        for r in &rows {
            report.devices += 1;
            let kind = DeviceKind::parse(&r.text("kind")?).map_err(|e| StoreError::Corrupt(e.en))?;
            let last = r.opt_int("last")?.unwrap_or(r.int("created_at")?);
            let window = kind.window_ms(windows.get(&kind).copied());
            let silent = r.bool("enabled")? && now - last > window;
            match (silent, r.opt_int("open_since")?) {
                (true, None) => {
                    raise.push((r.text("org_id")?, r.text("id")?, last + window, r.text("name")?))
                }
                (false, Some(since)) => close.push((
                    r.text("org_id")?,
                    r.text("id")?,
                    last.min(now),
                    r.text("name")?,
                    since,
                )),
                _ => {}
            }
        }
        report.silent_raised = raise.len() as u64;
        report.silent_closed = close.len() as u64;
        let mut tx = self.db.begin().await?;
        // Many rows per statement: a check over 100,000 devices is a few
        // round trips, not one per device.
        for chunk in raise.chunks(500) {
            let mut ps = Vec::with_capacity(chunk.len() * 5);
            let values: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, (org, device, started, _))| {
                    let b = i * 5;
                    ps.extend(params![new_id(), org.as_str(), device.as_str(), *started, now]);
                    format!(
                        "(${}, ${}, ${}, 'silent', ${}, NULL, NULL, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5
                    )
                })
                .collect();
            tx.execute(
                &format!(
                    "INSERT INTO device_alerts (id, org_id, device_id, kind, started_at, ended_at, extreme, raised_at) \
                     VALUES {} ON CONFLICT DO NOTHING",
                    values.join(",")
                ),
                &ps,
            )
            .await?;
        }
        for (_, device, ended, _, _) in &close {
            tx.execute(
                "UPDATE device_alerts SET ended_at = $1 WHERE device_id = $2 AND kind = 'silent' AND ended_at IS NULL",
                &params![*ended, device.as_str()],
            )
            .await?;
        }
        // The notifications, in the same transaction (the outbox).
        queue_silences(&mut tx, &raise, &close).await?;
        tx.commit().await?;
        report.excursions = self.recompute_excursions(since).await?;
        Ok(report)
    }

    /// Recomputes the excursion alerts of the cold devices that received
    /// batches after `since`, each reading judged by the range of the place
    /// the device was at when it was taken ([`Store::place_spans`]).
    async fn recompute_excursions(&self, since: Option<i64>) -> Result<u64> {
        let devices = self
            .db
            .conn()
            .fetch_all(
                "SELECT d.id, d.org_id, d.name FROM devices d WHERE d.kind IN ('cold_room', 'truck_logger') \
                 AND EXISTS (SELECT 1 FROM reading_batches b WHERE b.device_id = d.id AND b.created_at > $1)",
                &params![since.unwrap_or(i64::MIN)],
            )
            .await?;
        let mut count = 0;
        for d in &devices {
            let id = d.text("id")?;
            let found = self.excursions_by_place(d.uuid("id")?).await?;
            let mut tx = self.db.begin().await?;
            // What was known before: (start, ended), to notify only what is new.
            let known: HashMap<i64, bool> = tx
                .fetch_all(
                    "SELECT started_at, ended_at FROM device_alerts WHERE device_id = $1 AND kind = 'excursion'",
                    &params![id.clone()],
                )
                .await?
                .iter()
                .map(|r| Ok((r.int("started_at")?, r.opt_int("ended_at")?.is_some())))
                .collect::<Result<_>>()?;
            tx.execute(
                "DELETE FROM device_alerts WHERE device_id = $1 AND kind = 'excursion'",
                &params![id.clone()],
            )
            .await?;
            let now = crate::now_ms();
            let (org, name) = (d.text("org_id")?, d.text("name")?);
            let hooked = Store::webhook_orgs(&mut tx).await?.contains(&org);
            for e in &found {
                tx.execute(
                    "INSERT INTO device_alerts (id, org_id, device_id, kind, started_at, ended_at, extreme, raised_at) \
                     VALUES ($1,$2,$3,'excursion',$4,$5,$6,$7)",
                    &params![
                        new_id(),
                        org.clone(),
                        id.clone(),
                        e.start_ms,
                        (!e.ongoing).then_some(e.end_ms),
                        e.extreme,
                        now
                    ],
                )
                .await?;
                let was = known.get(&e.start_ms).copied();
                let mut note = AlertNote {
                    org_id: &org,
                    device_id: &id,
                    device_name: &name,
                    kind: "excursion",
                    started_at: e.start_ms,
                    ended_at: (!e.ongoing).then_some(e.end_ms),
                    extreme: Some(e.extreme),
                    ended: false,
                };
                if hooked && was.is_none() {
                    Store::queue_alert_note(&mut tx, &note).await?;
                }
                if hooked && !e.ongoing && was != Some(true) {
                    note.ended = true;
                    Store::queue_alert_note(&mut tx, &note).await?;
                }
            }
            tx.commit().await?;
            count += found.len() as u64;
        }
        Ok(count)
    }

    /// A device's excursions, each stretch of its readings judged by the
    /// range of the place it was at then (places without one: none). An
    /// excursion still outside the range when the device moved on ended
    /// there.
    async fn excursions_by_place(&self, device: Uuid) -> Result<Vec<suyuan_core::devices::Excursion>> {
        let spans = self.place_spans(device).await?;
        let mut found = Vec::new();
        for (i, (place, from, until)) in spans.iter().enumerate() {
            let Some(p) = self.place_unscoped(*place).await? else {
                continue;
            };
            let (Some(lo), Some(hi)) = (p.temperature_min, p.temperature_max) else {
                continue;
            };
            let series = self
                .temperature_series(&device.to_string(), Some(*from), Some(until.saturating_sub(1)))
                .await?;
            let last = i + 1 == spans.len();
            found.extend(excursions(&series, lo, hi).into_iter().map(|mut e| {
                e.ongoing &= last;
                e
            }));
        }
        Ok(found)
    }

    /// A device's temperature readings (time ms, °C) in time order, within
    /// `from`..`to` when given.
    pub(crate) async fn temperature_series(
        &self,
        device: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<(i64, f64)>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT time_ms, value FROM device_readings WHERE device_id = $1 AND quantity = 'temperature' \
                 AND time_ms >= $2 AND time_ms <= $3 ORDER BY time_ms",
                &params![device, from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.int("time_ms")?, r.float("value")?)))
            .collect()
    }

    /// The alerts the caller may read (its organisation's; an officer's
    /// jurisdiction's), by id.
    pub async fn list_alerts(&self, caller: &Caller, page: PageRequest) -> Result<Page<Alert>> {
        self.list_scoped(
            caller,
            &format!("SELECT {ALERT_COLUMNS} FROM device_alerts t JOIN devices d ON d.id = t.device_id"),
            None,
            page,
            decode_alert,
        )
        .await
    }
}

/// Queues the webhook notifications of the silences a check raised and
/// closed, for the organisations with a webhook.
async fn queue_silences(
    tx: &mut crate::db::Tx,
    raise: &[(String, String, i64, String)],
    close: &[(String, String, i64, String, i64)],
) -> Result<()> {
    let hooked = Store::webhook_orgs(tx).await?;
    let raised = raise
        .iter()
        .map(|(org, device, started, name)| (org, device, name, *started, None));
    let ended = close
        .iter()
        .map(|(org, device, ended, name, started)| (org, device, name, *started, Some(*ended)));
    for (org, device, name, started, ended_at) in raised.chain(ended) {
        if hooked.contains(org.as_str()) {
            let note = AlertNote {
                org_id: org,
                device_id: device,
                device_name: name,
                kind: "silent",
                started_at: started,
                ended_at,
                extreme: None,
                ended: ended_at.is_some(),
            };
            Store::queue_alert_note(tx, &note).await?;
        }
    }
    Ok(())
}
