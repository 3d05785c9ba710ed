//! Test harness for the HTTP API: one [`TestApp`] per test, on SQLite (a
//! temporary file) or PostgreSQL (a schema of its own), driven in-process
//! through `tower::ServiceExt::oneshot` without a socket.
//!
//! Password hashing is argon2 and slow in debug builds: tests reuse tokens
//! and keep their logins few.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use suyuan_core::codes::{gs1_check_digit, Uscc};
use suyuan_store::users::hash_password;
use suyuan_store::{Backend, Db, OpenOptions, PersonalDataCipher, Store};
use tower::ServiceExt;
use uuid::Uuid;

/// The environment variable naming the PostgreSQL server for tests.
pub const PG_ENV: &str = "SUYUAN_TEST_POSTGRES_URL";
/// The bootstrapped operator's password (user `admin`).
pub const OPERATOR_PASSWORD: &str = "Operator-Pass-1";
/// The password of every admin registered by [`TestApp::register_org`].
pub const ADMIN_PASSWORD: &str = "Admin-Pass-2024";
/// The password of every user made by [`TestApp::create_user`].
pub const USER_PASSWORD: &str = "User-Pass-2024";
/// The legal representative's ID number used by the fixtures.
pub const ID_NUMBER: &str = "110105199003071239";

/// Runs a test body on both backends: generates `mod $name` with a `sqlite`
/// and a `postgres` test. The body gets `app: &TestApp`. The PostgreSQL test
/// returns early (after a notice) when no server is configured.
///
/// `ignore = "bug: …"` ignores both tests, `ignore_postgres = "bug: …"` only
/// the PostgreSQL one (known bugs, so that the suite stays green).
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$app:ident| $body:expr) => {
        $crate::both_backends!(@gen $name, [], [], |$app| $body);
    };
    ($name:ident, ignore = $why:literal, |$app:ident| $body:expr) => {
        $crate::both_backends!(@gen $name, [#[ignore = $why]], [#[ignore = $why]], |$app| $body);
    };
    ($name:ident, ignore_postgres = $why:literal, |$app:ident| $body:expr) => {
        $crate::both_backends!(@gen $name, [], [#[ignore = $why]], |$app| $body);
    };
    (@gen $name:ident, [$(#[$sqlite_attr:meta])*], [$(#[$pg_attr:meta])*], |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            $(#[$sqlite_attr])*
            async fn sqlite() {
                let test_app = $crate::common::TestApp::sqlite().await;
                {
                    let $app = &test_app;
                    $body.await;
                }
                test_app.finish().await;
            }

            #[tokio::test]
            $(#[$pg_attr])*
            async fn postgres() {
                let Some(test_app) = $crate::common::TestApp::postgres().await else {
                    return;
                };
                {
                    let $app = &test_app;
                    $body.await;
                }
                test_app.finish().await;
            }
        }
    };
}

/// One application over a fresh database.
pub struct TestApp {
    pub store: Store,
    router: Router,
    pub backend: &'static str,
    /// The platform operator's organisation.
    pub operator_org_id: Uuid,
    operator_token: tokio::sync::OnceCell<String>,
    /// Keeps the SQLite file's folder alive.
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server and this test's schema, until dropped.
    pg: Option<(String, String)>,
}

static PG_NOTICE: Once = Once::new();
static SEQ: AtomicU64 = AtomicU64::new(1);

/// A number unique within the test process (for codes and names).
pub fn unique() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

impl TestApp {
    /// The SQLite file of a SQLite test app.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("t.db"))
    }

    /// A store on a SQLite file in a new temporary folder.
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = Backend::Sqlite(dir.path().join("t.db"));
        let store = Store::open(&backend, &OpenOptions::default(), cipher())
            .await
            .expect("open SQLite store");
        Self::start(store, Some(dir), None).await
    }

    /// A store in a schema of its own on the PostgreSQL server named by
    /// `SUYUAN_TEST_POSTGRES_URL`; `None` (after a notice, printed once) when
    /// the variable is not set.
    pub async fn postgres() -> Option<TestApp> {
        let Some(url) = std::env::var(PG_ENV).ok().filter(|u| !u.trim().is_empty()) else {
            // In CI a missing server is a failure, never a silent pass.
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but {PG_ENV} is not set: the PostgreSQL tests cannot run"
            );
            PG_NOTICE.call_once(|| {
                // Straight to stderr, past the test harness's capture.
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "{PG_ENV} not set: PostgreSQL tests skipped");
            });
            return None;
        };
        let schema = format!("t_{}", Uuid::now_v7().simple());
        let opts = OpenOptions {
            pg_schema: Some(schema.clone()),
            max_connections: 4,
        };
        let store = Store::open(&Backend::Postgres(url.clone()), &opts, cipher())
            .await
            .expect("open PostgreSQL store");
        Some(Self::start(store, None, Some((url, schema))).await)
    }

    async fn start(store: Store, dir: Option<tempfile::TempDir>, pg: Option<(String, String)>) -> TestApp {
        init_logging();
        let hash = tokio::task::spawn_blocking(|| hash_password(OPERATOR_PASSWORD))
            .await
            .unwrap()
            .expect("hash operator password");
        let admin = store
            .bootstrap("平台运营方", "110000", &hash)
            .await
            .expect("bootstrap")
            .expect("a fresh database has no operator yet");
        TestApp {
            router: suyuan_server::app(store.clone()),
            backend: store.backend_name(),
            store,
            operator_org_id: admin.org_id,
            operator_token: tokio::sync::OnceCell::new(),
            _dir: dir,
            pg,
        }
    }

    /// Closes the store and, on PostgreSQL, drops the test's schema.
    pub async fn finish(mut self) {
        self.store.close().await;
        if let Some((url, schema)) = self.pg.take() {
            drop_schema(&url, &schema).await;
        }
    }

    // ----- requests -----

    /// Sends a request as is; answers the status, headers and body (JSON if
    /// it parses, a JSON string otherwise, `null` when empty).
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, headers, body)
    }

    /// A GET answering the body's bytes as they are (a file download).
    pub async fn get_bytes(&self, path: &str, token: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let req = Request::builder()
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        self.send_raw(req).await
    }

    /// Sends a request as is; answers the status, headers and the body's bytes.
    pub async fn send_raw(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// A request with an optional bearer token and an optional JSON body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (ct, text) = match body {
            Some(v) => (Some("application/json"), v.to_string()),
            None => (None, String::new()),
        };
        let (status, _, body) = self.raw(method, path, token, ct, text).await;
        (status, body)
    }

    /// A request with a body given as text and any content type.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<String>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        self.send(b.body(Body::from(body.into())).expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request("POST", path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request("PUT", path, Some(token), Some(body)).await
    }

    /// The items of a list (first page of up to 200).
    pub async fn list(&self, path: &str, token: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, body) = self.get(&format!("{path}{sep}limit=200"), token).await;
        assert_eq!(status, StatusCode::OK, "listing {path}: {body}");
        body["items"].as_array().expect("items").clone()
    }

    /// How many items a list has.
    pub async fn count(&self, path: &str, token: &str) -> usize {
        self.list(path, token).await.len()
    }

    /// How many rows a table holds, read from the database itself.
    pub async fn rows_in(&self, table: &str) -> i64 {
        self.store
            .db()
            .conn()
            .fetch_optional(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .await
            .expect("count rows")
            .expect("a count")
            .int("n")
            .expect("an integer")
    }

    // ----- identities -----

    /// Signs in; panics unless it succeeds.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self.try_login(username, password).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        let token = body["token"].as_str().expect("token").to_owned();
        assert!(token.starts_with("sys_"), "{token}");
        token
    }

    pub async fn try_login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    /// The operator's token (signs in once per test).
    pub async fn operator_token(&self) -> String {
        self.operator_token
            .get_or_init(|| self.login("admin", OPERATOR_PASSWORD))
            .await
            .clone()
    }

    // ----- fixtures -----

    /// Registers an organisation (region 510115) through the public
    /// registration; answers its id and its admin's token.
    pub async fn register_org(
        &self,
        kind: &str,
        form: Option<&str>,
        uscc: &str,
        admin_username: &str,
    ) -> (Uuid, String) {
        self.register_org_in(kind, form, uscc, "510115", admin_username)
            .await
    }

    /// Like [`TestApp::register_org`] in a chosen region.
    pub async fn register_org_in(
        &self,
        kind: &str,
        form: Option<&str>,
        uscc: &str,
        region: &str,
        admin_username: &str,
    ) -> (Uuid, String) {
        let body = registration(kind, form, uscc, region, admin_username);
        let (status, resp) = self
            .request("POST", "/api/v1/registrations", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "registration: {resp}");
        let id = uuid_of(&resp["organisation"]["id"]);
        let token = self.login(admin_username, ADMIN_PASSWORD).await;
        (id, token)
    }

    /// A verified producer (farm, enterprise code) in `region` with a fresh
    /// credit code; answers its id and its admin's token.
    pub async fn producer(&self, admin_username: &str, region: &str) -> (Uuid, String) {
        let (id, token) = self.pending_producer(admin_username, region).await;
        self.verify(id).await;
        (id, token)
    }

    /// Like [`TestApp::producer`], left pending (not yet verified).
    pub async fn pending_producer(&self, admin_username: &str, region: &str) -> (Uuid, String) {
        let code = uscc("91", region);
        self.register_org_in("producer", Some("farm"), &code, region, admin_username)
            .await
    }

    /// The operator verifies an organisation.
    pub async fn verify(&self, org_id: Uuid) -> Value {
        let token = self.operator_token().await;
        let (status, body) = self
            .post(
                &format!("/api/v1/organisations/{org_id}/verify"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "verify: {body}");
        assert_eq!(body["status"], "verified");
        body
    }

    /// Creates a user (password [`USER_PASSWORD`]); panics unless 201.
    pub async fn create_user(
        &self,
        token: &str,
        org_id: Uuid,
        username: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> Uuid {
        let (status, body) = self
            .try_create_user(token, org_id, username, role, jurisdiction)
            .await;
        assert_eq!(status, StatusCode::CREATED, "create user {username}: {body}");
        uuid_of(&body["id"])
    }

    pub async fn try_create_user(
        &self,
        token: &str,
        org_id: Uuid,
        username: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post(
            &format!("/api/v1/organisations/{org_id}/users"),
            token,
            json!({
                "username": username,
                "display_name": "测试用户",
                "password": USER_PASSWORD,
                "role": role,
                "jurisdiction": jurisdiction,
            }),
        )
        .await
    }

    /// Creates a product with a fresh GTIN-13; answers its JSON.
    pub async fn create_product(&self, token: &str, name: &str) -> Value {
        let (status, body) = self
            .post("/api/v1/products", token, product(&gtin13(), name))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create product: {body}");
        body
    }

    /// Creates a place; answers its JSON.
    pub async fn create_place(&self, token: &str, body: Value) -> Value {
        let (status, resp) = self.post("/api/v1/places", token, body).await;
        assert_eq!(status, StatusCode::CREATED, "create place: {resp}");
        resp
    }
}

impl Drop for TestApp {
    /// If a test panicked before [`TestApp::finish`], drop its PostgreSQL
    /// schema anyway (best effort, on a thread of its own since the test's
    /// runtime is busy unwinding).
    fn drop(&mut self) {
        if let Some((url, schema)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(drop_schema(&url, &schema));
                }
            })
            .join();
        }
    }
}

async fn drop_schema(url: &str, schema: &str) {
    let opts = OpenOptions {
        pg_schema: None,
        max_connections: 1,
    };
    let Ok(db) = Db::open(&Backend::Postgres(url.to_owned()), &opts).await else {
        return;
    };
    // A connection left inside a transaction by a panic could hold locks:
    // give up rather than hang.
    let _ = db.conn().execute("SET lock_timeout = '3s'", &[]).await;
    if let Err(e) = db
        .conn()
        .execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), &[])
        .await
    {
        eprintln!("could not drop test schema {schema}: {e}");
    }
    db.close().await;
}

/// Logs go to the test's captured output, shown when it fails (`RUST_LOG`
/// to choose; warnings and errors by default).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

fn cipher() -> PersonalDataCipher {
    PersonalDataCipher::new(&[7u8; 32])
}

// ----- test data -----

/// A credit code (GB 32100) of `category` in `region` with a fresh
/// organisation code and the right check character.
pub fn uscc(category: &str, region: &str) -> String {
    let body = format!("{category}{region}{:09}", 100_000_000 + unique());
    with_check_char(&body)
}

/// Appends the right GB 32100 check character to 17 characters.
pub fn with_check_char(first17: &str) -> String {
    assert_eq!(first17.len(), 17, "{first17}");
    let check = Uscc::parse(&format!("{first17}0"))
        .expect("well-formed credit code")
        .expected_check();
    format!("{first17}{check}")
}

/// A fresh GTIN-13 under the demonstration prefix 952.
pub fn gtin13() -> String {
    let body = format!("952{:09}", unique());
    format!("{body}{}", gs1_check_digit(&body))
}

/// A fresh GLN under the demonstration prefix 952.
pub fn gln() -> String {
    let body = format!("952{:09}", 500_000_000 + unique());
    format!("{body}{}", gs1_check_digit(&body))
}

/// A registration body.
pub fn registration(kind: &str, form: Option<&str>, uscc: &str, region: &str, admin_username: &str) -> Value {
    json!({
        "organisation": {
            "kind": kind,
            "producer_form": form,
            "name": format!("测试机构{admin_username}"),
            "uscc": uscc,
            "region": region,
            "address": "四川省成都市郫都区红光镇",
            "legal_rep_name": "张三",
            "legal_rep_id_number": ID_NUMBER,
            "contact_name": "李四",
            "contact_phone": "13800138000",
            "contact_email": "contact@example.cn",
        },
        "admin": {
            "username": admin_username,
            "display_name": "管理员",
            "password": ADMIN_PASSWORD,
            "role": "org_admin",
        }
    })
}

/// A product body.
pub fn product(gtin: &str, name: &str) -> Value {
    json!({
        "gtin": gtin,
        "name": name,
        "category": "vegetable",
        "variety": "二荆条",
        "specification": "500 g/袋",
        "unit": "袋",
        "shelf_life_days": 7,
        "origin_region": "510124",
        "origin": "四川省成都市郫都区",
    })
}

/// A production base body.
pub fn base(name: &str) -> Value {
    place("production_base", name)
}

/// A place body with every numeric and boolean field given (a place with
/// only its kind and name is `api_records::optional_fields_may_be_left_out`).
pub fn place(kind: &str, name: &str) -> Value {
    json!({
        "kind": kind,
        "name": name,
        "region": "510124",
        "location": {"latitude": 30.78, "longitude": 103.94},
        "area_m2": 20000.0,
        "temperature_controlled": false,
        "temperature_min": 0.0,
        "temperature_max": 30.0,
    })
}

pub fn uuid_of(v: &Value) -> Uuid {
    Uuid::parse_str(v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .unwrap_or_else(|_| panic!("not a uuid: {v}"))
}

/// Asserts a problem+json refusal with this status, `code` and `field`
/// (`None`: no field), and that both messages are present.
#[track_caller]
pub fn assert_problem(resp: &(StatusCode, Value), status: u16, code: &str, field: Option<&str>) {
    let (got, body) = resp;
    assert_eq!(got.as_u16(), status, "status; body: {body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "code; body: {body}");
    assert_eq!(body["field"].as_str(), field, "field; body: {body}");
    assert!(body["detail"].as_str().is_some_and(|s| !s.is_empty()), "{body}");
    assert!(
        body["detail_zh"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
}

/// Like [`assert_problem`] for a response that also carries headers; checks
/// the content type is `application/problem+json`.
#[track_caller]
pub fn assert_problem_h(resp: &(StatusCode, HeaderMap, Value), status: u16, code: &str, field: Option<&str>) {
    let ct = resp.1.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap());
    assert_eq!(ct, Some("application/problem+json"), "{}", resp.2);
    assert_problem(&(resp.0, resp.2.clone()), status, code, field);
}

/// `base` with the fields of `extra` set (both JSON objects).
pub fn merge(mut base: Value, extra: Value) -> Value {
    let fields = base.as_object_mut().expect("an object");
    for (k, v) in extra.as_object().expect("an object") {
        fields.insert(k.clone(), v.clone());
    }
    base
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
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
