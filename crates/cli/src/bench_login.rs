//! `suyuan bench login`: sign-in under a flood of wrong passwords.
//!
//! A real server on a loopback port (listening on 127.0.0.1 only), a store
//! on SQLite or PostgreSQL, and two kinds of clients at once:
//! - the flood: `--flood` connections (default 200) each sending sign-ins
//!   one after another for `--seconds`, mostly wrong passwords for existing
//!   users and unknown usernames. Their source addresses are spread over
//!   `--clients` loopback addresses (127.0.0.2, 127.0.0.3, …: all of
//!   127.0.0.0/8 is this machine's loopback on Linux), so that per-client
//!   throttling sees many clients;
//! - the real user: one correct sign-in at a time from 127.0.0.1.
//!
//! It prints the real sign-ins' latency before and during the flood, how
//! the flood was answered (401 wrong, 429 locked, 503 busy) and the growth
//! of the process's peak memory (VmHWM, reset before the flood where Linux
//! allows it) over its resident memory before.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_core::model::{OrgKind, ProducerForm, Role};
use suyuan_store::orgs::{NewOrganisation, StatusChange};
use suyuan_store::users::password::hash_permits;
use suyuan_store::users::{hash_password, NewUser};
use suyuan_store::Store;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

use crate::bench::{percentile, with_bench_store};
use crate::demo::{uscc_with_check, DEMO_PASSWORD};

#[derive(Debug, Args)]
pub struct LoginBench {
    /// PostgreSQL URL to benchmark on (a schema of its own, dropped after);
    /// without it, a temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Concurrent flood connections.
    #[arg(long, default_value_t = 200)]
    flood: usize,
    /// Loopback source addresses the flood comes from (127.0.0.2 onwards;
    /// the real user signs in from 127.0.0.1).
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// How long the flood lasts.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Existing users the flood guesses passwords of.
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// Most flood requests in all.
    #[arg(long, default_value_t = 100_000)]
    max_requests: u64,
}

fn check(a: &LoginBench) -> Result<()> {
    if !(1..=2000).contains(&a.flood) {
        bail!("--flood: 1 to 2000");
    }
    if !(1..=250).contains(&a.clients) {
        bail!("--clients: 1 to 250");
    }
    if !(1..=300).contains(&a.seconds) {
        bail!("--seconds: 1 to 300");
    }
    if !(1..=1000).contains(&a.users) {
        bail!("--users: 1 to 1000");
    }
    if !(1..=10_000_000).contains(&a.max_requests) {
        bail!("--max-requests: 1 to 10000000");
    }
    Ok(())
}

pub async fn run(a: LoginBench) -> Result<()> {
    check(&a)?;
    let a = &a;
    with_bench_store(
        a.postgres.as_deref(),
        |store| async move { bench(&store, a).await },
    )
    .await
}

const REAL_USER: &str = "bench-real";
const WRONG: &str = "Wrong-Pass-999";

/// An organisation with the real user (its admin) and `users` others.
async fn set_up(store: &Store, users: usize) -> Result<()> {
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    store.bootstrap("平台运营方", "110000", &hash).await?;
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let org = store
        .create_organisation(
            &op,
            &NewOrganisation {
                kind: OrgKind::Producer,
                producer_form: Some(ProducerForm::Farm),
                name: "登录基准农场".into(),
                uscc: uscc_with_check("91510117MA6C00002")?,
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
    let new = |username: String, role| NewUser {
        display_name: username.clone(),
        username,
        password: DEMO_PASSWORD.into(),
        role,
        jurisdiction: None,
    };
    // The operator onboards the first admin; the admin adds the others.
    store
        .create_user(&op, org.id, &new(REAL_USER.into(), Role::OrgAdmin), &hash)
        .await?;
    let admin = store.caller_for_username(REAL_USER).await?.context("admin")?;
    for i in 0..users {
        store
            .create_user(&admin, org.id, &new(format!("bench-u{i}"), Role::Viewer), &hash)
            .await?;
    }
    Ok(())
}

async fn bench(store: &Store, a: &LoginBench) -> Result<()> {
    println!(
        "setting up on {}: {} users, {} hashing permits …",
        store.backend_name(),
        a.users + 1,
        hash_permits()
    );
    set_up(store, a.users).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = suyuan_server::app_with(store.clone(), suyuan_server::ServerConfig::benchmark());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(suyuan_server::serve(listener, app, async {
        let _ = stop_rx.await;
    }));

    let separate = other_sources_work(addr).await;
    let clients = if separate { a.clients } else { 1 };
    if !separate {
        println!(
            "note: no loopback source address but 127.0.0.1 is available: the flood comes from the real \
             user's own address, and locking that address locks the real user out too"
        );
    }
    // The real user alone, for comparison.
    let mut real = Conn::open(addr, None).await?;
    let mut idle = Vec::new();
    for _ in 0..10 {
        let (status, took) = real.login(REAL_USER, DEMO_PASSWORD).await?;
        if status != 200 {
            bail!("the real sign-in answered {status} before the flood");
        }
        idle.push(took);
    }
    idle.sort();

    let rss_before = proc_status_kb("VmRSS");
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.seconds);
    let counts = Arc::new(Counts::default());
    let mut workers = Vec::with_capacity(a.flood);
    for w in 0..a.flood {
        let source = separate.then(|| Ipv4Addr::new(127, 0, 0, 2 + (w % clients) as u8));
        let counts = counts.clone();
        let (users, max) = (a.users, a.max_requests);
        workers.push(tokio::spawn(async move {
            flood_worker(addr, source, w, users, deadline, max, &counts).await
        }));
    }
    // Meanwhile, the real user signs in, one at a time.
    let mut during = Vec::new();
    let mut real_failed = 0u64;
    while Instant::now() < deadline {
        let (status, took) = real.login(REAL_USER, DEMO_PASSWORD).await?;
        if status == 200 {
            during.push(took);
        } else {
            real_failed += 1;
        }
    }
    for w in workers {
        match tokio::time::timeout(Duration::from_secs(60), w).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => {
                if counts.errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    eprintln!("flood connection failed: {e:#}");
                }
            }
            Ok(Err(e)) => bail!("flood task failed: {e}"),
            Err(_) => bail!("a flood connection did not finish within a minute of the end"),
        }
    }
    let elapsed = started.elapsed();
    let hwm = proc_status_kb("VmHWM");
    report(a, clients, elapsed, &idle, &mut during, real_failed, &counts);
    match (rss_before, hwm) {
        (Some(before), Some(peak)) => println!(
            "memory: resident before the flood {:.1} MiB, peak during it {:.1} MiB (growth {:.1} MiB){}",
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0,
            if reset {
                ""
            } else {
                "; VmHWM could not be reset: the peak may predate the flood"
            }
        ),
        _ => println!("memory: unknown (no /proc/self/status)"),
    }
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}

fn report(
    a: &LoginBench,
    clients: usize,
    elapsed: Duration,
    idle: &[Duration],
    during: &mut [Duration],
    real_failed: u64,
    c: &Counts,
) {
    let n = |x: &AtomicU64| x.load(Ordering::Relaxed);
    let total = n(&c.unauthorised) + n(&c.locked) + n(&c.busy) + n(&c.other);
    println!(
        "flood: {} connections from {clients} client address(es) for {:.1} s: {total} sign-ins ({:.0}/s)",
        a.flood,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  answered 401 wrong: {}   429 locked: {}   503 busy: {}   other: {}   connection errors: {}",
        n(&c.unauthorised),
        n(&c.locked),
        n(&c.busy),
        n(&c.other),
        n(&c.errors)
    );
    println!(
        "real sign-ins alone:       n={:<4} p50 {:>7.1} ms   p99 {:>7.1} ms",
        idle.len(),
        percentile(idle, 0.5),
        percentile(idle, 0.99)
    );
    during.sort();
    if during.is_empty() {
        println!("real sign-ins during the flood: none succeeded ({real_failed} refused)");
    } else {
        println!(
            "real sign-ins during flood: n={:<4} p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms   refused {real_failed}",
            during.len(),
            percentile(during, 0.5),
            percentile(during, 0.99),
            percentile(during, 1.0)
        );
    }
}

#[derive(Default)]
struct Counts {
    unauthorised: AtomicU64,
    locked: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
    errors: AtomicU64,
    sent: AtomicU64,
}

/// One flood connection: wrong passwords until the deadline.
async fn flood_worker(
    addr: SocketAddr,
    source: Option<Ipv4Addr>,
    w: usize,
    users: usize,
    deadline: Instant,
    max: u64,
    c: &Counts,
) -> Result<()> {
    let mut conn = Conn::open(addr, source).await?;
    let mut i = 0usize;
    while Instant::now() < deadline && c.sent.fetch_add(1, Ordering::Relaxed) < max {
        i += 1;
        // Two in three for existing users, the rest for unknown names.
        let username = if (w + i).is_multiple_of(3) {
            format!("bench-nobody-{w}-{i}")
        } else {
            format!("bench-u{}", (w * 7 + i) % users)
        };
        let (status, _) = conn.login(&username, WRONG).await?;
        let counter = match status {
            401 => &c.unauthorised,
            429 => &c.locked,
            503 => &c.busy,
            _ => &c.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Whether the flood can come from loopback addresses other than the real
/// user's 127.0.0.1 (yes on Linux).
async fn other_sources_work(addr: SocketAddr) -> bool {
    Conn::open(addr, Some(Ipv4Addr::new(127, 0, 0, 2))).await.is_ok()
}

/// A kept-alive HTTP/1.1 connection that posts sign-ins.
struct Conn(BufReader<TcpStream>);

impl Conn {
    async fn open(addr: SocketAddr, source: Option<Ipv4Addr>) -> Result<Conn> {
        let socket = TcpSocket::new_v4()?;
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip.into(), 0))?;
        }
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn(BufReader::new(stream)))
    }

    /// Posts one sign-in; answers the status and how long it took.
    async fn login(&mut self, username: &str, password: &str) -> Result<(u16, Duration)> {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let req = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = Instant::now();
        self.0.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.0.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.0.read_line(&mut line).await?;
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
        self.0.read_exact(&mut body).await?;
        Ok((status, t.elapsed()))
    }
}

/// A `kB` field of `/proc/self/status` (Linux).
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
