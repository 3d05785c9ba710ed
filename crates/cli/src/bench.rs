//! `suyuan bench`: measurements the project keeps, run on this machine.
//!
//! `bench api` measures authenticated API requests end to end: a real server
//! on a loopback port, real HTTP/1.1 keep-alive connections, an API key on
//! every request, the store on SQLite or PostgreSQL. It reports throughput,
//! latency percentiles and the process's peak memory.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use suyuan_core::model::{OrgKind, ProducerForm, ProductCategory, Role};
use suyuan_store::orgs::{NewOrganisation, StatusChange};
use suyuan_store::products::NewProduct;
use suyuan_store::users::{hash_password, NewUser};
use suyuan_store::{Backend, OpenOptions, PersonalDataCipher, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::demo::{gtin13, uscc_with_check, DEMO_PASSWORD};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Authenticated API requests (product listing and single reads).
    Api(ApiBench),
    /// The traceability core on a synthetic supply chain: capture, trace
    /// back and forward, public lookups, code issuing.
    Trace(crate::bench_trace::TraceBench),
    /// The transparency log: appends with signature verification, proofs.
    Ledger(crate::bench_ledger::LedgerBench),
    /// Sign-in under a flood of wrong passwords: real sign-in latency, how
    /// the flood is answered, peak memory.
    Login(crate::bench_login::LoginBench),
    /// Labels for one lot's items: label data read, PDF/TSPL/ZPL rendering.
    Labels(crate::bench_labels::LabelBench),
    /// A recall of a lot whose items reached many shops: compute, notify, export.
    Recall(crate::bench_recall::RecallBench),
    /// The regulator's dashboard and a records sampling check over many
    /// enterprises and events.
    Oversight(crate::bench_oversight::OversightBench),
    /// Devices: registration and memory, readings per second over batched
    /// HTTP, how late the two-hour check fires over many devices.
    Devices(crate::bench_devices::DeviceBench),
    /// The server as run for real: mixed load (public pages, sign-ins,
    /// captures, queries) through HTTPS while backups and drills run.
    Soak(crate::bench_soak::SoakBench),
}

#[derive(Debug, Args)]
struct ApiBench {
    /// PostgreSQL URL to benchmark on (a schema of its own, dropped after);
    /// without it, a temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Products in the organisation's catalogue.
    #[arg(long, default_value_t = 1000)]
    products: usize,
    /// Requests per scenario.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    match args.command {
        BenchCommand::Api(a) => api(a).await,
        BenchCommand::Trace(t) => crate::bench_trace::run(t).await,
        BenchCommand::Ledger(l) => tokio::task::spawn_blocking(move || crate::bench_ledger::run(l)).await?,
        BenchCommand::Login(l) => crate::bench_login::run(l).await,
        BenchCommand::Labels(l) => crate::bench_labels::run(l).await,
        BenchCommand::Recall(r) => crate::bench_recall::run(r).await,
        BenchCommand::Oversight(o) => crate::bench_oversight::run(o).await,
        BenchCommand::Devices(d) => crate::bench_devices::run(d).await,
        BenchCommand::Soak(s) => crate::bench_soak::run(s).await,
    }
}

fn check(a: &ApiBench) -> Result<()> {
    if !(1..=1_000_000).contains(&a.products) {
        bail!("--products: 1 to 1000000");
    }
    if !(1..=10_000_000).contains(&a.requests) {
        bail!("--requests: 1 to 10000000");
    }
    if !(1..=512).contains(&a.concurrency) {
        bail!("--concurrency: 1 to 512");
    }
    Ok(())
}

async fn api(a: ApiBench) -> Result<()> {
    check(&a)?;
    let a = &a;
    with_bench_store(a.postgres.as_deref(), |store| async move {
        run_api_bench(&store, a).await
    })
    .await
}

/// Runs `body` on a throw-away store (a temporary SQLite file, or a schema
/// of its own on PostgreSQL) and removes it afterwards, whatever happened.
pub(crate) async fn with_bench_store<F, Fut>(postgres: Option<&str>, body: F) -> Result<()>
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let tmp = std::env::temp_dir().join(format!("suyuan-bench-{}", uuid::Uuid::now_v7().simple()));
    let (backend, opts, schema) = match postgres {
        Some(url) => {
            let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
            let opts = OpenOptions {
                max_connections: 16,
                pg_schema: Some(schema.clone()),
            };
            (Backend::from_url(url)?, opts, Some(schema))
        }
        None => {
            std::fs::create_dir_all(&tmp)?;
            (
                Backend::Sqlite(tmp.join("bench.db")),
                OpenOptions::default(),
                None,
            )
        }
    };
    let store = Store::open(&backend, &opts, PersonalDataCipher::new(&[9; 32])).await?;
    let result = body(store.clone()).await;
    if let Some(schema) = schema {
        if let Err(e) = store.db().drop_pg_schema(&schema).await {
            eprintln!("warning: could not drop the benchmark schema {schema}: {e}");
        }
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

async fn run_api_bench(store: &Store, a: &ApiBench) -> Result<()> {
    let backend = store.backend_name();
    println!("setting up on {backend}: {} products …", a.products);
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    store.bootstrap("平台运营方", "110000", &hash).await?;
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let org = store
        .create_organisation(
            &op,
            &NewOrganisation {
                kind: OrgKind::Producer,
                producer_form: Some(ProducerForm::Farm),
                name: "基准测试农场".into(),
                uscc: uscc_with_check("91510117MA6C00001")?,
                region: "510117".into(),
                address: None,
                legal_rep_name: "张三".into(),
                legal_rep_id_number: "110105199003071239".into(),
                contact_name: "李四".into(),
                contact_phone: "13800138000".into(),
                contact_email: None,
            },
        )
        .await?;
    store
        .change_organisation_status(&op, org.id, StatusChange::Verify, None)
        .await?;
    store
        .create_user(
            &op,
            org.id,
            &NewUser {
                username: "bench".into(),
                display_name: "bench".into(),
                password: DEMO_PASSWORD.into(),
                role: Role::OrgAdmin,
                jurisdiction: None,
            },
            &hash,
        )
        .await?;
    let caller = store.caller_for_username("bench").await?.context("bench user")?;
    let mut first_id = None;
    for i in 0..a.products {
        let p = store
            .create_product(
                &caller,
                &NewProduct {
                    gtin: gtin13(&format!("952{:09}", i)),
                    company_prefix: None,
                    name: format!("基准产品 {i}"),
                    category: ProductCategory::Vegetable,
                    variety: Some("二荆条".into()),
                    specification: Some("500 g/袋".into()),
                    unit: "袋".into(),
                    shelf_life_days: Some(7),
                    origin_region: Some("510117".into()),
                    origin: None,
                    description: None,
                    certifications: vec![],
                },
            )
            .await?;
        first_id.get_or_insert(p.id);
    }
    let key = store.create_api_key(&caller, "bench").await?.secret;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = suyuan_server::app_with(store.clone(), suyuan_server::ServerConfig::benchmark());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(suyuan_server::serve(listener, app, async {
        let _ = stop_rx.await;
    }));

    let first = first_id.context("no products")?;
    let scenarios = [
        (
            "GET /api/v1/products?limit=50",
            "/api/v1/products?limit=50".to_owned(),
        ),
        ("GET /api/v1/products/{id}", format!("/api/v1/products/{first}")),
        ("GET /api/v1/auth/me", "/api/v1/auth/me".to_owned()),
    ];
    println!(
        "backend={backend} concurrency={} requests/scenario={}",
        a.concurrency, a.requests
    );
    for (label, path) in scenarios {
        // Warm up caches and connections.
        let paths = [path];
        load(addr, &paths, &key, a.concurrency, a.concurrency * 20).await?;
        let r = load(addr, &paths, &key, a.concurrency, a.requests).await?;
        println!(
            "{label:<34} {:>9.0} req/s   p50 {:>6.2} ms   p90 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms",
            r.per_second, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms
        );
    }
    println!(
        "peak memory (VmHWM): {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}

pub(crate) struct LoadResult {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// `total` requests over `conns` keep-alive connections; every answer must
/// be 200.
pub(crate) async fn load(
    addr: std::net::SocketAddr,
    paths: &[String],
    key: &str,
    conns: usize,
    total: usize,
) -> Result<LoadResult> {
    let per_conn = total.div_ceil(conns);
    let started = Instant::now();
    let mut tasks = Vec::new();
    let paths = std::sync::Arc::new(paths.to_vec());
    for c in 0..conns {
        let paths = paths.clone();
        let key = key.to_owned();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut conn = BufReader::new(stream);
            let mut lat = Vec::with_capacity(per_conn);
            for i in 0..per_conn {
                let path = &paths[(c * 7919 + i) % paths.len()];
                let t = Instant::now();
                let status = get(&mut conn, path, &key).await?;
                if status != 200 {
                    bail!("{path} answered {status}");
                }
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all: Vec<Duration> = Vec::with_capacity(per_conn * conns);
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i].as_secs_f64() * 1000.0
    };
    Ok(LoadResult {
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p90_ms: pct(0.90),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    })
}

/// One HTTP/1.1 GET on a kept-alive connection; reads the whole body.
/// One page on a connection of its own: its status and body (its weight).
pub(crate) async fn fetch(addr: std::net::SocketAddr, path: &str, key: &str) -> Result<(u16, Vec<u8>)> {
    let mut conn = BufReader::new(TcpStream::connect(addr).await?);
    send_get(&mut conn, path, key).await?;
    read_response(&mut conn).await
}

async fn get(conn: &mut BufReader<TcpStream>, path: &str, key: &str) -> Result<u16> {
    send_get(conn, path, key).await?;
    Ok(read_response(conn).await?.0)
}

async fn send_get(conn: &mut BufReader<TcpStream>, path: &str, key: &str) -> Result<()> {
    // A session cookie (`suyuan_session=…`) for the console's pages, else a
    // bearer token for the API.
    let credential = if key.starts_with("suyuan_session=") {
        format!("Cookie: {key}")
    } else {
        format!("Authorization: Bearer {key}")
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n{credential}\r\n\r\n");
    conn.get_mut().write_all(req.as_bytes()).await?;
    Ok(())
}

/// Reads one HTTP/1.1 response on a kept-alive connection: its status and
/// its body (by `Content-Length`).
pub(crate) async fn read_response<R: tokio::io::AsyncBufRead + Unpin>(
    conn: &mut R,
) -> Result<(u16, Vec<u8>)> {
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse()?;
            }
        }
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await?;
    Ok((status, body))
}

pub(crate) fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
}

/// CPU time this process has used so far, user and system, in seconds
/// (Linux; `None` elsewhere). Clock ticks are taken as 100 per second, the
/// value Linux reports to every user-space program.
pub(crate) fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// The `p` quantile (0 < p ≤ 1) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}
