//! Backups, restores and crashes with real processes, on SQLite
//! and, when `SUYUAN_TEST_POSTGRES_URL` is set, PostgreSQL (each run in a
//! schema of its own, dropped at the end).
#![allow(clippy::unwrap_used)]

mod crash;
mod restore;
#[path = "../support/mod.rs"]
mod support;

pub use support::{free_port, try_http, Server};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_suyuan");
pub const ADMIN_PASSWORD: &str = "Backup-Test-Pass-1";
const KEY: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// Where a test's data lives: SQLite under `dir/suyuan-data`, or a
/// PostgreSQL schema (with the key in the environment).
pub struct Place {
    pub dir: tempfile::TempDir,
    /// PostgreSQL: the server's URL without a schema, and the schemas made.
    pg: Option<(String, std::cell::RefCell<Vec<String>>)>,
    /// PostgreSQL: the URL of the main schema.
    pub url: Option<String>,
}

impl Place {
    pub fn sqlite() -> Place {
        Place {
            dir: tempfile::tempdir().unwrap(),
            pg: None,
            url: None,
        }
    }

    /// `None` (the test is skipped) when no PostgreSQL is configured.
    pub fn postgres() -> Option<Place> {
        let Ok(base) = std::env::var("SUYUAN_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but SUYUAN_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SUYUAN_TEST_POSTGRES_URL not set: the PostgreSQL half is skipped");
            return None;
        };
        let mut p = Place {
            dir: tempfile::tempdir().unwrap(),
            pg: Some((base, Default::default())),
            url: None,
        };
        p.url = Some(p.new_schema());
        Some(p)
    }

    pub fn d(&self) -> &Path {
        self.dir.path()
    }

    pub fn is_pg(&self) -> bool {
        self.pg.is_some()
    }

    /// PostgreSQL: the URL of a new schema's name (created by whoever uses it first).
    pub fn new_schema(&self) -> String {
        let (base, made) = self.pg.as_ref().unwrap();
        let schema = format!("bk_{}", uuid::Uuid::now_v7().simple());
        made.borrow_mut().push(schema.clone());
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-c%20search_path%3D{schema}")
    }

    /// PostgreSQL: creates the schema of `url` (servers migrate into it).
    pub fn create_schema(&self, url: &str) {
        let schema = url.rsplit("%3D").next().unwrap();
        with_pg(&self.pg.as_ref().unwrap().0, |db| async move {
            db.conn()
                .execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"), &[])
                .await
                .unwrap();
        });
    }

    /// A command on this place's data (`extra` environment first).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.d())
            .env("SUYUAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("SUYUAN_DATABASE_URL")
            .env_remove("SUYUAN_DATA_DIR")
            .env_remove("SUYUAN_SECRET_KEY")
            .env_remove("SUYUAN_CONFIG");
        if let Some(url) = &self.url {
            c.env("SUYUAN_DATABASE_URL", url).env("SUYUAN_SECRET_KEY", KEY);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs, expecting success; answers standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs, expecting a refusal; answers standard error.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "{args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The operator, a verified farm and its admin `farmer`.
    pub fn set_up_farm(&self) {
        if let Some(url) = &self.url {
            self.create_schema(url);
        }
        self.ok(&["admin", "init", "--json"]);
        let org = self.ok(&[
            "admin",
            "org",
            "create",
            "--json",
            "--kind",
            "producer",
            "--producer-form",
            "farm",
            "--name",
            "备份农场",
            "--uscc",
            "914403001922038216",
            "--region",
            "510117",
            "--legal-rep-name",
            "张三",
            "--legal-rep-id",
            "110105199003071239",
            "--contact-name",
            "李四",
            "--contact-phone",
            "13800138000",
        ]);
        let org: serde_json::Value = serde_json::from_str(&org).unwrap();
        let id = org["id"].as_str().unwrap();
        self.ok(&["admin", "org", "verify", id, "--json"]);
        let out = self
            .cmd(&[
                "admin",
                "user",
                "create",
                "--json",
                "--org",
                id,
                "--username",
                "farmer",
            ])
            .args(["--display-name", "管理员", "--role", "org_admin"])
            .env("SUYUAN_NEW_USER_PASSWORD", "Farmer-Pass-1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts `serve` with `extra` flags and waits until it is ready.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let child = self
            .cmd(&["serve", "--listen", &listen, "--verify-every", "off"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server(child, port);
        let deadline = Instant::now() + Duration::from_secs(60);
        while try_http(port, "GET", "/readyz", None, None).map(|r| r.0) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "the server on {port} did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some((base, made)) = &self.pg {
            let made = made.borrow().clone();
            with_pg(base, |db| async move {
                for s in made {
                    let _ = db.drop_pg_schema(&s).await;
                }
            });
        }
    }
}

/// Runs `f` with a connection to the PostgreSQL server at `url`.
fn with_pg<F, Fut>(url: &str, f: F)
where
    F: FnOnce(suyuan_store::Db) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = suyuan_store::Db::open(
            &suyuan_store::Backend::from_url(url).unwrap(),
            &suyuan_store::OpenOptions {
                max_connections: 1,
                pg_schema: None,
            },
        )
        .await
        .unwrap();
        f(db.clone()).await;
        db.close().await;
    });
}

/// A signed-in user's token.
pub fn login(port: u16, username: &str, password: &str) -> String {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let (status, r) = try_http(port, "POST", "/api/v1/auth/login", None, Some(&body)).unwrap();
    assert_eq!(status, 200, "{r}");
    r["token"].as_str().unwrap().to_owned()
}

/// An EPCIS document of one observation of item `serial`.
pub fn document(serial: &str) -> String {
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-20T10:00:00+08:00",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent",
            "eventTime": "2026-03-01T10:00:00+08:00",
            "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE",
            "epcList": [format!("urn:epc:id:sgtin:9521234.012345.{serial}")],
            "bizStep": "inspecting"
        }]}
    })
    .to_string()
}

/// Captures one event; its eventID when the server acknowledged it stored.
pub fn capture(port: u16, token: &str, serial: &str) -> Option<String> {
    let (status, job) = try_http(
        port,
        "POST",
        "/epcis/capture",
        Some(token),
        Some(&document(serial)),
    )?;
    if status != 202 || job["success"] != true {
        return None;
    }
    Some(job["eventIDs"][0].as_str()?.to_owned())
}

/// Whether the event is stored (asked of the server).
pub fn has_event(port: u16, token: &str, id: &str) -> bool {
    let path = format!("/epcis/events/{}", enc(id));
    try_http(port, "GET", &path, Some(token), None).map(|r| r.0) == Some(200)
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The root `suyuan verify` printed.
pub fn verified_root(out: &str) -> String {
    out.split("root ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap_or_else(|| panic!("no root in: {out}"))
        .trim()
        .to_owned()
}

/// A backup file's parts: (manifest JSON, snapshot, trailer).
pub fn parts(file: &Path) -> (serde_json::Value, Vec<u8>, Vec<u8>) {
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(&bytes[..16], b"SUYUAN-BACKUP/1\n");
    let n = u64::from_be_bytes(bytes[16..24].try_into().unwrap()) as usize;
    let manifest = serde_json::from_slice(&bytes[24..24 + n]).unwrap();
    let m = u64::from_be_bytes(bytes[24 + n..32 + n].try_into().unwrap()) as usize;
    let snapshot = bytes[32 + n..32 + n + m].to_vec();
    let trailer = bytes[32 + n + m..].to_vec();
    (manifest, snapshot, trailer)
}

/// Writes a well-formed backup file from parts (the trailer recomputed).
pub fn assemble(file: &Path, manifest: &serde_json::Value, snapshot: &[u8]) {
    use sha2::Digest;
    let json = serde_json::to_vec(manifest).unwrap();
    let mut out = b"SUYUAN-BACKUP/1\n".to_vec();
    out.extend((json.len() as u64).to_be_bytes());
    out.extend(&json);
    out.extend((snapshot.len() as u64).to_be_bytes());
    out.extend(snapshot);
    let trailer = sha2::Sha256::digest(&out);
    out.extend(trailer);
    std::fs::write(file, out).unwrap();
}

/// A target for a restore: `--data-dir DIR` (SQLite) or `--database-url`
/// of a new schema (PostgreSQL).
pub fn new_target(p: &Place, name: &str) -> Vec<String> {
    if p.is_pg() {
        vec!["--database-url".into(), p.new_schema()]
    } else {
        vec!["--data-dir".into(), p.d().join(name).display().to_string()]
    }
}

pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

pub fn path_of(p: &Place, name: &str) -> PathBuf {
    p.d().join(name)
}
