//! The audit trail: security events recorded
//! with user, organisation, action, resource, outcome and client address;
//! never a secret; read through `GET /api/v1/audit` and `/console/audit` by
//! an organisation's admin (its own) and the operator (all), nobody else;
//! and nothing lost when the server stops.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use suyuan_server::client::ClientAddr;
use suyuan_server::ServerConfig;
use tower::ServiceExt;
use uuid::Uuid;

use crate::common::*;

const WRONG: &str = "Wrong-Pass-999";

/// An application over a test's store with its own settings, driven with
/// a chosen client address.
pub(crate) struct Client {
    pub router: Router,
}

impl Client {
    pub fn new(app: &TestApp, config: ServerConfig) -> Client {
        Client {
            router: suyuan_server::app_with(app.store.clone(), config),
        }
    }

    /// A request from `ip`, with a bearer token or a session cookie
    /// (`cookie:` prefix) and an optional JSON body.
    pub async fn send(
        &self,
        ip: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        match token {
            Some(t) if t.starts_with("cookie:") => {
                b = b.header(header::COOKIE, format!("suyuan_session={}", &t[7..]));
            }
            Some(t) => b = b.header(header::AUTHORIZATION, format!("Bearer {t}")),
            None => {}
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let mut req = b.body(body).unwrap();
        req.extensions_mut().insert(ClientAddr(ip.parse().unwrap()));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, headers, v)
    }

    pub async fn login(&self, ip: &str, username: &str, password: &str) -> (StatusCode, Value) {
        let (s, _, v) = self
            .send(
                ip,
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        (s, v)
    }
}

/// The audit records a token may read with `query` (all pages).
pub(crate) async fn audit(c: &Client, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/api/v1/audit?limit=200{query}{after}");
        let (status, _, body) = c.send("10.99.0.1", "GET", &path, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cur) => after = format!("&after={cur}"),
            None => return items,
        }
    }
}

fn find(items: &[Value], pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    items.iter().find(|v| pred(v))
}

async fn me_id(app: &TestApp, token: &str) -> (Uuid, Uuid) {
    let (_, me) = app.get("/api/v1/auth/me", token).await;
    (uuid_of(&me["user_id"]), uuid_of(&me["org_id"]))
}

both_backends!(
    security_events_are_recorded_with_who_what_and_where,
    |app| async move {
        let c = Client::new(app, ServerConfig::default());
        let (org_a, admin_a) = app.producer("aud.a", "510115").await;
        let (org_b, admin_b) = app.producer("aud.b", "110105").await;
        let (admin_a_id, _) = me_id(app, &admin_a).await;
        let (admin_b_id, _) = me_id(app, &admin_b).await;
        let viewer = app
            .create_user(&admin_a, org_a, "aud.viewer", "viewer", None)
            .await;
        let viewer_token = app.login("aud.viewer", USER_PASSWORD).await;
        let product = app.create_product(&admin_a, "审计番茄").await;
        let product_id = uuid_of(&product["id"]);

        // A failed sign-in from 10.9.0.1.
        let (status, _) = c.login("10.9.0.1", "aud.a", WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Another tenant's record: 404, from 10.9.0.2.
        let path = format!("/api/v1/products/{product_id}");
        let (status, _, _) = c.send("10.9.0.2", "GET", &path, Some(&admin_b), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A viewer changing a role: 403, from 10.9.0.3.
        let user_path = format!("/api/v1/users/{viewer}");
        let body = json!({"role": "recorder"});
        let (status, _, _) = c
            .send(
                "10.9.0.3",
                "PATCH",
                &user_path,
                Some(&viewer_token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // The admin changing it: 200, from 10.9.0.4.
        let (status, _, _) = c
            .send("10.9.0.4", "PATCH", &user_path, Some(&admin_a), Some(body))
            .await;
        assert_eq!(status, StatusCode::OK);

        let a = audit(&c, &admin_a, "").await;
        let failed =
            find(&a, |e| e["action"] == "sign_in" && e["client"] == "10.9.0.1").expect("failed sign-in");
        assert_eq!(failed["outcome"], "denied");
        assert_eq!(failed["status"], 401);
        assert_eq!(failed["code"], "invalid_credentials");
        assert_eq!(failed["user_id"], json!(admin_a_id));
        assert_eq!(failed["org_id"], json!(org_a));
        assert_eq!(failed["resource"], "/api/v1/auth/login");
        let refused = find(&a, |e| e["action"] == "user_change" && e["client"] == "10.9.0.3").expect("403");
        assert_eq!(refused["outcome"], "forbidden");
        assert_eq!(refused["code"], "role_not_admin");
        assert_eq!(refused["resource"], format!("/api/v1/users/{viewer}"));
        let changed =
            find(&a, |e| e["action"] == "user_change" && e["client"] == "10.9.0.4").expect("change");
        assert_eq!(changed["outcome"], "ok");
        assert_eq!(changed["user_id"], json!(admin_a_id));
        assert!(changed["at"].is_string());
        // B's refusal is in B's trail, not A's.
        assert!(find(&a, |e| e["client"] == "10.9.0.2").is_none());
        let b = audit(&c, &admin_b, "").await;
        let hidden = find(&b, |e| e["client"] == "10.9.0.2").expect("404");
        assert_eq!(hidden["outcome"], "not_found");
        assert_eq!(hidden["action"], "GET /api/v1/products/{id}");
        assert_eq!(hidden["resource"], format!("/api/v1/products/{product_id}"));
        assert_eq!(hidden["user_id"], json!(admin_b_id));
        assert_eq!(hidden["org_id"], json!(org_b));
    }
);

both_backends!(
    the_audit_trail_is_read_by_its_admins_and_the_operator_only,
    |app| async move {
        let c = Client::new(app, ServerConfig::default());
        let (org_a, admin_a) = app.producer("aur.a", "510115").await;
        let (org_b, admin_b) = app.producer("aur.b", "110105").await;
        app.create_user(&admin_a, org_a, "aur.rec", "recorder", None)
            .await;
        let rec = app.login("aur.rec", USER_PASSWORD).await;
        let op = app.operator_token().await;
        for t in [&admin_a, &admin_b, &rec] {
            c.send("10.8.0.1", "GET", "/api/v1/auth/me", Some(t), None).await;
        }
        c.login("10.8.0.2", "aur.b", WRONG).await;

        // A plain user reads nothing; nobody unauthenticated.
        let (status, _, body) = c.send("10.8.0.3", "GET", "/api/v1/audit", Some(&rec), None).await;
        assert_eq!(
            (status, body["code"].clone()),
            (StatusCode::FORBIDDEN, json!("audit_forbidden"))
        );
        let (status, _, _) = c.send("10.8.0.3", "GET", "/api/v1/audit", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // An admin cannot ask for another organisation's.
        let q = format!("/api/v1/audit?org_id={org_b}");
        let (status, _, _) = c.send("10.8.0.3", "GET", &q, Some(&admin_a), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Its own only.
        let a = audit(&c, &admin_a, "").await;
        assert!(!a.is_empty());
        assert!(a.iter().all(|e| e["org_id"] == json!(org_a)), "{a:?}");
        let (b_user, _) = me_id(app, &admin_b).await;
        assert!(audit(&c, &admin_a, &format!("&user_id={b_user}"))
            .await
            .is_empty());
        // The operator reads all, or one organisation's.
        let all = audit(&c, &op, "").await;
        assert!(all.iter().any(|e| e["org_id"] == json!(org_a)));
        assert!(all.iter().any(|e| e["org_id"] == json!(org_b)));
        let only_b = audit(&c, &op, &format!("&org_id={org_b}")).await;
        assert!(!only_b.is_empty() && only_b.iter().all(|e| e["org_id"] == json!(org_b)));

        // Filters: user, action, resource, outcome, time; and pages.
        let mine = audit(&c, &op, &format!("&user_id={b_user}")).await;
        assert!(!mine.is_empty() && mine.iter().all(|e| e["user_id"] == json!(b_user)));
        let denied = audit(&c, &op, "&outcome=denied&action=sign_in").await;
        assert!(denied.iter().any(|e| e["client"] == "10.8.0.2"));
        assert!(denied
            .iter()
            .all(|e| e["outcome"] == "denied" && e["action"] == "sign_in"));
        let me = audit(&c, &op, "&resource=/api/v1/auth/").await;
        assert!(!me.is_empty());
        assert!(me
            .iter()
            .all(|e| e["resource"].as_str().unwrap().starts_with("/api/v1/auth/")));
        assert!(audit(&c, &op, "&to=2001-01-01T00:00:00Z").await.is_empty());
        assert!(audit(&c, &op, "&from=2001-01-01T00:00:00Z").await.len() >= all.len());
        let (status, _, p1) = c
            .send("10.99.0.1", "GET", "/api/v1/audit?limit=2", Some(&op), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let cur = p1["next_cursor"].as_str().unwrap();
        let (_, _, p2) = c
            .send(
                "10.99.0.1",
                "GET",
                &format!("/api/v1/audit?limit=2&after={cur}"),
                Some(&op),
                None,
            )
            .await;
        assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
        assert!(p2["items"][0]["id"].as_str() < p1["items"][1]["id"].as_str());
        let (status, _, body) = c
            .send(
                "10.99.0.1",
                "GET",
                "/api/v1/audit?from=yesterday",
                Some(&op),
                None,
            )
            .await;
        assert_eq!(
            (status, body["field"].clone()),
            (StatusCode::BAD_REQUEST, json!("from"))
        );
        // A range that ends before it starts breaks a rule across fields.
        let (status, _, body) = c
            .send(
                "10.99.0.1",
                "GET",
                "/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                Some(&op),
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].clone(), body["field"].clone()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!("time_range"),
                json!("from")
            )
        );
    }
);

both_backends!(no_secret_ever_reaches_the_audit_trail, |app| async move {
    let c = Client::new(app, ServerConfig::default());
    // Registration carries the ID number; sign-in the password.
    let (org, admin) = app.producer("sec.admin", "510115").await;
    let (status, login) = c.login("10.6.0.1", "sec.admin", ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let session = login["token"].as_str().unwrap().to_owned();
    let (_, _, key) = c
        .send(
            "10.6.0.1",
            "POST",
            "/api/v1/api-keys",
            Some(&session),
            Some(json!({"name": "erp"})),
        )
        .await;
    let api_key = key["secret"].as_str().or(key["key"].as_str()).unwrap().to_owned();
    c.send("10.6.0.1", "GET", "/api/v1/auth/me", Some(&api_key), None)
        .await;
    let viewer = app.create_user(&admin, org, "sec.viewer", "viewer", None).await;
    let (_, _, reset) = c
        .send(
            "10.6.0.1",
            "POST",
            &format!("/api/v1/users/{viewer}/password-reset"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    let reset_token = reset["token"].as_str().unwrap().to_owned();
    let new_password = "Brand-New-Pass-77";
    let body = json!({"token": reset_token, "new_password": new_password});
    let (status, _, _) = c
        .send(
            "10.6.0.1",
            "POST",
            "/api/v1/auth/password-reset",
            None,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Secrets in a query string are not kept either.
    let q = format!("/api/v1/products?token={session}&password={new_password}");
    c.send("10.6.0.1", "GET", &q, Some(&session), None).await;
    c.login("10.6.0.1", "sec.viewer", ADMIN_PASSWORD).await;

    let op = app.operator_token().await;
    let all = audit(&c, &op, "").await;
    for action in [
        "sign_in",
        "api_key_create",
        "password_reset_issue",
        "password_reset",
    ] {
        assert!(all.iter().any(|e| e["action"] == action), "{action} missing");
    }
    let rows = app
        .store
        .db()
        .conn()
        .fetch_all("SELECT * FROM audit_events", &[])
        .await
        .unwrap();
    assert!(rows.len() >= 8, "{}", rows.len());
    let dump = format!("{rows:?}");
    for secret in [
        ADMIN_PASSWORD,
        new_password,
        session.as_str(),
        api_key.as_str(),
        &api_key[..12],
        reset_token.as_str(),
        ID_NUMBER,
    ] {
        assert!(!dump.contains(secret), "the audit trail holds a secret: {secret}");
    }
    let blocks = app
        .store
        .db()
        .conn()
        .fetch_all("SELECT * FROM security_blocks", &[])
        .await
        .unwrap();
    assert!(!format!("{blocks:?}").contains(&session));
});

both_backends!(
    the_console_shows_the_audit_with_charts_to_admins_only,
    |app| async move {
        let c = Client::new(app, ServerConfig::default());
        let (org, admin) = app.producer("auc.admin", "510115").await;
        app.create_user(&admin, org, "auc.viewer", "viewer", None).await;
        let viewer = app.login("auc.viewer", USER_PASSWORD).await;
        let op = app.operator_token().await;
        c.login("10.5.0.1", "auc.admin", WRONG).await;
        for (token, scope) in [(&admin, "本机构"), (&op, "全平台")] {
            let cookie = format!("cookie:{token}");
            let (status, _, page) = c
                .send("10.5.0.2", "GET", "/console/audit", Some(&cookie), None)
                .await;
            let page = page.as_str().unwrap().to_owned();
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(page.contains("<svg") && page.contains("<rect"), "charts");
            assert!(page.contains(scope) && page.contains("审计记录"));
            assert!(page.contains("10.5.0.1") && page.contains("invalid_credentials"));
            assert!(!page.contains("<script"));
            assert!(page.contains("href=\"/console/audit\""), "navigation link");
            let q = "/console/audit?outcome=denied&action=sign_in&from=2001-01-01&to=2999-12-31&lang=en";
            let (status, _, page) = c.send("10.5.0.2", "GET", q, Some(&cookie), None).await;
            let page = page.as_str().unwrap().to_owned();
            assert_eq!(status, StatusCode::OK);
            assert!(page.contains("Events over time by outcome") && page.contains("Top refused clients"));
        }
        let cookie = format!("cookie:{viewer}");
        let (status, _, page) = c
            .send("10.5.0.2", "GET", "/console/audit", Some(&cookie), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.as_str().unwrap().contains("audit_forbidden"));
        let (status, _, _) = c
            .send("10.5.0.2", "GET", "/console/security", Some(&cookie), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let cookie = format!("cookie:{admin}");
        let (status, _, _) = c
            .send("10.5.0.2", "GET", "/console/security", Some(&cookie), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    the_audit_writer_loses_nothing_when_the_server_stops,
    |app| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let admin = {
            let (_, t) = app.producer("aus.admin", "510115").await;
            t
        };
        let config = ServerConfig {
            audit: suyuan_server::audit::AuditConfig {
                batch: 7,
                ..Default::default()
            },
            ..ServerConfig::default()
        };
        let (router, audit_log) = suyuan_server::app_with_audit(app.store.clone(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(suyuan_server::serve(listener, router, async {
            let _ = stop_rx.await;
        }));
        let n = 60;
        for _ in 0..n {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let req = format!(
            "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nConnection: close\r\n\r\n"
        );
            s.write_all(req.as_bytes()).await.unwrap();
            let mut out = Vec::new();
            s.read_to_end(&mut out).await.unwrap();
            assert!(out.starts_with(b"HTTP/1.1 200"));
        }
        let _ = stop_tx.send(());
        server.await.unwrap().unwrap();
        audit_log.flush().await;
        let rows = app
            .store
            .db()
            .conn()
            .fetch_all(
                "SELECT client FROM audit_events WHERE resource = '/api/v1/auth/me'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), n);
        assert!(format!("{rows:?}").contains("127.0.0.1"));
    }
);
