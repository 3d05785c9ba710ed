//! A suspended organisation in the console: every kind of form it posts
//! (records and corrections, lots, item codes, labels, receiving, master
//! records, users and API keys, certificates, recalls) is refused with the
//! API's own error (403 `organisation_suspended`) and stores nothing; its
//! pages still read, as the API's reads do, and it may still revoke an API
//! key (giving up access), as through the API.

#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::console::{allocate, farm, sign_in};
use crate::trace_chain::{harvest, lot as lot_of, record, shipping, sowing, t};

both_backends!(
    a_suspended_organisation_reads_but_every_form_is_refused,
    |app| async move {
        let f = farm(app, "con_susp").await;
        let b = sign_in(app, "con_susp", ADMIN_PASSWORD).await;
        // Before: a lot with items, a recorded sowing, a second user, an API key.
        let lot_page = allocate(app, &b, &f.product_id, "S1").await;
        let (status, _, _) = b.post(app, &format!("{lot_page}/items"), &[("count", "2")]).await;
        assert_eq!(status, StatusCode::OK);
        let event_id = format!("urn:uuid:{}", uuid::Uuid::now_v7());
        let sowing_form = [
            ("eventID", event_id.as_str()),
            ("step", "store"),
            ("eventTime", "2026-03-01T08:00"),
            ("bizLocation", f.plot_id.as_str()),
            ("agri:variety", "二荆条"),
            ("agri:inputLot", f.seed.as_str()),
            ("agri:operator", "con_susp"),
        ];
        let (status, _, page) = b.post(app, "/console/records/new/sowing", &sowing_form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let (status, _, page) = b
            .post(
                app,
                "/console/org/users",
                &[
                    ("username", "con_susp_clerk"),
                    ("display_name", "钱记录"),
                    ("password", USER_PASSWORD),
                    ("role", "recorder"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let (status, _, _) = b.post(app, "/console/org/keys", &[("name", "称重机")]).await;
        assert_eq!(status, StatusCode::OK);
        let users = app
            .list(&format!("/api/v1/organisations/{}/users", f.org.id), &f.org.token)
            .await;
        let clerk = users.iter().find(|u| u["username"] == "con_susp_clerk").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let keys = app.list("/api/v1/api-keys", &f.org.token).await;
        let key = keys[0]["id"].as_str().unwrap().to_owned();
        // A shipment on its way to it from another farm.
        let g = farm(app, "con_susp_sender").await;
        let (_, p) = app
            .get(&format!("/api/v1/products/{}", g.product_id), &g.org.token)
            .await;
        let sent = lot_of(p["gtin"].as_str().unwrap(), "SUSP1");
        record(
            app,
            &g.org,
            vec![
                sowing(&g.org.place, &t(1, 8), &g.seed),
                harvest(&g.org.place, &t(20, 8), &sent),
                shipping(&sent, &t(21, 8), "DESADV-SUSP-1", f.org.id),
            ],
        )
        .await;
        let lots_before = app.count("/api/v1/lots", &f.org.token).await;
        let places_before = app.count("/api/v1/places", &f.org.token).await;

        let op = app.operator_token().await;
        let (status, body) = app
            .post(
                &format!("/api/v1/organisations/{}/suspend", f.org.id),
                &op,
                json!({"reason": "测试暂停"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Its pages still read.
        for path in [
            "/console/",
            "/console/lots",
            lot_page.as_str(),
            "/console/records",
            "/console/records/new/sowing",
            "/console/master/places",
            "/console/master/products",
            "/console/org",
            "/console/certificates",
            "/console/recalls",
            "/console/shipments",
            "/console/devices",
        ] {
            let (status, _, page) = b.get(app, path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {page}");
        }

        // Every form is refused with the API's error.
        let (_, _, lot) = b.get(app, &lot_page).await;
        let lot_link = lot
            .split("id=\"digital-link\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let fresh = format!("urn:uuid:{}", uuid::Uuid::now_v7());
        let mut sowing_again = sowing_form.to_vec();
        sowing_again[0] = ("eventID", &fresh);
        let labels = format!("{lot_page}/labels");
        let items = format!("{lot_page}/items");
        let role = format!("/console/org/users/{clerk}/role");
        let disable = format!("/console/org/users/{clerk}/disable");
        let revoke = format!("/console/org/keys/{key}/revoke");
        let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("/console/records/new/sowing", sowing_again),
            (
                "/console/record/correct",
                vec![("id", &event_id), ("reason", "incorrect_data")],
            ),
            (
                "/console/lots",
                vec![
                    ("product_id", &f.product_id),
                    ("date", "2026-05-21"),
                    ("site", "S2"),
                ],
            ),
            (&items, vec![("count", "1")]),
            (&labels, vec![("size", "50x30")]),
            (
                "/console/shipments/receive",
                vec![
                    ("despatch", "urn:epcglobal:cbv:bt:9521234000013:DESADV-SUSP-1"),
                    ("place", &f.plot_id),
                ],
            ),
            (
                "/console/master/places",
                vec![("kind", "plot"), ("name", "二号地块"), ("region", "510124")],
            ),
            ("/console/master/suppliers", vec![("name", "成都农资公司")]),
            (
                "/console/org/users",
                vec![
                    ("username", "con_susp_two"),
                    ("display_name", "孙"),
                    ("password", USER_PASSWORD),
                    ("role", "viewer"),
                ],
            ),
            (&role, vec![("role", "viewer")]),
            (&disable, vec![]),
            ("/console/org/keys", vec![("name", "第二个")]),
            (
                "/console/certificates",
                vec![
                    ("code", &lot_link),
                    ("quantity", "10"),
                    ("unit", "kg"),
                    ("basis", "control"),
                ],
            ),
            (
                "/console/recalls",
                vec![("code", &lot_link), ("level", "3"), ("reason", "测试")],
            ),
        ];
        for (path, fields) in &forms {
            let (status, _, page) = b.post(app, path, fields).await;
            let said = page.split("class=\"err\"").nth(1).unwrap_or(&page);
            let said: String = said.chars().take(300).collect();
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {said}");
            // The API's own refusal (its Chinese text; error pages add the code).
            assert!(page.contains("贵机构已被暂停"), "{path}: {said}");
        }

        // Nothing changed.
        assert_eq!(app.count("/api/v1/lots", &f.org.token).await, lots_before);
        assert_eq!(app.count("/api/v1/places", &f.org.token).await, places_before);
        let users = app
            .list(&format!("/api/v1/organisations/{}/users", f.org.id), &f.org.token)
            .await;
        assert_eq!(users.len(), 2);
        let clerk_now = users.iter().find(|u| u["id"] == clerk.as_str()).unwrap();
        assert_eq!(clerk_now["role"], "recorder");
        assert_eq!(app.list("/api/v1/api-keys", &f.org.token).await.len(), 1);
        // Giving up access is no change of records: a key is still revoked, as
        // through the API (`DELETE /api/v1/api-keys/{id}`).
        let (status, _, _) = b.post(app, &revoke, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let keys = app.list("/api/v1/api-keys", &f.org.token).await;
        assert!(keys[0]["revoked_at"].is_string(), "{keys:?}");
        let (_, certs) = app.get("/api/v1/certificates", &f.org.token).await;
        assert_eq!(certs["items"].as_array().map_or(0, Vec::len), 0, "{certs}");
    }
);
