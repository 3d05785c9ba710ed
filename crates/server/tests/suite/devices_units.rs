//! Devices attached to lots and units (R-5.3.2.1, R-4.2.4): a truck logger
//! attached to a lot (an EPCIS AssociationEvent ADD, parent the device's
//! GIAI, the lot by its class) counts for the lot's cold chain and trace
//! conditions until it is detached (DELETE); whoever may not attach it is
//! refused and nothing is stored. Excursion alerts judge each reading by
//! the place the device was at when it was taken. The console shows each
//! device's GIAI, places and units and drives the move, attach and detach
//! forms with their CSRF tokens. On both backends.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use crate::common::*;
use crate::console::{location, sign_in, ORIGIN};
use crate::devices::{cold_room, count, device, send, temps};
use crate::devices_epcis::{associations, verified_prefix};
use crate::tlog::verify_ok;
use crate::trace_chain::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

/// A refrigerated truck of `org` kept at 0..4 °C; answers its id.
async fn truck(app: &TestApp, org: &Org, plate: &str) -> String {
    let p = app
        .create_place(
            &org.token,
            merge(
                place("vehicle", "冷藏车"),
                json!({"plate_number": plate, "temperature_controlled": true,
                       "temperature_min": 0.0, "temperature_max": 4.0}),
            ),
        )
        .await;
    p["id"].as_str().unwrap().to_owned()
}

/// The time of a record in an answer.
fn time_of(v: &Value) -> DateTime<Utc> {
    v["created_at"].as_str().unwrap().parse().unwrap()
}

/// Temperatures `ms` milliseconds after `from`.
fn after(from: DateTime<Utc>, points: &[(i64, f64)]) -> Value {
    let times: Vec<(String, f64)> = points
        .iter()
        .map(|(ms, v)| {
            let at = from + Duration::milliseconds(*ms);
            (at.to_rfc3339_opts(SecondsFormat::Millis, true), *v)
        })
        .collect();
    let points: Vec<(&str, f64)> = times.iter().map(|(t, v)| (t.as_str(), *v)).collect();
    temps(&points)
}

/// The public JSON page of the lot `name` of `gtin`.
async fn public_page(app: &TestApp, gtin: &str, name: &str) -> Value {
    let req = axum::http::Request::get(format!("/01/{}/10/{name}", gtin.trim_start_matches('0')))
        .header(axum::http::header::ACCEPT, "application/json")
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

both_backends!(a_logger_attached_to_a_lot_counts_for_it, |app| async move {
    let w = World::new(app, "dlot").await;
    verified_prefix(app, &w.producer).await;
    let truck = truck(app, &w.producer, "川A·L0001").await;
    let (dev, token) = device(app, &w.producer, "truck_logger", &truck).await;
    let attach = format!("/api/v1/devices/{dev}/attach");
    let detach = format!("/api/v1/devices/{dev}/detach");
    let p = &w.producer.token;

    // Refused, nothing stored: an unknown lot, a code that is none, a
    // device not attached, a lot the organisation does not hold, a device
    // of another organisation, the operator, a pending organisation.
    let unknown = json!({"code": lot(&w.gtin, "NOPE")});
    assert_problem(
        &app.post(&attach, p, unknown).await,
        422,
        "unit_unknown",
        Some("code"),
    );
    let (status, body) = app.post(&attach, p, json!({"code": "not a code"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "code", "{body}");
    let l1 = json!({"code": w.l1});
    assert_problem(
        &app.post(&detach, p, l1.clone()).await,
        422,
        "device_not_attached",
        Some("code"),
    );
    let shop_place = w.retailer.place.rsplit(':').next().unwrap().to_owned();
    let (shop_dev, _) = device(app, &w.retailer, "truck_logger", &shop_place).await;
    assert_problem(
        &app.post(
            &format!("/api/v1/devices/{shop_dev}/attach"),
            &w.retailer.token,
            l1.clone(),
        )
        .await,
        422,
        "unit_not_held",
        Some("code"),
    );
    let (status, _) = app.post(&attach, &w.retailer.token, l1.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let op = app.operator_token().await;
    let (status, body) = app.post(&attach, &op, l1.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, pending) = app.pending_producer("dlot.pending", "510115").await;
    let (status, _) = app.post(&attach, &pending, l1.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(app, "device_attachments").await, 0);

    // Attached by the lot's element string: an AssociationEvent ADD.
    let code = format!("(01){}(10)L1", w.gtin);
    let (status, on) = app.post(&attach, p, json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(on["unit"], w.l1.as_str());
    assert_eq!(on["attached"], true);
    let added = associations(app, p, "EQ_bizStep=installing").await;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["eventID"], on["event_id"]);
    assert_eq!(added[0]["action"], "ADD");
    assert!(
        added[0]["parentID"].as_str().unwrap().contains("/8004/"),
        "{added:?}"
    );
    assert_eq!(added[0]["childQuantityList"][0]["epcClass"], w.l1.as_str());
    // Attaching it again changes nothing.
    let (status, again) = app.post(&attach, p, l1.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], on["id"]);
    assert_eq!(count(app, "device_attachments").await, 1);
    let (_, now) = app.get(&format!("/api/v1/devices/{dev}/attachments"), p).await;
    assert_eq!(now["units"][0]["unit"], w.l1.as_str(), "{now}");

    // While attached the truck warms to 6.5 °C; after it is detached, 9 °C.
    let attached_at = time_of(&on);
    let during = after(attached_at, &[(100, 3.0), (200, 6.5), (300, 3.0)]);
    let (status, _) = send(app, &dev, &token, "application/json", during).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (status, off) = app.post(&detach, p, l1.clone()).await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(off["attached"], false);
    let removed = associations(app, p, "EQ_bizStep=removing").await;
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["action"], "DELETE");
    let later = after(time_of(&off), &[(100, 9.0), (200, 3.0)]);
    let (status, _) = send(app, &dev, &token, "application/json", later).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // The lot's public page: the excursion while attached, not after.
    let page = public_page(app, &w.gtin, "L1").await;
    let cc = &page["cold_chain"];
    assert_eq!(cc["kept"], false, "{cc:#}");
    let stays = cc["stays"].as_array().unwrap();
    assert_eq!(stays.len(), 1, "{cc:#}");
    assert_eq!(stays[0]["place"], "冷藏车");
    assert_eq!(stays[0]["readings"], 3);
    assert_eq!(stays[0]["highest"], 6.5);
    assert_eq!(cc["worst_excursion"]["extreme"], 6.5);
    // Its trace conditions: under the AssociationEvent that attached it.
    let (status, report) = app
        .get(&format!("/api/v1/trace/back?code={}", enc(&w.l1)), p)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let conditions = report["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 1, "{conditions:#?}");
    assert_eq!(conditions[0]["event_id"], on["event_id"]);
    assert_eq!(conditions[0]["place_name"], "冷藏车");
    let temp = &conditions[0]["sensor_element_list"][0]["sensorReport"][0];
    assert_eq!(temp["maxValue"], 6.5, "{temp}");
    // Another lot of the producer has no cold chain.
    assert!(public_page(app, &w.gtin, "LS").await["cold_chain"].is_null());
    let (_, now) = app.get(&format!("/api/v1/devices/{dev}/attachments"), p).await;
    assert_eq!(now["units"], json!([]), "{now}");
    assert_eq!(now["places"][0]["place_id"], truck.as_str());

    // A suspended organisation attaches nothing.
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", w.producer.id),
            &op,
            json!({"reason": "检查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&attach, p, l1).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(app, "device_attachments").await, 2);
    verify_ok(app).await;
});

both_backends!(excursions_are_judged_where_the_device_was, |app| async move {
    let coop = cooperative(app, "dwhere.coop").await.0;
    let room = cold_room(app, &coop, "冷库").await;
    let hall = app.create_place(&coop.token, place("warehouse", "常温库")).await;
    let (dev, token) = device(app, &coop, "cold_room", &room).await;
    // 15 °C in the cold room (0..4 °C) on the 5th, back to 2 °C an hour later.
    let before = temps(&[(&t(5, 10), 15.0), (&t(5, 11), 2.0)]);
    let (status, _) = send(app, &dev, &token, "application/json", before).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, moved) = app
        .post(
            &format!("/api/v1/devices/{dev}/place"),
            &coop.token,
            json!({"place": hall["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    // 15 °C at the ambient place, after the move.
    let (status, _) = send(
        app,
        &dev,
        &token,
        "application/json",
        after(Utc::now(), &[(60_000, 15.0), (120_000, 15.5)]),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.store
        .check_devices(suyuan_store::now_ms() + 600_000, &HashMap::new(), None)
        .await
        .unwrap();
    let alerts = app.list("/api/v1/alerts", &coop.token).await;
    let excursions: Vec<&Value> = alerts.iter().filter(|a| a["kind"] == "excursion").collect();
    assert_eq!(excursions.len(), 1, "{alerts:#?}");
    let started: DateTime<Utc> = excursions[0]["started_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(started, DateTime::parse_from_rfc3339(&t(5, 10)).unwrap());
    assert_eq!(excursions[0]["extreme"], 15.0);
    assert!(excursions[0]["ended_at"].is_string(), "{alerts:#?}");
});

both_backends!(the_console_moves_and_attaches_devices, |app| async move {
    let w = World::new(app, "dcon").await;
    let room = cold_room(app, &w.producer, "一号冷库").await;
    let hall = cold_room(app, &w.producer, "二号冷库").await;
    // Registered before the organisation had a company prefix: no GIAI.
    let (bare, _) = device(app, &w.producer, "cold_room", &room).await;
    let prefix = verified_prefix(app, &w.producer).await;
    let (dev, _) = device(app, &w.producer, "truck_logger", &room).await;
    let b = sign_in(app, "dcon.coop", ADMIN_PASSWORD).await;
    let (status, _, html) = b.get(app, "/console/devices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("urn:epc:id:giai:{prefix}.D")), "{html}");
    assert!(
        html.contains(&format!("id=\"device-{bare}\"")) && html.contains("没有 GIAI"),
        "{html}"
    );
    assert!(
        html.contains(&format!("action=\"/console/devices/{dev}/place\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("<option value=\"{hall}\">二号冷库</option>")),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{}\"", b.csrf)), "{html}");

    // Without its token: refused, nothing stored.
    let place_path = format!("/console/devices/{dev}/place");
    let attach_path = format!("/console/devices/{dev}/attach");
    let (status, _, _) = b
        .post_raw(app, &place_path, &[("place", &hall)], Some(ORIGIN))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = b
        .post_raw(app, &attach_path, &[("code", &w.l1)], Some(ORIGIN))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(app, "device_moves").await, 0);
    assert_eq!(count(app, "device_attachments").await, 0);

    // Another organisation's place: the API's refusal beside the field.
    let shop_place = w.retailer.place.rsplit(':').next().unwrap().to_owned();
    let (status, _, html) = b.post(app, &place_path, &[("place", &shop_place)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("data-field=\"place\"") && html.contains("本机构没有该场所"),
        "{html}"
    );
    assert_eq!(count(app, "device_moves").await, 0);
    // Moved: the history shows both places.
    let (status, headers, _) = b.post(app, &place_path, &[("place", &hall)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/console/devices#device-{dev}"));
    assert_eq!(count(app, "device_moves").await, 1);

    // An unknown lot, beside the field; then the lot, by its Digital Link.
    let (status, _, html) = b
        .post(app, &attach_path, &[("code", &lot(&w.gtin, "NOPE"))])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("data-field=\"code\"") && html.contains("unit_unknown"),
        "{html}"
    );
    let (status, _, _) = b.post(app, &attach_path, &[("code", &w.l1)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = b.get(app, "/console/devices?lang=en").await;
    assert!(
        html.contains("Place history") && html.contains("二号冷库"),
        "{html}"
    );
    assert!(html.contains(&format!("data-unit=\"{}\"", w.l1)), "{html}");
    assert!(
        html.contains(&format!("action=\"/console/devices/{dev}/detach\"")),
        "{html}"
    );
    // Detached; detaching again is refused beside the field.
    let detach_path = format!("/console/devices/{dev}/detach");
    let (status, _, _) = b.post(app, &detach_path, &[("code", &w.l1)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, html) = b.post(app, &detach_path, &[("code", &w.l1)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("device_not_attached"), "{html}");
    assert_eq!(count(app, "device_attachments").await, 2);
    let (_, _, html) = b.get(app, "/console/devices").await;
    assert!(!html.contains(&format!("data-unit=\"{}\"", w.l1)), "{html}");
    verify_ok(app).await;
});
