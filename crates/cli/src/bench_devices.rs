//! `suyuan bench devices`: on a throw-away store,
//!
//! - registering devices (each a logged record with its sealed key) and the
//!   process's memory with them registered (10,000 by default);
//! - readings per second over batched HTTP: a real server on a loopback
//!   port, keep-alive connections, each device posting batches of readings
//!   (1,000 by default) with its own token, every batch stored and logged;
//! - with `--mqtt mqtt://host:port`, readings per second over MQTT: signed
//!   messages published to the broker, through the bridge into the store;
//! - how late the two-hour check fires with many devices (100,000 by
//!   default, all silent): the time one check takes, to which the period
//!   of the check (one minute in `suyuan serve`) adds at most.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use suyuan_core::devices::DeviceKind;
use suyuan_core::model::OrgKind;
use suyuan_store::devices::NewDevice;
use suyuan_store::users::hash_password;
use suyuan_store::Store;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::bench::{peak_memory, read_response, with_bench_store};
use crate::bench_trace::org;
use crate::demo::DEMO_PASSWORD;

#[derive(Debug, Args)]
pub struct DeviceBench {
    /// PostgreSQL URL to benchmark on (a schema of its own, dropped after);
    /// without it, a temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Devices registered through the store (logged, with credentials).
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Readings per batch.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Batches posted over HTTP.
    #[arg(long, default_value_t = 300)]
    batches: usize,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// An MQTT broker (`mqtt://host:port`) to measure ingestion over MQTT
    /// too: the bridge subscribes, signed batches are published to it.
    #[arg(long)]
    mqtt: Option<String>,
    /// Devices the two-hour check runs over.
    #[arg(long, default_value_t = 100_000)]
    check_devices: usize,
}

pub async fn run(a: DeviceBench) -> Result<()> {
    if !(1..=1_000_000).contains(&a.devices) || !(1..=1_000_000).contains(&a.check_devices) {
        bail!("--devices, --check-devices: 1 to 1000000");
    }
    if !(1..=suyuan_core::devices::MAX_BATCH).contains(&a.batch) {
        bail!("--batch: 1 to {}", suyuan_core::devices::MAX_BATCH);
    }
    if !(1..=512).contains(&a.concurrency) || a.batches == 0 {
        bail!("--concurrency: 1 to 512; --batches: at least 1");
    }
    let a = &a;
    with_bench_store(
        a.postgres.as_deref(),
        |store| async move { bench(&store, a).await },
    )
    .await
}

async fn bench(store: &Store, a: &DeviceBench) -> Result<()> {
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    store.bootstrap("平台运营方", "110000", &hash).await?;
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let farm = org(store, &op, &hash, OrgKind::Producer, 1, "bench-farm").await?;
    let room = store
        .create_place(
            &farm,
            &serde_json::from_value(
                json!({"kind": "warehouse", "name": "冷库", "temperature_controlled": true,
                                           "temperature_min": 0.0, "temperature_max": 4.0}),
            )?,
        )
        .await?;
    println!("backend={}", store.backend_name());

    let t = Instant::now();
    let mut devices = Vec::with_capacity(a.devices);
    for i in 0..a.devices {
        let d = store
            .create_device(
                &farm,
                &NewDevice {
                    name: format!("探头 {i}"),
                    kind: "cold_room".into(),
                    place: room.id.to_string(),
                },
            )
            .await?;
        devices.push((d.id.to_string(), d.token));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "register {:>7} devices  {:>9.0} devices/s   peak memory (VmHWM) {}",
        a.devices,
        a.devices as f64 / secs,
        peak_memory().unwrap_or_else(|| "unknown".into())
    );

    let bodies = batches(a, &devices, 0);
    http_ingest(store, a, bodies).await?;
    if let Some(url) = &a.mqtt {
        mqtt_ingest(store, a, url, batches(a, &devices, 1)).await?;
    }
    println!(
        "peak memory (VmHWM) after ingestion: {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );

    // The two-hour check over many devices, every one silent.
    let now = suyuan_store::now_ms();
    let more = a.check_devices.saturating_sub(a.devices);
    store
        .insert_synthetic_devices(
            farm.org_id,
            room.id,
            DeviceKind::ColdRoom,
            more,
            now - 3 * 3_600_000,
        )
        .await?;
    let windows = Default::default();
    let t = Instant::now();
    let r = store.check_devices(now, &windows, Some(now)).await?;
    let first = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = store.check_devices(now + 1000, &windows, Some(now)).await?;
    let steady = t.elapsed().as_secs_f64();
    println!(
        "two-hour check over {} devices: {} alerts raised in {first:.2} s; the next run (nothing new) {steady:.2} s; \
         an alert comes at most 60 s (the period) + {first:.2} s after the window ends",
        r.devices, r.silent_raised
    );
    if again.silent_raised != 0 {
        bail!("a second check raised {} alerts again", again.silent_raised);
    }
    println!(
        "peak memory (VmHWM) at the end: {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// `a.batches` batches of `a.batch` readings (device id, token, body),
/// each from the next device, at distinct times (`round` keeps the rounds
/// apart: nothing is a duplicate).
fn batches(a: &DeviceBench, devices: &[(String, String)], round: i64) -> Vec<(String, String, String)> {
    let base = suyuan_store::now_ms() - 86_400_000 * (2 + round);
    (0..a.batches)
        .map(|b| {
            let (id, token) = &devices[b % devices.len()];
            let readings: Vec<serde_json::Value> = (0..a.batch)
                .map(|i| {
                    let ms = base + (b * a.batch + i) as i64 * 10;
                    let time = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339();
                    json!({"time": time, "quantity": "temperature", "value": 2.0 + (i % 20) as f64 / 10.0, "unit": "Cel"})
                })
                .collect();
            (id.clone(), token.clone(), json!({ "readings": readings }).to_string())
        })
        .collect()
}

/// Publishes the batches, signed, to the broker the bridge subscribes to,
/// and waits until every reading is stored.
async fn mqtt_ingest(
    store: &Store,
    a: &DeviceBench,
    url: &str,
    bodies: Vec<(String, String, String)>,
) -> Result<()> {
    use rumqttc::{AsyncClient, MqttOptions, QoS};
    use suyuan_core::devices::{hmac_key, sign_hmac};
    let config =
        suyuan_server::mqtt::MqttConfig::parse(url, false).map_err(|e| anyhow::anyhow!("--mqtt: {e}"))?;
    let bridge = tokio::spawn(suyuan_server::mqtt::run(store.clone(), config.clone()));
    let mut opts = MqttOptions::new(
        format!("suyuan-bench-{}", uuid::Uuid::now_v7().simple()),
        config.host,
        config.port,
    );
    opts.set_max_packet_size(2 * 1024 * 1024, 2 * 1024 * 1024);
    let (client, mut events) = AsyncClient::new(opts, 64);
    let publisher = tokio::spawn(async move { while events.poll().await.is_ok() {} });
    // Until the bridge has subscribed, messages go nowhere: wait for it.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let before = store.count_readings().await?;
    let want = before + (a.batches * a.batch) as i64;
    let t = Instant::now();
    for (id, token, body) in bodies {
        let envelope =
            json!({"device": id, "payload": body, "hmac": sign_hmac(&hmac_key(&token), body.as_bytes())});
        client
            .publish(
                format!("suyuan/devices/{id}/readings"),
                QoS::AtLeastOnce,
                false,
                envelope.to_string(),
            )
            .await?;
    }
    let mut stored = before;
    while stored < want && t.elapsed().as_secs() < 120 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        stored = store.count_readings().await?;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "MQTT ingestion: {} readings in {} signed messages of {} through the broker: {:>9.0} readings/s",
        stored - before,
        a.batches,
        a.batch,
        (stored - before) as f64 / secs
    );
    bridge.abort();
    publisher.abort();
    if stored < want {
        bail!(
            "only {} of {} readings arrived over MQTT",
            stored - before,
            want - before
        );
    }
    Ok(())
}

/// Posts the batches over `a.concurrency` keep-alive connections.
async fn http_ingest(store: &Store, a: &DeviceBench, bodies: Vec<(String, String, String)>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = suyuan_server::app_with(store.clone(), suyuan_server::ServerConfig::benchmark());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(suyuan_server::serve(listener, app, async {
        let _ = stop_rx.await;
    }));
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (bodies, next) = (bodies.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(addr).await?);
            let mut accepted = 0u64;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((id, token, body)) = bodies.get(i) else {
                    break;
                };
                let (status, answer) =
                    post(&mut conn, &format!("/api/v1/devices/{id}/readings"), token, body).await?;
                if status != 202 {
                    bail!("{status}: {answer}");
                }
                let v: serde_json::Value = serde_json::from_str(&answer)?;
                accepted += v["accepted"].as_u64().unwrap_or(0);
            }
            Ok::<u64, anyhow::Error>(accepted)
        }));
    }
    let mut accepted = 0;
    for w in workers {
        accepted += w.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "HTTP ingestion: {accepted} readings in {} batches of {} over {} connections: {:>9.0} readings/s ({:.0} batches/s)",
        a.batches,
        a.batch,
        a.concurrency,
        accepted as f64 / secs,
        a.batches as f64 / secs
    );
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}

/// One POST on a keep-alive connection: status and body.
async fn post(conn: &mut BufReader<TcpStream>, path: &str, token: &str, body: &str) -> Result<(u16, String)> {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(req.as_bytes()).await?;
    let (status, answer) = read_response(conn).await?;
    Ok((status, String::from_utf8_lossy(&answer).into_owned()))
}
