//! Storage and transport conditions on a lot's trace (R-4.2.4,
//! R-5.3.2.1): a lot stored in a cold room and carried in a truck shows,
//! beside its storage and shipping records, the readings of each stay
//! summarised as EPCIS `sensorElementList` data (minimum, maximum, mean
//! per device and quantity) and the silences of the devices longer than
//! two hours, on the trace report and on the console's lot timeline;
//! computed from the logged readings, the signed documents untouched; a
//! device moved since counts for the place it was at then. On both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::console::sign_in;
use crate::devices::{cold_room, device, half_hourly, send, store_carry_receive};
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::json;

both_backends!(stays_show_their_readings_and_silences, |app| async move {
    let w = World::new(app, "cond").await;
    let room = cold_room(app, &w.producer, "一号冷库").await;
    let truck = app
        .create_place(
            &w.producer.token,
            merge(
                place("vehicle", "冷藏车"),
                json!({"plate_number": "川A·C54321", "temperature_controlled": true,
                       "temperature_min": 0.0, "temperature_max": 4.0}),
            ),
        )
        .await;
    let (room_dev, room_token) = device(app, &w.producer, "cold_room", &room).await;
    let (truck_dev, truck_token) =
        device(app, &w.producer, "truck_logger", truck["id"].as_str().unwrap()).await;
    // Stored on the 5th at 10:00, carried (the truck named by its plate
    // only) on the 6th at 08:00, received at 14:00.
    store_carry_receive(app, &w, &room, |carried| {
        carried["agri:vehicle"] = json!("川A·C54321")
    })
    .await;
    // The room: 2.0 °C from 10:00 to 18:00, silent until 22:00, then 3.0 °C
    // to 08:00 (with one reading at 4.0).
    for body in [
        half_hourly(&t(5, 10), 8, 2.0, &[]),
        half_hourly(&t(5, 22), 10, 3.0, &[(3, 4.0)]),
    ] {
        let (status, done) = send(app, &room_dev, &room_token, "application/json", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{done}");
    }
    let (status, _) = send(
        app,
        &truck_dev,
        &truck_token,
        "application/json",
        half_hourly(&t(6, 8), 6, 3.0, &[(4, 5.5)]),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let docs_before = documents(app).await;

    let (status, report) = app
        .get(
            &format!("/api/v1/trace/back?code={}", enc(&w.l1)),
            &w.producer.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let conditions = report["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 2, "{conditions:#?}");
    let stored = &conditions[0];
    assert_eq!(stored["place_name"], "一号冷库");
    let storage_event = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["record_kind"] == "storage_in")
        .unwrap();
    assert_eq!(stored["event_id"], storage_event["event_id"]);
    let elements = stored["sensor_element_list"].as_array().unwrap();
    assert_eq!(elements.len(), 1);
    let meta = &elements[0]["sensorMetadata"];
    assert_eq!(meta["deviceID"], format!("urn:suyuan:device:{room_dev}"));
    assert_eq!(meta["startTime"], "2026-03-05T02:00:00.000Z");
    assert_eq!(meta["endTime"], "2026-03-06T00:00:00.000Z");
    let temp = &elements[0]["sensorReport"][0];
    assert_eq!(temp["type"], "Temperature");
    assert_eq!(temp["uom"], "CEL");
    assert_eq!(
        (temp["minValue"].as_f64(), temp["maxValue"].as_f64()),
        (Some(2.0), Some(4.0))
    );
    // 17 readings at 2.0, 20 at 3.0 and one at 4.0 until the shipping (08:00 included).
    let mean = temp["meanValue"].as_f64().unwrap();
    assert!(
        (mean - (17.0 * 2.0 + 20.0 * 3.0 + 4.0) / 38.0).abs() < 0.001,
        "{mean}"
    );
    // The four silent hours are a gap on the lot's record.
    let gaps = stored["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["minutes"], 240);
    assert_eq!(gaps[0]["device_id"], room_dev.as_str());
    assert_eq!(gaps[0]["from"], "2026-03-05T10:00:00Z");
    // In the truck (found by its plate): the excursion's 5.5 °C.
    let carried = &conditions[1];
    assert_eq!(carried["place_name"], "冷藏车");
    let truck_report = &carried["sensor_element_list"][0]["sensorReport"][0];
    assert_eq!(truck_report["maxValue"], 5.5);
    assert_eq!(
        carried["sensor_element_list"][0]["sensorMetadata"]["deviceID"],
        format!("urn:suyuan:device:{truck_dev}")
    );
    assert!(carried["gaps"].as_array().unwrap().is_empty());
    // The signed documents are as they were.
    assert_eq!(documents(app).await, docs_before);

    // The console's lot timeline shows them under their records.
    let lot = app.store.find_unit(&w.l1).await.unwrap().unwrap();
    let browser = sign_in(app, "cond.coop", ADMIN_PASSWORD).await;
    let (status, _, html) = browser.get(app, &format!("/console/lots/{}", lot.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("储运条件"), "{html}");
    assert!(html.contains("最高 5.5℃"), "{html}");
    assert!(html.contains("未上报") && html.contains("240 分钟"), "{html}");

    // The room's probe moved into the truck today: its readings of March
    // stay the room's, and the truck's stay in March does not take them.
    let (status, moved) = app
        .post(
            &format!("/api/v1/devices/{room_dev}/place"),
            &w.producer.token,
            json!({"place": truck["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, after) = app
        .get(
            &format!("/api/v1/trace/back?code={}", enc(&w.l1)),
            &w.producer.token,
        )
        .await;
    assert_eq!(after["conditions"], report["conditions"]);
    crate::tlog::verify_ok(app).await;
});

/// Every stored event document, by id.
async fn documents(app: &TestApp) -> Vec<(String, String)> {
    app.store
        .db()
        .conn()
        .fetch_all("SELECT event_id, document FROM events ORDER BY event_id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("event_id").unwrap(), r.text("document").unwrap()))
        .collect()
}
