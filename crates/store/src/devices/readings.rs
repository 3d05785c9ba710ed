//! Readings: stored as a time series (`device_readings`, one row per
//! device, quantity and time), each accepted batch one logged record
//! (`reading_batch`: device, count, time range and the SHA-256 of the
//! canonical form of the readings it stored, `suyuan_core::devices::canonical_batch`).
//!
//! A reading already stored (same device, quantity and time) is a duplicate
//! and dropped, so a device may resend a batch safely; late and
//! out-of-order readings are stored like any other. A batch of duplicates
//! only logs nothing. `verify` recomputes every batch's hash from its rows
//! ([`Store::readings_against_log`]), so an edited, deleted or added
//! reading is named.

use chrono::{DateTime, Utc};
use serde::Serialize;
use suyuan_core::devices::{batch_sha256, dedupe, Reading};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthedDevice;
use crate::db::{Row, Val};
use crate::master_log::RecordKind;
use crate::orgs::ts;
use crate::row_states::RowMismatch;
use crate::{new_id, now_ms, params, Caller, Result, Store};

/// Rows per INSERT statement.
const CHUNK: usize = 2000;
/// Batches checked per query by [`Store::readings_against_log`].
const VERIFY_BATCHES: i64 = 500;

/// What a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ingested {
    /// Readings stored.
    pub accepted: u64,
    /// Readings already stored (or repeated in the batch), dropped.
    pub duplicates: u64,
}

/// A stored reading.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredReading {
    pub time: DateTime<Utc>,
    pub quantity: String,
    pub value: f64,
    pub unit: String,
}

/// A page of readings, oldest first; `next` is the time to ask from for
/// the next page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadingsPage {
    pub items: Vec<StoredReading>,
    pub next: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a checked batch of an authenticated device's readings and
    /// logs it, in one transaction.
    pub async fn ingest_readings(&self, device: &AuthedDevice, readings: Vec<Reading>) -> Result<Ingested> {
        let sent = readings.len() as u64;
        let readings = dedupe(readings);
        let batch = new_id();
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO reading_batches (id, org_id, device_id, reading_count, first_time, last_time, \
             readings_sha256, created_at) VALUES ($1,$2,$3,0,0,0,'',$4)",
            &params![batch, device.org_id, device.id, now],
        )
        .await?;
        let mut stored: Vec<(String, i64, f64, String)> = Vec::with_capacity(readings.len());
        for chunk in readings.chunks(CHUNK) {
            let mut ps: Vec<Val> = Vec::with_capacity(chunk.len() * 6);
            let mut values = Vec::with_capacity(chunk.len());
            for (i, r) in chunk.iter().enumerate() {
                let n = i * 6;
                values.push(format!(
                    "(${},${},${},${},${},${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6
                ));
                ps.extend([
                    Val::from(device.id),
                    Val::from(r.quantity),
                    Val::Int(r.time_ms),
                    Val::Float(r.value),
                    Val::from(r.unit),
                    Val::from(batch),
                ]);
            }
            let rows = tx
                .fetch_all(
                    &format!(
                        "INSERT INTO device_readings (device_id, quantity, time_ms, value, unit, batch_id) VALUES {} \
                         ON CONFLICT DO NOTHING RETURNING quantity, time_ms, value, unit",
                        values.join(",")
                    ),
                    &ps,
                )
                .await?;
            for r in rows {
                stored.push((
                    r.text("quantity")?,
                    r.int("time_ms")?,
                    r.float("value")?,
                    r.text("unit")?,
                ));
            }
        }
        if stored.is_empty() {
            // Nothing new: no record.
            drop(tx);
            return Ok(Ingested {
                accepted: 0,
                duplicates: sent,
            });
        }
        let first = stored.iter().map(|r| r.1).min().unwrap_or(0);
        let last = stored.iter().map(|r| r.1).max().unwrap_or(0);
        let sha = batch_sha256(
            &device.id.to_string(),
            stored.iter().map(|(q, t, v, u)| (q.as_str(), *t, *v, u.as_str())),
        );
        tx.execute(
            "UPDATE reading_batches SET reading_count = $1, first_time = $2, last_time = $3, readings_sha256 = $4 \
             WHERE id = $5",
            &params![stored.len() as i64, first, last, sha, batch],
        )
        .await?;
        self.log_record(&mut tx, device.org_id, RecordKind::ReadingBatch, batch, None)
            .await?;
        tx.commit().await?;
        Ok(Ingested {
            accepted: stored.len() as u64,
            duplicates: sent - stored.len() as u64,
        })
    }

    /// A device's readings the caller may read, oldest first, from `from`
    /// (inclusive) to `to` (exclusive), at most `limit`.
    pub async fn list_readings(
        &self,
        caller: &Caller,
        device: Uuid,
        from: Option<i64>,
        to: Option<i64>,
        limit: u32,
    ) -> Result<ReadingsPage> {
        self.get_device(caller, device).await?;
        let limit = limit.clamp(1, 1000) as usize;
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT quantity, time_ms, value, unit FROM device_readings \
                     WHERE device_id = $1 AND time_ms >= $2 AND time_ms < $3 ORDER BY time_ms, quantity LIMIT {}",
                    limit + 1
                ),
                &params![device, from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)],
            )
            .await?;
        let mut items = rows.iter().map(decode_reading).collect::<Result<Vec<_>>>()?;
        let mut next = None;
        if items.len() > limit {
            next = items.pop().map(|r| r.time);
            // Keep a time's readings together: the next page starts at it.
            if let Some(t) = next {
                if items.iter().any(|r| r.time < t) {
                    items.retain(|r| r.time < t);
                }
            }
        }
        Ok(ReadingsPage { items, next })
    }

    /// How many readings are stored (all devices).
    pub async fn count_readings(&self) -> Result<i64> {
        let row = self
            .db
            .conn()
            .fetch_optional("SELECT COUNT(*) AS n FROM device_readings", &[])
            .await?;
        row.map_or(Ok(0), |r| r.int("n"))
    }

    /// Every batch's readings, recomputed from `device_readings` against its
    /// logged count and hash; readings of no batch, and readings whose
    /// device is not their batch's. Streamed a page of batches at a time.
    pub async fn readings_against_log(&self) -> Result<Vec<RowMismatch>> {
        let mut out = Vec::new();
        let mut conn = self.db.conn();
        let mut after = String::new();
        loop {
            let batches = conn
                .fetch_all(
                    "SELECT id, device_id, reading_count, readings_sha256 FROM reading_batches \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                    &params![after.clone(), VERIFY_BATCHES],
                )
                .await?;
            let Some(last) = batches.last() else { break };
            after = last.text("id")?;
            let first = batches[0].text("id")?;
            let rows = conn
                .fetch_all(
                    "SELECT device_id, quantity, time_ms, value, unit, batch_id FROM device_readings \
                     WHERE batch_id >= $1 AND batch_id <= $2",
                    &params![first, after.clone()],
                )
                .await?;
            let mut by_batch: std::collections::HashMap<String, Vec<&Row>> = Default::default();
            for r in &rows {
                by_batch.entry(r.text("batch_id")?).or_default().push(r);
            }
            for b in &batches {
                let id = b.text("id")?;
                let device = b.text("device_id")?;
                let mine = by_batch.remove(&id).unwrap_or_default();
                check_batch(b, &id, &device, &mine, &mut out)?;
            }
        }
        let orphans = conn
            .fetch_all(
                "SELECT r.device_id, r.quantity, r.time_ms, r.batch_id FROM device_readings r \
                 LEFT JOIN reading_batches b ON b.id = r.batch_id WHERE b.id IS NULL LIMIT 20",
                &[],
            )
            .await?;
        for r in orphans {
            out.push(RowMismatch {
                table: "device_readings",
                key: reading_key(&r)?,
                column: "batch_id".into(),
                expected: "a logged reading_batch".into(),
                found: r.text("batch_id")?,
            });
        }
        Ok(out)
    }
}

fn reading_key(r: &Row) -> Result<String> {
    Ok(format!(
        "{} {} {}",
        r.text("device_id")?,
        r.text("quantity")?,
        r.int("time_ms")?
    ))
}

fn check_batch(b: &Row, id: &str, device: &str, rows: &[&Row], out: &mut Vec<RowMismatch>) -> Result<()> {
    for r in rows {
        if r.text("device_id")? != device {
            out.push(RowMismatch {
                table: "device_readings",
                key: reading_key(r)?,
                column: "device_id".into(),
                expected: format!("{device} (its reading_batch {id})"),
                found: r.text("device_id")?,
            });
        }
    }
    let lines: Vec<(String, i64, f64, String)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.text("quantity")?,
                r.int("time_ms")?,
                r.float("value")?,
                r.text("unit")?,
            ))
        })
        .collect::<Result<_>>()?;
    let sha = batch_sha256(
        device,
        lines.iter().map(|(q, t, v, u)| (q.as_str(), *t, *v, u.as_str())),
    );
    let count = b.int("reading_count")?;
    if rows.len() as i64 != count || sha != b.text("readings_sha256")? {
        out.push(RowMismatch {
            table: "device_readings",
            key: format!("readings of reading_batch {id}"),
            column: "value".into(),
            expected: format!("{count} readings hashing to {}", b.text("readings_sha256")?),
            found: format!("{} readings hashing to {sha}", rows.len()),
        });
    }
    Ok(())
}

fn decode_reading(r: &Row) -> Result<StoredReading> {
    Ok(StoredReading {
        time: ts(r.int("time_ms")?),
        quantity: r.text("quantity")?,
        value: r.float("value")?,
        unit: r.text("unit")?,
    })
}
