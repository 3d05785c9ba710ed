//! Lots, item codes, units, codes and traces over HTTP; and what a trace
//! report says beside its identifiers: the names of organisations, places,
//! products and input lots, and why a unit is not active, in English and
//! Chinese.

use super::{Calls, Op};
use crate::common::*;
use crate::trace_chain::*;
use serde_json::{json, Value};

const CREATE_LOT: Op = ("POST", "/api/v1/lots");
const LIST_LOTS: Op = ("GET", "/api/v1/lots");
const ISSUE: Op = ("POST", "/api/v1/lots/{id}/items");
const UNIT: Op = ("GET", "/api/v1/units/{id}");
const PARSE: Op = ("GET", "/api/v1/codes/parse");
const BACK: Op = ("GET", "/api/v1/trace/back");
const FORWARD: Op = ("GET", "/api/v1/trace/forward");
const EXPORT: Op = ("GET", "/api/v1/trace/export");

pub(super) const OPS: &[Op] = &[CREATE_LOT, LIST_LOTS, ISSUE, UNIT, PARSE, BACK, FORWARD, EXPORT];

/// The canonical identifiers of a list or report's units.
fn epcs(units: &Value) -> Vec<String> {
    let mut v: Vec<String> = units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["epc"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// A trace path for a code in any form.
fn trace_path(op: Op, code: &str) -> String {
    format!("{}?code={}", op.1, enc(code))
}

/// The unit of a report with this identifier.
fn unit_of<'a>(report: &'a Value, epc: &str) -> &'a Value {
    traced(report, epc).unwrap_or_else(|| panic!("{epc} not in {report:#}"))
}

/// Two lots allocated through the API, filtered in the list; another
/// tenant allocates none of them and lists none. Answers the first lot.
async fn lots(calls: &Calls<'_>, app: &TestApp, coop: &Org, other: &Org) -> (Value, Value) {
    let pepper = app.create_product(&coop.token, "二荆条辣椒").await;
    let lettuce = app.create_product(&coop.token, "红光莴笋").await;
    let plot_id = coop.place.strip_prefix("urn:suyuan:place:").unwrap();
    let body =
        json!({"product_id": pepper["id"], "date": "2026-03-01", "site": "a1", "origin_place_id": plot_id});
    let lot = calls
        .expect(CREATE_LOT, CREATE_LOT.1, &coop.token, Some(body.clone()), 201)
        .await;
    assert_eq!(lot["kind"], "lot");
    assert_eq!(lot["status"], "active");
    assert_eq!(lot["gtin"], pepper["gtin"]);
    assert!(lot["batch"].as_str().unwrap().starts_with("20260301A1"), "{lot}");
    assert!(lot["origin_place"].as_str().unwrap().ends_with(plot_id), "{lot}");
    assert_eq!(lot["holder_org_id"], coop.id.to_string());
    let body2 = json!({"product_id": lettuce["id"], "date": "2026-03-05", "site": "B2"});
    let lot2 = calls
        .expect(CREATE_LOT, CREATE_LOT.1, &coop.token, Some(body2), 201)
        .await;
    // Another tenant's product is answered as one nobody has.
    let theirs = app.post(CREATE_LOT.1, &other.token, body.clone()).await;
    assert_problem(&theirs, 422, "reference_not_found", Some("product_id"));
    let mut nobodys_product = body;
    nobodys_product["product_id"] = json!(super::nobodys());
    assert_eq!(
        theirs,
        app.post(CREATE_LOT.1, &other.token, nobodys_product).await
    );

    let list = |q: String| async move {
        let page = calls
            .expect(LIST_LOTS, &format!("/api/v1/lots{q}"), &coop.token, None, 200)
            .await;
        epcs(&page["items"])
    };
    let today = chrono::Utc::now().date_naive();
    let mut both = vec![
        lot["epc"].as_str().unwrap().to_owned(),
        lot2["epc"].as_str().unwrap().to_owned(),
    ];
    both.sort();
    assert_eq!(list(String::new()).await, both);
    assert_eq!(
        list(format!("?product_id={}", pepper["id"].as_str().unwrap())).await,
        [lot["epc"].as_str().unwrap()]
    );
    assert_eq!(
        list(format!("?status=active&from={today}&to={today}")).await,
        both
    );
    assert!(list("?status=non_conformant".into()).await.is_empty());
    assert!(list(format!("?to={}", today.pred_opt().unwrap()))
        .await
        .is_empty());
    let theirs = calls
        .expect(LIST_LOTS, LIST_LOTS.1, &other.token, None, 200)
        .await;
    assert_eq!(theirs["items"], json!([]));
    let path = format!("/api/v1/lots?product_id={}", pepper["id"].as_str().unwrap());
    assert_problem(
        &app.get(&path, &other.token).await,
        422,
        "reference_not_found",
        Some("product_id"),
    );
    (lot, pepper)
}

/// Items issued for the lot; the lot and an item read as units and their
/// codes in every form; another tenant issues and reads nothing. Answers
/// an item's flat code and canonical identifier.
async fn items_and_units(
    calls: &Calls<'_>,
    app: &TestApp,
    lot: &Value,
    coop: &Org,
    other: &Org,
) -> (String, String) {
    let lot_id = lot["id"].as_str().unwrap();
    let path = ISSUE.1.replace("{id}", lot_id);
    let unknown = ISSUE.1.replace("{id}", &super::nobodys());
    calls
        .foreign(ISSUE, &path, &unknown, &other.token, Some(json!({"count": 3})))
        .await;
    let issued = calls
        .expect(ISSUE, &path, &coop.token, Some(json!({"count": 3})), 201)
        .await;
    assert_eq!(issued["count"], 3);
    assert_eq!(issued["lot"]["id"], lot["id"]);
    let codes: Vec<&str> = issued["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 3);
    assert!(codes.iter().all(|c| c.len() == 37), "{codes:?}");

    // The first item's code in every form; the same answer for anyone.
    let parse = format!("{}?code={}", PARSE.1, enc(codes[0]));
    let (status, forms) = calls.call(PARSE, &parse, Some(&coop.token), None).await;
    assert_eq!(status.as_u16(), 200, "{forms}");
    assert_eq!(forms["kind"], "item");
    assert_eq!(forms["flat_code"], codes[0]);
    assert_eq!(forms["gtin"], lot["gtin"]);
    assert_eq!(forms["batch"], lot["batch"]);
    let canonical = forms["canonical"].as_str().unwrap().to_owned();
    assert!(canonical.starts_with(&format!(
        "https://id.gs1.org/01/{}/21/",
        lot["gtin"].as_str().unwrap()
    )));
    assert_eq!(
        calls.call(PARSE, &parse, Some(&other.token), None).await,
        (status, forms.clone())
    );
    assert_eq!(
        calls.call(PARSE, &parse, None, None).await,
        (status, forms.clone())
    );

    let item = unit(app, &canonical).await;
    for (id, kind, epc) in [
        (lot_id.to_owned(), "lot", lot["epc"].clone()),
        (item.id.to_string(), "item", json!(canonical)),
    ] {
        let path = UNIT.1.replace("{id}", &id);
        let got = calls.expect(UNIT, &path, &coop.token, None, 200).await;
        assert_eq!((got["kind"].as_str(), &got["epc"]), (Some(kind), &epc));
        assert_eq!(got["batch"], lot["batch"]);
        calls
            .foreign(
                UNIT,
                &path,
                &UNIT.1.replace("{id}", &super::nobodys()),
                &other.token,
                None,
            )
            .await;
    }
    (codes[0].to_owned(), canonical)
}

/// Traces of the allocated lot, by the cooperative and (404) by another
/// tenant, the code in any form.
async fn traces(
    calls: &Calls<'_>,
    allocated: &Value,
    pepper: &Value,
    item: (&str, &str),
    coop: &Org,
    other: &Org,
) {
    let lot_epc = allocated["epc"].as_str().unwrap();
    let element = format!(
        "(01){}(10){}",
        allocated["gtin"].as_str().unwrap(),
        allocated["batch"].as_str().unwrap()
    );
    let forward = calls
        .expect(FORWARD, &trace_path(FORWARD, &element), &coop.token, None, 200)
        .await;
    assert_eq!(forward["start"], lot_epc);
    assert_eq!(forward["direction"], "forward");
    let reached = unit_of(&forward, item.1);
    assert_eq!(reached["relation"], "member_of");
    assert_eq!(reached["product_name"], pepper["name"]);
    assert_eq!(reached["holder_org_name"], "测试机构routes.lot.coop");
    assert_eq!(epcs(&forward["units"]).len(), 4, "the lot and its three items");

    let back = calls
        .expect(BACK, &trace_path(BACK, item.0), &coop.token, None, 200)
        .await;
    assert_eq!(
        back["start"], item.1,
        "the flat code is traced as its canonical identifier"
    );
    assert_eq!(unit_of(&back, lot_epc)["relation"], "member_of");
    assert_eq!(unit_of(&back, lot_epc)["product_name"], pepper["name"]);
    assert_eq!(
        back["gaps"][0]["epc"], lot_epc,
        "allocated, never harvested: {back:#}"
    );
    assert_eq!(back["gaps"][0]["product_name"], pepper["name"]);

    // The same trace as a spreadsheet.
    let csv = calls
        .expect(
            EXPORT,
            &format!("{}&direction=back&format=csv", trace_path(EXPORT, item.0)),
            &coop.token,
            None,
            200,
        )
        .await;
    assert!(csv.as_str().unwrap().contains("追溯码 trace code"), "{csv}");
    let nobodys_lot = lot(&gtin14(), "L-NOBODY");
    for op in [BACK, FORWARD, EXPORT] {
        for code in [lot_epc, element.as_str(), item.0] {
            calls
                .foreign(
                    op,
                    &trace_path(op, code),
                    &trace_path(op, &nobodys_lot),
                    &other.token,
                    None,
                )
                .await;
        }
    }
}

both_backends!(lots_items_units_codes_and_traces, |app| async move {
    let calls = Calls::new(app, OPS);
    let (coop, _, _) = cooperative(app, "routes.lot.coop").await;
    let other = company(app, "retailer", "routes.lot.shop", "store").await;
    let (lot, pepper) = lots(&calls, app, &coop, &other).await;
    let (flat, canonical) = items_and_units(&calls, app, &lot, &coop, &other).await;
    traces(&calls, &lot, &pepper, (&flat, &canonical), &coop, &other).await;
    calls.finish();
});

// ---------------------------------------------------------------------------
// Names beside identifiers, and the reason in both languages

/// A purchase of a registered input; answers its input-lot URI.
async fn purchase(app: &TestApp, org: &Org, supplier: &Value, input: Value, lot_number: &str) -> String {
    let (status, input) = app.post("/api/v1/inputs", &org.token, input).await;
    assert_eq!(status.as_u16(), 201, "{input}");
    let body = json!({
        "input_id": input["id"], "supplier_id": supplier["id"], "lot_number": lot_number,
        "quantity": 10.0, "unit": "袋", "purchased_on": "2026-02-20"
    });
    let (status, p) = app.post("/api/v1/input-purchases", &org.token, body).await;
    assert_eq!(status.as_u16(), 201, "{p}");
    format!("urn:suyuan:input-lot:{}", p["id"].as_str().unwrap())
}

both_backends!(trace_reports_name_what_they_identify, |app| async move {
    let (coop, _, _) = cooperative(app, "names.coop").await;
    let org_name = "测试机构names.coop";
    let plot = coop.place.clone();
    let product = app.create_product(&coop.token, "郫县二荆条辣椒").await;
    let harvested = lot(product["gtin"].as_str().unwrap(), "L-NAMES");
    let sorting_gln = gln();
    let sorting = app
        .create_place(
            &coop.token,
            merge(
                place("packing_house", "红光分拣中心"),
                json!({"gln": sorting_gln}),
            ),
        )
        .await;
    let sorting_uri = format!("https://id.gs1.org/414/{sorting_gln}");
    let (_, supplier) = app
        .post("/api/v1/suppliers", &coop.token, json!({"name": "郫都农资站"}))
        .await;
    let seed = purchase(
        app,
        &coop,
        &supplier,
        json!({"kind": "seed", "name": "二荆条种子", "unit": "袋"}),
        "S-2026-01",
    )
    .await;
    let fertiliser = purchase(
        app,
        &coop,
        &supplier,
        json!({"kind": "fertiliser", "name": "复合肥", "unit": "袋"}),
        "F-2026-02",
    )
    .await;
    let pesticide = json!({"kind": "pesticide", "name": "吡虫啉", "registration_number": "PD20080005",
                           "pre_harvest_interval_days": 7, "unit": "瓶"});
    let pesticide = purchase(app, &coop, &supplier, pesticide, "20240501A").await;
    // Sprayed on the 20th, harvested on the 22nd: inside the 7-day interval.
    record(
        app,
        &coop,
        vec![
            sowing(&plot, &t(1, 8), &seed),
            fertilising(&plot, &t(5, 8), &fertiliser),
            pest_control(&plot, &t(20, 8), &pesticide, "PD20080005", 7),
            harvest(&plot, &t(22, 8), &harvested),
            cleaning(&harvested, &sorting_uri, &t(23, 8)),
        ],
    )
    .await;
    let held = unit(app, &harvested).await;
    assert_eq!(held.status, "non_conformant");

    let element = format!("(01){}(10)L-NAMES", product["gtin"].as_str().unwrap());
    let (status, back) = app.get(&trace_path(BACK, &element), &coop.token).await;
    assert_eq!(status.as_u16(), 200, "{back}");
    let start = unit_of(&back, &harvested);
    assert_eq!(start["product_name"], "郫县二荆条辣椒");
    assert_eq!(start["holder_org_name"], org_name);
    assert_eq!(unit_of(&back, &plot)["place_name"], "一号地块");
    for (uri, name, number) in [
        (&seed, "二荆条种子", "S-2026-01"),
        (&fertiliser, "复合肥", "F-2026-02"),
        (&pesticide, "吡虫啉", "20240501A"),
    ] {
        let u = unit_of(&back, uri);
        assert_eq!(
            (&u["input_name"], &u["input_lot_number"]),
            (&json!(name), &json!(number)),
            "{u}"
        );
        assert_eq!(back["input_lot_names"][uri]["input_name"], name);
        assert_eq!(back["input_lot_names"][uri]["lot_number"], number);
    }
    assert_eq!(back["input_lot_names"][&pesticide]["input_kind"], "pesticide");
    assert_eq!(
        back["place_names"],
        json!({plot.clone(): "一号地块", sorting_uri.clone(): "红光分拣中心"})
    );
    let events = back["events"].as_array().unwrap();
    assert_eq!(events.len(), 5, "{back:#}");
    for e in events {
        assert_eq!(e["org_name"], org_name, "{e}");
        let place = if e["record_kind"] == "cleaning" {
            "红光分拣中心"
        } else {
            "一号地块"
        };
        assert_eq!(e["place_name"], place, "{e}");
    }
    assert_eq!(
        back["organisations"],
        json!([{"id": coop.id, "name": org_name, "kind": "producer"}])
    );
    assert_eq!(sorting["name"], "红光分拣中心");

    // Forward from the pesticide lot: the recall set, named.
    let (status, forward) = app.get(&trace_path(FORWARD, &pesticide), &coop.token).await;
    assert_eq!(status.as_u16(), 200, "{forward}");
    let from = unit_of(&forward, &pesticide);
    assert_eq!(
        (&from["input_name"], &from["input_lot_number"]),
        (&json!("吡虫啉"), &json!("20240501A"))
    );
    assert_eq!(unit_of(&forward, &harvested)["product_name"], "郫县二荆条辣椒");
});

both_backends!(
    the_trace_report_gives_the_reason_in_both_languages,
    |app| async move {
        let w = World::new(app, "reason").await;
        let plot = w.producer.place.clone();
        let bad = lot(&w.gtin, "L-PHI");
        let (_, supplier) = app
            .post("/api/v1/suppliers", &w.producer.token, json!({"name": "农资站"}))
            .await;
        let input = json!({"kind": "pesticide", "name": "吡虫啉", "registration_number": "PD20080005",
                       "pre_harvest_interval_days": 7, "unit": "瓶"});
        let pesticide = purchase(app, &w.producer, &supplier, input, "P-1").await;
        record(
            app,
            &w.producer,
            vec![
                pest_control(&plot, &t(6, 8), &pesticide, "PD20080005", 7),
                harvest(&plot, &t(8, 8), &bad),
            ],
        )
        .await;
        let held = unit(app, &bad).await;
        assert_eq!(held.status, "non_conformant");
        let (en, zh) = (held.status_reason.unwrap(), held.status_reason_zh.unwrap());
        assert!(en.is_ascii() && !en.is_empty(), "{en}");
        assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{zh}");

        for (op, code) in [(BACK, bad.clone()), (FORWARD, bad.clone())] {
            let (status, report) = app.get(&trace_path(op, &code), &w.producer.token).await;
            assert_eq!(status.as_u16(), 200, "{report}");
            let u = unit_of(&report, &bad);
            assert_eq!(u["status"], "non_conformant");
            assert_eq!(u["status_reason"], en.as_str());
            assert_eq!(u["status_reason_zh"], zh.as_str());
        }
        // An active unit has no reason in either language.
        let (_, report) = app.get(&trace_path(BACK, &w.l1), &w.producer.token).await;
        let u = unit_of(&report, &w.l1);
        assert_eq!(
            (&u["status"], &u["status_reason"], &u["status_reason_zh"]),
            (&json!("active"), &Value::Null, &Value::Null)
        );
        // The lot list finds it by its status.
        let bad_lots = app
            .list("/api/v1/lots?status=non_conformant", &w.producer.token)
            .await;
        assert_eq!(epcs(&json!(bad_lots)), [bad]);
    }
);
