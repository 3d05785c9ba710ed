#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn fields(schema: &Value, v: &Value) -> Vec<(String, String)> {
    validate(schema, v)
        .into_iter()
        .map(|x| (x.field(), x.keyword))
        .collect()
}

#[test]
fn types_consts_enums() {
    let s = json!({"type": "integer", "minimum": 0, "maximum": 365});
    assert!(is_valid(&s, &json!(7)));
    for bad in [json!(7.5), json!("7"), json!(-1), json!(366), json!(7.0)] {
        assert!(!is_valid(&s, &bad), "{bad}");
    }
    assert!(is_valid(&json!({"type": ["string", "number"]}), &json!(2)));
    assert!(!is_valid(&json!({"type": ["string", "number"]}), &json!(true)));
    assert!(is_valid(&json!({"const": 1}), &json!(1.0)));
    assert!(is_valid(&json!({"enum": ["pass", "fail"]}), &json!("fail")));
    let v = validate(&json!({"enum": ["pass", "fail"]}), &json!("FAIL"));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].keyword, "/enum");
    assert!(v[0].en.contains("\"pass\"") && v[0].zh.contains("应为"), "{v:?}");
    assert!(!is_valid(&json!(false), &json!(1)));
    assert!(is_valid(&json!(true), &json!(1)));
}

#[test]
fn strings_count_characters() {
    let s = json!({"type": "string", "minLength": 1, "maxLength": 3, "pattern": "\\S"});
    assert!(is_valid(&s, &json!("二荆条")));
    assert!(!is_valid(&s, &json!("二荆条辣")));
    assert!(!is_valid(&s, &json!("")));
    assert!(!is_valid(&s, &json!("  ")));
    let e = json!({"exclusiveMinimum": 0});
    assert!(!is_valid(&e, &json!(0)) && is_valid(&e, &json!(0.1)));
    // Keywords of one type leave the others alone.
    assert!(is_valid(&json!({"minLength": 3, "minimum": 5}), &json!([1])));
}

#[test]
fn every_violation_with_its_path() {
    let s = json!({
        "type": "object",
        "required": ["a", "b"],
        "properties": {
            "a": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["item"],
                  "properties": {"item": {"type": "string"}, "pass": {"type": "boolean"}}}},
            "n": {"type": "number"}
        },
        "propertyNames": {"anyOf": [{"not": {"pattern": "^x:"}}, {"enum": ["x:ok"]}]}
    });
    let v = json!({"a": [{"item": "铅", "pass": true}, {"pass": "yes"}], "n": "1", "x:ok": 1, "x:no": 2});
    let got = fields(&s, &v);
    assert_eq!(
        got,
        vec![
            ("b".into(), "/required".into()),
            ("a[1].item".into(), "/properties/a/items/required".into()),
            (
                "a[1].pass".into(),
                "/properties/a/items/properties/pass/type".into()
            ),
            ("n".into(), "/properties/n/type".into()),
            ("x:no".into(), "/propertyNames".into()),
        ]
    );
}

#[test]
fn combinators() {
    let one = json!({"oneOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string"}]});
    assert!(is_valid(&one, &json!(3)));
    assert!(is_valid(&one, &json!("3 kg")));
    assert_eq!(fields(&one, &json!(0)), vec![(String::new(), "/oneOf".into())]);
    let both = json!({"oneOf": [{"type": "number"}, {"minimum": 1}]});
    assert_eq!(
        validate(&both, &json!(2))[0].en,
        "matches more than one of the allowed forms"
    );
    let cond = json!({
        "if": {"properties": {"c": {"const": "pass"}}, "required": ["c"]},
        "then": {"properties": {"i": {"items": {"properties": {"pass": {"const": true}}}}}},
        "else": {"properties": {"i": {"contains": {"properties": {"pass": {"const": false}}, "required": ["pass"]}}}}
    });
    assert!(is_valid(&cond, &json!({"c": "pass", "i": [{"pass": true}]})));
    assert_eq!(
        fields(
            &cond,
            &json!({"c": "pass", "i": [{"pass": true}, {"pass": false}]})
        ),
        vec![(
            "i[1].pass".into(),
            "/then/properties/i/items/properties/pass/const".into()
        )]
    );
    assert!(is_valid(&cond, &json!({"c": "fail", "i": [{"pass": false}]})));
    assert_eq!(
        fields(&cond, &json!({"c": "fail", "i": [{"pass": true}]})),
        vec![("i".into(), "/else/properties/i/contains".into())]
    );
    let all = json!({"allOf": [{"minimum": 1}, {"maximum": 0}]});
    assert_eq!(
        fields(&all, &json!(5)),
        vec![(String::new(), "/allOf/1/maximum".into())]
    );
    assert!(!is_valid(&json!({"not": {"type": "string"}}), &json!("x")));
    let extra = json!({"properties": {"a": true}, "patternProperties": {"^b": {"type": "number"}},
                       "additionalProperties": false});
    assert!(is_valid(&extra, &json!({"a": 1, "b1": 2})));
    assert_eq!(
        fields(&extra, &json!({"b1": "x", "c": 1})),
        vec![
            ("b1".into(), "/patternProperties/^b/type".into()),
            ("c".into(), "/additionalProperties".into()),
        ]
    );
}

#[test]
fn unsupported_keywords_and_patterns_are_found() {
    let s = json!({"properties": {"a": {"$ref": "#/x", "pattern": "(?=x)"}},
                   "patternProperties": {"\\1": true}, "title": "t"});
    assert_eq!(
        unsupported(&s),
        vec![
            "/patternProperties/\\1",
            "/properties/a/$ref",
            "/properties/a/pattern"
        ]
    );
}

/// Arbitrary JSON, with these strings and keys among the others (for
/// the property tests here and of the record kinds' schemas).
pub(crate) fn arb_json(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let word = move || prop::sample::select(words).prop_map(str::to_owned);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,16}".prop_map(Value::String),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop_oneof!["[a-z:]{1,8}", word()], inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const WORDS: &[&str] = &[
    "agri:dose",
    "agri:testItems",
    "agri:conclusion",
    "pass",
    "fail",
    "item",
    "20 kg",
    "type",
    "minLength",
];

proptest! {
    /// Arbitrary JSON, as schema or as instance, never makes the validator panic.
    #[test]
    fn never_panics(schema in arb_json(WORDS), instance in arb_json(WORDS)) {
        let _ = validate(&schema, &instance);
        let _ = unsupported(&schema);
    }

    /// The quick yes-or-no answer agrees with the full walk.
    #[test]
    fn the_quick_answer_agrees_with_the_walk(schema in arb_json(WORDS), instance in arb_json(WORDS)) {
        prop_assert_eq!(is_valid(&schema, &instance), validate_walking(&schema, &instance).is_empty());
    }
}
