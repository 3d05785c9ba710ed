//! Records mean what they say (issue 12): one canonical reference per
//! place and input lot whatever form the record used, a reference to
//! nothing refused naming its field, values of their declared type, what
//! comes from master data as registered, and a late spray that re-checks the
//! harvests of its season.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_store::trace::lineage::Direction;

/// `field` of `event` set to `value` (a fresh eventID).
fn with(mut event: Value, field: &str, value: Value) -> Value {
    event["eventID"] = json!(new_event_id());
    event[field] = value;
    event
}

fn purchase_id(input_lot: &str) -> &str {
    input_lot.strip_prefix("urn:suyuan:input-lot:").unwrap()
}

/// The refusal of one event: its field and code.
async fn refused_as(app: &TestApp, org: &Org, event: Value, field: &str, code: &str) {
    let e = refuse(app, org, event, code).await;
    assert_eq!(e["field"], field, "{e}");
}

// Findings 3 and 5: values and references that mean nothing are refused,
// naming the field, and nothing is stored.
both_backends!(
    references_and_values_that_mean_nothing_are_refused,
    |app| async move {
        let w = World::new(app, "nothing").await;
        let (other, _, _) = cooperative(app, "nothing.other").await;
        let theirs = buy(app, &other, "pesticide", "PD20080005").await;
        let plot = w.producer.place.as_str();
        let spray = pest_control(plot, &t(10, 8), &w.pesticide, "PD20080005", 7);
        for (field, value, code) in [
            ("agri:inputLot", json!("garbage-123"), "input_lot_unknown"),
            ("agri:inputLot", json!(theirs), "input_lot_unknown"),
            ("agri:inputLot", json!(w.fertiliser), "input_lot_kind"),
            (
                "agri:registrationNumber",
                json!("not a number"),
                "pesticide_registration_format",
            ),
            ("agri:dose", json!("lots"), "value_measure"),
            ("agri:preHarvestIntervalDays", json!("one"), "value_days"),
            ("agri:operator", json!("路人甲"), "operator_unknown"),
            ("agri:dosage", json!("20 g/亩"), "record_field_unknown"),
        ] {
            refused_as(app, &w.producer, with(spray.clone(), field, value), field, code).await;
        }
        // A plot that does not exist, in the platform's own forms.
        let nowhere = format!("urn:uuid:{}", uuid::Uuid::now_v7());
        refused_as(
            app,
            &w.producer,
            with(spray.clone(), "bizLocation", json!({"id": nowhere})),
            "bizLocation",
            "place_unknown",
        )
        .await;
        let nowhere = format!("urn:suyuan:place:{}", uuid::Uuid::now_v7());
        refused_as(
            app,
            &w.producer,
            with(spray.clone(), "bizLocation", json!({"id": nowhere})),
            "bizLocation",
            "place_unknown",
        )
        .await;
        // A record's place must be registered, in whatever form.
        refused_as(
            app,
            &w.producer,
            with(spray.clone(), "bizLocation", json!({"id": "urn:example:field:7"})),
            "bizLocation",
            "place_unknown",
        )
        .await;

        // A test's conclusion is pass or fail, and agrees with its items.
        let lab = company(app, "testing_agency", "nothing.lab", "warehouse").await;
        record(app, &w.producer, vec![sampling(&w.l1, &t(6, 8), "N-1", lab.id)]).await;
        let test = testing(&w.l1, &t(7, 8), "pass", "N-1");
        for bad in ["FAIL", "不合格（超标）", "failed"] {
            refused_as(
                app,
                &lab,
                with(test.clone(), "agri:conclusion", json!(bad)),
                "agri:conclusion",
                "value_conclusion",
            )
            .await;
        }
        let failing_items =
            json!([{"item": "毒死蜱", "result": "0.5 mg/kg", "limit": "0.02 mg/kg", "pass": false}]);
        refused_as(
            app,
            &lab,
            with(test.clone(), "agri:testItems", failing_items),
            "agri:conclusion",
            "conclusion_contradicts_items",
        )
        .await;
        refused_as(
            app,
            &lab,
            with(test.clone(), "agri:testItems", json!(["毒死蜱"])),
            "agri:testItems",
            "value_test_items",
        )
        .await;
        assert_eq!(unit(app, &w.l1).await.status, "active");
        // "fail" with its failing item marks the lot.
        record(app, &lab, vec![testing(&w.l1, &t(7, 9), "fail", "N-1")]).await;
        assert_eq!(unit(app, &w.l1).await.status, "non_conformant");
    }
);

// Finding 8: under rollback, every bad event of a document is reported
// (with each of its problems), and nothing is stored.
both_backends!(rollback_reports_every_bad_event, |app| async move {
    let w = World::new(app, "every").await;
    let plot = w.producer.place.as_str();
    let good = irrigation(plot, &t(9, 8));
    let mut two_problems = pest_control(plot, &t(10, 8), &w.pesticide, "PD20080005", 7);
    two_problems["agri:dose"] = json!("lots");
    two_problems["agri:preHarvestIntervalDays"] = json!("one");
    let bad_place = with(
        irrigation(plot, &t(11, 8)),
        "bizLocation",
        json!({"id": "urn:uuid:00000000-0000-7000-8000-000000000000"}),
    );
    let job = capture(app, &w.producer, vec![good.clone(), two_problems, bad_place]).await;
    assert_eq!(job["success"], false);
    assert_eq!(job["captured"], 0);
    let got: Vec<(i64, String, String)> = job["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_index"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "agri:dose".into(), "value_measure".into()),
            (1, "agri:preHarvestIntervalDays".into(), "value_days".into()),
            (2, "bizLocation".into(), "place_unknown".into()),
        ],
        "{job:#}"
    );
    let (status, _) = get_event(app, &w.producer, &id_of(&good)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

// Finding 2: the registered input decides the interval, and a spray
// recorded after the harvest re-checks it.
both_backends!(the_registered_input_decides_the_interval, |app| async move {
    let w = World::new(app, "phi.master").await;
    let plot = w.producer.place.as_str();
    // Registered at 7 days: a typed 1 (or another number) is refused.
    refused_as(
        app,
        &w.producer,
        pest_control(plot, &t(6, 8), &w.pesticide, "PD20080005", 1),
        "agri:preHarvestIntervalDays",
        "pre_harvest_interval_mismatch",
    )
    .await;
    refused_as(
        app,
        &w.producer,
        pest_control(plot, &t(6, 8), &w.pesticide, "PD20180123", 7),
        "agri:registrationNumber",
        "registration_number_mismatch",
    )
    .await;
    // Sown on the 1st, harvested on the 10th; then a spray dated the 7th
    // (3 days before the harvest) is recorded.
    let late = lot(&w.gtin, "LATE");
    record(app, &w.producer, vec![harvest(plot, &t(10, 8), &late)]).await;
    assert_eq!(unit(app, &late).await.status, "active");
    let job = record(
        app,
        &w.producer,
        vec![pest_control(plot, &t(7, 8), &w.pesticide, "PD20080005", 7)],
    )
    .await;
    let u = unit(app, &late).await;
    assert_eq!(u.status, "non_conformant", "{u:?}");
    assert!(u.status_reason.unwrap_or_default().contains("PD20080005"));
    let warned = job["warnings"].as_array().unwrap();
    assert!(
        warned
            .iter()
            .any(|x| x["code"] == "made_non_conformant" && x["detail"].as_str().unwrap().contains(&late)),
        "{job:#}"
    );
    // The input now reaches the lot.
    let forward = trace(app, &w.producer, &w.pesticide, Direction::Forward).await;
    assert!(traced(&forward, &late).is_some(), "{forward:#}");
    // Lots harvested in the plot's earlier season (before the 1 March
    // sowing there is none) and the lot harvested on the 5th (before the
    // spray) are untouched.
    assert_eq!(unit(app, &w.l1).await.status, "active");
});

// Finding 4: one input lot referenced in three accepted forms; the forward
// trace from any form reaches every lot sprayed from it, and only those.
both_backends!(
    an_input_lot_is_traced_forward_whatever_its_form,
    |app| async move {
        let w = World::new(app, "forms").await;
        let id = purchase_id(&w.pesticide).to_owned();
        let other_pesticide = buy(app, &w.producer, "pesticide", "PD20180123").await;
        let forms = [w.pesticide.clone(), format!("urn:uuid:{id}"), id.clone()];
        let mut sprayed = Vec::new();
        for (i, form) in forms.iter().enumerate() {
            let plot = new_plot(app, &w.producer, &w.base_id, &format!("喷药地块 {i}")).await;
            let l = lot(&w.gtin, &format!("SPRAYED-{i}"));
            // Sprayed well before the harvest: conformant lots, all of them.
            let mut spray = pest_control(&plot, &t(10, 8), form, "PD20080005", 7);
            spray["agri:dose"] = json!({"value": 20, "unit": "g/亩"});
            record(
                app,
                &w.producer,
                vec![
                    sowing(&plot, &t(2, 8), &w.seed),
                    spray.clone(),
                    harvest(&plot, &t(25, 8), &l),
                ],
            )
            .await;
            // Stored canonical.
            let (_, stored) = get_event(app, &w.producer, &id_of(&spray)).await;
            assert_eq!(stored[0]["agri:inputLot"], w.pesticide.as_str(), "{form}");
            sprayed.push(l);
        }
        let elsewhere = new_plot(app, &w.producer, &w.base_id, "别的地块").await;
        let untouched = lot(&w.gtin, "OTHER-PEST");
        record(
            app,
            &w.producer,
            vec![
                sowing(&elsewhere, &t(2, 8), &w.seed),
                pest_control(&elsewhere, &t(10, 8), &other_pesticide, "PD20180123", 7),
                harvest(&elsewhere, &t(25, 8), &untouched),
            ],
        )
        .await;
        sprayed.sort();
        for form in &forms {
            let (status, report) = app
                .get(
                    &format!("/api/v1/trace/forward?code={}", enc(form)),
                    &w.producer.token,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{form}: {report}");
            let mut lots: Vec<String> = report["units"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| u["epc"].as_str().unwrap().contains("/10/"))
                .map(|u| u["epc"].as_str().unwrap().to_owned())
                .collect();
            lots.sort();
            assert_eq!(
                lots, sprayed,
                "the recall set from {form} is the set sprayed from it"
            );
        }
    }
);

// Finding 5: places are stored by their canonical identifier whatever the
// form used; the plot appears on the lot's consumer page without a GLN.
both_backends!(places_are_stored_canonically, |app| async move {
    let w = World::new(app, "places").await;
    let plot_id = w
        .producer
        .place
        .strip_prefix("urn:suyuan:place:")
        .unwrap()
        .to_owned();
    let l = lot(&w.gtin, "BY-UUID");
    let pick = harvest(&format!("urn:uuid:{plot_id}"), &t(6, 8), &l);
    record(app, &w.producer, vec![pick.clone()]).await;
    let (_, stored) = get_event(app, &w.producer, &id_of(&pick)).await;
    assert_eq!(stored[0]["bizLocation"]["id"], w.producer.place.as_str());
    let (status, by_place) = app
        .get(
            &format!("/epcis/events?EQ_bizLocation={}", enc(&w.producer.place)),
            &w.producer.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let found = by_place["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap();
    assert!(found.iter().any(|e| e["eventID"] == id_of(&pick)), "{by_place:#}");
    // A place with a GLN is named by its GLN's Digital Link.
    let gln_code = gln();
    let mut body = merge(place("plot", "有码地块"), json!({"parent_id": w.base_id}));
    body["gln"] = json!(gln_code);
    let with_gln = app.create_place(&w.producer.token, body).await;
    let g = lot(&w.gtin, "BY-GLN");
    let pick = harvest(
        &format!("urn:suyuan:place:{}", with_gln["id"].as_str().unwrap()),
        &t(6, 9),
        &g,
    );
    record(app, &w.producer, vec![pick.clone()]).await;
    let (_, stored) = get_event(app, &w.producer, &id_of(&pick)).await;
    assert_eq!(
        stored[0]["bizLocation"]["id"],
        format!("https://id.gs1.org/414/{gln_code}")
    );
    // The consumer page of the lot harvested by urn:uuid shows its plot.
    let path = l.strip_prefix("https://id.gs1.org").unwrap();
    let resp = app
        .send(
            axum::http::Request::builder()
                .uri(path)
                .header("accept", "application/json")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(resp.0, StatusCode::OK, "{}", resp.2);
    assert_eq!(resp.2["origin"]["name"], "一号地块", "{:#}", resp.2);
});
