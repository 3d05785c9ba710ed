//! `GET /metrics`: the exposition parses
//! strictly (HELP and TYPE before samples, histograms cumulative up to
//! `+Inf` = `_count`), requests are counted by route template and never by
//! raw path, the store's gauges tell the truth, only loopback or the token
//! holder may scrape, and every metric the alert rules and the dashboard in
//! `deploy/` use exists in a real scrape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::json;
use suyuan_ledger::cosignature::CosignerKey;
use suyuan_server::client::ClientAddr;
use suyuan_server::ServerConfig;
use tower::ServiceExt;

use crate::common::*;

const TOKEN: &str = "metrics-token-for-tests-0123";

/// A parsed sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// An application of its own (a fresh registry) with a metrics token and
/// complaints refused at once (limit 0).
fn metered(app: &TestApp) -> Router {
    suyuan_server::app_with(
        app.store.clone(),
        ServerConfig {
            metrics_token: Some(TOKEN.into()),
            complaint_limit: (0, 600),
            ..ServerConfig::default()
        },
    )
}

/// Sends `req` from `addr`; answers status, headers and body text.
async fn send_from(
    router: &Router,
    addr: &str,
    mut req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    req.extensions_mut()
        .insert(ClientAddr(addr.parse::<IpAddr>().unwrap()));
    let resp = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

/// Scrapes from loopback, expecting success; answers the text.
async fn scrape(router: &Router) -> String {
    let (status, headers, text) = send_from(router, "127.0.0.1", get("/metrics")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    text
}

// ----- a strict reader of the text format -----

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label in {text}"));
        assert!(valid_name(key), "label name {key:?} in {text}");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars
                .next()
                .unwrap_or_else(|| panic!("unterminated label in {text}"));
            match c {
                '"' => break i,
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('n') => value.push('\n'),
                    other => panic!("bad escape {other:?} in {text}"),
                },
                c => value.push(c),
            }
        };
        assert!(
            labels.insert(key.to_owned(), value).is_none(),
            "repeated label in {text}"
        );
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    labels
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(text: &str) -> f64 {
    match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        t => t.parse().unwrap_or_else(|_| panic!("value {t:?}")),
    }
}

/// Parses a whole scrape strictly; answers the families' types and every
/// sample.
fn parse(text: &str) -> (BTreeMap<String, String>, Vec<Sample>) {
    assert!(text.ends_with('\n'), "a scrape ends with a newline");
    let mut types = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut current: Option<(String, String)> = None;
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(valid_name(name), "{line}");
            assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
            assert!(!types.contains_key(name), "HELP after TYPE: {line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(helped.contains(name), "TYPE without HELP first: {line}");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
            current = Some((name.to_owned(), kind.to_owned()));
        } else {
            assert!(!line.starts_with('#') && !line.is_empty(), "stray line {line:?}");
            let (head, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match head.split_once('{') {
                Some((n, l)) => (n, parse_labels(l.strip_suffix('}').expect("closing brace"))),
                None => (head, BTreeMap::new()),
            };
            let (family, kind) = current
                .clone()
                .unwrap_or_else(|| panic!("sample before TYPE: {line}"));
            let belongs = if kind == "histogram" {
                [
                    format!("{family}_bucket"),
                    format!("{family}_sum"),
                    format!("{family}_count"),
                ]
                .contains(&name.to_owned())
            } else {
                name == family
            };
            assert!(belongs, "sample {name} outside its family {family}");
            if kind == "counter" {
                assert!(name.ends_with("_total"), "counter {name} ends with _total");
            }
            samples.push((name.to_owned(), labels, parse_value(value)));
        }
    }
    check_histograms(&types, &samples);
    (types, samples)
}

/// Every histogram's buckets are cumulative and end at `+Inf` = `_count`.
fn check_histograms(types: &BTreeMap<String, String>, samples: &[Sample]) {
    for (family, _) in types.iter().filter(|(_, k)| *k == "histogram") {
        let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        for (_, labels, v) in samples.iter().filter(|s| s.0 == format!("{family}_bucket")) {
            let mut key = labels.clone();
            let le = parse_value(&key.remove("le").expect("le label"));
            series.entry(key).or_default().push((le, *v));
        }
        for (key, buckets) in &series {
            assert!(
                buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
                "{family} {key:?}: {buckets:?}"
            );
            let (le, last) = *buckets.last().unwrap();
            assert_eq!(le, f64::INFINITY, "{family} {key:?} ends with +Inf");
            let count = samples
                .iter()
                .find(|s| s.0 == format!("{family}_count") && &s.1 == key)
                .map(|s| s.2);
            assert_eq!(count, Some(last), "{family} {key:?}: +Inf bucket = _count");
        }
    }
}

/// The value of the sample `name` with exactly these `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples.iter().find(|s| s.0 == name && s.1 == want).map(|s| s.2)
}

both_backends!(
    metrics_count_route_templates_and_parse_strictly,
    |app| async move {
        let router = metered(app);
        let gtin = "09521234123457";
        for lot in ["LOT-A", "LOT-B", "LOT-C"] {
            send_from(&router, "203.0.113.9", get(&format!("/01/{gtin}/10/{lot}"))).await;
        }
        send_from(&router, "203.0.113.9", get("/no/such/page/xyz")).await;
        // A complaint refused by its rate limit (limit 0 here).
        let complaint = Request::post("/api/v1/complaints")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"code": format!("(01){gtin}(10)LOT-A"), "category": "quality", "description": "菜叶发黄，有异味"}).to_string(),
        ))
        .unwrap();
        let (status, _, body) = send_from(&router, "203.0.113.9", complaint).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        // A capture job, refused (its one event is not a valid event).
        let (_, token) = app.producer("metrics.producer", "510115").await;
        let doc = json!({"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-20T10:00:00+08:00",
        "epcisBody": {"eventList": [{"type": "ObjectEvent"}]}});
        let capture = Request::post("/epcis/capture")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(doc.to_string()))
            .unwrap();
        let (status, _, job) = send_from(&router, "203.0.113.9", capture).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        // The log's checks: a witness, a checkpoint, an integrity check.
        let witness = CosignerKey::generate("w.metrics.test", &mut rand::rngs::OsRng).unwrap();
        app.store
            .configure_witnesses(&[(witness.verifier(), "http://127.0.0.1:9".into())], 1)
            .await
            .unwrap();
        let cp = app.store.checkpoint().await.unwrap();
        let check = app.store.check_integrity().await.unwrap();
        assert!(check.ok);

        let text = scrape(&router).await;
        let (types, samples) = parse(&text);
        assert_eq!(types["suyuan_http_requests_total"], "counter");
        assert_eq!(types["suyuan_http_request_duration_seconds"], "histogram");
        let lot_route = "/01/{gtin}/10/{lot}";
        let counted: f64 = samples
            .iter()
            .filter(|s| s.0 == "suyuan_http_requests_total" && s.1["route"] == lot_route)
            .map(|s| s.2)
            .sum();
        assert_eq!(counted, 3.0, "{text}");
        assert!(
            !text.contains("LOT-A") && !text.contains(gtin),
            "raw paths leaked:\n{text}"
        );
        assert!(!text.contains("/no/such/page"), "{text}");
        let other: f64 = samples
            .iter()
            .filter(|s| s.0 == "suyuan_http_requests_total" && s.1["route"] == "other")
            .map(|s| s.2)
            .sum();
        assert!(other >= 1.0, "{text}");
        let lot_count = value(
            &samples,
            "suyuan_http_request_duration_seconds_count",
            &[("route", lot_route)],
        );
        assert_eq!(lot_count, Some(3.0), "{text}");
        assert_eq!(
            value(&samples, "suyuan_rate_limited_total", &[("scope", "complaint")]),
            Some(1.0)
        );
        assert_eq!(
            value(&samples, "suyuan_captures_total", &[("outcome", "refused")]),
            Some(1.0),
            "{text}"
        );
        assert_eq!(value(&samples, "suyuan_events_captured_total", &[]), Some(0.0));
        assert_eq!(
            value(
                &samples,
                "suyuan_http_requests_total",
                &[("route", "/epcis/capture"), ("method", "POST"), ("status", "202")]
            ),
            Some(1.0),
            "{text}"
        );
        // Gauges read from the store.
        assert_eq!(value(&samples, "suyuan_database_up", &[]), Some(1.0));
        assert_eq!(
            value(&samples, "suyuan_tlog_checkpoint_size", &[]),
            Some(cp.size as f64)
        );
        assert!(value(&samples, "suyuan_tlog_size", &[]).unwrap() >= cp.size as f64);
        let age = value(&samples, "suyuan_tlog_checkpoint_age_seconds", &[]).unwrap();
        assert!((0.0..120.0).contains(&age), "{age}");
        assert_eq!(
            value(&samples, "suyuan_witness_lag", &[("witness", "w.metrics.test")]),
            Some(cp.size as f64),
            "{text}"
        );
        assert_eq!(
            value(&samples, "suyuan_integrity_check_last_success", &[]),
            Some(1.0)
        );
        let checked = value(&samples, "suyuan_integrity_check_last_timestamp_seconds", &[]).unwrap();
        assert!(
            (checked - check.started_at.timestamp() as f64).abs() < 2.0,
            "{checked}"
        );
        assert!(types.contains_key("suyuan_backup_last_drill_success"));
        assert!(value(&samples, "suyuan_db_pool_max_connections", &[]).unwrap() >= 1.0);
        assert!(value(&samples, "suyuan_db_pool_connections", &[("state", "busy")]).is_some());
        assert!(value(&samples, "suyuan_process_resident_memory_bytes", &[]).unwrap() > 1e6);
        assert!(value(&samples, "suyuan_process_open_fds", &[]).unwrap() >= 3.0);
        // The scrape itself was counted, under its own route.
        let again = parse(&scrape(&router).await).1;
        assert_eq!(
            value(
                &again,
                "suyuan_http_requests_total",
                &[("route", "/metrics"), ("method", "GET"), ("status", "200")]
            ),
            Some(1.0)
        );
    }
);

both_backends!(metrics_only_for_loopback_or_the_token, |app| async move {
    let bearer = |t: &str| {
        Request::get("/metrics")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    // No token configured: only loopback, and others see a 404 like any
    // unknown page, even with a token.
    let plain = suyuan_server::app(app.store.clone());
    for addr in ["127.0.0.1", "::1"] {
        assert_eq!(send_from(&plain, addr, get("/metrics")).await.0, StatusCode::OK);
    }
    for req in [get("/metrics"), bearer(TOKEN)] {
        let (status, headers, body) = send_from(&plain, "198.51.100.7", req).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert!(!body.contains("suyuan_"), "{body}");
    }
    // Without any client address (no socket, no extension): refused.
    let resp = plain.clone().oneshot(get("/metrics")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // A token configured: others need it, exactly.
    let router = metered(app);
    for req in [
        get("/metrics"),
        bearer("wrong-token-wrong-token-0123"),
        bearer(&TOKEN[..TOKEN.len() - 1]),
        Request::get("/metrics")
            .header(header::AUTHORIZATION, format!("Basic {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    ] {
        let (status, headers, body) = send_from(&router, "198.51.100.7", req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["code"], "metrics_token_required", "{body}");
        assert_eq!(problem["field"], "Authorization", "{body}");
        assert!(!body.contains("suyuan_http"), "{body}");
    }
    let (status, _, body) = send_from(&router, "198.51.100.7", bearer(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    parse(&body);
    assert!(
        body.contains("suyuan_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"401\"} 4"),
        "{body}"
    );
    // Loopback needs no token.
    assert_eq!(
        send_from(&router, "127.0.0.1", get("/metrics")).await.0,
        StatusCode::OK
    );
});

both_backends!(metrics_over_a_real_loopback_socket, |app| async move {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(suyuan_server::serve(listener, metered(app), async {
        let _ = stopped.await;
    }));
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("# TYPE suyuan_http_requests_total counter"),
        "{answer}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
});

/// The `suyuan_…` metric names a file mentions (histogram series reduced
/// to their family).
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("suyuan_") {
        let before_ok = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        let tail = &rest[at..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        if before_ok && len > "suyuan_".len() && !tail[..len].ends_with('_') {
            let name = &tail[..len];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name);
            names.insert(family.to_owned());
        }
        rest = &tail[len.max(1)..];
    }
    names
}

both_backends!(metrics_used_in_deploy_files_exist, |app| async move {
    let router = metered(app);
    let (types, _) = parse(&scrape(&router).await);
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let mut checked = 0;
    for file in ["prometheus/suyuan-alerts.yml", "grafana/suyuan.json"] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        if file.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(&text).expect("the dashboard is JSON");
        }
        let names = names_in(&text);
        assert!(names.len() >= 8, "{file} uses {names:?}");
        for name in &names {
            assert!(
                types.contains_key(name),
                "{file} uses {name}, which /metrics does not serve"
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
    // promtool, when installed, checks the rules too.
    let rules = deploy.join("prometheus/suyuan-alerts.yml");
    if let Ok(out) = std::process::Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&rules)
        .output()
    {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
});
