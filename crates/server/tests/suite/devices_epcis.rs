//! What a device is attached to, as EPCIS AssociationEvents (R-5.3.2.1):
//! registering a device of an organisation with a verified company prefix
//! at a place with a GLN captures an AssociationEvent ADD (parent the
//! place, child the device's GIAI) with the device; moving it captures
//! DELETE from the old place and ADD to the new one with a logged
//! `device_move`; another organisation cannot move it, a pending or
//! suspended one records nothing; without a prefix or a GLN the device says
//! why no event records it. `verify` stays clean. On both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::devices::{count, device};
use crate::tlog::verify_ok;
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Claims and verifies a company prefix for `org`; answers the prefix.
pub(crate) async fn verified_prefix(app: &TestApp, org: &Org) -> String {
    let prefix = format!("{:07}", 6_800_000 + unique() % 99_999);
    let (status, claim) = app
        .post(
            "/api/v1/company-prefixes",
            &org.token,
            json!({"prefix": prefix, "certificate_number": "物编注字第 654321 号"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    let op = app.operator_token().await;
    let (status, decided) = app
        .post(
            &format!(
                "/api/v1/company-prefixes/{}/verify",
                claim["id"].as_str().unwrap()
            ),
            &op,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    prefix
}

/// A warehouse of `org` with a GLN under `prefix`; answers (id, GLN).
async fn place_with_gln(app: &TestApp, org: &Org, prefix: &str, name: &str) -> (String, String) {
    let body = format!("{prefix}{:0w$}", unique() % 10_000, w = 12 - prefix.len());
    let gln = format!("{body}{}", suyuan_core::codes::gs1_check_digit(&body));
    let mut p = place("warehouse", name);
    p["gln"] = json!(gln);
    let p = app.create_place(&org.token, p).await;
    (p["id"].as_str().unwrap().to_owned(), gln)
}

/// The AssociationEvents the caller sees with `query`.
pub(crate) async fn associations(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/epcis/events?{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .clone();
    // What the query answers is a valid EPCIS document.
    let doc = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-12-07T00:00:00Z",
        "epcisBody": {"eventList": events},
    });
    let problems = suyuan_core::epcis::validate_document(&doc);
    assert!(problems.is_empty(), "{problems:?}");
    events
}

both_backends!(attachments_are_association_events, |app| async move {
    let coop = cooperative(app, "assoc.coop").await.0;
    let prefix = verified_prefix(app, &coop).await;
    let (room, room_gln) = place_with_gln(app, &coop, &prefix, "一号冷库").await;
    let (hall, hall_gln) = place_with_gln(app, &coop, &prefix, "二号冷库").await;
    let (id, _) = device(app, &coop, "cold_room", &room).await;

    // Its GIAI under the organisation's prefix; attached to the room.
    let (status, d) = app.get(&format!("/api/v1/devices/{id}"), &coop.token).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let giai = d["giai"].as_str().unwrap().to_owned();
    assert!(giai.starts_with(&format!("urn:epc:id:giai:{prefix}.D")), "{giai}");
    assert_eq!(d["place_id"], room.as_str());
    assert_eq!(d["epcis_note"], Value::Null);
    let room_uri = format!("https://id.gs1.org/414/{room_gln}");
    let hall_uri = format!("https://id.gs1.org/414/{hall_gln}");
    // Queries answer in the Digital Link form (the EPCIS 2.0 default).
    let giai_dl = format!(
        "https://id.gs1.org/8004/{}",
        giai.trim_start_matches("urn:epc:id:giai:").replace('.', "")
    );

    // Registering captured an AssociationEvent ADD.
    let added = associations(app, &coop.token, "EQ_bizStep=installing").await;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["type"], "AssociationEvent");
    assert_eq!(added[0]["action"], "ADD");
    assert_eq!(added[0]["parentID"], room_uri.as_str());
    assert_eq!(added[0]["childEPCs"], json!([giai_dl]));
    assert_eq!(added[0]["bizLocation"]["id"], room_uri.as_str());

    // Another organisation cannot move it (404), nor move it to its place.
    let other = company(app, "retailer", "assoc.other", "store").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/devices/{id}/place"),
            &other.token,
            json!({"place": hall}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let foreign = other.place.rsplit(':').next().unwrap().to_owned();
    assert_problem(
        &app.post(
            &format!("/api/v1/devices/{id}/place"),
            &coop.token,
            json!({"place": foreign}),
        )
        .await,
        422,
        "reference_not_found",
        Some("place"),
    );
    assert_eq!(count(app, "device_moves").await, 0);

    // Moved: DELETE from the room, ADD to the hall, logged.
    let (status, d) = app
        .post(
            &format!("/api/v1/devices/{id}/place"),
            &coop.token,
            json!({"place": hall}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["place_id"], hall.as_str());
    assert_eq!(d["giai"], giai.as_str());
    let removed = associations(app, &coop.token, "EQ_bizStep=removing").await;
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["action"], "DELETE");
    assert_eq!(removed[0]["parentID"], room_uri.as_str());
    assert_eq!(removed[0]["childEPCs"], json!([giai_dl]));
    let in_hall = associations(app, &coop.token, &format!("MATCH_parentID={hall_uri}")).await;
    assert_eq!(in_hall.len(), 1, "{in_hall:?}");
    assert_eq!(in_hall[0]["action"], "ADD");
    assert_eq!(
        associations(app, &coop.token, "EQ_bizStep=installing")
            .await
            .len(),
        2
    );
    // Moving it where it is changes nothing.
    let (status, _) = app
        .post(
            &format!("/api/v1/devices/{id}/place"),
            &coop.token,
            json!({"place": hall}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(app, "device_moves").await, 1);
    let listed = app.list("/api/v1/devices", &coop.token).await;
    assert_eq!(listed[0]["place_id"], hall.as_str());

    // A suspended organisation moves nothing.
    let op = app.operator_token().await;
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", coop.id),
            &op,
            json!({"reason": "检查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .post(
            &format!("/api/v1/devices/{id}/place"),
            &coop.token,
            json!({"place": room}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(app, "device_moves").await, 1);
    verify_ok(app).await;
});

both_backends!(without_prefix_or_gln_the_device_says_why, |app| async move {
    // No verified prefix: no GIAI, no event, and the device says why.
    let coop = cooperative(app, "assoc.noprefix").await.0;
    let room = crate::devices::cold_room(app, &coop, "无码冷库").await;
    let (id, _) = device(app, &coop, "cold_room", &room).await;
    let (_, d) = app.get(&format!("/api/v1/devices/{id}"), &coop.token).await;
    assert_eq!(d["giai"], Value::Null);
    assert_eq!(d["epcis_note"], "no_company_prefix");
    // A place without a GLN: a GIAI, but no event until it is at one.
    let other = cooperative(app, "assoc.nogln").await.0;
    let prefix = verified_prefix(app, &other).await;
    let bare = crate::devices::cold_room(app, &other, "无 GLN 冷库").await;
    let (with_gln, _) = place_with_gln(app, &other, &prefix, "有码冷库").await;
    let (id, _) = device(app, &other, "cold_room", &bare).await;
    let (_, d) = app.get(&format!("/api/v1/devices/{id}"), &other.token).await;
    assert!(d["giai"].as_str().is_some(), "{d}");
    assert_eq!(d["epcis_note"], "place_without_gln");
    assert!(associations(app, &other.token, "EQ_bizStep=installing")
        .await
        .is_empty());
    let (status, d) = app
        .post(
            &format!("/api/v1/devices/{id}/place"),
            &other.token,
            json!({"place": with_gln}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["epcis_note"], Value::Null);
    assert_eq!(
        associations(app, &other.token, "EQ_bizStep=installing")
            .await
            .len(),
        1
    );
    assert!(associations(app, &other.token, "EQ_bizStep=removing")
        .await
        .is_empty());
    // A pending organisation registers nothing.
    let (_, pending) = app.pending_producer("assoc.pending", "510115").await;
    let p = app.create_place(&pending, place("warehouse", "待审仓库")).await;
    let (status, _) = app
        .post(
            "/api/v1/devices",
            &pending,
            json!({"name": "x", "kind": "air", "place": p["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    verify_ok(app).await;
});
