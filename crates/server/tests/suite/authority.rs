//! The authority model at capture (`suyuan_core::authority`), one test per
//! finding of the attack on the demo: custody theft, plain events in another
//! product's history, fake test results, cloned codes, faked provenance,
//! receipts by strangers, and what pending organisations and the operator
//! may not do. Every refusal is checked to have stored nothing.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_store::trace::lineage::Direction;
use uuid::Uuid;

/// A plain EPCIS event (no `agri:recordKind`).
fn plain(event_type: &str, action: Option<&str>, biz_step: &str, time: &str, extra: Value) -> Value {
    let mut e = json!({
        "type": event_type,
        "eventID": new_event_id(),
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
        "bizStep": biz_step,
    });
    if let Some(a) = action {
        e["action"] = json!(a);
    }
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// An organisation registered but not verified, with a place.
async fn pending(app: &TestApp, kind: &str, username: &str) -> Org {
    let (id, token) = app
        .register_org(kind, None, &uscc("91", "510115"), username)
        .await;
    let p = app.create_place(&token, place("warehouse", "待审核仓库")).await;
    Org {
        id,
        token,
        username: username.to_owned(),
        place: place_uri(&p),
    }
}

/// The platform operator, as an `Org`.
async fn operator(app: &TestApp) -> Org {
    Org {
        id: app.operator_org_id,
        token: app.operator_token().await,
        username: "admin".into(),
        place: format!("urn:suyuan:place:{}", Uuid::now_v7()),
    }
}

/// Captures, expecting the whole document refused at `index` with `code` and
/// `field`; checks that none of its events was stored.
async fn refused_at(app: &TestApp, org: &Org, events: Vec<Value>, index: usize, field: &str, code: &str) {
    let ids: Vec<String> = events.iter().map(id_of).collect();
    let job = capture(app, org, events).await;
    assert_eq!(job["success"], false, "expected {code}: {job:#}");
    assert_eq!(job["captured"], 0, "{job:#}");
    let e = &job["errors"][0];
    assert_eq!(e["code"], code, "{job:#}");
    assert_eq!(e["event_index"], index, "{job:#}");
    assert_eq!(e["field"], field, "{job:#}");
    for id in ids {
        let (status, _) = get_event(app, org, &id).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id} was stored");
    }
}

/// Capture refused before any event is read (403 with `code`).
async fn forbidden(app: &TestApp, org: &Org, events: Vec<Value>, code: &str) {
    let ids: Vec<String> = events.iter().map(id_of).collect();
    let (status, body) = app.post("/epcis/capture", &org.token, document(events)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["detail_zh"].as_str().is_some_and(|s| !s.is_empty()));
    for id in ids {
        let found = app.store.find_unit(&id).await.unwrap();
        assert!(found.is_none());
    }
}

/// The number of events an organisation has stored (all pages).
async fn stored_events(app: &TestApp, org: &Org) -> usize {
    let (status, body) = app.get("/epcis/events?perPage=1000", &org.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .map_or(0, Vec::len)
}

// 1. Custody theft: an ADD on another's item, then a shipping and a
// receiving in the same document; by a verified and by a pending org.
both_backends!(custody_cannot_be_taken_within_a_document, |app| async move {
    let w = World::new(app, "theft").await;
    let thief = company(app, "logistics", "theft.thief", "warehouse").await;
    let despatch = format!("D{}", unique());
    let steal = || {
        vec![
            plain(
                "ObjectEvent",
                Some("ADD"),
                "commissioning",
                &t(7, 8),
                json!({"quantityList": [qty(&w.l1, 500.0)], "bizLocation": at(&thief.place)}),
            ),
            shipping(&w.l1, &t(7, 9), &despatch, thief.id),
            receiving(&w.l1, &thief.place, &t(7, 10), &despatch),
        ]
    };
    refused_at(app, &thief, steal(), 0, "quantityList", "unit_not_held").await;
    // Under `proceed`, each event stands alone: every one is refused.
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/epcis/capture")
        .header("authorization", format!("Bearer {}", thief.token))
        .header("content-type", "application/json")
        .header("GS1-Capture-Error-Behaviour", "proceed")
        .body(axum::body::Body::from(document(steal()).to_string()))
        .unwrap();
    let (status, _, job) = app.send(req).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(job["captured"], 0, "{job:#}");
    assert_eq!(job["errors"].as_array().unwrap().len(), 3, "{job:#}");
    assert_eq!(stored_events(app, &thief).await, 0);
    let u = unit(app, &w.l1).await;
    assert_eq!(u.holder_org_id, w.producer.id, "custody stays");

    let squatter = pending(app, "logistics", "theft.pending").await;
    forbidden(app, &squatter, steal(), "organisation_not_verified").await;

    // The real holder goes on.
    record(app, &w.producer, vec![sale(&w.l1, &w.base, &t(8, 8))]).await;
});

// 2. Plain events in another product's history: a sale by the carrier at
// the shop, a destruction by a stranger, anything by a pending organisation
// or the operator.
both_backends!(plain_events_on_anothers_units_are_refused, |app| async move {
    let w = World::new(app, "plainev").await;
    let carrier = company(app, "logistics", "plainev.carrier", "warehouse").await;
    let selling = plain(
        "ObjectEvent",
        Some("OBSERVE"),
        "retail_selling",
        &t(7, 8),
        json!({"quantityList": [qty(&w.shipped, 1.0)], "bizLocation": at(&carrier.place)}),
    );
    refused_at(
        app,
        &carrier,
        vec![selling.clone()],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
    let destroying = plain(
        "ObjectEvent",
        Some("DELETE"),
        "destroying",
        &t(7, 9),
        json!({"quantityList": [qty(&w.l1, 500.0)]}),
    );
    refused_at(
        app,
        &carrier,
        vec![destroying.clone()],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
    // At another organisation's registered place: refused, even on one's own unit.
    let mine = lot(&gtin14(), "CARRIER-OWN");
    let at_their_place = plain(
        "ObjectEvent",
        Some("ADD"),
        "commissioning",
        &t(7, 10),
        json!({"quantityList": [qty(&mine, 1.0)], "bizLocation": at(&w.retailer.place)}),
    );
    refused_at(
        app,
        &carrier,
        vec![at_their_place],
        0,
        "bizLocation",
        "place_not_yours",
    )
    .await;

    let stranger = pending(app, "retailer", "plainev.pending").await;
    forbidden(app, &stranger, vec![selling.clone()], "organisation_not_verified").await;
    let op = operator(app).await;
    forbidden(app, &op, vec![destroying], "operator_cannot_record").await;

    // Nothing reached the lot's story.
    let report = trace(app, &w.producer, &w.l1, Direction::Back).await;
    for e in report["events"].as_array().unwrap() {
        assert_ne!(e["event_id"], id_of(&selling));
    }
});

// 3. Fake test results: a pending agency records nothing; a verified one
// only what was entrusted to it; the page names the organisation that
// recorded the test, not what was typed.
both_backends!(test_results_need_a_verified_entrusted_agency, |app| async move {
    let w = World::new(app, "faketest").await;
    let fake = pending(app, "testing_agency", "faketest.fake").await;
    forbidden(
        app,
        &fake,
        vec![testing(&w.l1, &t(6, 9), "fail", "S-FAKE")],
        "organisation_not_verified",
    )
    .await;
    let lab = company(app, "testing_agency", "faketest.lab", "warehouse").await;
    refused_at(
        app,
        &lab,
        vec![testing(&w.l1, &t(6, 9), "fail", "S-X")],
        0,
        "quantityList",
        "inspection_not_entrusted",
    )
    .await;
    assert_eq!(unit(app, &w.l1).await.status, "active");
    // Sampling names a verified agency; a pending one, or a retailer, is refused.
    refused_at(
        app,
        &w.producer,
        vec![sampling(&w.l1, &t(6, 8), "S-1", fake.id)],
        0,
        "destinationList",
        "agency_not_verified",
    )
    .await;
    refused_at(
        app,
        &w.producer,
        vec![sampling(&w.l1, &t(6, 8), "S-1", w.retailer.id)],
        0,
        "destinationList",
        "agency_not_verified",
    )
    .await;
    // Nobody but the holder has a lot sampled.
    refused_at(
        app,
        &w.retailer,
        vec![sampling(&w.l1, &t(6, 8), "S-1", lab.id)],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
    record(app, &w.producer, vec![sampling(&w.l1, &t(6, 8), "S-1", lab.id)]).await;
    // Entrusted with L1, the lab still may not test another lot.
    refused_at(
        app,
        &lab,
        vec![testing(&w.shipped, &t(6, 9), "fail", "S-2")],
        0,
        "quantityList",
        "inspection_not_entrusted",
    )
    .await;
    let mut test = testing(&w.l1, &t(6, 9), "fail", "S-1");
    test["agri:agency"] = json!("国家级权威检测中心（冒名）");
    record(app, &lab, vec![test]).await;
    assert_eq!(unit(app, &w.l1).await.status, "non_conformant");
    // The public page names the organisation that recorded the test.
    let path = w.l1.replace("https://id.gs1.org", "");
    let (status, _, page) = app.send(public_json(&path)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let text = page.to_string();
    assert!(!text.contains("冒名"), "the typed agency is not shown: {page:#}");
    let tests: Vec<&Value> = page["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "testing")
        .collect();
    assert_eq!(tests.len(), 1, "{page:#}");
    assert_eq!(tests[0]["organisation"], "测试机构faketest.lab");
    assert_eq!(tests[0]["organisation_suspended"], false);
    // Suspending the lab afterwards: its records stand, and the page says so.
    let op = app.operator_token().await;
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", lab.id),
            &op,
            json!({"reason": "出具虚假检测报告"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, page) = app.send(public_json(&path)).await;
    let test = page["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "testing")
        .cloned()
        .unwrap();
    assert_eq!(test["organisation_suspended"], true, "{page:#}");
    let (status, _, html) = app.send(public_html(&path)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.as_str().unwrap().contains("记录机构已被暂停"), "{html}");
});

/// A GET of a public page as a phone's browser asks for it.
fn public_html(path: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .uri(path)
        .body(axum::body::Body::empty())
        .unwrap()
}

/// A GET of a public page asking for JSON.
fn public_json(path: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .uri(path)
        .header("accept", "application/json")
        .body(axum::body::Body::empty())
        .unwrap()
}

// 4. Cloned codes: serials and lots under another organisation's GTIN;
// products under another's verified prefix; pending organisations claim no
// GTIN.
both_backends!(nobody_commissions_under_anothers_gtin, |app| async move {
    let (victim_id, victim) = app.producer("clone.victim", "510115").await;
    let prefix = format!("{:07}", 6_900_000 + unique() % 99_999);
    let gtin_body = format!("{prefix}00001");
    let gtin = format!(
        "0{gtin_body}{}",
        suyuan_core::codes::gs1_check_digit(&format!("0{gtin_body}"))
    );
    let (status, product) = app
        .post(
            "/api/v1/products",
            &victim,
            merge(crate::common::product(&gtin, "正品"), json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let cloner = company(app, "processor", "clone.cloner", "warehouse").await;
    for epc in [
        format!("https://id.gs1.org/01/{gtin}/21/CLONE1"),
        format!("https://id.gs1.org/01/{gtin}/10/CLONED-LOT"),
    ] {
        let field = if epc.contains("/21/") {
            "epcList"
        } else {
            "quantityList"
        };
        let body = if field == "epcList" {
            json!({"epcList": [epc]})
        } else {
            json!({"quantityList": [qty(&epc, 1.0)]})
        };
        let add = plain("ObjectEvent", Some("ADD"), "commissioning", &t(7, 8), body);
        refused_at(app, &cloner, vec![add], 0, field, "gs1_key_not_yours").await;
        assert!(app.store.find_unit(&epc).await.unwrap().is_none());
    }
    // The victim itself may.
    let own = format!("https://id.gs1.org/01/{gtin}/21/GENUINE1");
    let add = plain(
        "ObjectEvent",
        Some("ADD"),
        "commissioning",
        &t(7, 8),
        json!({"epcList": [own]}),
    );
    let victim_org = Org {
        id: victim_id,
        token: victim.clone(),
        username: "clone.victim".into(),
        place: String::new(),
    };
    record(app, &victim_org, vec![add]).await;

    // A pending organisation registers no GTIN.
    let (_, pending_token) = app.pending_producer("clone.pending", "510115").await;
    let (status, body) = app
        .post(
            "/api/v1/products",
            &pending_token,
            crate::common::product(&gtin13(), "抢注"),
        )
        .await;
    assert_problem(&(status, body), 403, "organisation_not_verified", None);

    // A verified prefix: nobody else registers a product under it.
    let (status, claim) = app
        .post(
            "/api/v1/company-prefixes",
            &victim,
            json!({"prefix": prefix, "certificate_number": "物编注字第 123456 号"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["status"], "claimed");
    // Only the operator decides.
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/company-prefixes/{}/verify",
                claim["id"].as_str().unwrap()
            ),
            &victim,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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
    assert_eq!(decided["status"], "verified");
    let other_body = format!("{prefix}00002");
    let other_gtin = format!(
        "0{other_body}{}",
        suyuan_core::codes::gs1_check_digit(&format!("0{other_body}"))
    );
    let (status, body) = app
        .post(
            "/api/v1/products",
            &cloner.token,
            crate::common::product(&other_gtin, "仿冒"),
        )
        .await;
    assert_problem(&(status, body), 422, "gtin_prefix_owned", Some("gtin"));
    // A lot under the prefix that no product names yet: still the victim's.
    let lot_under_prefix = format!("https://id.gs1.org/01/{other_gtin}/10/L9");
    let add = plain(
        "ObjectEvent",
        Some("ADD"),
        "commissioning",
        &t(7, 8),
        json!({"quantityList": [qty(&lot_under_prefix, 1.0)]}),
    );
    refused_at(app, &cloner, vec![add], 0, "quantityList", "gs1_key_not_yours").await;
    // The public page says whether the GTIN is verified.
    let path = own.replace("https://id.gs1.org", "");
    let (status, _, page) = app.send(public_json(&path)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["product"]["gtin_verified"], true, "{page:#}");
    let (_, _, html) = app.send(public_html(&path)).await;
    assert!(!html.as_str().unwrap().contains("商品条码未经核验"), "{html}");
    // A product under no verified prefix: the page says so.
    let (status, unverified) = app
        .post(
            "/api/v1/products",
            &cloner.token,
            crate::common::product(&gtin13(), "未核验产品"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unverified}");
    let item = format!(
        "https://id.gs1.org/01/{}/21/U1",
        unverified["gtin"].as_str().unwrap()
    );
    let add = plain(
        "ObjectEvent",
        Some("ADD"),
        "commissioning",
        &t(7, 8),
        json!({"epcList": [item]}),
    );
    record(app, &cloner, vec![add]).await;
    let path = item.replace("https://id.gs1.org", "");
    let (_, _, page) = app.send(public_json(&path)).await;
    assert_eq!(page["product"]["gtin_verified"], false, "{page:#}");
    let (_, _, html) = app.send(public_html(&path)).await;
    assert!(html.as_str().unwrap().contains("商品条码未经核验"), "{html}");
});

// 5. Faked provenance: another's lot as a transformation input; an ADD and
// a harvest on another's lot.
both_backends!(provenance_cannot_be_borrowed, |app| async move {
    let w = World::new(app, "prov").await;
    let (faker, _, _) = cooperative(app, "prov.faker").await;
    let fake_lot = lot(&gtin14(), "FAKE-1");
    let transform = plain(
        "TransformationEvent",
        None,
        "commissioning",
        &t(7, 8),
        json!({
            "inputQuantityList": [qty(&w.l1, 100.0)],
            "outputQuantityList": [qty(&fake_lot, 100.0)],
        }),
    );
    refused_at(
        app,
        &faker,
        vec![transform],
        0,
        "inputQuantityList",
        "unit_not_held",
    )
    .await;
    assert!(app.store.find_unit(&fake_lot).await.unwrap().is_none());
    let origin_before = unit(app, &w.l1).await.origin_place;
    let add = plain(
        "ObjectEvent",
        Some("ADD"),
        "commissioning",
        &t(7, 8),
        json!({"quantityList": [qty(&w.l1, 1.0)]}),
    );
    refused_at(
        app,
        &faker,
        vec![add, harvest(&faker.place, &t(7, 9), &w.l1)],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
    refused_at(
        app,
        &faker,
        vec![harvest(&faker.place, &t(7, 9), &w.l1)],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
    assert_eq!(unit(app, &w.l1).await.origin_place, origin_before);
    // The victim's lot leads forward to nothing of the faker's.
    let report = trace(app, &w.producer, &w.l1, Direction::Forward).await;
    let reached: Vec<&str> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["epc"].as_str())
        .collect();
    assert!(!reached.iter().any(|e| e.contains("FAKE")), "{reached:?}");
});

// 6. Receipts by strangers: a shipment to a registered place is the place's
// organisation's to receive; a destination that is no organisation is
// refused at shipping.
both_backends!(only_the_addressee_receives, |app| async move {
    let w = World::new(app, "rcpt").await;
    let stranger = company(app, "retailer", "rcpt.stranger", "store").await;
    let despatch = format!("D{}", unique());
    let mut to_place = shipping(&w.l1, &t(7, 8), &despatch, w.retailer.id);
    to_place["destinationList"] = json!([{"type": "location", "destination": w.retailer.place}]);
    record(app, &w.producer, vec![to_place]).await;
    refused_at(
        app,
        &stranger,
        vec![receiving(&w.l1, &stranger.place, &t(7, 9), &despatch)],
        0,
        "bizTransactionList",
        "not_the_receiver",
    )
    .await;
    record(
        app,
        &w.retailer,
        vec![receiving(&w.l1, &w.retailer.place, &t(7, 9), &despatch)],
    )
    .await;
    assert_eq!(unit(app, &w.l1).await.holder_org_id, w.retailer.id);

    let mut nowhere = shipping(&w.shipped, &t(7, 10), &format!("D{}", unique()), w.retailer.id);
    nowhere["destinationList"] =
        json!([{"type": "location", "destination": "https://id.gs1.org/414/9521234000013"}]);
    // LS is in transit to the retailer, still held by the producer.
    refused_at(
        app,
        &w.producer,
        vec![nowhere],
        0,
        "destinationList",
        "destination_unknown",
    )
    .await;
});

// Officers inspect and have samples taken within their jurisdiction only.
both_backends!(officers_act_within_their_jurisdiction, |app| async move {
    let w = World::new(app, "officer").await;
    let lab = company(app, "testing_agency", "officer.lab", "warehouse").await;
    let (reg_id, reg_admin) = app
        .register_org_in("regulator", None, &uscc("11", "510100"), "510100", "officer.reg")
        .await;
    app.verify(reg_id).await;
    let officer_of = |name: &'static str, j: &'static str| {
        json!({"username": name, "display_name": "监管员", "password": USER_PASSWORD,
               "role": "officer", "jurisdiction": j})
    };
    for (name, j) in [("officer.in", "5101"), ("officer.out", "510104")] {
        let (status, body) = app
            .post(
                &format!("/api/v1/organisations/{reg_id}/users"),
                &reg_admin,
                officer_of(name, j),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let as_officer = |token: String, name: &str| Org {
        id: reg_id,
        token,
        username: name.to_owned(),
        place: String::new(),
    };
    let outside = as_officer(app.login("officer.out", USER_PASSWORD).await, "officer.out");
    refused_at(
        app,
        &outside,
        vec![sampling(&w.l1, &t(6, 8), "J-1", lab.id)],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
    let inside = as_officer(app.login("officer.in", USER_PASSWORD).await, "officer.in");
    record(app, &inside, vec![sampling(&w.l1, &t(6, 8), "J-1", lab.id)]).await;
    record(app, &lab, vec![testing(&w.l1, &t(6, 9), "pass", "J-1")]).await;
    // An officer inspects; it does not trade.
    refused_at(
        app,
        &inside,
        vec![storage_in(&w.l1, &w.base, &t(6, 10), "A-1")],
        0,
        "quantityList",
        "unit_not_held",
    )
    .await;
});
