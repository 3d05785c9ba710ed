//! Devices over HTTP: registered, listed, read, moved, attached to a lot
//! and detached, disabled and enabled by their organisation; readings sent with the device's own token and listed for
//! the organisation; alerts listed. Another tenant's device answers 404
//! like nobody's; a device's readings endpoint refuses any credential but
//! its token (401), whatever the id. The organisation's alert webhook set,
//! read and removed by its admin, its deliveries listed and read; another
//! tenant's delivery answers 404.

use super::{Calls, Op};
use crate::devices::{cold_room, temps};
use crate::trace_chain::*;
use serde_json::json;

const DEVICES: Op = ("POST", "/api/v1/devices");
const LIST: Op = ("GET", "/api/v1/devices");
const GET: Op = ("GET", "/api/v1/devices/{id}");
const MOVE: Op = ("POST", "/api/v1/devices/{id}/place");
const ATTACH: Op = ("POST", "/api/v1/devices/{id}/attach");
const DETACH: Op = ("POST", "/api/v1/devices/{id}/detach");
const ATTACHMENTS: Op = ("GET", "/api/v1/devices/{id}/attachments");
const DISABLE: Op = ("POST", "/api/v1/devices/{id}/disable");
const ENABLE: Op = ("POST", "/api/v1/devices/{id}/enable");
const SEND: Op = ("POST", "/api/v1/devices/{id}/readings");
const READINGS: Op = ("GET", "/api/v1/devices/{id}/readings");
const ALERTS: Op = ("GET", "/api/v1/alerts");
const SET_HOOK: Op = ("PUT", "/api/v1/alerts/webhook");
const GET_HOOK: Op = ("GET", "/api/v1/alerts/webhook");
const DELETE_HOOK: Op = ("DELETE", "/api/v1/alerts/webhook");
const DELIVERIES: Op = ("GET", "/api/v1/alerts/webhook/deliveries");
const DELIVERY: Op = ("GET", "/api/v1/alerts/webhook/deliveries/{id}");

pub(super) const OPS: &[Op] = &[
    DEVICES,
    LIST,
    GET,
    MOVE,
    ATTACH,
    DETACH,
    ATTACHMENTS,
    DISABLE,
    ENABLE,
    SEND,
    READINGS,
    ALERTS,
    SET_HOOK,
    GET_HOOK,
    DELETE_HOOK,
    DELIVERIES,
    DELIVERY,
];

both_backends!(devices_and_their_readings, |app| async move {
    let calls = Calls::new(app, OPS);
    let coop = cooperative(app, "routes.dev").await.0;
    let other = company(app, "retailer", "routes.dev2", "store").await;
    let room = cold_room(app, &coop, "冷库").await;
    let made = calls
        .expect(
            DEVICES,
            DEVICES.1,
            &coop.token,
            Some(json!({"name": "探头", "kind": "cold_room", "place": room})),
            201,
        )
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let token = made["token"].as_str().unwrap().to_owned();
    let listed = calls.expect(LIST, LIST.1, &coop.token, None, 200).await;
    assert_eq!(listed["items"][0]["id"], id.as_str());
    let nobody = uuid::Uuid::now_v7();
    let got = calls
        .expect(GET, &GET.1.replace("{id}", &id), &coop.token, None, 200)
        .await;
    assert_eq!(got["place_id"], room.as_str());
    calls
        .foreign(
            GET,
            &GET.1.replace("{id}", &id),
            &GET.1.replace("{id}", &nobody.to_string()),
            &other.token,
            None,
        )
        .await;
    let hall = cold_room(app, &coop, "二号冷库").await;
    calls
        .foreign(
            MOVE,
            &MOVE.1.replace("{id}", &id),
            &MOVE.1.replace("{id}", &nobody.to_string()),
            &other.token,
            Some(json!({"place": hall})),
        )
        .await;
    let moved = calls
        .expect(
            MOVE,
            &MOVE.1.replace("{id}", &id),
            &coop.token,
            Some(json!({"place": hall})),
            200,
        )
        .await;
    assert_eq!(moved["place_id"], hall.as_str());
    // Attached to a lot the cooperative harvested, and detached.
    let harvested = lot(&gtin14(), "L1");
    record(app, &coop, vec![harvest(&coop.place, &t(5, 8), &harvested)]).await;
    let code = json!({"code": harvested});
    for op in [ATTACH, DETACH] {
        calls
            .foreign(
                op,
                &op.1.replace("{id}", &id),
                &op.1.replace("{id}", &nobody.to_string()),
                &other.token,
                Some(code.clone()),
            )
            .await;
        let done = calls
            .expect(
                op,
                &op.1.replace("{id}", &id),
                &coop.token,
                Some(code.clone()),
                200,
            )
            .await;
        assert_eq!(done["unit"], harvested.as_str());
    }
    let path = ATTACHMENTS.1.replace("{id}", &id);
    let now = calls.expect(ATTACHMENTS, &path, &coop.token, None, 200).await;
    assert_eq!(now["places"].as_array().unwrap().len(), 2, "{now}");
    calls
        .foreign(
            ATTACHMENTS,
            &path,
            &ATTACHMENTS.1.replace("{id}", &nobody.to_string()),
            &other.token,
            None,
        )
        .await;
    for op in [DISABLE, ENABLE] {
        let path = op.1.replace("{id}", &id);
        calls
            .foreign(
                op,
                &path,
                &op.1.replace("{id}", &nobody.to_string()),
                &other.token,
                Some(json!({})),
            )
            .await;
    }
    let off = calls
        .expect(
            DISABLE,
            &DISABLE.1.replace("{id}", &id),
            &coop.token,
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(off["enabled"], false);
    let on = calls
        .expect(
            ENABLE,
            &ENABLE.1.replace("{id}", &id),
            &coop.token,
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(on["enabled"], true);
    let send = SEND.1.replace("{id}", &id);
    let body = temps(&[
        ("2026-03-01T08:00:00+08:00", 9.0),
        ("2026-03-01T08:30:00+08:00", 2.0),
    ]);
    let (status, done) = calls.call(SEND, &send, Some(&token), Some(body.clone())).await;
    assert_eq!(status.as_u16(), 202, "{done}");
    assert_eq!(done["accepted"], 2);
    // A user's own credential is not the device's.
    let (status, _) = calls.call(SEND, &send, Some(&coop.token), Some(body)).await;
    assert_eq!(status.as_u16(), 401);
    let readings = READINGS.1.replace("{id}", &id);
    let page = calls.expect(READINGS, &readings, &coop.token, None, 200).await;
    assert_eq!(page["items"][0]["value"], 9.0);
    calls
        .foreign(
            READINGS,
            &readings,
            &READINGS.1.replace("{id}", &nobody.to_string()),
            &other.token,
            None,
        )
        .await;
    let hook = calls
        .expect(
            SET_HOOK,
            SET_HOOK.1,
            &coop.token,
            Some(json!({"url": "https://hooks.example.cn/suyuan"})),
            200,
        )
        .await;
    assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
    app.store
        .check_devices(suyuan_store::now_ms(), &Default::default(), None)
        .await
        .unwrap();
    let alerts = calls.expect(ALERTS, ALERTS.1, &coop.token, None, 200).await;
    let items = alerts["items"].as_array().unwrap();
    let excursion = items.iter().find(|a| a["kind"] == "excursion").unwrap();
    assert_eq!(excursion["extreme"], 9.0);
    assert_eq!(excursion["minutes"], 30);
    // Silent since two hours after its last reading.
    assert!(items.iter().any(|a| a["kind"] == "silent"));
    // Each alert raised or ended waits in the webhook's outbox.
    let hook = calls.expect(GET_HOOK, GET_HOOK.1, &coop.token, None, 200).await;
    assert_eq!(hook["url"], "https://hooks.example.cn/suyuan");
    assert_eq!(hook["pending"], 3, "{hook}");
    let page = calls
        .expect(DELIVERIES, DELIVERIES.1, &coop.token, None, 200)
        .await;
    let first = page["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(page["items"][0]["status"], "pending");
    let path = DELIVERY.1.replace("{id}", &first);
    let one = calls.expect(DELIVERY, &path, &coop.token, None, 200).await;
    assert_eq!(one["payload"]["id"], first.as_str());
    calls
        .foreign(
            DELIVERY,
            &path,
            &DELIVERY.1.replace("{id}", &nobody.to_string()),
            &other.token,
            None,
        )
        .await;
    calls
        .expect(DELETE_HOOK, DELETE_HOOK.1, &coop.token, None, 204)
        .await;
    calls.finish();
});
