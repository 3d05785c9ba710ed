//! Alert webhooks (issue 18): an organisation's admin sets the URL its
//! alerts go to (and no one else: another organisation, a pending or
//! suspended one, the operator, a recorder, an anonymous caller); URLs
//! that are not http(s) or point at the server's own network are refused;
//! alerts raised by the periodic check wait in the outbox while the
//! receiver is down, are retried with back-off (each attempt recorded)
//! and arrive once per delivery id, signed so the receiver can check them.
//! A real receiver: a hyper server on a local port. On both backends.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audit::Client;
use crate::common::*;
use crate::devices::{cold_room, count, device, send};
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_server::webhooks::{deliver_round, Round, WebhookSettings};
use suyuan_server::ServerConfig;

/// What the receiver got: (delivery id, timestamp, signature, body).
type Received = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

/// A webhook receiver on `port`: answers 503 to its first `fail_first`
/// requests, then 204; keeps every request.
async fn receiver(port: u16, fail_first: usize) -> (Received, tokio::task::JoinHandle<()>) {
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let got: Received = Arc::default();
    let seen = got.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let h = |n: &str| {
                                req.headers()
                                    .get(n)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_owned()
                            };
                            let (id, ts, sig) = (
                                h("suyuan-webhook-id"),
                                h("suyuan-webhook-timestamp"),
                                h("suyuan-webhook-signature"),
                            );
                            let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
                            let n = {
                                let mut all = seen.lock().unwrap();
                                all.push((id, ts, sig, body));
                                all.len()
                            };
                            let status = if n <= fail_first { 503 } else { 204 };
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(http_body_util::Empty::<hyper::body::Bytes>::new())
                                    .unwrap(),
                            )
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    (got, task)
}

/// A free local port, with nothing listening on it.
async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

fn settings(allow_private: bool) -> WebhookSettings {
    WebhookSettings {
        allow_private,
        base_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
        ..WebhookSettings::default()
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339()
}

both_backends!(only_the_admin_sets_the_webhook, |app| async move {
    let coop = cooperative(app, "wh.coop").await.0;
    let other = company(app, "retailer", "wh.other", "store").await;
    let url = "/api/v1/alerts/webhook";
    let (status, saved) = app
        .put(
            url,
            &coop.token,
            json!({"url": "https://hooks.example.cn/suyuan"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let secret = saved["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    // Sealed: the secret is not in the database as such.
    let stored = app
        .store
        .db()
        .conn()
        .fetch_optional("SELECT secret_cipher FROM webhooks", &[])
        .await
        .unwrap()
        .unwrap()
        .text("secret_cipher")
        .unwrap();
    assert!(!stored.contains(&secret));
    // A changed URL keeps the secret (not shown again); a rotation makes a new one.
    let (_, again) = app
        .put(url, &coop.token, json!({"url": "https://hooks.example.cn/v2"}))
        .await;
    assert_eq!(again["secret"], Value::Null);
    let (_, rotated) = app
        .put(
            url,
            &coop.token,
            json!({"url": "https://hooks.example.cn/v2", "rotate_secret": true}),
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let (status, hook) = app.get(url, &coop.token).await;
    assert_eq!(status, StatusCode::OK, "{hook}");
    assert_eq!(hook["url"], "https://hooks.example.cn/v2");
    assert_eq!(hook["pending"], 0);

    // URLs refused, naming the field; nothing changed.
    for (bad, code) in [
        ("ftp://hooks.example.cn/x", "webhook_url_scheme"),
        ("javascript:alert(1)", "webhook_url_scheme"),
        ("https://user:pw@hooks.example.cn/", "webhook_url"),
        ("http://127.0.0.1:8080/hook", "webhook_url_private"),
        ("http://169.254.169.254/latest/meta-data/", "webhook_url_private"),
        ("http://10.0.0.8/", "webhook_url_private"),
        ("http://[::1]/", "webhook_url_private"),
        ("http://localhost:9000/", "webhook_url_private"),
    ] {
        let resp = app.put(url, &coop.token, json!({"url": bad})).await;
        assert_problem(&resp, 422, code, Some("url"));
    }
    assert_eq!(
        app.get(url, &coop.token).await.1["url"],
        "https://hooks.example.cn/v2"
    );
    // A server that allows private targets takes a loopback URL.
    let lan = Client::new(
        app,
        ServerConfig {
            webhook_allow_private: true,
            ..ServerConfig::default()
        },
    );
    let (status, _, body) = lan
        .send(
            "127.0.0.1",
            "PUT",
            url,
            Some(&coop.token),
            Some(json!({"url": "http://127.0.0.1:8080/hook"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Who may not: a recorder of the organisation, another organisation
    // (which has none: 404, and never sees the coop's), a pending one, the
    // operator, anonymous.
    app.create_user(&coop.token, coop.id, "wh.recorder", "recorder", None)
        .await;
    let recorder = app.login("wh.recorder", USER_PASSWORD).await;
    let body = json!({"url": "https://evil.example.cn/"});
    for token in [recorder.as_str()] {
        assert_eq!(app.put(url, token, body.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get(url, token).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&format!("{url}/deliveries"), token).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(app.get(url, &other.token).await.0, StatusCode::NOT_FOUND);
    let (_, pending) = app.pending_producer("wh.pending", "510115").await;
    let op = app.operator_token().await;
    for token in [pending.as_str(), op.as_str()] {
        assert_eq!(app.put(url, token, body.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get(url, token).await.0, StatusCode::FORBIDDEN);
    }
    let (status, _) = app.request("PUT", url, None, Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.request("GET", &format!("{url}/deliveries"), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(app, "webhooks").await, 1);

    // A suspended organisation's admin changes nothing.
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", coop.id),
            &op,
            json!({"reason": "检查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.put(url, &coop.token, body.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = app
        .raw("DELETE", url, Some(&coop.token), None, String::new())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{}/restore", coop.id),
            &op,
            json!({"reason": "整改完成"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Removed by its admin; then there is none.
    let (status, _, _) = app
        .raw("DELETE", url, Some(&coop.token), None, String::new())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(url, &coop.token).await.0, StatusCode::NOT_FOUND);
});

both_backends!(
    alerts_reach_the_webhook_signed_retried_and_once,
    |app| async move {
        let coop = cooperative(app, "whd.coop").await.0;
        let other = company(app, "retailer", "whd.other", "store").await;
        let port = free_port().await;
        let lan = Client::new(
            app,
            ServerConfig {
                webhook_allow_private: true,
                ..ServerConfig::default()
            },
        );
        let (status, _, saved) = lan
            .send(
                "127.0.0.1",
                "PUT",
                "/api/v1/alerts/webhook",
                Some(&coop.token),
                Some(json!({"url": format!("http://127.0.0.1:{port}/hooks/suyuan?src=test")})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let secret = saved["secret"].as_str().unwrap().to_owned();

        // A cold room kept at 0..4 °C goes to 7.5 °C and comes back.
        let room = cold_room(app, &coop, "冷库").await;
        let (id, token) = device(app, &coop, "cold_room", &room).await;
        let now = suyuan_store::now_ms();
        let min = 60_000;
        let points: Vec<(String, f64)> = [(40, 2.0), (30, 7.5), (20, 3.0)]
            .iter()
            .map(|(ago, v)| (rfc3339(now - ago * min), *v))
            .collect();
        let body = json!({"readings": points.iter().map(|(t, v)| json!({"time": t, "quantity": "temperature", "value": v, "unit": "Cel"})).collect::<Vec<_>>()});
        let (status, done) = send(app, &id, &token, "application/json", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{done}");
        let report = app.store.check_devices(now, &HashMap::new(), None).await.unwrap();
        assert_eq!(report.excursions, 1, "{report:?}");
        // Raised and ended: two notifications, queued once however often
        // the check runs.
        app.store.check_devices(now, &HashMap::new(), None).await.unwrap();
        assert_eq!(count(app, "webhook_deliveries").await, 2);

        // The receiver is down: both attempts fail, are recorded, and wait.
        let round = deliver_round(&app.store, &settings(true)).await.unwrap();
        assert_eq!(
            round,
            Round {
                delivered: 0,
                failed: 2
            }
        );
        let (_, hook) = app.get("/api/v1/alerts/webhook", &coop.token).await;
        assert_eq!(hook["pending"], 2);
        // Not due again before the back-off.
        let round = deliver_round(&app.store, &settings(true)).await.unwrap();
        assert_eq!(round, Round::default());

        // Up, answering 503 once, then taking them.
        let (got, server) = receiver(port, 1).await;
        let mut delivered = 0;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            delivered += deliver_round(&app.store, &settings(true))
                .await
                .unwrap()
                .delivered;
            if delivered == 2 {
                break;
            }
        }
        assert_eq!(delivered, 2);
        // Nothing more to send, however many rounds run.
        for _ in 0..3 {
            assert_eq!(
                deliver_round(&app.store, &settings(true)).await.unwrap(),
                Round::default()
            );
        }
        let got = got.lock().unwrap().clone();
        server.abort();
        assert_eq!(got.len(), 3, "one 503, two taken");
        // Every request signed over its timestamp and body; the retried one
        // carries the same id; each id taken once.
        let mut taken: HashMap<String, Value> = HashMap::new();
        for (i, (id, ts, sig, body)) in got.iter().enumerate() {
            assert!(
                suyuan_core::webhooks::verify(&secret, ts, sig, body, suyuan_store::now_ms() / 1000),
                "request {i}: {sig}"
            );
            assert!(!suyuan_core::webhooks::verify(
                "whsec_other",
                ts,
                sig,
                body,
                suyuan_store::now_ms() / 1000
            ));
            let v: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(v["id"], id.as_str());
            if i > 0 {
                assert!(taken.insert(id.clone(), v).is_none(), "{id} taken twice");
            }
        }
        assert!(taken.contains_key(&got[0].0), "the refused one was sent again");
        let mut events: Vec<&str> = taken.values().map(|v| v["event"].as_str().unwrap()).collect();
        events.sort();
        assert_eq!(events, ["alert.ended", "alert.raised"]);
        let raised = taken.values().find(|v| v["event"] == "alert.raised").unwrap();
        assert_eq!(raised["alert"]["kind"], "excursion");
        assert_eq!(raised["alert"]["device_id"], id.as_str());
        assert_eq!(raised["alert"]["extreme"], 7.5);
        assert_eq!(raised["alert"]["minutes"], 10);
        assert_eq!(raised["organisation"], coop.id.to_string());

        // The deliveries and their attempts, for the admin.
        let listed = app.list("/api/v1/alerts/webhook/deliveries", &coop.token).await;
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|d| d["status"] == "delivered"), "{listed:?}");
        let first = &got[0].0;
        let (status, detail) = app
            .get(&format!("/api/v1/alerts/webhook/deliveries/{first}"), &coop.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let attempts = detail["attempt_log"].as_array().unwrap();
        assert_eq!(attempts.len(), 3, "{detail}");
        assert_eq!(attempts[0]["http_status"], Value::Null);
        assert!(attempts[0]["error"].as_str().unwrap().contains("cannot connect"));
        assert_eq!(attempts[1]["http_status"], 503);
        assert_eq!(attempts[2]["http_status"], 204);
        assert_eq!(detail["attempts"], 3);
        assert_eq!(detail["payload"]["id"], first.as_str());
        // Another organisation: not found.
        let (status, _) = app
            .get(
                &format!("/api/v1/alerts/webhook/deliveries/{first}"),
                &other.token,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(app
            .list("/api/v1/alerts/webhook/deliveries", &other.token)
            .await
            .is_empty());

        // A silent device is notified too; a sender that does not allow
        // private targets refuses to post to the loopback URL, and records why.
        let later = now + 3 * 3_600_000;
        app.store
            .check_devices(later, &HashMap::new(), Some(later))
            .await
            .unwrap();
        assert_eq!(count(app, "webhook_deliveries").await, 3);
        let round = deliver_round(&app.store, &settings(false)).await.unwrap();
        assert_eq!(round.failed, 1);
        let listed = app.list("/api/v1/alerts/webhook/deliveries", &coop.token).await;
        let silent = listed.iter().find(|d| d["status"] == "pending").unwrap();
        assert_eq!(silent["event"], "alert.raised");
        assert!(
            silent["last_error"].as_str().unwrap().contains("private"),
            "{silent}"
        );
        // Removing the webhook cancels what is pending.
        let (status, _, _) = app
            .raw(
                "DELETE",
                "/api/v1/alerts/webhook",
                Some(&coop.token),
                None,
                String::new(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let cancelled = app
            .store
            .db()
            .conn()
            .fetch_optional(
                "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'cancelled'",
                &[],
            )
            .await
            .unwrap()
            .unwrap()
            .int("n")
            .unwrap();
        assert_eq!(cancelled, 1);
        crate::tlog::verify_ok(app).await;
    }
);

both_backends!(the_admin_manages_the_webhook_in_the_console, |app| async move {
    let coop = cooperative(app, "whc.coop").await.0;
    let admin = crate::console::sign_in(app, "whc.coop", ADMIN_PASSWORD).await;
    let (status, _, html) = admin.get(app, "/console/devices?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Alert webhook") && html.contains("Not set"),
        "{html}"
    );
    // Set: the page shows the secret this once.
    let (status, _, html) = admin
        .post(
            app,
            "/console/devices/webhook",
            &[("url", "https://hooks.example.cn/console")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("whsec_") && html.contains("只显示这一次"), "{html}");
    let (_, _, html) = admin.get(app, "/console/devices").await;
    assert!(
        html.contains("https://hooks.example.cn/console") && !html.contains("whsec_"),
        "{html}"
    );
    // A refused URL names the rule.
    let (status, _, html) = admin
        .post(
            app,
            "/console/devices/webhook",
            &[("url", "ftp://hooks.example.cn/")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("http://"), "{html}");
    // A recorder does not see it, nor may post it.
    app.create_user(&coop.token, coop.id, "whc.recorder", "recorder", None)
        .await;
    let recorder = crate::console::sign_in(app, "whc.recorder", USER_PASSWORD).await;
    let (_, _, html) = recorder.get(app, "/console/devices").await;
    assert!(!html.contains("告警推送"), "{html}");
    let (status, _, _) = recorder
        .post(
            app,
            "/console/devices/webhook",
            &[("url", "https://evil.example.cn/")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Removed by the admin.
    let (status, _, _) = admin.post(app, "/console/devices/webhook/delete", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(count(app, "webhooks").await, 0);
});
