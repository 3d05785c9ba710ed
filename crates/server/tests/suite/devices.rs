//! Devices (R-5.3.2.1, R-7.2.3, R-4.2.4): the registry per organisation
//! and who may manage it; readings over HTTP (plain JSON and SenML) with
//! the device's own token, validated, de-duplicated, stored as a time
//! series and logged batch by batch, so that `verify` names an edited,
//! deleted or added reading; refused attempts recorded with their reason;
//! the two-hour rule and temperature excursions raising alerts the
//! organisation and its regulator see. On both backends.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use crate::common::*;
use crate::tlog::{sql, verify_ok};
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_core::devices::DeviceKind;

/// A cold room of `org` kept at 0..4 °C; answers its id.
pub(crate) async fn cold_room(app: &TestApp, org: &Org, name: &str) -> String {
    let p = app
        .create_place(
            &org.token,
            merge(
                place("warehouse", name),
                json!({"temperature_controlled": true, "temperature_min": 0.0, "temperature_max": 4.0}),
            ),
        )
        .await;
    p["id"].as_str().unwrap().to_owned()
}

/// Registers a device; answers (id, token).
pub(crate) async fn device(app: &TestApp, org: &Org, kind: &str, place: &str) -> (String, String) {
    let (status, d) = app
        .post(
            "/api/v1/devices",
            &org.token,
            json!({"name": "一号冷库探头", "kind": kind, "place": place}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    (
        d["id"].as_str().unwrap().to_owned(),
        d["token"].as_str().unwrap().to_owned(),
    )
}

/// Sends a body as a device; answers status and body.
pub(crate) async fn send(app: &TestApp, id: &str, token: &str, ct: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, v) = app
        .raw(
            "POST",
            &format!("/api/v1/devices/{id}/readings"),
            Some(token),
            Some(ct),
            body.to_string(),
        )
        .await;
    (status, v)
}

/// Temperatures at the given times (RFC 3339).
pub(crate) fn temps(points: &[(&str, f64)]) -> Value {
    json!({"readings": points.iter().map(|(t, v)| json!({"time": t, "quantity": "temperature", "value": v, "unit": "Cel"})).collect::<Vec<_>>()})
}

pub(crate) async fn count(app: &TestApp, table: &str) -> i64 {
    app.store
        .db()
        .conn()
        .fetch_optional(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
        .await
        .unwrap()
        .unwrap()
        .int("n")
        .unwrap()
}

async fn refusal_reasons(app: &TestApp) -> Vec<String> {
    app.store
        .device_refusals(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.2)
        .collect()
}

both_backends!(the_registry_belongs_to_its_organisation, |app| async move {
    let coop = cooperative(app, "dev.coop").await.0;
    let other = company(app, "retailer", "dev.other", "store").await;
    let room = cold_room(app, &coop, "一号冷库").await;
    let (id, token) = device(app, &coop, "cold_room", &room).await;
    assert!(token.starts_with("syd_"), "{token}");
    // Stored hashed: the token itself is nowhere in the database.
    let creds = app
        .store
        .db()
        .conn()
        .fetch_optional("SELECT token_hash, hmac_key_cipher FROM device_credentials", &[])
        .await
        .unwrap()
        .unwrap();
    use sha2::Digest;
    assert_eq!(
        creds.text("token_hash").unwrap(),
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    );
    assert!(!creds.text("hmac_key_cipher").unwrap().contains(&token));

    // Refusals naming the field.
    let coop_token = coop.token.clone();
    let bad = |body: Value| {
        let token = coop_token.clone();
        async move { app.post("/api/v1/devices", &token, body).await }
    };
    assert_problem(
        &bad(json!({"name": "x", "kind": "toaster", "place": room})).await,
        422,
        "device_kind",
        Some("kind"),
    );
    let foreign_place = other.place.rsplit(':').next().unwrap().to_owned();
    assert_problem(
        &bad(json!({"name": "x", "kind": "air", "place": foreign_place})).await,
        422,
        "reference_not_found",
        Some("place"),
    );
    assert_problem(
        &bad(json!({"name": "x", "kind": "air", "place": "nowhere"})).await,
        422,
        "reference_not_found",
        Some("place"),
    );
    assert_problem(
        &bad(json!({"name": "", "kind": "air", "place": room})).await,
        422,
        "text_empty",
        Some("name"),
    );

    // Who may register: not another organisation's place, not a pending or
    // suspended organisation, not the operator, not anonymous.
    let (_, pending) = app.pending_producer("dev.pending", "510115").await;
    let pending_place = app.create_place(&pending, place("warehouse", "待审仓库")).await;
    let (status, _) = app
        .post(
            "/api/v1/devices",
            &pending,
            json!({"name": "x", "kind": "air", "place": pending_place["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let op = app.operator_token().await;
    let (status, _) = app
        .post(
            "/api/v1/devices",
            &op,
            json!({"name": "x", "kind": "air", "place": room}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .request(
            "POST",
            "/api/v1/devices",
            None,
            Some(json!({"name": "x", "kind": "air", "place": room})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(app, "devices").await, 1);

    // Listed for its organisation only.
    let listed = app.list("/api/v1/devices", &coop.token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["kind"], "cold_room");
    assert_eq!(listed[0]["enabled"], true);
    assert!(app.list("/api/v1/devices", &other.token).await.is_empty());

    // Disabled and enabled by its organisation, each change logged; another
    // organisation is answered 404.
    let (status, _) = app
        .post(&format!("/api/v1/devices/{id}/disable"), &other.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, d) = app
        .post(&format!("/api/v1/devices/{id}/disable"), &coop.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["enabled"], false);
    let (_, d) = app
        .post(&format!("/api/v1/devices/{id}/enable"), &coop.token, json!({}))
        .await;
    assert_eq!(d["enabled"], true);
    assert_eq!(count(app, "device_states").await, 2);
    let logged = app
        .store
        .db()
        .conn()
        .fetch_optional(
            "SELECT COUNT(*) AS n FROM tlog_leaves WHERE record_kind IN ('device', 'device_state')",
            &[],
        )
        .await
        .unwrap()
        .unwrap()
        .int("n")
        .unwrap();
    assert_eq!(logged, 3);

    // A suspended organisation manages nothing.
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", coop.id),
            &op,
            json!({"reason": "检查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .post(&format!("/api/v1/devices/{id}/disable"), &coop.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "/api/v1/devices",
            &coop.token,
            json!({"name": "x", "kind": "air", "place": room}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor do its devices send.
    let (status, _) = send(
        app,
        &id,
        &token,
        "application/json",
        temps(&[("2026-03-01T08:00:00+08:00", 2.0)]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(app, "device_readings").await, 0);
    assert_eq!(refusal_reasons(app).await, ["organisation_inactive"]);
    verify_ok(app).await;
});

both_backends!(
    readings_over_http_are_checked_stored_and_logged,
    |app| async move {
        let coop = cooperative(app, "rd.coop").await.0;
        let other = company(app, "retailer", "rd.other", "store").await;
        let room = cold_room(app, &coop, "冷库").await;
        let (id, token) = device(app, &coop, "cold_room", &room).await;
        let json_ct = "application/json";
        let batch = temps(&[
            ("2026-03-01T08:00:00+08:00", 2.5),
            ("2026-03-01T08:10:00+08:00", 3.0),
        ]);
        let (status, done) = send(app, &id, &token, json_ct, batch.clone()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{done}");
        assert_eq!(done, json!({"accepted": 2, "duplicates": 0}));
        // Sent again: duplicates, nothing new, nothing logged.
        let (_, again) = send(app, &id, &token, json_ct, batch).await;
        assert_eq!(again, json!({"accepted": 0, "duplicates": 2}));
        assert_eq!(count(app, "reading_batches").await, 1);
        // Late and out of order: accepted, with one repeat inside the batch.
        let late = temps(&[
            ("2026-03-01T07:50:00+08:00", 1.5),
            ("2026-03-01T07:40:00+08:00", 1.0),
            ("2026-03-01T07:40:00+08:00", 1.0),
        ]);
        let (_, done) = send(app, &id, &token, json_ct, late).await;
        assert_eq!(done, json!({"accepted": 2, "duplicates": 1}));
        // SenML, relative times and a base unit.
        let senml = json!([
            {"bn": format!("urn:dev:suyuan:{id}:"), "bt": 1772324100.0, "bu": "Cel", "n": "temperature", "v": 3.25},
            {"n": "humidity", "u": "%RH", "v": 85.5, "t": 0},
            {"n": "temperature", "v": 3.5, "t": 60}
        ]);
        let (status, done) = send(app, &id, &token, "application/senml+json", senml).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{done}");
        assert_eq!(done["accepted"], 3);

        // Refused: each field named, nothing stored.
        let before = count(app, "device_readings").await;
        let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        for (body, code, field) in [
            (
                temps(&[(future.as_str(), 2.0)]),
                "time_in_future",
                "readings[0].time",
            ),
            (
                temps(&[("2026-03-01T08:00:00+08:00", 200.0)]),
                "implausible_value",
                "readings[0].value",
            ),
            (temps(&[("yesterday", 2.0)]), "time_format", "readings[0].time"),
            (
                json!({"readings": [{"time": "2026-03-01T08:00:00+08:00", "quantity": "temperature", "value": 2.0, "unit": "K"}]}),
                "wrong_unit",
                "readings[0].unit",
            ),
            (
                json!({"readings": [{"time": "2026-03-01T08:00:00+08:00", "quantity": "mood", "value": 2.0, "unit": "Cel"}]}),
                "unknown_quantity",
                "readings[0].quantity",
            ),
            (json!({"readings": []}), "batch_size", "readings"),
        ] {
            let resp = send(app, &id, &token, json_ct, body).await;
            assert_problem(&resp, 422, code, Some(field));
        }
        let too_many: Vec<(String, f64)> = (0..10_001)
            .map(|i| (format!("2026-02-01T00:00:{:02}.{:03}Z", i / 1000, i % 1000), 1.0))
            .collect();
        let too_many: Vec<(&str, f64)> = too_many.iter().map(|(t, v)| (t.as_str(), *v)).collect();
        assert_problem(
            &send(app, &id, &token, json_ct, temps(&too_many)).await,
            422,
            "batch_size",
            Some("readings"),
        );
        assert_eq!(count(app, "device_readings").await, before);

        // A wrong token, an unknown device, a disabled device: 401, nothing
        // stored, each refusal recorded with its reason.
        let one = temps(&[("2026-03-02T08:00:00+08:00", 2.0)]);
        let (status, body) = send(app, &id, "syd_wrong", json_ct, one.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "device_refused");
        let (status, _) = send(
            app,
            &uuid::Uuid::now_v7().to_string(),
            &token,
            json_ct,
            one.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = app
            .raw(
                "POST",
                &format!("/api/v1/devices/{id}/readings"),
                None,
                Some(json_ct),
                one.to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.post(&format!("/api/v1/devices/{id}/disable"), &coop.token, json!({}))
            .await;
        let (status, _) = send(app, &id, &token, json_ct, one.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(count(app, "device_readings").await, before);
        let mut reasons = refusal_reasons(app).await;
        reasons.sort();
        assert_eq!(reasons, ["bad_token", "bad_token", "disabled", "unknown_device"]);
        app.post(&format!("/api/v1/devices/{id}/enable"), &coop.token, json!({}))
            .await;
        let (status, _) = send(app, &id, &token, json_ct, one).await;
        assert_eq!(status, StatusCode::ACCEPTED);

        // Listed for the organisation, by time range, paged; 404 to another.
        let path = format!("/api/v1/devices/{id}/readings");
        let (status, page) = app.get(&format!("{path}?limit=3"), &coop.token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["value"], 1.0);
        assert_eq!(items[0]["unit"], "Cel");
        let next = page["next"].as_str().unwrap();
        let (_, rest) = app
            .get(&format!("{path}?from={}&limit=100", enc(next)), &coop.token)
            .await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 5, "{rest}");
        let (_, ranged) = app
            .get(
                &format!(
                    "{path}?from={}&to={}",
                    enc("2026-03-01T07:45:00+08:00"),
                    enc("2026-03-01T08:05:00+08:00")
                ),
                &coop.token,
            )
            .await;
        assert_eq!(ranged["items"].as_array().unwrap().len(), 2, "{ranged}");
        let (status, _) = app.get(&path, &other.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_problem(
            &app.get(&format!("{path}?from=soon"), &coop.token).await,
            400,
            "time_format",
            Some("from"),
        );

        // The log covers every reading: an edited, deleted or added one is named.
        verify_ok(app).await;
        let named = || async {
            let report = app.store.verify_log().await.unwrap();
            report.problems.iter().any(|p| p.table == "device_readings")
        };
        sql(app, "UPDATE device_readings SET value = value + 0.5 WHERE time_ms = (SELECT MIN(time_ms) FROM device_readings)", &[]).await;
        assert!(named().await);
        sql(app, "UPDATE device_readings SET value = value - 0.5 WHERE time_ms = (SELECT MIN(time_ms) FROM device_readings)", &[]).await;
        verify_ok(app).await;
        sql(
            app,
            "CREATE TABLE kept AS SELECT * FROM device_readings WHERE quantity = 'humidity'",
            &[],
        )
        .await;
        sql(
            app,
            "DELETE FROM device_readings WHERE quantity = 'humidity'",
            &[],
        )
        .await;
        assert!(named().await);
        sql(app, "INSERT INTO device_readings SELECT * FROM kept", &[]).await;
        sql(app, "DROP TABLE kept", &[]).await;
        verify_ok(app).await;
    }
);

both_backends!(silent_devices_and_excursions_raise_alerts, |app| async move {
    let coop = cooperative(app, "al.coop").await.0;
    let other = company(app, "retailer", "al.other", "store").await;
    let room = cold_room(app, &coop, "冷库").await;
    let (cold, token) = device(app, &coop, "cold_room", &room).await;
    let (quiet, _) = device(app, &coop, "air", &room).await;
    // 0..4 °C; up to 6.5 for twenty minutes.
    let batch = temps(&[
        ("2026-03-01T08:00:00+08:00", 2.0),
        ("2026-03-01T08:10:00+08:00", 5.0),
        ("2026-03-01T08:20:00+08:00", 6.5),
        ("2026-03-01T08:30:00+08:00", 3.0),
    ]);
    let (status, _) = send(app, &cold, &token, "application/json", batch).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let last = chrono::DateTime::parse_from_rfc3339("2026-03-01T08:30:00+08:00")
        .unwrap()
        .timestamp_millis();
    let hour = 3_600_000;
    // Within two hours of its last reading the cold room is not silent; the
    // air sensor, registered now and never heard, is not either.
    let now = suyuan_store::now_ms();
    let report = app
        .store
        .check_devices(last + hour, &HashMap::new(), None)
        .await
        .unwrap();
    assert_eq!((report.silent_raised, report.excursions), (0, 1), "{report:?}");
    let alerts = app.list("/api/v1/alerts", &coop.token).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["kind"], "excursion");
    assert_eq!(alerts[0]["extreme"], 6.5);
    assert_eq!(alerts[0]["minutes"], 20);
    assert_eq!(alerts[0]["device_id"], cold.as_str());
    // Two hours and a minute later: silent. A shorter window for air.
    let report = app
        .store
        .check_devices(last + 2 * hour + 60_000, &HashMap::new(), None)
        .await
        .unwrap();
    assert_eq!(report.silent_raised, 1, "{report:?}");
    let windows = HashMap::from([(DeviceKind::Air, 600_000), (DeviceKind::ColdRoom, 10 * hour)]);
    let report = app
        .store
        .check_devices(now + 700_000, &windows, Some(now))
        .await
        .unwrap();
    assert_eq!(report.silent_raised, 1, "the air sensor: {report:?}");
    assert_eq!(report.excursions, 0, "no new batch since");
    let alerts = app.list("/api/v1/alerts", &coop.token).await;
    let silent: Vec<&Value> = alerts.iter().filter(|a| a["kind"] == "silent").collect();
    assert_eq!(silent.len(), 2);
    assert!(silent.iter().any(|a| a["device_id"] == quiet.as_str()));
    let cold_silent = silent.iter().find(|a| a["device_id"] == cold.as_str()).unwrap();
    // It began when the window ran out (10 h is capped at 2 h).
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(cold_silent["started_at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis(),
        last + 2 * hour
    );
    // Readings come back: the silence closes.
    let fresh = chrono::Utc::now().to_rfc3339();
    send(
        app,
        &cold,
        &token,
        "application/json",
        temps(&[(fresh.as_str(), 2.0)]),
    )
    .await;
    let report = app
        .store
        .check_devices(now + 700_000, &windows, Some(now))
        .await
        .unwrap();
    assert_eq!(report.silent_closed, 1, "{report:?}");
    // A disabled device is never silent.
    app.post(
        &format!("/api/v1/devices/{quiet}/disable"),
        &coop.token,
        json!({}),
    )
    .await;

    // The regulator of the jurisdiction sees them; another organisation not.
    assert!(app.list("/api/v1/alerts", &other.token).await.is_empty());
    let (reg, admin) = app
        .register_org_in("regulator", None, &uscc("11", "510100"), "510100", "al.reg")
        .await;
    app.verify(reg).await;
    app.create_user(&admin, reg, "al.officer", "officer", Some("5101"))
        .await;
    let officer = app.login("al.officer", USER_PASSWORD).await;
    assert_eq!(app.list("/api/v1/alerts", &officer).await.len(), 3);
    assert_eq!(app.list("/api/v1/devices", &officer).await.len(), 2);
    let (status, _) = app
        .post(&format!("/api/v1/devices/{cold}/disable"), &officer, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

/// `w`'s lot L1 stored in `room` on the 5th at 10:00, shipped on the 6th
/// at 08:00 (the shipping record as `adjust` leaves it) and received by
/// the retailer at 14:00.
pub(crate) async fn store_carry_receive(
    app: &TestApp,
    w: &World,
    room: &str,
    adjust: impl FnOnce(&mut Value),
) {
    let despatch = format!("D{}", unique());
    let mut carried = shipping(&w.l1, &t(6, 8), &despatch, w.retailer.id);
    adjust(&mut carried);
    record(
        app,
        &w.producer,
        vec![
            storage_in(&w.l1, &format!("urn:suyuan:place:{room}"), &t(5, 10), "A-01"),
            carried,
        ],
    )
    .await;
    record(
        app,
        &w.retailer,
        vec![receiving(&w.l1, &w.retailer.place, &t(6, 14), &despatch)],
    )
    .await;
}

/// Temperatures every half hour from `from` (RFC 3339) for `hours`, at
/// `base` °C except `(index, value)` overrides.
pub(crate) fn half_hourly(from: &str, hours: i64, base: f64, overrides: &[(i64, f64)]) -> Value {
    let start = chrono::DateTime::parse_from_rfc3339(from).unwrap();
    let points: Vec<(String, f64)> = (0..=hours * 2)
        .map(|i| {
            let v = overrides.iter().find(|o| o.0 == i).map_or(base, |o| o.1);
            ((start + chrono::Duration::minutes(30 * i)).to_rfc3339(), v)
        })
        .collect();
    let points: Vec<(&str, f64)> = points.iter().map(|(t, v)| (t.as_str(), *v)).collect();
    temps(&points)
}

both_backends!(the_cold_chain_shows_on_the_consumer_page, |app| async move {
    let w = World::new(app, "cold").await;
    let room = cold_room(app, &w.producer, "一号冷库").await;
    let truck = app
        .create_place(
            &w.producer.token,
            merge(
                place("vehicle", "冷藏车"),
                json!({"plate_number": "川A·D12345", "temperature_controlled": true,
                       "temperature_min": 0.0, "temperature_max": 4.0}),
            ),
        )
        .await;
    let (room_dev, room_token) = device(app, &w.producer, "cold_room", &room).await;
    let truck_id = truck["id"].as_str().unwrap();
    let (truck_dev, truck_token) = device(app, &w.producer, "truck_logger", truck_id).await;
    // Stored in the cold room, then carried in the truck to the retailer.
    let truck_at = at(&place_uri(&truck));
    store_carry_receive(app, &w, &room, |carried| carried["bizLocation"] = truck_at).await;
    // The room held 2.5 °C; the truck warmed to 5.5 °C for half an hour.
    let (status, _) = send(
        app,
        &room_dev,
        &room_token,
        "application/json",
        half_hourly(&t(5, 10), 22, 2.5, &[]),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let truck_readings = half_hourly(&t(6, 8), 6, 3.0, &[(4, 5.5)]);
    let (status, _) = send(app, &truck_dev, &truck_token, "application/json", truck_readings).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let path = format!("/01/{}/10/L1", w.gtin.trim_start_matches('0'));
    let public = |accept: &'static str| {
        let path = path.clone();
        async move {
            let req = axum::http::Request::get(&path)
                .header(axum::http::header::ACCEPT, accept)
                .body(axum::body::Body::empty())
                .unwrap();
            app.send(req).await
        }
    };
    let (status, _, body) = public("application/json").await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    let cc = &body["cold_chain"];
    assert_eq!(cc["kept"], false, "{cc:#}");
    let stays = cc["stays"].as_array().unwrap();
    assert_eq!(stays.len(), 2, "{cc:#}");
    assert_eq!(stays[0]["place"], "一号冷库");
    assert_eq!(stays[0]["kept"], true);
    assert_eq!(stays[0]["readings"], 45);
    assert_eq!(stays[1]["place"], "冷藏车");
    assert_eq!(stays[1]["highest"], 5.5);
    assert_eq!(cc["worst_excursion"]["extreme"], 5.5);
    assert_eq!(cc["worst_excursion"]["minutes"], 30);
    assert_eq!(cc["worst_excursion"]["place"], "冷藏车");
    let (_, _, html) = public("text/html").await;
    let html = html.as_str().unwrap();
    assert!(
        html.contains("冷链温度") && html.contains("最严重超限") && html.contains("5.5 ℃"),
        "{html}"
    );
    // The truck's range edited afterwards: the stay is still judged by the
    // range it had when the readings were taken.
    let edited = merge(
        place("vehicle", "冷藏车"),
        json!({"plate_number": "川A·D12345", "temperature_controlled": true,
               "temperature_min": 6.0, "temperature_max": 8.0}),
    );
    let (status, got) = app
        .put(&format!("/api/v1/places/{truck_id}"), &w.producer.token, edited)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let (_, _, again) = public("application/json").await;
    let stays = again["cold_chain"]["stays"].as_array().unwrap();
    assert_eq!(stays.len(), 2, "{again:#}");
    assert_eq!(
        (stays[1]["range_min"].as_f64(), stays[1]["range_max"].as_f64()),
        (Some(0.0), Some(4.0))
    );
    assert_eq!(
        again["cold_chain"]["worst_excursion"], cc["worst_excursion"],
        "{again:#}"
    );
    assert_eq!(stays[0]["kept"], true);
    // A lot that never stayed cold: null.
    let (_, _, other) = app
        .send(
            axum::http::Request::get(format!("/01/{}/10/LS", w.gtin.trim_start_matches('0')))
                .header(axum::http::header::ACCEPT, "application/json")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(other["cold_chain"].is_null(), "{other:#}");
});
