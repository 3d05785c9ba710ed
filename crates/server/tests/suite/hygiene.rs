//! Values that name nothing, show nothing, disguise themselves or cost too
//! much are refused end to end: all-zero GTINs and GLNs, names made only of
//! invisible characters, control and bidirectional characters in captured
//! `agri:*` fields, and a captured field of ten million characters. Each
//! refusal names the field (the event index too, for captures), and nothing
//! is stored.
//!
//! Captures here are a verified producer's plain observations at a place of
//! its own, which the authority rules allow whatever else they check.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

const AGRI_NS: &str = "https://suyuan.dev/ns/agri/";

fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"agri": AGRI_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-20T10:00:00+08:00",
        "epcisBody": {"eventList": events}
    })
}

/// A plain observation at `place` (no unit named) with the `extra` fields.
fn observation(place: &str, minute: u32, extra: Value) -> Value {
    let mut e = json!({
        "type": "ObjectEvent",
        "eventTime": format!("2026-03-10T08:{minute:02}:00+08:00"),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "epcList": [],
        "bizStep": "inspecting",
        "readPoint": {"id": place},
        "bizLocation": {"id": place},
    });
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// `POST /epcis/capture` of `body` (sent as is); answers the job.
async fn capture(app: &TestApp, token: &str, body: String, behaviour: Option<&str>) -> Value {
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri("/epcis/capture")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = behaviour {
        req = req.header("GS1-Capture-Error-Behaviour", b);
    }
    let (status, _, job) = app.send(req.body(axum::body::Body::from(body)).unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    job
}

/// Asserts the job was refused, naming exactly these (event index, field,
/// code) and nothing else, each with both messages.
#[track_caller]
fn assert_refused(job: &Value, expected: &[(usize, &str, &str)]) {
    assert_eq!(job["success"], false, "{job:#}");
    let errors = job["errors"].as_array().expect("errors");
    let got: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|e| {
            assert!(
                e["detail"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && s.len() < 1000),
                "{e}"
            );
            assert!(
                e["detail_zh"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && s.len() < 1000),
                "{e}"
            );
            (
                e["event_index"].as_u64().expect("event_index"),
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(u64, &str, &str)> = expected.iter().map(|&(i, f, c)| (i as u64, f, c)).collect();
    assert_eq!(got, want, "{job:#}");
}

/// The events the caller's query sees.
async fn stored_events(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, doc) = app.get("/epcis/events?perPage=1000", token).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .expect("eventList")
        .clone()
}

async fn verified_producer(app: &TestApp, username: &str) -> String {
    let (_, token) = app.producer(username, "510115").await;
    token
}

both_backends!(a_ten_million_character_field_is_refused, |app| async move {
    let token = verified_producer(app, "hygiene.long").await;
    let place = app.create_place(&token, base("红光基地")).await;
    let at = format!("urn:suyuan:place:{}", place["id"].as_str().unwrap());
    // The same observation with a short note is accepted: the refusal below
    // is about the note's length alone.
    let ok = capture(
        app,
        &token,
        document(vec![observation(&at, 0, json!({"agri:note": "晴"}))]).to_string(),
        None,
    )
    .await;
    assert_eq!(ok["success"], true, "{ok:#}");
    assert_eq!(stored_events(app, &token).await.len(), 1);

    let huge = "注".repeat(10_000_000);
    let body = document(vec![observation(&at, 1, json!({"agri:note": huge}))]).to_string();
    assert!(body.len() > 30_000_000);
    let started = std::time::Instant::now();
    let job = capture(app, &token, body, None).await;
    let took = started.elapsed();
    assert_refused(
        &job,
        &[(0, "agri:note", "value_too_long"), (0, "", "event_too_large")],
    );
    let detail = job["errors"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("10000000 characters") && detail.contains("4096"),
        "{detail}"
    );
    // Refused before any expensive work (generous bound for debug builds).
    assert!(took.as_secs() < 20, "refusing took {took:?}");

    // Just within the bound is accepted; one character more is not.
    let at_limit = "注".repeat(4_096);
    let job = capture(
        app,
        &token,
        document(vec![observation(&at, 2, json!({"agri:note": at_limit}))]).to_string(),
        None,
    )
    .await;
    assert_eq!(job["success"], true, "{job:#}");
    let over = "注".repeat(4_097);
    let job = capture(
        app,
        &token,
        document(vec![observation(&at, 3, json!({"agri:note": over}))]).to_string(),
        None,
    )
    .await;
    assert_refused(&job, &[(0, "agri:note", "value_too_long")]);

    let events = stored_events(app, &token).await;
    assert_eq!(events.len(), 2, "a refused event was stored");
    assert!(events
        .iter()
        .all(|e| e["agri:note"].as_str().unwrap().chars().count() <= 4_096));
});

both_backends!(
    control_and_bidi_characters_in_agri_fields_are_refused,
    |app| async move {
        let token = verified_producer(app, "hygiene.bidi").await;
        let place = app.create_place(&token, base("郫都基地")).await;
        let at = format!("urn:suyuan:place:{}", place["id"].as_str().unwrap());

        for (i, bad) in [
            "\u{202E}gpj.exe 合格",
            "合格\u{0}",
            "a\u{7}b",
            "x\u{2067}y",
            "\u{200F}",
        ]
        .iter()
        .enumerate()
        {
            let doc = document(vec![observation(&at, i as u32, json!({"agri:operator": bad}))]);
            let job = capture(app, &token, doc.to_string(), None).await;
            assert_refused(&job, &[(0, "agri:operator", "text_control_chars")]);
        }
        // Nested inside an extension value: the path names the entry.
        let doc = document(vec![observation(
            &at,
            10,
            json!({"agri:testItems": ["毒死蜱", "吡虫\u{202E}啉"]}),
        )]);
        let job = capture(app, &token, doc.to_string(), None).await;
        assert_refused(&job, &[(0, "agri:testItems[1]", "text_control_chars")]);
        assert!(
            stored_events(app, &token).await.is_empty(),
            "a refused event was stored"
        );

        // With `proceed`, the good event is kept and the bad one refused by index.
        let doc = document(vec![
            observation(
                &at,
                20,
                json!({"agri:operator": "王五", "agri:note": "第一行\n第二行"}),
            ),
            observation(&at, 21, json!({"agri:operator": "王\u{202E}五"})),
        ]);
        let job = capture(app, &token, doc.to_string(), Some("proceed")).await;
        let errors = job["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{job:#}");
        assert_eq!(
            (&errors[0]["event_index"], &errors[0]["field"], &errors[0]["code"]),
            (&json!(1), &json!("agri:operator"), &json!("text_control_chars")),
            "{job:#}"
        );
        let events = stored_events(app, &token).await;
        assert_eq!(events.len(), 1, "{events:#?}");
        assert_eq!(events[0]["agri:operator"], "王五");
        assert_eq!(events[0]["agri:note"], "第一行\n第二行");
    }
);

both_backends!(zero_gtins_and_glns_are_refused, |app| async move {
    let token = verified_producer(app, "hygiene.zero").await;
    for gtin in [
        "00000000000000",
        "0000000000000",
        "000000000000",
        "00000000",
        "10000000000007",
    ] {
        let resp = app.post("/api/v1/products", &token, product(gtin, "辣椒")).await;
        assert_problem(&resp, 422, "gs1_zero", Some("gtin"));
    }
    assert_eq!(
        app.count("/api/v1/products", &token).await,
        0,
        "a refused product was stored"
    );
    let resp = app
        .post(
            "/api/v1/places",
            &token,
            merge(base("基地"), json!({"gln": "0000000000000"})),
        )
        .await;
    assert_problem(&resp, 422, "gs1_zero", Some("gln"));
    assert_eq!(
        app.count("/api/v1/places", &token).await,
        0,
        "a refused place was stored"
    );
    // Real keys are still accepted.
    app.create_product(&token, "辣椒").await;
    app.create_place(&token, merge(base("基地"), json!({"gln": gln()})))
        .await;

    // A zero GTIN in a captured identifier names nothing either.
    let place = app.create_place(&token, base("另一基地")).await;
    let at = format!("urn:suyuan:place:{}", place["id"].as_str().unwrap());
    let doc = document(vec![observation(
        &at,
        0,
        json!({"epcList": ["https://id.gs1.org/01/00000000000000/21/1"]}),
    )]);
    let job = capture(app, &token, doc.to_string(), None).await;
    assert_refused(&job, &[(0, "epcList[0]", "epcis_bad_epc")]);
    assert!(
        job["errors"][0]["detail"].as_str().unwrap().contains("all zero"),
        "{job:#}"
    );
    assert!(stored_events(app, &token).await.is_empty());
});

both_backends!(names_of_invisible_characters_are_refused, |app| async move {
    let token = verified_producer(app, "hygiene.blank").await;
    let op = app.operator_token().await;
    let orgs_before = app.count("/api/v1/organisations", &op).await;
    for (i, name) in ["\u{200B}", " \u{FEFF} ", "\u{200C}\u{2060}"].iter().enumerate() {
        let mut body = registration(
            "producer",
            Some("farm"),
            &uscc("91", "510115"),
            "510115",
            &format!("blank{i}"),
        );
        body["organisation"]["name"] = json!(name);
        let resp = app
            .request("POST", "/api/v1/registrations", None, Some(body))
            .await;
        assert_problem(&resp, 422, "text_blank", Some("organisation.name"));

        let resp = app.post("/api/v1/places", &token, base(name)).await;
        assert_problem(&resp, 422, "text_blank", Some("name"));
        let resp = app
            .post("/api/v1/products", &token, product(&gtin13(), name))
            .await;
        assert_problem(&resp, 422, "text_blank", Some("name"));
    }
    // A bidirectional mark is a control, not a blank.
    let resp = app
        .post("/api/v1/products", &token, product(&gtin13(), "辣\u{200F}椒"))
        .await;
    assert_problem(&resp, 422, "text_control_chars", Some("name"));
    assert_eq!(
        app.count("/api/v1/organisations", &op).await,
        orgs_before,
        "a refused organisation was stored"
    );
    assert_eq!(
        app.count("/api/v1/places", &token).await,
        0,
        "a refused place was stored"
    );
    assert_eq!(
        app.count("/api/v1/products", &token).await,
        0,
        "a refused product was stored"
    );
    // Visible text with a zero-width joiner inside is a name.
    let product = app.create_product(&token, "👨\u{200D}🌾 二荆条").await;
    assert_eq!(product["name"], "👨\u{200D}🌾 二荆条");
});

// Every table and column of the schema is classified (logged, derived or
// operational) in `suyuan_store::catalogue`, so that a migration cannot add
// state the log does not answer for without saying so (#13).
both_backends!(every_table_and_column_is_classified, |app| async move {
    let missing = app.store.unclassified().await.unwrap();
    assert!(
        missing.is_empty(),
        "not classified in suyuan_store::catalogue: {missing:#?}"
    );
    use suyuan_store::catalogue::{Class, TABLES};
    for t in TABLES {
        assert!(!t.reason.is_empty(), "{}", t.name);
        if t.class == Class::Operational {
            assert!(t.reason.len() > 20, "an operational table says why: {}", t.name);
        }
    }
});
