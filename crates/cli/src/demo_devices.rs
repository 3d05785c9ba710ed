//! The demo's devices: a cold-room logger in the packing house (its GIAI
//! under the packer's company prefix, attached to the packing hall's GLN by
//! an EPCIS AssociationEvent) and a truck logger in the carrier's refrigerated truck, with readings over the
//! hours the boxes spent in each; the truck warms to 8.6 °C for twenty
//! minutes, so a box's consumer page shows its cold chain with one small
//! excursion. The carrier's admin has set an alert webhook (an address
//! that does not answer here: its deliveries wait in the outbox and are
//! retried, as the devices page shows); the periodic check then raises the
//! alerts the console shows and queues them for it.

use anyhow::{Context, Result};
use suyuan_core::devices::{check_reading, Reading};
use suyuan_store::devices::{Channel, NewDevice, Proof};
use suyuan_store::{Caller, PageRequest, Store};

/// Readings every `step` minutes from `from` (RFC 3339) to `until`, at
/// `base` °C but for `(minute offset, value)` overrides.
fn series(from: &str, until: &str, step: i64, base: f64, overrides: &[(i64, f64)]) -> Result<Vec<Reading>> {
    let start = chrono::DateTime::parse_from_rfc3339(from)?.timestamp_millis();
    let end = chrono::DateTime::parse_from_rfc3339(until)?.timestamp_millis();
    let now = suyuan_store::now_ms();
    let mut out = Vec::new();
    let mut minute = 0;
    while start + minute * 60_000 <= end {
        // A little variation, as a real logger shows.
        let wobble = ((minute / step) % 5) as f64 * 0.1;
        let value = overrides
            .iter()
            .find(|o| o.0 == minute)
            .map_or(base + wobble, |o| o.1);
        let r = check_reading(
            out.len(),
            "temperature",
            start + minute * 60_000,
            value,
            "Cel",
            now,
        )
        .map_err(|(f, e)| anyhow::anyhow!("{f}: {}", e.en))?;
        out.push(r);
        minute += step;
    }
    Ok(out)
}

/// Claims `prefix` for `org` (its admin) and has the operator verify it.
pub(crate) async fn verified_prefix(
    store: &Store,
    op: &Caller,
    org: &Caller,
    prefix: &str,
) -> Result<String> {
    let claim = store
        .claim_company_prefix(
            org,
            &suyuan_store::prefixes::NewPrefixClaim {
                prefix: prefix.into(),
                certificate_number: "物编注字第 202605 号".into(),
            },
        )
        .await?;
    store.decide_company_prefix(op, claim.id, true, None).await?;
    Ok(claim.prefix)
}

/// Registers one device at `place` and sends it `readings` as the device would.
async fn logger(
    store: &Store,
    owner: &Caller,
    name: &str,
    kind: &str,
    place: uuid::Uuid,
    readings: Vec<Reading>,
) -> Result<()> {
    let made = store
        .create_device(
            owner,
            &NewDevice {
                name: name.into(),
                kind: kind.into(),
                place: place.to_string(),
            },
        )
        .await?;
    let device = store
        .authenticate_device(&made.id.to_string(), Proof::Token(&made.token), Channel::Http)
        .await?
        .map_err(|r| anyhow::anyhow!("demo device refused: {}", r.as_str()))?;
    store.ingest_readings(&device, readings).await?;
    Ok(())
}

/// The packer's cold-room logger and the carrier's truck logger, with
/// their readings; then the devices' check.
pub(crate) async fn cold_chain(
    store: &Store,
    packer: &Caller,
    carrier: &Caller,
    packing_house: uuid::Uuid,
) -> Result<()> {
    let truck = store
        .list_places(carrier, Some(carrier.org_id), PageRequest::default())
        .await?
        .items
        .into_iter()
        .find(|p| p.plate_number.is_some())
        .context("the carrier's truck")?;
    let room = series(
        "2026-05-22T09:00:00+08:00",
        "2026-05-23T06:00:00+08:00",
        30,
        4.0,
        &[],
    )?;
    logger(
        store,
        packer,
        "包装车间冷库温度记录仪",
        "cold_room",
        packing_house,
        room,
    )
    .await?;
    let road = series(
        "2026-05-23T06:00:00+08:00",
        "2026-05-23T09:20:00+08:00",
        10,
        5.0,
        &[(90, 8.3), (100, 8.6), (110, 6.9)],
    )?;
    logger(
        store,
        carrier,
        "冷藏车 川A·D1234 车载记录仪",
        "truck_logger",
        truck.id,
        road,
    )
    .await?;
    store
        .set_webhook(
            carrier,
            &suyuan_store::devices::webhooks::WebhookIn {
                url: "https://alerts.cold-chain.example/suyuan".into(),
                rotate_secret: false,
            },
            false,
        )
        .await?;
    store
        .check_devices(suyuan_store::now_ms(), &Default::default(), None)
        .await?;
    Ok(())
}
