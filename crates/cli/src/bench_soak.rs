//! `suyuan bench soak`: the platform as it runs for real, under mixed load
//! through HTTPS while scheduled backups and their restore drills run.
//!
//! The server is this binary as a user starts it (`suyuan demo` with
//! `--tls-cert`, `--tls-key` and `--backup-every`), in a scratch folder, with
//! a certificate made here. Client connections (rustls, HTTP/1.1 kept
//! alive) then mix, for the given time: the consumer's pages, sign-ins,
//! EPCIS captures, and queries. It reports requests per second, latency
//! quantiles per kind, every unexpected answer (none expected), the
//! server's memory at start and end, and the backups and drills that ran.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader as StdBufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::bench::{percentile, read_response};

#[derive(Debug, Args)]
pub struct SoakBench {
    /// Seconds of load.
    #[arg(long, default_value_t = 600)]
    duration: u64,
    /// Client connections, each sending one request after another.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// How often the server backs up (each backup followed by its restore drill).
    #[arg(long, default_value = "120s")]
    backup_every: String,
}

/// The password of the demo's accounts.
const DEMO_PASSWORD: &str = "Demo-Pass-2026";
/// The platform operator's password, set for the server started here.
const ADMIN_PASSWORD: &str = "Soak-Admin-Pass-2026";
const SIGN_INS: [&str; 4] = ["coop-admin", "pack-admin", "mart-admin", "lab-admin"];

/// The configuration of the server under load.
const RATES: &str = "[defence]\n\
sign_in = { max = 100000000, per_secs = 60 }\n\
public_pages = { max = 100000000, per_secs = 60 }\n\
capture = { max = 100000000, per_secs = 60 }\n\
capture_per_account = { max = 100000000, per_secs = 60 }\n";

/// What the server printed that the load needs.
struct Demo {
    item_path: String,
    certificate: String,
}

/// One client connection's view of the server.
struct Target {
    addr: std::net::SocketAddr,
    tls: tokio_rustls::TlsConnector,
    api_key: String,
    demo: Arc<Demo>,
}

type Conn = BufReader<TlsStream<TcpStream>>;

pub async fn run(a: SoakBench) -> Result<()> {
    if a.clients == 0 || a.duration == 0 {
        bail!("--clients and --duration must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let (cert_pem, key_pem) = certificate()?;
    std::fs::write(dir.path().join("cert.pem"), &cert_pem)?;
    std::fs::write(dir.path().join("key.pem"), &key_pem)?;
    // Every client is this one address: the per-address rate limits are
    // lifted (as for the other load benchmarks); detection stays on.
    std::fs::write(dir.path().join("suyuan.toml"), RATES)?;
    let port = free_port()?;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut server = Server::start(dir.path(), port, &a.backup_every)?;
    let demo = Arc::new(server.demo()?);
    let tls = tokio_rustls::TlsConnector::from(
        suyuan_server::tls::client_config(cert_pem.as_bytes(), None).map_err(anyhow::Error::msg)?,
    );
    let mut probe = Target {
        addr,
        tls,
        api_key: String::new(),
        demo: demo.clone(),
    };
    wait_ready(&probe, &mut server).await?;
    probe.api_key = api_key(&probe).await?;
    let target = Arc::new(probe);
    let rss_start = server.memory("VmRSS");
    println!(
        "suyuan bench soak: {} clients for {} s over HTTPS, backups every {} (server pid {}, RSS {})",
        a.clients,
        a.duration,
        a.backup_every,
        server.child.id(),
        rss_start.as_deref().unwrap_or("?")
    );

    let started = Instant::now();
    let until = started + Duration::from_secs(a.duration);
    let mut tasks = Vec::new();
    for c in 0..a.clients {
        let target = target.clone();
        tasks.push(tokio::spawn(async move { client(&target, c, until).await }));
    }
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await??);
    }
    let elapsed = started.elapsed();
    let rss_end = server.memory("VmRSS");
    let hwm = server.memory("VmHWM");
    let backups = backups(&target)
        .await
        .unwrap_or_else(|e| vec![json!({"error": e.to_string()})]);
    server.stop();
    tally.report(elapsed, rss_start, rss_end, hwm, &backups);
    if tally.errors > 0 {
        bail!("{} unexpected answers", tally.errors);
    }
    Ok(())
}

/// A self-signed certificate for 127.0.0.1 and localhost (PEM cert, key).
fn certificate() -> Result<(String, String)> {
    let key = rcgen::KeyPair::generate()?;
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    p.subject_alt_names
        .push(rcgen::SanType::IpAddress("127.0.0.1".parse()?));
    let cert = p.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The server process, ended (SIGTERM, then kill) when dropped.
struct Server {
    child: Child,
    /// Its output, line by line (a thread reads it so it never blocks).
    lines: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(dir: &Path, port: u16, backup_every: &str) -> Result<Server> {
        let mut child = Command::new(std::env::current_exe()?)
            .current_dir(dir)
            .args([
                "--config",
                "suyuan.toml",
                "demo",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--public-url", &format!("https://127.0.0.1:{port}")])
            .args(["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
            .args(["--backup-every", backup_every, "--backup-dir", "backups"])
            .env("SUYUAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .env_remove("SUYUAN_DATABASE_URL")
            .env_remove("SUYUAN_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start the server")?;
        let stdout = StdBufReader::new(child.stdout.take().context("no stdout")?);
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Ok(Server { child, lines })
    }

    /// Reads the demo's summary from the server's output.
    fn demo(&mut self) -> Result<Demo> {
        let (mut item_path, mut certificate) = (None, None);
        // The path after the printed base URL.
        let after_base = |l: &str| {
            l.find("://")
                .and_then(|i| l[i + 3..].find('/').map(|j| l[i + 3 + j..].trim().to_owned()))
        };
        while item_path.is_none() || certificate.is_none() {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(300))
                .context("the server ended, or printed no demo summary in five minutes")?;
            if line.contains("consumer page of a box:") {
                item_path = after_base(&line);
            } else if line.contains("/ certificate:") {
                certificate = after_base(&line).and_then(|p| p.strip_prefix("/c/").map(str::to_owned));
            }
        }
        Ok(Demo {
            item_path: item_path.context("no item path")?,
            certificate: certificate.context("no certificate")?,
        })
    }

    /// A line of the server's /proc status (VmRSS, VmHWM).
    fn memory(&self, field: &str) -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with(field))
            .map(|l| l[field.len() + 1..].trim().to_owned())
    }

    fn stop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

async fn connect(t: &Target) -> Result<Conn> {
    let tcp = TcpStream::connect(t.addr).await?;
    tcp.set_nodelay(true)?;
    let name = suyuan_server::tls::server_name("127.0.0.1").map_err(anyhow::Error::msg)?;
    Ok(BufReader::new(t.tls.connect(name, tcp).await?))
}

/// One request on a kept-alive connection: (status, body).
async fn send(
    conn: &mut Conn,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Vec<u8>)> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = auth {
        req.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    conn.get_mut().write_all(req.as_bytes()).await?;
    // rustls may hold the last record until flushed.
    conn.get_mut().flush().await?;
    read_response(conn).await
}

async fn wait_ready(t: &Target, server: &mut Server) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(mut c) = connect(t).await {
            if let Ok((200, _)) = send(&mut c, "GET", "/readyz", None, None).await {
                return Ok(());
            }
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            bail!("the server ended: {status}");
        }
        if Instant::now() > deadline {
            bail!("the server was not ready in two minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sign_in(conn: &mut Conn, user: &str, password: &str) -> Result<String> {
    let (status, body) = send(
        conn,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": user, "password": password})),
    )
    .await?;
    if status != 200 {
        bail!(
            "sign-in of {user} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let v: Value = serde_json::from_slice(&body)?;
    Ok(v["token"].as_str().context("no token")?.to_owned())
}

/// An API key of the supermarket's admin, who holds the demo's box.
async fn api_key(t: &Target) -> Result<String> {
    let mut c = connect(t).await?;
    let session = sign_in(&mut c, "mart-admin", DEMO_PASSWORD).await?;
    let (status, body) = send(
        &mut c,
        "POST",
        "/api/v1/api-keys",
        Some(&session),
        Some(&json!({"name": "soak"})),
    )
    .await?;
    if status != 201 {
        bail!(
            "creating an API key answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let v: Value = serde_json::from_slice(&body)?;
    Ok(v["secret"].as_str().context("no secret")?.to_owned())
}

/// The backups the server ran, as its operator reads them.
async fn backups(t: &Target) -> Result<Vec<Value>> {
    let mut c = connect(t).await?;
    let token = sign_in(&mut c, "admin", ADMIN_PASSWORD).await?;
    let (status, body) = send(&mut c, "GET", "/api/v1/backups?limit=50", Some(&token), None).await?;
    if status != 200 {
        bail!("GET /api/v1/backups answered {status}");
    }
    let v: Value = serde_json::from_slice(&body)?;
    Ok(v.as_array()
        .cloned()
        .or_else(|| v["items"].as_array().cloned())
        .unwrap_or_default())
}

/// An inspection of the box by its holder: a new event each time.
fn inspection(t: &Target, n: u64) -> Value {
    let epc = format!("https://id.gs1.org{}", t.demo.item_path);
    let minute = n % (60 * 24 * 28);
    let time = format!(
        "2026-11-{:02}T{:02}:{:02}:00+08:00",
        1 + minute / (60 * 24),
        (minute / 60) % 24,
        minute % 60
    );
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-12-01T08:00:00+08:00",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "epcList": [epc], "bizStep": "inspecting"
        }]}
    })
}

/// Latencies and unexpected answers per kind of request.
#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    errors: usize,
    first_errors: Vec<String>,
}

impl Tally {
    fn record(&mut self, kind: &'static str, took: Duration, ok: Result<(), String>) {
        self.latencies.entry(kind).or_default().push(took);
        if let Err(e) = ok {
            self.errors += 1;
            if self.first_errors.len() < 10 {
                self.first_errors.push(format!("{kind}: {e}"));
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        for (k, v) in other.latencies {
            self.latencies.entry(k).or_default().extend(v);
        }
        self.errors += other.errors;
        self.first_errors.extend(other.first_errors);
        self.first_errors.truncate(10);
    }

    fn report(
        &mut self,
        elapsed: Duration,
        rss_start: Option<String>,
        rss_end: Option<String>,
        hwm: Option<String>,
        backups: &[Value],
    ) {
        let mut all: Vec<Duration> = self.latencies.values().flatten().copied().collect();
        all.sort();
        let total = all.len();
        println!("\n  kind       requests     req/s    p50 ms    p99 ms    max ms");
        for (kind, lat) in &mut self.latencies {
            lat.sort();
            println!(
                "  {kind:<9} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                lat.len(),
                lat.len() as f64 / elapsed.as_secs_f64(),
                percentile(lat, 0.5),
                percentile(lat, 0.99),
                percentile(lat, 1.0)
            );
        }
        if total > 0 {
            println!(
                "  {:<9} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                "all",
                total,
                total as f64 / elapsed.as_secs_f64(),
                percentile(&all, 0.5),
                percentile(&all, 0.99),
                percentile(&all, 1.0)
            );
        }
        println!(
            "  errors: {} (unexpected answers or failed connections)",
            self.errors
        );
        for e in &self.first_errors {
            println!("    {e}");
        }
        println!(
            "  server memory: RSS {} at start, {} at end (peak {})",
            rss_start.as_deref().unwrap_or("?"),
            rss_end.as_deref().unwrap_or("?"),
            hwm.as_deref().unwrap_or("?")
        );
        println!("  backups during the run: {}", backups.len());
        for b in backups {
            println!(
                "    {} {} bytes, log size {}, drill {} ({:.1} s){}",
                b["started_at"].as_str().unwrap_or("?"),
                b["size_bytes"],
                b["tree_size"],
                b["drill_outcome"].as_str().unwrap_or("?"),
                b["seconds"].as_f64().unwrap_or(0.0),
                b["error"].as_str().map(|e| format!(": {e}")).unwrap_or_default()
            );
        }
    }
}

/// One client: requests one after another until `until`, reconnecting
/// after a failure. Every twentieth a sign-in, then captures, queries and
/// the consumer's pages.
async fn client(t: &Target, c: usize, until: Instant) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    let mut n = c as u64 * 1_000_003;
    let public = [
        t.demo.item_path.clone(),
        "/trace".to_owned(),
        format!("/c/{}", t.demo.certificate),
    ];
    while Instant::now() < until {
        n += 1;
        let started = Instant::now();
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match connect(t).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tally.record("connect", started.elapsed(), Err(e.to_string()));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
        };
        let (kind, result) = match n % 20 {
            0 => {
                let user = SIGN_INS[(n / 20) as usize % SIGN_INS.len()];
                ("sign-in", sign_in(c, user, DEMO_PASSWORD).await.map(|_| ()))
            }
            1 | 6 | 11 => {
                let r = send(
                    c,
                    "POST",
                    "/epcis/capture",
                    Some(&t.api_key),
                    Some(&inspection(t, n)),
                )
                .await;
                ("capture", captured(r))
            }
            2 | 12 => (
                "query",
                expect(
                    send(c, "GET", "/epcis/events?perPage=20", Some(&t.api_key), None).await,
                    200,
                ),
            ),
            7 => (
                "query",
                expect(
                    send(c, "GET", "/api/v1/lots?limit=20", Some(&t.api_key), None).await,
                    200,
                ),
            ),
            _ => {
                let path = &public[n as usize % public.len()];
                ("public", expect(send(c, "GET", path, None, None).await, 200))
            }
        };
        if result.is_err() {
            conn = None;
        }
        tally.record(kind, started.elapsed(), result.map_err(|e| e.to_string()));
    }
    Ok(tally)
}

/// A capture answered 202 with every event stored.
fn captured(r: Result<(u16, Vec<u8>)>) -> Result<()> {
    let (status, body) = r?;
    let job: Value = serde_json::from_slice(&body).unwrap_or_default();
    if status != 202 || job["success"] != true {
        bail!(
            "answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
    }
    Ok(())
}

fn expect(r: Result<(u16, Vec<u8>)>, want: u16) -> Result<()> {
    let (status, body) = r?;
    if status != want {
        bail!(
            "answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
    }
    Ok(())
}
