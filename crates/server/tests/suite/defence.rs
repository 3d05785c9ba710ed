//! Intrusion defence: rate limits answered 429
//! with `Retry-After`; credential stuffing, path scanning, injection probes
//! and malformed floods detected, recorded and blocked; the block list shown
//! to the operator and lifted by it alone (API and console). Low thresholds
//! are set in each test's `ServerConfig`.

#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_server::defence::{DefenceConfig, Rate};
use suyuan_server::ServerConfig;

use crate::audit::{audit, Client};
use crate::common::*;

fn config(defence: DefenceConfig) -> ServerConfig {
    ServerConfig {
        defence,
        ..ServerConfig::default()
    }
}

fn retry_after(h: &axum::http::HeaderMap) -> u64 {
    h.get("retry-after").unwrap().to_str().unwrap().parse().unwrap()
}

both_backends!(
    floods_of_sign_ins_and_public_pages_are_answered_429,
    |app| async move {
        let (_, admin) = app.producer("flood2.admin", "510115").await;
        let c = Client::new(
            app,
            config(DefenceConfig {
                sign_in: Rate::new(3, 60),
                public_pages: Rate::new(5, 60),
                capture: Rate::new(4, 60),
                capture_per_account: Rate::new(6, 60),
                ..DefenceConfig::default()
            }),
        );
        for _ in 0..3 {
            let (status, _) = c.login("10.4.0.1", "flood2.admin", ADMIN_PASSWORD).await;
            assert_eq!(status, StatusCode::OK);
        }
        let body = json!({"username": "flood2.admin", "password": ADMIN_PASSWORD});
        let (status, h, v) = c
            .send("10.4.0.1", "POST", "/api/v1/auth/login", None, Some(body))
            .await;
        assert_eq!(
            (status, v["code"].clone()),
            (StatusCode::TOO_MANY_REQUESTS, json!("rate_limited"))
        );
        assert!((1..=60).contains(&retry_after(&h)));
        assert_eq!(h["content-type"], "application/problem+json");
        let (status, _) = c.login("10.4.0.2", "flood2.admin", ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "another address is not limited");

        let page = format!("/01/{}/10/L1", gtin13());
        for _ in 0..5 {
            let (status, _, _) = c.send("10.4.0.3", "GET", &page, None, None).await;
            assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
        }
        let (status, h, v) = c.send("10.4.0.3", "GET", &page, None, None).await;
        assert_eq!(
            (status, v["code"].clone()),
            (StatusCode::TOO_MANY_REQUESTS, json!("rate_limited"))
        );
        assert!(retry_after(&h) >= 1);

        // Capture: per address, and per account across addresses.
        let product = |i: usize| json!({"gtin": gtin13(), "name": format!("限流产品{i}"), "category": "vegetable", "unit": "袋"});
        let mut codes = Vec::new();
        for i in 0..5 {
            let (status, _, _) = c
                .send(
                    "10.4.0.4",
                    "POST",
                    "/api/v1/products",
                    Some(&admin),
                    Some(product(i)),
                )
                .await;
            codes.push(status.as_u16());
        }
        assert_eq!(codes[4], 429, "{codes:?}");
        let mut codes = Vec::new();
        for i in 0..3 {
            let ip = format!("10.4.1.{i}");
            let (status, _, _) = c
                .send(
                    &ip,
                    "POST",
                    "/api/v1/products",
                    Some(&admin),
                    Some(product(10 + i)),
                )
                .await;
            codes.push(status.as_u16());
        }
        assert_eq!(codes.last(), Some(&429), "per account: {codes:?}");

        let op = app.operator_token().await;
        let limited = audit(&c, &op, "&outcome=rate_limited").await;
        assert!(limited
            .iter()
            .any(|e| e["client"] == "10.4.0.1" && e["action"] == "sign_in"));
        assert!(limited.iter().any(|e| e["client"] == "10.4.0.3"));
    }
);

async fn blocked(c: &Client, ip: &str) -> bool {
    let (status, _, v) = c.send(ip, "GET", "/healthz", None, None).await;
    if status == StatusCode::FORBIDDEN {
        assert_eq!(v["code"], "client_blocked");
        true
    } else {
        false
    }
}

both_backends!(
    attacks_are_detected_blocked_listed_and_lifted_by_the_operator,
    |app| async move {
        let (org, admin) = app.producer("atk.admin", "510115").await;
        app.create_user(&admin, org, "atk.viewer", "viewer", None).await;
        let viewer = app.login("atk.viewer", USER_PASSWORD).await;
        let op = app.operator_token().await;
        let c = Client::new(
            app,
            config(DefenceConfig {
                credential_stuffing: Rate::new(3, 600),
                path_scanning: Rate::new(5, 60),
                injection_probes: Rate::new(1, 600),
                malformed_flood: Rate::new(3, 60),
                block_secs: 600,
                ..DefenceConfig::default()
            }),
        );
        // Credential stuffing: three accounts failing from one address.
        for (i, user) in ["atk.admin", "atk.viewer", "atk.nobody"].iter().enumerate() {
            assert!(!blocked(&c, "10.3.0.1").await, "not before the {i}th");
            let (status, _) = c.login("10.3.0.1", user, "Wrong-Pass-1").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        assert!(blocked(&c, "10.3.0.1").await);
        // Even with the right password, on any route.
        let (status, v) = c.login("10.3.0.1", "atk.admin", ADMIN_PASSWORD).await;
        assert_eq!(
            (status, v["code"].clone()),
            (StatusCode::FORBIDDEN, json!("client_blocked"))
        );
        // Path scanning: five 404s.
        for p in ["/wp-admin", "/.env", "/admin", "/backup.zip", "/phpmyadmin"] {
            c.send("10.3.0.2", "GET", p, None, None).await;
        }
        assert!(blocked(&c, "10.3.0.2").await);
        // An injection probe.
        let (status, _, _) = c
            .send(
                "10.3.0.3",
                "GET",
                "/api/v1/products?name=x%27%20UNION%20SELECT%20password",
                Some(&viewer),
                None,
            )
            .await;
        assert_ne!(status, StatusCode::OK);
        assert!(blocked(&c, "10.3.0.3").await);
        // A malformed flood.
        for _ in 0..3 {
            c.send(
                "10.3.0.4",
                "POST",
                "/api/v1/places",
                Some(&viewer),
                Some(json!([1])),
            )
            .await;
        }
        assert!(blocked(&c, "10.3.0.4").await);
        // Ordinary traffic is not blocked.
        assert!(!blocked(&c, "10.3.0.9").await);

        // Listed for the operator, with the detections in the audit trail.
        let (status, _, list) = c
            .send("10.99.0.1", "GET", "/api/v1/security/blocks", Some(&op), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let list = list.as_array().unwrap().clone();
        let reason = |ip: &str| -> Value {
            list.iter()
                .find(|b| b["client"] == ip)
                .map(|b| b["reason"].clone())
                .unwrap_or(Value::Null)
        };
        assert_eq!(reason("10.3.0.1"), "credential_stuffing");
        assert_eq!(reason("10.3.0.2"), "path_scanning");
        assert_eq!(reason("10.3.0.3"), "injection_probe");
        assert_eq!(reason("10.3.0.4"), "malformed_flood");
        assert!(list.iter().all(|b| b["active"] == true));
        let trail = audit(&c, &op, "&outcome=blocked").await;
        for kind in [
            "credential_stuffing",
            "path_scanning",
            "injection_probe",
            "malformed_flood",
        ] {
            assert!(
                trail.iter().any(|e| e["action"] == format!("detect.{kind}")),
                "{kind} not in the audit trail"
            );
        }
        assert!(trail.iter().any(|e| e["code"] == "client_blocked"));

        // Nobody but the operator reads or lifts blocks.
        let id = list.iter().find(|b| b["client"] == "10.3.0.2").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/api/v1/security/blocks/{id}");
        for t in [&admin, &viewer] {
            let (status, _, v) = c
                .send("10.99.0.2", "GET", "/api/v1/security/blocks", Some(t), None)
                .await;
            assert_eq!(
                (status, v["code"].clone()),
                (StatusCode::FORBIDDEN, json!("operator_only"))
            );
            let (status, _, _) = c.send("10.99.0.2", "DELETE", &path, Some(t), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        assert!(blocked(&c, "10.3.0.2").await);
        let (status, _, _) = c.send("10.99.0.1", "DELETE", &path, Some(&op), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(!blocked(&c, "10.3.0.2").await, "served again at once");
        let (status, _, _) = c.send("10.99.0.1", "DELETE", &path, Some(&op), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Another server on the same database enforces the list too.
        let other = Client::new(app, ServerConfig::default());
        assert!(blocked(&other, "10.3.0.1").await);
        assert!(!blocked(&other, "10.3.0.2").await);

        // The console: the operator's page lists the blocks and lifts one with
        // its CSRF token; a forged form and other users are refused.
        let cookie = format!("cookie:{op}");
        let (status, _, page) = c
            .send("10.99.0.1", "GET", "/console/security", Some(&cookie), None)
            .await;
        let page = page.as_str().unwrap().to_owned();
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("10.3.0.1") && page.contains("撞库") && page.contains("注入探测"));
        assert!(page.contains("detect.path_scanning"));
        let id1 = list.iter().find(|b| b["client"] == "10.3.0.1").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let action = format!("/console/security/blocks/{id1}/unblock");
        assert!(page.contains(&action));
        let csrf = suyuan_server::csrf::token_for(&op);
        let router = c.router.clone();
        let post = |token: String, csrf: String| {
            let (action, router) = (action.clone(), router.clone());
            async move {
                let req = axum::http::Request::builder()
                    .method("POST")
                    .uri(&action)
                    .header("cookie", format!("suyuan_session={token}"))
                    .header("origin", "http://127.0.0.1:8080")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(format!("csrf={csrf}")))
                    .unwrap();
                let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
                resp.status()
            }
        };
        assert_eq!(post(op.clone(), "forged".into()).await, StatusCode::FORBIDDEN);
        assert_eq!(
            post(admin.clone(), suyuan_server::csrf::token_for(&admin)).await,
            StatusCode::FORBIDDEN
        );
        assert!(blocked(&c, "10.3.0.1").await);
        assert_eq!(post(op.clone(), csrf).await, StatusCode::SEE_OTHER);
        assert!(!blocked(&c, "10.3.0.1").await);
    }
);
