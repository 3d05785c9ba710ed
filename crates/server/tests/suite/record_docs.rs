//! The record kinds documented for the people who integrate (#12, item 8):
//! each kind's JSON Schema served at a stable address and the very rule
//! capture applies (a value the schema refuses, capture refuses naming the
//! same field; an independent JSON Schema implementation agrees); the
//! example documents accepted as a season once their master data exists;
//! the page listing every kind and field in Chinese and English; the EPCIS
//! routes in the OpenAPI document; `/api/docs` showing each operation's
//! fields.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::trace_chain::{buy, company, cooperative, org_urn, refuse, Org, World};
use axum::http::{header, StatusCode};
use serde_json::{json, Value};
use suyuan_core::jsonschema::{self as ours, Violation};
use suyuan_core::stages::examples::{
    EXAMPLE_AGENCY, EXAMPLE_PLOT_GLN, EXAMPLE_RETAILER, EXAMPLE_SITE_GLN, EXAMPLE_STORE_GLN,
};
use suyuan_core::stages::values::agri_field;
use suyuan_core::stages::{agri_fields_of, profile, RecordKind, Stage};

/// A public GET: status, headers, body.
async fn public_get(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    app.raw("GET", path, None, None, "").await
}

/// The schema of `kind` as served.
async fn served_schema(app: &TestApp, kind: &str) -> Value {
    let (status, headers, body) = public_get(app, &format!("/schemas/records/{kind}.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/schema+json"
    );
    body
}

/// What an independent JSON Schema implementation (the `jsonschema` crate)
/// says of `event`: the top-level field of each error; for an error about
/// the event itself (a property name refused), the field its message names.
fn independent_errors(schema: &Value, event: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    let mut fields: Vec<String> = validator
        .iter_errors(event)
        .map(|e| {
            let path = e.instance_path().as_str().trim_start_matches('/').to_owned();
            match path.split('/').next().filter(|f| !f.is_empty()) {
                Some(f) => f.to_owned(),
                None => {
                    let msg = e.to_string();
                    let named = event
                        .as_object()
                        .unwrap()
                        .keys()
                        .find(|k| msg.contains(&format!("\"{k}\"")));
                    named.cloned().unwrap_or(msg)
                }
            }
        })
        .collect();
    fields.dedup();
    fields
}

both_backends!(schemas_and_examples_are_served_for_every_kind, |app| async move {
    let (status, _, index) = public_get(app, "/schemas/records").await;
    assert_eq!(status, StatusCode::OK, "{index}");
    let listed: Vec<&str> = index["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    let all: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(listed, all);
    for (entry, kind) in index["kinds"].as_array().unwrap().iter().zip(RecordKind::ALL) {
        let name = kind.as_str();
        assert!(entry["schema"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/schemas/records/{name}.json")));
        assert_eq!(entry["event_type"], profile(*kind).event_type.as_str());
        let schema = served_schema(app, name).await;
        assert!(schema["$id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/schemas/records/{name}.json")));
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        // A valid 2020-12 schema, by the standard's own meta-schema.
        assert!(jsonschema::meta::is_valid(&schema), "{name}");
        let (status, headers, doc) = public_get(app, &format!("/examples/records/{name}.json")).await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert!(headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("json"));
        assert_eq!(doc["type"], "EPCISDocument");
        let events = doc["epcisBody"]["eventList"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["agri:recordKind"], name);
        assert_eq!(
            ours::validate(&schema, &events[0]),
            Vec::<Violation>::new(),
            "{name}"
        );
        assert_eq!(
            independent_errors(&schema, &events[0]),
            Vec::<String>::new(),
            "{name}"
        );
    }
    for missing in [
        "/schemas/records/nothing.json",
        "/schemas/records/sowing",
        "/examples/records/x.json",
    ] {
        let (status, _, body) = public_get(app, missing).await;
        assert_problem(&(status, body), 404, "not_found", None);
    }
});

/// The organisations of the example season.
struct Season {
    producer: Org,
    agency: Org,
    retailer: Org,
    /// The input lot each record applying one uses, by kind.
    inputs: Vec<(RecordKind, String)>,
}

/// Registers what the examples name: the cooperative (its plot and
/// packing house with the examples' GLNs, its operator, its seed,
/// fertiliser and pesticide purchases), the testing agency and the
/// retailer (its store with the example GLN).
async fn season(app: &TestApp) -> Season {
    let (producer, base_id, _) = cooperative(app, "season.ex.coop").await;
    let (status, duty) = app
        .put(
            "/api/v1/duties/recording",
            &producer.token,
            json!({"person_name": "赵记录"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{duty}");
    let gln_place = |kind: &str, name: &str, gln: &str| merge(place(kind, name), json!({"gln": gln}));
    let plot = merge(
        gln_place("plot", "示例地块", EXAMPLE_PLOT_GLN),
        json!({"parent_id": base_id}),
    );
    app.create_place(&producer.token, plot).await;
    app.create_place(
        &producer.token,
        gln_place("packing_house", "示例包装厂", EXAMPLE_SITE_GLN),
    )
    .await;
    let inputs = vec![
        (RecordKind::Sowing, buy(app, &producer, "seed", "").await),
        (
            RecordKind::Fertilising,
            buy(app, &producer, "fertiliser", "").await,
        ),
        (
            RecordKind::PestControl,
            buy(app, &producer, "pesticide", "PD20080005").await,
        ),
    ];
    let agency = company(app, "testing_agency", "season.ex.lab", "warehouse").await;
    let retailer = company(app, "retailer", "season.ex.shop", "store").await;
    app.create_place(&retailer.token, gln_place("store", "示例门店", EXAMPLE_STORE_GLN))
        .await;
    Season {
        producer,
        agency,
        retailer,
        inputs,
    }
}

both_backends!(
    the_example_documents_are_a_season_capture_accepts,
    |app| async move {
        let s = season(app).await;
        for kind in RecordKind::ALL {
            let name = kind.as_str();
            let (_, _, doc) = public_get(app, &format!("/examples/records/{name}.json")).await;
            // The identifiers the platform assigned in place of the examples' own.
            let mut text = doc
                .to_string()
                .replace(EXAMPLE_AGENCY, &org_urn(s.agency.id))
                .replace(EXAMPLE_RETAILER, &org_urn(s.retailer.id));
            let mut doc: Value = serde_json::from_str(&text).unwrap();
            if let Some((_, lot)) = s.inputs.iter().find(|(k, _)| k == kind) {
                doc["epcisBody"]["eventList"][0]["agri:inputLot"] = json!(lot);
            }
            text = doc.to_string();
            let org = match kind {
                RecordKind::Testing => &s.agency,
                RecordKind::Receiving | RecordKind::Sale => &s.retailer,
                _ => &s.producer,
            };
            let (status, _, job) = app
                .raw(
                    "POST",
                    "/epcis/capture",
                    Some(&org.token),
                    Some("application/ld+json"),
                    text,
                )
                .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{name}: {job}");
            assert_eq!(job["success"], true, "{name}: {job:#}");
            assert_eq!(job["captured"], 1, "{name}: {job:#}");
            assert_eq!(job["warnings"], json!([]), "{name}: {job:#}");
        }
        let (status, sold) = app
            .get("/epcis/events?EQ_agri_recordKind=sale", &s.retailer.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{sold}");
        assert_eq!(
            sold["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let (status, all) = app.get("/epcis/events?perPage=100", &s.producer.token).await;
        assert_eq!(status, StatusCode::OK);
        let kinds: Vec<&str> = all["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["agri:recordKind"].as_str())
            .collect();
        for kind in ["sowing", "pest_control", "harvest", "processing", "shipping"] {
            assert!(kinds.contains(&kind), "{kind} not among {kinds:?}");
        }
    }
);

/// A value of each type that its schema refuses: (kind, field, value, code).
fn refused_values() -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
        ("fertilising", "agri:dose", json!("lots"), "value_measure"),
        (
            "irrigation",
            "agri:volume",
            json!({"value": 0, "unit": "m3"}),
            "value_measure",
        ),
        (
            "pest_control",
            "agri:preHarvestIntervalDays",
            json!("one"),
            "value_days",
        ),
        (
            "pest_control",
            "agri:registrationNumber",
            json!("not a number"),
            "pesticide_registration_format",
        ),
        ("testing", "agri:conclusion", json!("FAIL"), "value_conclusion"),
        (
            "testing",
            "agri:testItems",
            json!([{"item": "铅"}]),
            "value_test_items",
        ),
        (
            "pre_cooling",
            "agri:temperature",
            json!("cold"),
            "value_temperature",
        ),
        ("harvest", "agri:harvestMethod", json!("   "), "value_text"),
        ("harvest", "agri:dose", json!("20 kg"), "record_field_unknown"),
    ]
}

both_backends!(
    what_the_schema_refuses_capture_refuses_with_the_same_field,
    |app| async move {
        let w = World::new(app, "schemarule").await;
        for (kind, field, value, code) in refused_values() {
            let schema = served_schema(app, kind).await;
            let (org, complete) = w.complete(kind);
            // The complete record is one the schema accepts (and capture too:
            // see trace_chain::profiles).
            assert_eq!(
                ours::validate(&schema, &complete),
                Vec::<Violation>::new(),
                "{kind}"
            );
            assert_eq!(
                independent_errors(&schema, &complete),
                Vec::<String>::new(),
                "{kind}"
            );
            let mut bad = complete.clone();
            bad["eventID"] = json!(format!("urn:uuid:{}", uuid::Uuid::now_v7()));
            bad[field] = value.clone();
            let fields: Vec<String> = ours::validate(&schema, &bad)
                .iter()
                .filter_map(|v| v.top_field().map(str::to_owned))
                .collect();
            assert!(
                fields.iter().all(|f| f == field) && !fields.is_empty(),
                "{kind} {field}: {fields:?}"
            );
            assert_eq!(
                independent_errors(&schema, &bad),
                vec![field.to_owned()],
                "{kind} {field}"
            );
            let e = refuse(app, org, bad, code).await;
            assert_eq!(e["field"], field, "{e}");
        }
        // A test whose conclusion contradicts its items: the schema's rule, and
        // capture's refusal naming the conclusion.
        let schema = served_schema(app, "testing").await;
        let (org, mut bad) = w.complete("testing");
        bad["agri:testItems"] = json!([{"item": "吡虫啉", "result": "0.9 mg/kg", "pass": false}]);
        assert!(!ours::validate(&schema, &bad).is_empty());
        assert!(!independent_errors(&schema, &bad).is_empty());
        let e = refuse(app, org, bad, "conclusion_contradicts_items").await;
        assert_eq!(e["field"], "agri:conclusion", "{e}");
    }
);

/// The sections of the records page, by kind.
fn sections(page: &str) -> Vec<(String, String)> {
    page.split("<section id=\"")
        .skip(1)
        .map(|s| {
            let (kind, rest) = s.split_once('"').unwrap();
            (kind.to_owned(), rest.to_owned())
        })
        .collect()
}

both_backends!(
    the_records_page_lists_every_kind_and_field_in_both_languages,
    |app| async move {
        let (status, headers, zh) = public_get(app, "/docs/records").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let zh = zh.as_str().unwrap().to_owned();
        let (_, _, en) = public_get(app, "/docs/records?lang=en").await;
        let en = en.as_str().unwrap().to_owned();
        assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("记录类型与字段"));
        assert!(en.contains("<html lang=\"en\">") && en.contains("Record kinds and their fields"));
        for page in [&zh, &en] {
            assert!(!page.contains("<script") && !page.contains("<link"));
            assert!(page.contains("name=\"viewport\""));
        }
        for (page, is_zh) in [(&zh, true), (&en, false)] {
            let secs = sections(page);
            let kinds: Vec<&str> = secs.iter().map(|(k, _)| k.as_str()).collect();
            let all: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            assert_eq!(kinds, all);
            for ((_, body), kind) in secs.iter().zip(RecordKind::ALL) {
                let p = profile(*kind);
                let (name, stage) = if is_zh {
                    (kind.zh(), p.stage.zh())
                } else {
                    (kind.en(), p.stage.en())
                };
                assert!(body.contains(&suyuan_server::docs::esc(name)), "{name}");
                assert!(body.contains(stage), "{kind:?} {stage}");
                assert!(body.contains(p.event_type.as_str()));
                for step in p.biz_steps {
                    assert!(body.contains(step), "{kind:?} {step}");
                }
                assert!(body.contains(&format!("href=\"/schemas/records/{}.json\"", kind.as_str())));
                for (field, _) in agri_fields_of(*kind) {
                    let f = agri_field(field).unwrap();
                    assert!(
                        body.contains(&format!("<code>agri:{field}</code>")),
                        "{kind:?} {field}"
                    );
                    let label = if is_zh { f.zh } else { f.en };
                    assert!(
                        body.contains(&suyuan_server::docs::esc(label)),
                        "{kind:?} {label}"
                    );
                    let (words_en, words_zh) = f.ty.words();
                    let words = if is_zh { words_zh } else { words_en };
                    let words = suyuan_server::docs::esc(&words);
                    assert!(
                        body.contains(words.split('：').next().unwrap()),
                        "{kind:?} {field}"
                    );
                }
                // The example document, whole.
                assert!(body.contains(&format!(
                    "0190f5a2-7c1e-7000-8001-{:012}",
                    RecordKind::ALL.iter().position(|k| k == kind).unwrap() + 1
                )));
            }
            // The stages, in the language of the page.
            for stage in Stage::ALL {
                let s = if is_zh { stage.zh() } else { stage.en() };
                assert!(page.contains(s), "{s}");
            }
        }
        // Chinese first, and each page in its own language.
        assert!(zh.contains("大于零的数值及其单位") && !zh.contains("a number greater than zero"));
        assert!(en.contains("a number greater than zero") && !en.contains("大于零的数值及其单位"));
        assert!(
            zh.contains("href=\"/docs/records?lang=en\"") && en.contains("href=\"/docs/records?lang=zh\"")
        );
        let (status, _, body) = public_get(app, "/docs/records?lang=fr").await;
        assert_problem(&(status, body), 400, "invalid_query", Some("lang"));
        // Linked from the home page and the API docs.
        for from in ["/", "/api/docs"] {
            let (_, _, page) = public_get(app, from).await;
            assert!(
                page.as_str().unwrap().contains("href=\"/docs/records\""),
                "{from}"
            );
        }
    }
);

#[test]
fn the_openapi_document_has_the_epcis_routes() {
    let doc = serde_json::to_value(suyuan_server::openapi()).unwrap();
    let paths = &doc["paths"];
    let capture = &paths["/epcis/capture"]["post"];
    assert_eq!(
        capture["requestBody"]["content"]["application/ld+json"]["schema"]["$ref"],
        "#/components/schemas/EpcisDocument"
    );
    assert_eq!(
        capture["responses"]["202"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/CaptureJob"
    );
    assert!(capture["responses"]["202"]["headers"]["Location"].is_object());
    assert!(capture["description"]
        .as_str()
        .unwrap()
        .contains("/schemas/records/{kind}.json"));
    let header = capture["parameters"].as_array().unwrap();
    assert!(header
        .iter()
        .any(|p| p["name"] == "GS1-Capture-Error-Behaviour" && p["in"] == "header"));
    assert!(paths["/epcis/capture/{id}"]["get"]["responses"]["200"].is_object());
    let events = &paths["/epcis/events"]["get"];
    let names: Vec<&str> = events["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "eventType",
        "GE_eventTime",
        "MATCH_epc",
        "EQ_bizStep",
        "EQ_agri_recordKind",
        "perPage",
        "nextPageToken",
        "GS1-EPC-Format",
    ] {
        assert!(names.contains(&p), "{p} not among {names:?}");
    }
    for op in [events, &paths["/epcis/events/{eventID}"]["get"]] {
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/EpcisQueryDocument"
        );
        assert_eq!(op["tags"], json!(["epcis"]));
    }
    let schemas = &doc["components"]["schemas"];
    for s in [
        "CaptureJob",
        "CaptureError",
        "EpcisDocument",
        "EpcisQueryDocument",
    ] {
        assert!(schemas[s].is_object(), "{s}");
    }
    let error = &schemas["CaptureError"]["properties"];
    for f in ["event_index", "field", "code", "detail", "detail_zh"] {
        assert!(error[f].is_object(), "CaptureError.{f}");
    }
    assert!(doc["info"]["description"]
        .as_str()
        .unwrap()
        .contains("/schemas/records"));
    // Every path parameter is in its path: query parameters say `query`.
    for (path, item) in paths.as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{path}: {name} is not a path parameter"
                    );
                }
            }
        }
    }
}

both_backends!(the_api_docs_show_each_operations_fields, |app| async move {
    let (status, _, page) = public_get(app, "/api/docs").await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap();
    // The schema NewPlace with its fields, each with type and whether required.
    let new_place = page.split("id=\"schema-NewPlace\"").nth(1).unwrap();
    let new_place = new_place.split("</section>").next().unwrap();
    for field in [
        "kind",
        "name",
        "parent_id",
        "gln",
        "region",
        "location",
        "temperature_controlled",
    ] {
        assert!(
            new_place.contains(&format!("<td><code>{field}</code></td>")),
            "NewPlace.{field}"
        );
    }
    assert!(
        new_place.contains(
            "<td><code>kind</code></td><td><a href=\"#schema-PlaceKind\">PlaceKind</a></td><td>是 / yes</td>"
        ),
        "{new_place}"
    );
    assert!(new_place.contains("13-digit GLN with check digit"));
    // The operation that takes it shows the same fields in its request body.
    let create = page
        .split("<span class=\"m post\">post</span> <code>/api/v1/places</code>")
        .nth(1)
        .unwrap();
    let create = create.split("</details>").next().unwrap();
    assert!(create.contains("parent_id"), "{create}");
    // The EPCIS capture, its parameters and its answer's fields.
    let capture = page.split("<code>/epcis/capture</code>").nth(1).unwrap();
    let capture = capture.split("</details>").next().unwrap();
    for field in [
        "GS1-Capture-Error-Behaviour",
        "captureID",
        "errors",
        "warnings",
        "eventIDs",
    ] {
        assert!(capture.contains(field), "{field}");
    }
    assert!(page.contains("id=\"schema-CaptureError\""));
    // Query parameters are documented as such, not as path parameters.
    let lots = page
        .split("<span class=\"m get\">get</span> <code>/api/v1/lots</code>")
        .nth(1)
        .unwrap();
    let lots = lots.split("</details>").next().unwrap();
    assert!(
        lots.contains("<td><code>status</code></td><td>query</td>"),
        "{lots}"
    );
});
