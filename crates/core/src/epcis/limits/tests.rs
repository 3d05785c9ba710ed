//! Tests of the event bounds, directly and through the validator.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::codes::text::{is_forbidden, is_invisible};
use crate::epcis::validate::{validate_document, Problem};

fn event() -> Value {
    json!({
        "type": "ObjectEvent",
        "eventTime": "2024-06-15T06:10:00+08:00",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:9521234.012345.1"],
        "bizStep": "inspecting",
        "agri:note": "ok"
    })
}

fn with(key: &str, value: Value) -> Value {
    let mut e = event();
    e[key] = value;
    e
}

fn doc(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
                     {"agri": "https://suyuan.dev/ns/agri/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-06-15T10:00:00Z",
        "epcisBody": {"eventList": events}
    })
}

/// The problems of the second event of a document (the first is valid), as
/// (code, field); every problem names that event.
fn problems(e: Value) -> Vec<(&'static str, String)> {
    let all: Vec<Problem> = validate_document(&doc(vec![event(), e]));
    assert!(all.iter().all(|p| p.event == Some(1)), "{all:#?}");
    all.into_iter().map(|p| (p.error.code, p.field)).collect()
}

fn codes(found: &[Found]) -> Vec<(&'static str, &str)> {
    found.iter().map(|(p, e)| (e.code, p.as_str())).collect()
}

#[test]
fn a_valid_event_is_within_every_bound() {
    assert!(check_event(&event()).is_empty());
    assert!(validate_document(&doc(vec![event()])).is_empty());
}

#[test]
fn a_ten_million_character_note_is_refused_naming_the_field() {
    let e = with("agri:note", json!("x".repeat(10_000_000)));
    assert_eq!(
        codes(&check_event(&e)),
        vec![("value_too_long", "agri:note"), ("event_too_large", "")]
    );
    let p = problems(e);
    assert_eq!(
        p,
        vec![
            ("value_too_long", "agri:note".to_owned()),
            ("event_too_large", String::new())
        ]
    );
    let all = validate_document(&doc(vec![
        event(),
        with("agri:note", json!("x".repeat(10_000_000))),
    ]));
    assert!(
        all[0].error.en.contains("epcisBody.eventList[1].agri:note"),
        "{}",
        all[0].error.en
    );
    assert!(
        all[0].error.en.contains("10000000 characters"),
        "{}",
        all[0].error.en
    );
    assert!(all[0].error.zh.contains("最多允许 4096"), "{}", all[0].error.zh);
    // The messages stay short.
    assert!(all.iter().all(|p| p.error.en.len() < 400), "{all:#?}");
}

#[test]
fn string_length_counts_characters() {
    assert!(problems(with("agri:note", json!("菜".repeat(MAX_TEXT_CHARS)))).is_empty());
    assert_eq!(
        problems(with("agri:note", json!("菜".repeat(MAX_TEXT_CHARS + 1)))),
        vec![("value_too_long", "agri:note".to_owned())]
    );
    // Anywhere: nested objects and arrays, ilmd, sensor data.
    let long = "a".repeat(MAX_TEXT_CHARS + 1);
    let e = with("agri:lots", json!([{"id": 1}, {"x": {"note": long.clone()}}]));
    assert_eq!(
        problems(e),
        vec![("value_too_long", "agri:lots[1].x.note".to_owned())]
    );
    let mut e = event();
    e["action"] = json!("ADD");
    e["ilmd"] = json!({"agri:variety": long.clone()});
    assert_eq!(
        problems(e),
        vec![("value_too_long", "ilmd.agri:variety".to_owned())]
    );
    let e = with(
        "sensorElementList",
        json!([{"sensorReport": [{"type": "Temperature", "stringValue": long}]}]),
    );
    assert_eq!(
        problems(e),
        vec![(
            "value_too_long",
            "sensorElementList[0].sensorReport[0].stringValue".to_owned()
        )]
    );
}

#[test]
fn identifiers_are_shorter() {
    let uri = |n: usize| format!("https://x.example.cn/{}", "a".repeat(n - 21));
    assert_eq!(uri(MAX_URI_CHARS).chars().count(), MAX_URI_CHARS);
    assert!(problems(with("readPoint", json!({"id": uri(MAX_URI_CHARS)}))).is_empty());
    assert_eq!(
        problems(with("readPoint", json!({"id": uri(MAX_URI_CHARS + 1)}))),
        vec![("value_too_long", "readPoint.id".to_owned())]
    );
    assert_eq!(
        problems(with("bizStep", json!(uri(3000)))),
        vec![("value_too_long", "bizStep".to_owned())]
    );
    let long_gid = format!("urn:epc:id:gid:1.2.{}", "3".repeat(2100));
    assert_eq!(
        problems(with("epcList", json!([long_gid]))),
        vec![("value_too_long", "epcList[0]".to_owned())]
    );
    let mut e = with("quantityList", json!([{"epcClass": uri(2100), "quantity": 1}]));
    e.as_object_mut().unwrap().remove("epcList");
    assert_eq!(
        problems(e),
        vec![("value_too_long", "quantityList[0].epcClass".to_owned())]
    );
    // Field names too, shown clipped.
    let key = format!("https://ns.example.cn/{}", "k".repeat(MAX_URI_CHARS));
    let p = problems(with(&key, json!(1)));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, "value_too_long");
    assert!(
        p[0].1.ends_with('…') && p[0].1.chars().count() == 65,
        "{}",
        p[0].1
    );
}

#[test]
fn arrays_and_objects_have_at_most_max_entries() {
    let many: Vec<Value> = (0..MAX_ENTRIES).map(|i| json!(i % 10)).collect();
    assert!(problems(with("agri:readings", json!(many))).is_empty());
    let too_many: Vec<Value> = (0..=MAX_ENTRIES).map(|i| json!(i % 10)).collect();
    assert_eq!(
        problems(with("agri:readings", json!(too_many))),
        vec![("too_many_entries", "agri:readings".to_owned())]
    );
    let epcs: Vec<String> = (0..=MAX_ENTRIES)
        .map(|i| format!("urn:epc:id:sgtin:9521234.012345.{i}"))
        .collect();
    let p = problems(with("epcList", json!(epcs)));
    assert!(p.contains(&("too_many_entries", "epcList".to_owned())), "{p:?}");
    let members: serde_json::Map<String, Value> =
        (0..=MAX_ENTRIES).map(|i| (format!("k{i}"), json!(0))).collect();
    assert_eq!(
        problems(with("agri:table", Value::Object(members))),
        vec![("too_many_entries", "agri:table".to_owned())]
    );
}

#[test]
fn nesting_is_limited() {
    // The event is level 1, agri:deep level 2, each array one more.
    let nest = |levels: usize| (0..levels).fold(json!("leaf"), |v, _| json!([v]));
    assert!(problems(with("agri:deep", nest(MAX_DEPTH - 1))).is_empty());
    let p = problems(with("agri:deep", nest(MAX_DEPTH)));
    let path = format!("agri:deep{}", "[0]".repeat(MAX_DEPTH - 1));
    assert_eq!(p, vec![("too_deep", path)]);
}

#[test]
fn events_are_at_most_max_event_bytes() {
    // Strings within their own bound that together are too large.
    let many: Vec<String> = (0..70).map(|_| "a".repeat(4_000)).collect();
    assert_eq!(
        problems(with("agri:pages", json!(many))),
        vec![("event_too_large", String::new())]
    );
    let few: Vec<String> = (0..60).map(|_| "a".repeat(4_000)).collect();
    assert!(problems(with("agri:pages", json!(few))).is_empty());
    // About 4,000 Digital Link EPCs with serials fit.
    let epcs: Vec<String> = (0..4_000)
        .map(|i| format!("https://id.gs1.org/01/09521234123453/21/SERIAL{i:06}"))
        .collect();
    assert!(problems(with("epcList", json!(epcs))).is_empty());
}

#[test]
fn control_and_bidi_characters_are_refused_in_every_string_and_key() {
    for bad in [
        "a\u{0}b",
        "a\u{7}b",
        "\u{202E}gpj.exe",
        "a\u{2066}b",
        "a\u{200F}b",
        "a\u{85}b",
        "a\rb",
    ] {
        let p = problems(with("agri:note", json!(bad)));
        assert_eq!(p, vec![("text_control_chars", "agri:note".to_owned())], "{bad:?}");
    }
    // Line feeds and tabs are ordinary in notes.
    assert!(problems(with("agri:note", json!("line 1\n\tline 2"))).is_empty());
    // Inside nested extension values and ilmd.
    let p = problems(with("agri:batch", json!({"parts": ["ok", "x\u{202D}y"]})));
    assert_eq!(p, vec![("text_control_chars", "agri:batch.parts[1]".to_owned())]);
    // In a key: the path shows it escaped.
    let p = problems(with("agri:no\u{202E}te", json!("x")));
    assert_eq!(p, vec![("text_control_chars", "agri:no\\u{202e}te".to_owned())]);
    // Standard strings as well.
    let p = problems(with(
        "sensorElementList",
        json!([{"sensorReport": [{"type": "Temperature", "stringValue": "a\u{1b}[2J"}]}]),
    ));
    assert_eq!(
        p,
        vec![(
            "text_control_chars",
            "sensorElementList[0].sensorReport[0].stringValue".to_owned()
        )]
    );
}

#[test]
fn the_document_header_is_bounded_too() {
    let mut d = doc(vec![event()]);
    d["@context"][1]["big"] = json!(format!("https://x.cn/{}", "a".repeat(MAX_TEXT_CHARS)));
    let p = validate_document(&d);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(
        (p[0].event, p[0].error.code, p[0].field.as_str()),
        (None, "value_too_long", "@context[1].big")
    );
    let mut d = doc(vec![event()]);
    let prefixes: serde_json::Map<String, Value> = (0..3_000)
        .map(|i| {
            (
                format!("p{i}"),
                json!(format!("https://ns{i}.example.cn/{}", "n".repeat(80))),
            )
        })
        .collect();
    d["@context"][1] = Value::Object(prefixes);
    let p = validate_document(&d);
    assert_eq!(p[0].error.code, "header_too_large", "{p:#?}");
    assert_eq!(p[0].field, "");
    // The event list itself is not part of the header's size.
    let events: Vec<Value> = (0..1_000)
        .map(|_| with("agri:note", json!("n".repeat(300))))
        .collect();
    assert!(validate_document(&doc(events)).is_empty());
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Printable characters: no control, bidi or invisible ones.
fn visible() -> impl Strategy<Value = char> {
    any::<char>().prop_filter("visible", |c| !is_invisible(*c) && !is_forbidden(*c))
}

fn forbidden() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u32..0x20)
            .prop_filter("not tab or line feed", |c| *c != 9 && *c != 10)
            .prop_map(|c| char::from_u32(c).unwrap()),
        (0x7fu32..=0x9f).prop_map(|c| char::from_u32(c).unwrap()),
        prop::sample::select(vec![
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ]),
    ]
}

proptest! {
    #[test]
    fn the_size_is_that_of_compact_json(value in arbitrary_json()) {
        let mut w = Walker::default();
        prop_assert_eq!(w.walk(&value, 1), serde_json::to_string(&value).unwrap().len());
        prop_assert_eq!(json_size(&value), serde_json::to_string(&value).unwrap().len());
    }

    #[test]
    fn printable_text_within_the_limit_passes(
        chars in prop::collection::vec(visible(), 0..200),
        repeat in 1usize..=20,
    ) {
        let s: String = chars.iter().collect::<String>().repeat(repeat);
        let s: String = s.chars().take(MAX_TEXT_CHARS).collect();
        prop_assert!(check_event(&with("agri:note", json!(s))).is_empty());
        prop_assert!(problems(with("agri:note", json!(s))).is_empty());
    }

    #[test]
    fn an_injected_control_or_bidi_character_is_refused(
        chars in prop::collection::vec(visible(), 0..60),
        at in any::<prop::sample::Index>(),
        bad in forbidden(),
        nested in any::<bool>(),
    ) {
        let mut chars = chars;
        chars.insert(at.index(chars.len() + 1), bad);
        let s: String = chars.iter().collect();
        let (e, path) = if nested {
            (with("agri:detail", json!({"list": [1, s]})), "agri:detail.list[1]")
        } else {
            (with("agri:note", json!(s)), "agri:note")
        };
        prop_assert_eq!(problems(e), vec![("text_control_chars", path.to_owned())]);
    }

    #[test]
    fn text_just_over_the_limit_is_refused(chars in prop::collection::vec(visible(), 1..20)) {
        let s: String = chars.iter().cycle().take(MAX_TEXT_CHARS + 1).collect();
        prop_assert_eq!(
            problems(with("agri:note", json!(s))),
            vec![("value_too_long", "agri:note".to_owned())]
        );
    }
}
