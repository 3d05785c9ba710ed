//! Status reaches every unit: when a lot becomes non-conformant, so do its
//! items, what was made of it and what it was packed in, with the reason
//! in Chinese and English; units made of it later inherit the status; the
//! capture job warns; item codes are not issued for it and it leaves only on
//! a logged override.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

fn page(path: &str, lang: &str, json: bool) -> axum::http::Request<axum::body::Body> {
    let mut b = axum::http::Request::builder().uri(format!("{path}?lang={lang}"));
    if json {
        b = b.header("accept", "application/json");
    }
    b.body(axum::body::Body::empty()).unwrap()
}

both_backends!(
    non_conformance_reaches_every_unit_made_of_a_lot,
    |app| async move {
        let w = World::new(app, "reach").await;
        let lab = company(app, "testing_agency", "reach.lab", "warehouse").await;
        let cut = lot(&w.gtin, "L-CUT");
        let pallet = sscc();
        record(
            app,
            &w.producer,
            vec![
                processing(&w.base, &t(6, 8), &[&w.l1], &[&cut]),
                packing(&w.base, &t(6, 9), &pallet, &[&cut]),
                sampling(&w.l1, &t(6, 10), "R-1", lab.id),
            ],
        )
        .await;
        // Items issued for a platform lot of a registered product.
        let (status, product) = app
            .post("/api/v1/products", &w.producer.token, product(&gtin13(), "辣椒"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{product}");
        let (status, platform_lot) = app
            .post(
                "/api/v1/lots",
                &w.producer.token,
                json!({"product_id": product["id"], "date": "2026-03-05", "site": "A1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{platform_lot}");
        let lot_id = platform_lot["id"].as_str().unwrap().to_owned();
        let (status, items) = app
            .post(
                &format!("/api/v1/lots/{lot_id}/items"),
                &w.producer.token,
                json!({"count": 2}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{items}");
        let platform_epc = platform_lot["epc"].as_str().unwrap().to_owned();
        record(
            app,
            &w.producer,
            vec![sampling(&platform_epc, &t(6, 10), "R-2", lab.id)],
        )
        .await;

        // The failed test: the job warns, naming what it made non-conformant.
        let job = record(
            app,
            &lab,
            vec![
                testing(&w.l1, &t(6, 11), "fail", "R-1"),
                testing(&platform_epc, &t(6, 11), "fail", "R-2"),
            ],
        )
        .await;
        let warnings = job["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 2, "{job:#}");
        assert_eq!(warnings[0]["code"], "made_non_conformant");
        assert_eq!(warnings[0]["event_index"], 0);
        assert!(warnings[0]["detail_zh"].as_str().unwrap().contains("不合格"));
        let (status, kept) = app
            .get(
                &format!("/epcis/capture/{}", job["captureID"].as_str().unwrap()),
                &lab.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kept["warnings"], job["warnings"], "the job keeps its warnings");

        for epc in [&w.l1, &cut, &pallet, &platform_epc] {
            let u = unit(app, epc).await;
            assert_eq!(u.status, "non_conformant", "{epc}");
            assert!(
                u.status_reason.as_deref().unwrap().contains("failed test"),
                "{u:?}"
            );
            assert!(
                u.status_reason_zh.as_deref().unwrap().contains("检测不合格"),
                "{u:?}"
            );
        }
        for item in items["codes"].as_array().unwrap() {
            let (status, forms) = app
                .request(
                    "GET",
                    &format!("/api/v1/codes/parse?code={}", enc(item.as_str().unwrap())),
                    None,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{forms}");
            let path = forms["digital_link"]
                .as_str()
                .unwrap()
                .replace("http://127.0.0.1:8080", "");
            // The item's page warns first, in Chinese by default.
            let (status, _, html) = app.send(page(&path, "zh", false)).await;
            assert_eq!(status, StatusCode::OK);
            let html = html.as_str().unwrap();
            let warn = html.find("class=\"warn\"").expect("a warning");
            assert!(
                warn < html.find("class=\"card\"").unwrap_or(usize::MAX),
                "the warning comes first"
            );
            assert!(html.contains("检测不合格"), "{html}");
            let (_, _, en) = app.send(page(&path, "en", true)).await;
            assert_eq!(en["status"], "non_conformant", "{en:#}");
        }
        // No more item codes for it.
        let (status, body) = app
            .post(
                &format!("/api/v1/lots/{lot_id}/items"),
                &w.producer.token,
                json!({"count": 1}),
            )
            .await;
        assert_problem(&(status, body), 409, "lot_non_conformant", Some("lot"));
        // With an override giving the reason: issued, non-conformant, and
        // the override is in the logged issue record.
        let (status, issued) = app
            .post(
                &format!("/api/v1/lots/{lot_id}/items"),
                &w.producer.token,
                json!({"count": 1, "non_conformance_override": "贴码后退回供应商销毁"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        let code = issued["codes"][0].as_str().unwrap();
        let (status, parsed) = app
            .get(
                &format!("/api/v1/codes/parse?code={}", enc(code)),
                &w.producer.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{parsed}");
        let item = unit(app, parsed["canonical"].as_str().unwrap()).await;
        assert_eq!(item.status, "non_conformant", "{item:?}");
        assert!(item.status_reason_zh.is_some(), "{item:?}");
        let leaf = format!("item_issue:{}", issued["issue_id"].as_str().unwrap());
        let (status, proof) = app
            .get(&format!("/tlog/proof?record={}", enc(&leaf)), &w.producer.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        let row = app
            .store
            .db()
            .conn()
            .fetch_optional(
                "SELECT override_reason FROM item_issues WHERE id = $1",
                &[issued["issue_id"].as_str().unwrap().into()],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.text("override_reason").unwrap(), "贴码后退回供应商销毁");

        // Made of it later: non-conformant from the start.
        let later = lot(&w.gtin, "L-LATER");
        record(
            app,
            &w.producer,
            vec![processing(&w.base, &t(7, 8), &[&w.l1], &[&later])],
        )
        .await;
        assert_eq!(unit(app, &later).await.status, "non_conformant");

        // It leaves only on an override, which the record carries.
        let despatch = format!("D{}", unique());
        let ship = shipping(&pallet, &t(8, 8), &despatch, w.retailer.id);
        let e = refuse(app, &w.producer, ship.clone(), "unit_non_conformant").await;
        assert_eq!(e["field"], "epcList");
        let mut released = ship;
        released["eventID"] = json!(new_event_id());
        released["agri:nonConformanceOverride"] = json!("退回供应商销毁");
        let job = record(app, &w.producer, vec![released]).await;
        assert_eq!(job["warnings"][0]["code"], "non_conformant_released", "{job:#}");
        let _: Value = job;
    }
);
