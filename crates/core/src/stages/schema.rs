//! The JSON Schema (draft 2020-12) of each record kind, generated from the
//! declarations: the kind's profile ([`super::PROFILES`]), its `agri:*`
//! fields ([`super::agri_fields_of`]) and their value types
//! ([`super::values::AGRI_FIELDS`]). The platform serves these schemas to
//! integrators (`/schemas/records/{kind}.json`) and validates every record
//! against them ([`crate::jsonschema`]), so what is published and what is
//! enforced are one thing.
//!
//! A schema describes one EPCIS 2.0 event of its kind, written as JSON-LD
//! with the prefix `agri` bound to [`super::AGRI_NS`]: the event type, the
//! record kind, the accepted bizSteps (the CBV word in each of its spellings,
//! or our own step's URI), the standard fields the kind requires and its
//! `agri:*` fields, each with the schema of its value type. Standard EPCIS
//! fields and other namespaces' fields are free; of ours, only the kind's
//! own. A test's conclusion must agree with its items (two `if`/`then`
//! rules). What needs master data (that an input lot is the organisation's
//! purchase, that a registration number is the registered input's) is said
//! in the descriptions and checked by the store.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::examples::example_event;
use super::values::{agri_field, contradiction, AgriField, ValueType, TEXT_MAX};
use super::{
    agri_fields_of, lacking, profile, wrong_biz_step, wrong_event_type, EventType, Field, RecordKind,
    AGRI_NS, AGRI_PREFIX,
};
use crate::epcis::Vocabulary;
use crate::jsonschema::{self, Violation};
use crate::model::REGISTRATION_PATTERN;
use crate::Invalid;

/// The dialect of our schemas.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A text measure: a number greater than zero and a unit with a letter,
/// the unit after the number (`20 g/亩`, `40 m3`) or before it (`每亩 30`).
pub const MEASURE_PATTERN: &str = concat!(
    r"^\D*0*([1-9][0-9]*(\.[0-9]+)?|\.[0-9]*[1-9][0-9]*)\D*\p{L}",
    r"|^\D*\p{L}\D*0*([1-9][0-9]*(\.[0-9]+)?|\.[0-9]*[1-9][0-9]*)([^0-9.]|$)"
);

/// A temperature as text: −60 to 60 ℃, the unit optional.
pub const TEMPERATURE_PATTERN: &str = r"^\s*-?(60(\.0+)?|[1-5]?[0-9](\.[0-9]+)?)\s*(℃|°C|C)?\s*$";

/// An input lot in any accepted form: `urn:suyuan:input-lot:{id}`,
/// `urn:uuid:{id}` or the bare id.
pub const INPUT_LOT_PATTERN: &str = r"^\s*(urn:suyuan:input-lot:|urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$";

/// A buyer (a customer entry) in any accepted form:
/// `urn:suyuan:customer:{id}`, `urn:uuid:{id}` or the bare id.
pub const CUSTOMER_PATTERN: &str = r"^\s*(urn:suyuan:customer:|urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$";

fn text_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": TEXT_MAX, "pattern": "\\S"})
}

/// The schema of a value of type `ty`.
pub fn value_schema(ty: ValueType) -> Value {
    match ty {
        ValueType::Text | ValueType::Operator => text_schema(),
        ValueType::Measure => json!({"oneOf": [
            {"type": "object", "required": ["value", "unit"], "properties": {
                "value": {"type": "number", "exclusiveMinimum": 0},
                "unit": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "\\p{L}"}
            }},
            {"type": "string", "maxLength": TEXT_MAX, "pattern": MEASURE_PATTERN}
        ]}),
        ValueType::Temperature => json!({"oneOf": [
            {"type": "number", "minimum": -60, "maximum": 60},
            {"type": "string", "pattern": TEMPERATURE_PATTERN}
        ]}),
        ValueType::Days => json!({"type": "integer", "minimum": 0, "maximum": 365}),
        ValueType::Conclusion => json!({"type": "string", "enum": ["pass", "fail"]}),
        ValueType::TestItems => {
            let free = json!({"type": ["string", "number"]});
            json!({"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["item", "pass"], "properties": {
                    "item": text_schema(), "pass": {"type": "boolean"},
                    "result": free, "limit": free, "method": free, "unit": free
                }
            }})
        }
        ValueType::InputLot => json!({"type": "string", "pattern": INPUT_LOT_PATTERN}),
        ValueType::Customer => json!({"type": "string", "pattern": CUSTOMER_PATTERN}),
        ValueType::RegistrationNumber => json!({"type": "string", "pattern": REGISTRATION_PATTERN}),
    }
}

/// A standard EPCIS field a record kind may require: its JSON key, its
/// name and what it holds, for people.
#[derive(Debug, Clone, Copy)]
pub struct StdField {
    pub key: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
    pub words_en: &'static str,
    pub words_zh: &'static str,
}

macro_rules! std_fields {
    ($($key:literal => $en:literal, $zh:literal, $wen:literal, $wzh:literal;)+) => {
        /// The standard fields the profiles name.
        pub const STD_FIELDS: &[StdField] = &[
            $(StdField { key: $key, en: $en, zh: $zh, words_en: $wen, words_zh: $wzh }),+
        ];
    };
}

std_fields! {
    "bizLocation" => "Business location", "业务地点",
        "{\"id\": a registered place: its GLN Digital Link https://id.gs1.org/414/{GLN}, or urn:suyuan:place:{id}}",
        "{\"id\": 已登记的场所：GLN 数字链接 https://id.gs1.org/414/{GLN}，或 urn:suyuan:place:{id}}";
    "quantityList" => "Lots and quantities", "批次及数量",
        "a list of {\"epcClass\": a lot (https://id.gs1.org/01/{GTIN}/10/{lot}), \"quantity\": a number, \"uom\": a UN/CEFACT unit code such as KGM}",
        "列表，每项 {\"epcClass\": 批次（https://id.gs1.org/01/{GTIN}/10/{批号}），\"quantity\": 数值，\"uom\": 计量单位代码如 KGM}";
    "epcList" => "Units", "单品/托盘",
        "a list of identifiers of items or pallets (GS1 Digital Links: /01/{GTIN}/21/{serial}, /00/{SSCC})",
        "单品或托盘标识列表（GS1 数字链接：/01/{GTIN}/21/{序列号}、/00/{SSCC}）";
    "destinationList" => "Destinations", "目的方",
        "a list of {\"type\": \"owning_party\", \"destination\": urn:suyuan:org:{organisation id}}",
        "列表，每项 {\"type\": \"owning_party\", \"destination\": urn:suyuan:org:{机构 id}}";
    "bizTransactionList" => "Business documents", "业务单据",
        "a list of {\"type\": e.g. \"desadv\", \"bizTransaction\": the document's identifier}",
        "列表，每项 {\"type\": 如 \"desadv\"（发货通知），\"bizTransaction\": 单据标识}";
    "parentID" => "Container", "容器",
        "the pallet or case packed: an SSCC Digital Link https://id.gs1.org/00/{SSCC}",
        "所装的托盘或箱：SSCC 数字链接 https://id.gs1.org/00/{SSCC}";
    "childEPCs" => "Units packed", "装入的单品",
        "a list of identifiers of the items or cases packed",
        "装入的单品或箱的标识列表";
    "childQuantityList" => "Lots packed", "装入的批次",
        "a list of {\"epcClass\": a lot, \"quantity\", \"uom\"} packed",
        "装入的批次列表，每项 {\"epcClass\": 批次, \"quantity\", \"uom\"}";
    "inputEPCList" => "Units going in", "投入的单品",
        "a list of identifiers of the units processed",
        "被加工的单品标识列表";
    "inputQuantityList" => "Lots going in", "投入的批次",
        "a list of {\"epcClass\": a lot, \"quantity\", \"uom\"} processed",
        "被加工的批次列表，每项 {\"epcClass\": 批次, \"quantity\", \"uom\"}";
    "outputEPCList" => "Units coming out", "产出的单品",
        "a list of identifiers of the units made",
        "产出的单品标识列表";
    "outputQuantityList" => "Lots coming out", "产出的批次",
        "a list of {\"epcClass\": a new lot, \"quantity\", \"uom\"} made",
        "产出的新批次列表，每项 {\"epcClass\": 批次, \"quantity\", \"uom\"}";
}

/// The declaration of a standard field, by key.
pub fn std_field(key: &str) -> Option<&'static StdField> {
    STD_FIELDS.iter().find(|f| f.key == key)
}

fn std_value_schema(key: &str) -> Value {
    let string = json!({"type": "string", "minLength": 1});
    let quantity = json!({"type": "object", "required": ["epcClass"], "properties": {
        "epcClass": string, "quantity": {"type": "number"}, "uom": {"type": "string"}
    }});
    match key {
        "bizLocation" => json!({"type": "object", "required": ["id"], "properties": {"id": string}}),
        "parentID" => string,
        "destinationList" => json!({"type": "array", "items": {"type": "object",
            "required": ["type", "destination"], "properties": {"type": string, "destination": string}}}),
        "bizTransactionList" => json!({"type": "array", "items": {"type": "object",
            "required": ["bizTransaction"], "properties": {"type": string, "bizTransaction": string}}}),
        k if k.ends_with("QuantityList") || k == "quantityList" => {
            json!({"type": "array", "items": quantity})
        }
        _ => json!({"type": "array", "items": string}),
    }
}

fn titled(mut schema: Value, zh: &str, en: &str, words_zh: &str, words_en: &str) -> Value {
    if let Some(o) = schema.as_object_mut() {
        o.insert("title".into(), json!(format!("{zh} · {en}")));
        o.insert("description".into(), json!(format!("{words_zh}。{words_en}.")));
    }
    schema
}

/// The schema of one `agri:*` field, with its names and example.
pub fn agri_property(f: &AgriField) -> Value {
    let (en, zh) = f.ty.words();
    let mut s = titled(value_schema(f.ty), f.zh, f.en, &zh, &en);
    if let Some(o) = s.as_object_mut() {
        o.insert("examples".into(), json!([super::values::example(f)]));
    }
    s
}

/// Every spelling of a bizStep that a record accepts: a CBV word as the
/// bare word, its Web URI, CBV 1.x URN and compact IRI; our own step as its
/// URI.
pub fn biz_step_forms(step: &str) -> Vec<String> {
    let v = Vocabulary::BizStep;
    if !v.is_word(step) {
        return vec![step.to_owned()];
    }
    let mut forms = vec![step.to_owned(), format!("{}{step}", v.web_prefix())];
    forms.extend(v.urn_prefix().map(|p| format!("{p}{step}")));
    forms.push(format!("{}{step}", v.compact_prefix()));
    forms
}

/// A rule of a kind's schema beyond its properties (its `allOf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// EPCIS 2.0: an ObjectEvent has `epcList` (even empty), a non-empty
    /// `quantityList`, or `sensorElementList` with `readPoint`.
    ObjectWhat,
    /// At least one of these standard fields, not empty.
    AnyOf(&'static [&'static str]),
    /// A conclusion `pass` has no failed item.
    PassHasNoFailedItem,
    /// A conclusion `fail` names the item that failed.
    FailNamesAFailedItem,
}

fn rules(kind: RecordKind) -> Vec<Rule> {
    let p = profile(kind);
    let mut out: Vec<Rule> = Vec::new();
    if p.event_type == EventType::Object {
        out.push(Rule::ObjectWhat);
    }
    out.extend(p.required.iter().filter_map(|f| match f {
        Field::AnyStd(ks) => Some(Rule::AnyOf(ks)),
        _ => None,
    }));
    if agri_fields_of(kind).any(|(n, _)| n == "conclusion") {
        out.extend([Rule::PassHasNoFailedItem, Rule::FailNamesAFailedItem]);
    }
    out
}

fn rule_schema(rule: Rule) -> Value {
    let (c, items) = ("agri:conclusion", "agri:testItems");
    match rule {
        Rule::ObjectWhat => json!({
            "title": "ObjectEvent 须有 epcList（可为空）、非空 quantityList，或 sensorElementList 加 readPoint · \
                      an ObjectEvent has epcList (even empty), a non-empty quantityList, or sensorElementList with readPoint",
            "anyOf": [
                {"required": ["epcList"]},
                {"required": ["quantityList"], "properties": {"quantityList": {"minItems": 1}}},
                {"required": ["sensorElementList", "readPoint"]}
            ]
        }),
        Rule::AnyOf(ks) => json!({
            "title": format!("{} 至少其一 · at least one of {}", ks.join("、"), ks.join(", ")),
            "anyOf": ks.iter().map(|k| json!({"required": [k], "properties": {*k: {"minItems": 1}}})).collect::<Vec<_>>()
        }),
        Rule::PassHasNoFailedItem => json!({
            "title": "结论为合格时各项目均合格 · a passed test has no failed item",
            "if": {"required": [c], "properties": {c: {"const": "pass"}}},
            "then": {"properties": {items: {"items": {"properties": {"pass": {"const": true}}}}}}
        }),
        Rule::FailNamesAFailedItem => json!({
            "title": "结论为不合格时须有不合格项目 · a failed test names the item that failed",
            "if": {"required": [c, items], "properties": {c: {"const": "fail"}, items: {"type": "array"}}},
            "then": {"properties": {items: {"contains": {"type": "object", "required": ["pass"], "properties": {"pass": {"const": false}}}}}}
        }),
    }
}

fn build(kind: RecordKind) -> Value {
    let p = profile(kind);
    let mut props = Map::new();
    let mut required: Vec<String> = vec!["type".into(), "eventTime".into(), "eventTimeZoneOffset".into()];
    props.insert(
        "type".into(),
        json!({"const": p.event_type.as_str(), "title": "事件类型 · Event type"}),
    );
    props.insert(
        "eventID".into(),
        json!({"type": "string", "minLength": 1, "title": "事件标识 · Event ID",
        "description": "建议使用 urn:uuid:{UUID}。Recommended: urn:uuid:{UUID}."}),
    );
    props.insert("eventTime".into(), json!({"type": "string", "format": "date-time", "title": "发生时间 · Event time",
        "description": "带时区的 ISO 8601 时间，不晚于当前时间。An ISO 8601 date-time with its offset, not in the future."}));
    props.insert(
        "eventTimeZoneOffset".into(),
        json!({"type": "string", "pattern": "^[+-][0-9]{2}:[0-9]{2}$",
        "title": "时区 · Time zone offset", "examples": ["+08:00"]}),
    );
    if p.event_type != EventType::Transformation {
        required.push("action".into());
        props.insert(
            "action".into(),
            json!({"enum": ["ADD", "OBSERVE", "DELETE"], "title": "动作 · Action"}),
        );
    }
    let steps: Vec<String> = p.biz_steps.iter().flat_map(|s| biz_step_forms(s)).collect();
    props.insert(
        "bizStep".into(),
        json!({"enum": steps, "title": "业务步骤 · Business step"}),
    );
    required.push(format!("{AGRI_PREFIX}:recordKind"));
    props.insert(
        format!("{AGRI_PREFIX}:recordKind"),
        json!({"const": kind.as_str(),
        "title": "记录类型 · Record kind", "description": format!("{}。{}.", kind.zh(), kind.en())}),
    );
    for f in p.required {
        let keys: &[&str] = match f {
            Field::Std(k) => {
                required.push((*k).to_owned());
                std::slice::from_ref(k)
            }
            Field::AnyStd(ks) => ks,
            Field::Agri(_) => &[],
        };
        for k in keys {
            let Some(d) = std_field(k) else { continue };
            let mut s = titled(std_value_schema(k), d.zh, d.en, d.words_zh, d.words_en);
            if matches!(f, Field::Std(_)) && s["type"] == "array" {
                s["minItems"] = json!(1);
            }
            props.insert((*k).to_owned(), s);
        }
    }
    let mut own = vec![json!(format!("{AGRI_PREFIX}:recordKind"))];
    for (name, is_required) in agri_fields_of(kind) {
        let key = format!("{AGRI_PREFIX}:{name}");
        if let Some(f) = agri_field(name) {
            props.insert(key.clone(), agri_property(f));
        }
        if is_required {
            required.push(key.clone());
        }
        own.push(json!(key));
    }
    let stage = p.stage;
    let mut schema = json!({
        "$schema": DIALECT,
        "title": format!("{}记录 · {} record", kind.zh(), kind.en()),
        "description": format!(
            "溯源平台的“{}”记录（{}阶段）：一个 EPCIS 2.0 {}，以 JSON-LD 书写，@context 中将前缀 agri 绑定到 {AGRI_NS}。\
             标准 EPCIS 字段及其他命名空间的字段可自由添加；agri: 字段仅限本记录类型所列。\
             A suyuan {} record ({} stage): one EPCIS 2.0 {}, written as JSON-LD with the prefix agri bound to {AGRI_NS} in its @context. \
             Standard EPCIS fields and other namespaces' fields are free; agri: fields are only this kind's own.",
            kind.zh(), stage.zh(), p.event_type.as_str(), kind.as_str(), stage.en(), p.event_type.as_str()
        ),
        "type": "object",
        "required": required,
        "properties": props,
        "propertyNames": {
            "title": "agri: 字段仅限本记录类型 · agri: fields are the kind's own",
            "anyOf": [{"not": {"pattern": format!("^{AGRI_PREFIX}:")}}, {"enum": own}]
        },
        "examples": [example_event(kind)],
    });
    let rules: Vec<Value> = rules(kind).into_iter().map(rule_schema).collect();
    if !rules.is_empty() {
        schema["allOf"] = json!(rules);
    }
    schema
}

/// The JSON Schema of one event of `kind` (without `$id`: the server adds
/// the address it serves it at).
pub fn record_schema(kind: RecordKind) -> &'static Value {
    static SCHEMAS: OnceLock<Vec<Value>> = OnceLock::new();
    let all = SCHEMAS.get_or_init(|| RecordKind::ALL.iter().map(|k| build(*k)).collect());
    let i = RecordKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    &all[i]
}

/// The part of a kind's schema that concerns its `agri:*` values alone
/// (what [`check_values`] is asked): the record schema without the required
/// and standard fields and with the rules about standard fields made
/// trivially true, so that rule positions (`/allOf/{i}`) stay those of the
/// record schema. Derived from [`record_schema`], never written twice.
fn values_schema(kind: RecordKind) -> &'static Value {
    static SCHEMAS: OnceLock<Vec<Value>> = OnceLock::new();
    let all = SCHEMAS.get_or_init(|| {
        RecordKind::ALL
            .iter()
            .map(|k| {
                let mut s = record_schema(*k).clone();
                if let Some(obj) = s.as_object_mut() {
                    obj.remove("required");
                    obj.remove("examples");
                    if let Some(Value::Object(props)) = obj.get_mut("properties") {
                        props.retain(|name, _| name.starts_with(&format!("{AGRI_PREFIX}:")));
                    }
                    if let Some(Value::Array(rules_of)) = obj.get_mut("allOf") {
                        for (schema, rule) in rules_of.iter_mut().zip(rules(*k)) {
                            if matches!(rule, Rule::AnyOf(_) | Rule::ObjectWhat) {
                                *schema = Value::Bool(true);
                            }
                        }
                    }
                }
                s
            })
            .collect()
    });
    let i = RecordKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    &all[i]
}

fn unknown_field(kind: RecordKind) -> Invalid {
    let list: Vec<String> = agri_fields_of(kind)
        .map(|(n, _)| format!("{AGRI_PREFIX}:{n}"))
        .collect();
    Invalid::new(
        "record_field_unknown",
        format!(
            "a {} record has no such field; its fields: {}",
            kind.as_str(),
            list.join(", ")
        ),
        format!("“{}”记录没有这个字段；其字段为：{}", kind.zh(), list.join("、")),
    )
}

/// Which violations to report: only those about `agri:*` values (capture
/// checks the profile's required fields first, with one message for all),
/// or every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Values,
    Event,
}

/// The violation of `rule`, as the field it is about and the refusal.
fn rule_problem(kind: RecordKind, rule: Rule) -> (String, Invalid) {
    match rule {
        Rule::ObjectWhat => (
            "epcList".into(),
            Invalid::new(
                "epcis_missing_field",
                "An ObjectEvent's epcList, a non-empty quantityList, or sensorElementList with readPoint is required.",
                "缺少必填项：ObjectEvent 的 epcList、非空 quantityList，或 sensorElementList 加 readPoint。",
            ),
        ),
        Rule::AnyOf(ks) => {
            let f = ks.join(" or ");
            (f.clone(), lacking(kind, &[f]))
        }
        Rule::PassHasNoFailedItem => (format!("{AGRI_PREFIX}:conclusion"), contradiction(false)),
        Rule::FailNamesAFailedItem => (format!("{AGRI_PREFIX}:conclusion"), contradiction(true)),
    }
}

/// A violation of a standard field, for people.
fn std_problem(kind: RecordKind, v: &Violation) -> Invalid {
    if v.keyword.ends_with("/required") {
        return lacking(kind, &[v.field()]);
    }
    match v.keyword.as_str() {
        "/properties/type/const" => wrong_event_type(kind),
        "/properties/bizStep/enum" => wrong_biz_step(kind),
        _ => Invalid::new("record_field_form", v.en.clone(), v.zh.clone()),
    }
}

fn problems(kind: RecordKind, instance: &Value, scope: Scope) -> Vec<(String, Invalid)> {
    let schema = match scope {
        Scope::Values => values_schema(kind),
        Scope::Event => record_schema(kind),
    };
    let violations = jsonschema::validate(schema, instance);
    let own_prefix = format!("/properties/{AGRI_PREFIX}:");
    // Fields whose own value is wrong: rules across fields are not
    // reported about them.
    let wrong_values: HashSet<&str> = violations
        .iter()
        .filter(|v| v.keyword.starts_with(&own_prefix))
        .filter_map(Violation::top_field)
        .collect();
    let rules = rules(kind);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for v in &violations {
        let field = v.top_field().unwrap_or_default().to_owned();
        let problem = if v.keyword.starts_with("/propertyNames") {
            (field, unknown_field(kind))
        } else if let Some(rest) = v.keyword.strip_prefix("/allOf/") {
            let rule = rest
                .split('/')
                .next()
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| rules.get(i).copied());
            match rule {
                Some(Rule::AnyOf(_) | Rule::ObjectWhat) if scope == Scope::Values => continue,
                Some(Rule::PassHasNoFailedItem | Rule::FailNamesAFailedItem)
                    if wrong_values.contains("agri:conclusion")
                        || wrong_values.contains("agri:testItems") =>
                {
                    continue
                }
                Some(rule) => rule_problem(kind, rule),
                None => continue,
            }
        } else if v.keyword.starts_with(&own_prefix) && field != "agri:recordKind" {
            let ty = agri_field(field.trim_start_matches("agri:")).map(|f| f.ty);
            (field, ty.map_or_else(|| unknown_field(kind), ValueType::invalid))
        } else if scope == Scope::Values {
            continue;
        } else {
            (
                if field.is_empty() {
                    "event".into()
                } else {
                    v.field()
                },
                std_problem(kind, v),
            )
        };
        if seen.insert(problem.0.clone()) {
            out.push(problem);
        }
    }
    out
}

/// Checks the values of a record's `agri:*` fields (`fields`: local name
/// and value, `recordKind` excluded) against the kind's schema: a field the
/// kind does not have, a value not of its field's type, a test's conclusion
/// that contradicts its items. One problem per field, in the order the
/// fields were given, each naming its field (`agri:dose`).
pub fn check_values<'a>(
    kind: RecordKind,
    fields: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<(String, Invalid)> {
    let mut obj = Map::new();
    let mut order = Vec::new();
    for (name, value) in fields {
        let key = format!("{AGRI_PREFIX}:{name}");
        order.push(key.clone());
        obj.insert(key, value.clone());
    }
    let mut out = problems(kind, &Value::Object(obj), Scope::Values);
    out.sort_by_key(|(f, _)| order.iter().position(|k| k == f).unwrap_or(usize::MAX));
    out
}

/// Checks a whole event (its JSON, with `agri:` keys) against the kind's
/// schema: the profile's required fields, the event type and bizStep as
/// well as the values. Every problem, one per field.
pub fn check_event(kind: RecordKind, event: &Value) -> Vec<(String, Invalid)> {
    problems(kind, event, Scope::Event)
}

#[cfg(test)]
mod tests;
