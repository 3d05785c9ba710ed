//! Scans of a code: HEAD does not count, a client counts once a day (an
//! IPv6 network as one client), what is kept of it is a pseudonym, past
//! days are deleted, and one client cannot raise the copied-label warning.

use std::net::IpAddr;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use suyuan_server::client::ClientAddr;

use super::*;

/// The public JSON of `path` as the client at `addr` asks for it, by
/// `method`; answers the status and the `scans` object.
async fn scan(app: &TestApp, method: Method, path: &str, addr: &str) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(ClientAddr(addr.parse::<IpAddr>().unwrap()));
    let (status, _, body) = app.send(req).await;
    (status, body["scans"].clone())
}

async fn scans_seen_by(app: &TestApp, path: &str, addr: &str) -> i64 {
    let (status, scans) = scan(app, Method::GET, path, addr).await;
    assert_eq!(status, StatusCode::OK, "{scans}");
    scans["count"].as_i64().unwrap()
}

both_backends!(
    scans_count_each_client_once_a_day_and_head_not_at_all,
    |app| async move {
        let (path, _) = crate::public_page::harvested_lot(app, "edge.scans").await;
        for _ in 0..3 {
            let (status, _) = scan(app, Method::HEAD, &path, "203.0.113.7").await;
            assert_eq!(status, StatusCode::OK);
        }
        assert_eq!(scans_seen_by(app, &path, "203.0.113.7").await, 1, "HEAD counted");
        for _ in 0..5 {
            assert_eq!(scans_seen_by(app, &path, "203.0.113.7").await, 1);
        }
        assert_eq!(scans_seen_by(app, &path, "198.51.100.1").await, 2);
        assert_eq!(scans_seen_by(app, &path, "198.51.100.1").await, 2);
        // The same IPv4 client written IPv4-mapped; one IPv6 network (/64) is one
        // client whatever host address it takes, another network another client.
        assert_eq!(scans_seen_by(app, &path, "::ffff:203.0.113.7").await, 2);
        assert_eq!(scans_seen_by(app, &path, "2001:db8:1:2::1").await, 3);
        assert_eq!(scans_seen_by(app, &path, "2001:db8:1:2:abcd::99").await, 3);
        assert_eq!(scans_seen_by(app, &path, "2001:db8:1:3::1").await, 4);

        // What is kept of a client is a pseudonym, not its address.
        let rows = app
            .store
            .db()
            .conn()
            .fetch_all("SELECT unit_key, client_key, day FROM scan_clients", &[])
            .await
            .unwrap();
        assert_eq!(rows.len(), 4);
        let today = chrono::Utc::now().timestamp_millis().div_euclid(86_400_000);
        for r in &rows {
            let key = r.text("client_key").unwrap();
            assert_eq!(key.len(), 32, "{key}");
            assert!(!key.contains("203") && !key.contains("2001"), "{key}");
            assert_eq!(r.int("day").unwrap(), today);
        }

        // Past days' rows are deleted, today's kept.
        let unit = rows[0].text("unit_key").unwrap();
        app.store
            .db()
            .conn()
            .execute(
                "INSERT INTO scan_clients (unit_key, client_key, day) VALUES ($1, $2, $3)",
                &[unit.into(), "0".repeat(32).into(), (today - 2).into()],
            )
            .await
            .unwrap();
        assert_eq!(app.store.purge_scan_clients(today).await.unwrap(), 1);
        let left = app
            .store
            .db()
            .conn()
            .fetch_all("SELECT day FROM scan_clients", &[])
            .await
            .unwrap();
        assert_eq!(left.len(), 4);
    }
);

both_backends!(
    one_client_cannot_raise_the_copied_label_warning,
    |app| async move {
        let (path, _) = crate::public_page::harvested_lot(app, "edge.copied").await;
        // Far more requests than the threshold (50), from one client.
        for _ in 0..60 {
            let (status, scans) = scan(app, Method::GET, &path, "192.0.2.10").await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(scans["count"], 1, "{scans}");
            assert_eq!(scans["suspicious"], false, "{scans}");
        }
        let mut req = Request::builder()
            .uri(&path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ClientAddr("192.0.2.10".parse().unwrap()));
        let (_, _, html) = app.send(req).await;
        let html = html.as_str().unwrap();
        assert!(!html.contains("可能被复制"), "{html}");
        // Many clients do raise it.
        for i in 2..=50 {
            let (_, scans) = scan(app, Method::GET, &path, &format!("192.0.2.{}", 100 + i)).await;
            assert_eq!(scans["count"], i, "{scans}");
            assert_eq!(scans["suspicious"], false, "{scans}");
        }
        let (_, scans) = scan(app, Method::GET, &path, "192.0.2.99").await;
        assert_eq!(scans["count"], 51, "{scans}");
        assert_eq!(scans["suspicious"], true, "{scans}");
    }
);
