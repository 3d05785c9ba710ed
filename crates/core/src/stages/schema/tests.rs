#![allow(clippy::unwrap_used)]

use super::*;
use crate::jsonschema::tests::arb_json;
use crate::stages::examples::{example_document, example_event};
use crate::stages::{check_profile, check_record_values, PROFILES};
use proptest::prelude::*;

/// Whether the event has the field, present and not empty (as capture
/// asks it).
fn has(event: &Value, f: Field) -> bool {
    let key = match f {
        Field::Std(k) => k.to_owned(),
        Field::Agri(k) => format!("agri:{k}"),
        Field::AnyStd(_) => return false,
    };
    event.get(&key).is_some_and(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    })
}

fn agri_values(event: &Value) -> Vec<(&str, &Value)> {
    event
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("agri:").map(|n| (n, v)))
        .filter(|(n, _)| *n != "recordKind")
        .collect()
}

fn codes(problems: &[(String, Invalid)]) -> Vec<(String, &'static str)> {
    problems.iter().map(|(f, e)| (f.clone(), e.code)).collect()
}

/// A value each type refuses.
fn bad_value(ty: ValueType) -> Value {
    match ty {
        ValueType::Text => json!("  "),
        ValueType::Measure => json!("lots"),
        ValueType::Temperature => json!("cold"),
        ValueType::Days => json!("one"),
        ValueType::Conclusion => json!("不合格（超标）"),
        ValueType::TestItems => json!([]),
        ValueType::InputLot => json!("garbage-123"),
        ValueType::RegistrationNumber => json!("not a number"),
        ValueType::Operator => json!(3),
        ValueType::Customer => json!("成都超市"),
    }
}

#[test]
fn every_schema_is_supported_and_every_example_passes() {
    for kind in RecordKind::ALL {
        let schema = record_schema(*kind);
        assert_eq!(jsonschema::unsupported(schema), Vec::<String>::new(), "{kind:?}");
        assert_eq!(schema["$schema"], DIALECT);
        let event = example_event(*kind);
        assert_eq!(schema["examples"][0], event);
        assert_eq!(example_document(*kind)["epcisBody"]["eventList"][0], event);
        let violations = jsonschema::validate(schema, &event);
        assert!(violations.is_empty(), "{kind:?}: {violations:?}");
        assert!(check_event(*kind, &event).is_empty(), "{kind:?}");
        assert!(
            check_record_values(*kind, agri_values(&event)).is_empty(),
            "{kind:?}"
        );
        let step = event["bizStep"].as_str();
        let p = check_profile(*kind, event["type"].as_str().unwrap(), step, |f| has(&event, f));
        assert!(p.is_ok(), "{kind:?}: {p:?}");
        // Every field of the kind is in its example, but for three optional
        // ones (a retail sale's buyer is nobody of the archive).
        for (name, required) in agri_fields_of(*kind) {
            let present = event.get(format!("agri:{name}")).is_some();
            assert!(
                present || (!required && ["nonConformanceOverride", "note", "buyer"].contains(&name)),
                "{kind:?} {name}"
            );
        }
    }
}

#[test]
fn schemas_say_what_the_profiles_say() {
    for p in PROFILES {
        let s = record_schema(p.kind);
        assert_eq!(s["properties"]["type"]["const"], p.event_type.as_str());
        assert_eq!(s["properties"]["agri:recordKind"]["const"], p.kind.as_str());
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for f in p.required {
            match f {
                Field::Std(k) => assert!(required.contains(k), "{:?} {k}", p.kind),
                Field::Agri(k) => assert!(required.contains(&format!("agri:{k}").as_str())),
                Field::AnyStd(ks) => assert!(ks.iter().all(|k| !required.contains(k))),
            }
        }
        for (name, _) in agri_fields_of(p.kind) {
            let prop = &s["properties"][format!("agri:{name}")];
            assert!(prop["title"]
                .as_str()
                .unwrap()
                .contains(agri_field(name).unwrap().zh));
        }
        let steps = s["properties"]["bizStep"]["enum"].as_array().unwrap();
        for step in p.biz_steps {
            assert!(steps.contains(&json!(step)));
        }
    }
    let harvest = &record_schema(RecordKind::Harvest)["properties"]["bizStep"]["enum"];
    assert_eq!(
        harvest,
        &json!([
            "commissioning",
            "https://ref.gs1.org/cbv/BizStep-commissioning",
            "urn:epcglobal:cbv:bizstep:commissioning",
            "cbv:BizStep-commissioning"
        ])
    );
}

#[test]
fn each_broken_field_is_reported_with_its_path() {
    for kind in RecordKind::ALL {
        let example = example_event(*kind);
        for (name, _) in agri_fields_of(*kind).filter(|(n, _)| example.get(format!("agri:{n}")).is_some()) {
            let ty = agri_field(name).unwrap().ty;
            let mut event = example.clone();
            let field = format!("agri:{name}");
            event[&field] = bad_value(ty);
            let want = vec![(field.clone(), ty.invalid().code)];
            assert_eq!(codes(&check_event(*kind, &event)), want, "{kind:?}");
            assert_eq!(
                codes(&check_record_values(*kind, agri_values(&event))),
                want,
                "{kind:?}"
            );
        }
    }
    assert_eq!(
        ValueType::RegistrationNumber.invalid().code,
        "pesticide_registration_format"
    );
}

#[test]
fn unknown_fields_and_several_problems_at_once() {
    let mut e = example_event(RecordKind::Harvest);
    e["agri:dose"] = json!("20 kg");
    e["agri:operator"] = json!("");
    e["other:thing"] = json!({"free": true});
    e["readPoint"] = json!({"id": "urn:epc:id:sgln:952000.10001.0"});
    let got = check_record_values(RecordKind::Harvest, agri_values(&e));
    assert_eq!(
        codes(&got),
        vec![
            ("agri:dose".into(), "record_field_unknown"),
            ("agri:operator".into(), "value_text")
        ]
    );
    assert!(got[0].1.en.contains("agri:harvestMethod"), "{}", got[0].1.en);
    assert!(got[0].1.zh.contains("采收"), "{}", got[0].1.zh);
    // The order is the order the fields were given.
    let given = [("operator", &json!("")), ("dose", &json!(1))];
    let got = check_record_values(RecordKind::Harvest, given);
    assert_eq!(got[0].0, "agri:operator");
}

#[test]
fn the_conclusion_agrees_with_the_items() {
    let kind = RecordKind::Testing;
    let base = example_event(kind);
    let failed_item = json!([{"item": "铅", "pass": true}, {"item": "吡虫啉", "pass": false}]);
    let mut e = base.clone();
    e["agri:testItems"] = failed_item.clone();
    let got = check_event(kind, &e);
    assert_eq!(
        codes(&got),
        vec![("agri:conclusion".into(), "conclusion_contradicts_items")]
    );
    assert!(got[0].1.en.contains("an item failed"));
    e["agri:conclusion"] = json!("fail");
    assert!(check_event(kind, &e).is_empty());
    let mut e = base.clone();
    e["agri:conclusion"] = json!("fail");
    let got = check_event(kind, &e);
    assert_eq!(
        codes(&got),
        vec![("agri:conclusion".into(), "conclusion_contradicts_items")]
    );
    assert!(got[0].1.en.contains("every item passed"));
    // Items that are themselves wrong are reported as such, not as a contradiction.
    e["agri:testItems"] = json!([{"item": "铅"}]);
    assert_eq!(
        codes(&check_event(kind, &e)),
        vec![("agri:testItems".into(), "value_test_items")]
    );
}

#[test]
fn the_whole_event_against_its_schema() {
    let kind = RecordKind::Shipping;
    let mut e = example_event(kind);
    e.as_object_mut().unwrap().remove("destinationList");
    e["type"] = json!("AggregationEvent");
    e["bizStep"] = json!("receiving");
    e["epcList"] = json!([]);
    let mut got = codes(&check_event(kind, &e));
    got.sort();
    let want: Vec<(String, &str)> = vec![
        ("bizStep".into(), "profile_biz_step"),
        ("destinationList".into(), "profile_missing_fields"),
        ("epcList or quantityList".into(), "profile_missing_fields"),
        ("type".into(), "profile_event_type"),
    ];
    assert_eq!(got, want);
    // The values alone: none of these is about a value.
    assert!(check_record_values(kind, agri_values(&e)).is_empty());
    // EPCIS's own rule: an ObjectEvent says what it is about.
    let mut sowing = example_event(RecordKind::Sowing);
    sowing.as_object_mut().unwrap().remove("epcList");
    assert_eq!(
        codes(&check_event(RecordKind::Sowing, &sowing)),
        vec![("epcList".into(), "epcis_missing_field")]
    );
    // Any spelling of a CBV step.
    let mut h = example_event(RecordKind::Harvest);
    h["bizStep"] = json!("urn:epcglobal:cbv:bizstep:commissioning");
    assert!(check_event(RecordKind::Harvest, &h).is_empty());
}

const WORDS: &[&str] = &[
    "item",
    "pass",
    "value",
    "unit",
    "20 kg",
    "4 ℃",
    "fail",
    "PD20080005",
    "urn:uuid:x",
];

proptest! {
    /// Arbitrary JSON as a whole event, or as the value of any field of an
    /// example, never makes the validator panic; every problem names a
    /// field the event has (or the event).
    #[test]
    fn never_panics_on_arbitrary_json(
        doc in arb_json(WORDS),
        value in arb_json(WORDS),
        kind in 0..RecordKind::ALL.len(),
        field in 0..12usize,
    ) {
        let kind = RecordKind::ALL[kind];
        let _ = check_event(kind, &doc);
        let mut e = example_event(kind);
        let names: Vec<&str> = agri_fields_of(kind).map(|(n, _)| n).collect();
        let key = format!("agri:{}", names.get(field).copied().unwrap_or("somethingElse"));
        e[&key] = value;
        for (f, _) in check_event(kind, &e) {
            prop_assert!(f == key || f == "agri:conclusion", "{f} for {key}");
        }
        // The quick answer the validator starts with agrees with the walk.
        let schema = record_schema(kind);
        prop_assert_eq!(
            crate::jsonschema::is_valid(schema, &e),
            crate::jsonschema::validate_walking(schema, &e).is_empty()
        );
        let _ = check_record_values(kind, agri_values(&e));
    }
}
