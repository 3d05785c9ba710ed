//! The value of every field of our own that a record carries (`agri:*`),
//! declared once: its type, its name for people, and the rule a value of
//! that type obeys. The validator, the JSON Schemas served for each record
//! kind and the documentation page are all read from this table.
//!
//! A value is checked here as far as it can be alone (a number with a
//! unit, a conclusion that is `pass` or `fail`, whole days). What needs
//! master data — that an input lot is a purchase of the organisation, of
//! the right kind of input, that the registration number and pre-harvest
//! interval are the registered input's, that the operator is one of the
//! organisation's people — is checked by the store against the types
//! declared here ([`ValueType::InputLot`], [`ValueType::RegistrationNumber`],
//! [`ValueType::Days`] on `preHarvestIntervalDays`, [`ValueType::Operator`]).

use serde_json::Value;

use crate::model::parse_pesticide_registration;
use crate::Invalid;

/// The type of an `agri:*` field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Text, 1 to [`TEXT_MAX`] characters.
    Text,
    /// A number greater than zero with its unit: `{"value": 200, "unit":
    /// "kg/亩"}`, or text holding one number and a unit (`"200 kg/亩"`,
    /// `"每亩 200 千克"`, `"1500 倍液"`).
    Measure,
    /// Degrees Celsius, −60 to 60: a number, or text such as `"4 ℃"`.
    Temperature,
    /// Whole days, 0 to 365.
    Days,
    /// A test's conclusion: `pass` or `fail`.
    Conclusion,
    /// The items a test measured: a non-empty list of `{"item", "pass"}`
    /// objects (with `result`, `limit`, `method` and `unit` as text if given).
    TestItems,
    /// An input lot: a purchase of the organisation, written
    /// `urn:suyuan:input-lot:{purchase id}` (also accepted: `urn:uuid:{id}`
    /// or the bare id, normalised at capture).
    InputLot,
    /// A pesticide registration number, which must be the registered
    /// number of the input lot's input.
    RegistrationNumber,
    /// One of the organisation's people: a user's name or login, or the
    /// person named for one of its duties.
    Operator,
}

/// The longest text value of a record field, in characters.
pub const TEXT_MAX: usize = 500;

/// One `agri:*` field: its local name, value type and names for people.
#[derive(Debug, Clone, Copy)]
pub struct AgriField {
    pub name: &'static str,
    pub ty: ValueType,
    pub en: &'static str,
    pub zh: &'static str,
    /// A value of this field, for the documentation and the schemas.
    pub example: &'static str,
}

macro_rules! agri_fields {
    ($($name:literal => $ty:ident, $en:literal, $zh:literal, $ex:literal;)+) => {
        /// Every `agri:*` field a record may carry (besides `agri:recordKind`).
        pub const AGRI_FIELDS: &[AgriField] = &[
            $(AgriField { name: $name, ty: ValueType::$ty, en: $en, zh: $zh, example: $ex }),+
        ];
    };
}

// Examples are JSON text.
agri_fields! {
    "variety" => Text, "Variety", "品种", r#""二荆条""#;
    "inputLot" => InputLot, "Input lot (a purchase)", "投入品批次（采购记录）", r#""urn:suyuan:input-lot:0190f5a2-7c1e-7000-8000-000000000001""#;
    "inputName" => Text, "Input name", "投入品名称", r#""70% 吡虫啉水分散粒剂""#;
    "dose" => Measure, "Dose", "用量", r#"{"value": 20, "unit": "g/亩"}"#;
    "method" => Text, "Method", "方法", r#""叶面喷雾""#;
    "operator" => Operator, "Operator", "操作人", r#""赵记录""#;
    "waterSource" => Text, "Water source", "水源", r#""都江堰灌区徐堰河""#;
    "volume" => Measure, "Volume", "用水量", r#""每亩 30 立方米""#;
    "registrationNumber" => RegistrationNumber, "Pesticide registration number", "农药登记证号", r#""PD20080005""#;
    "target" => Text, "Target pest or disease", "防治对象", r#""蚜虫""#;
    "preHarvestIntervalDays" => Days, "Pre-harvest interval (days)", "安全间隔期（天）", "7";
    "operation" => Text, "Operation", "作业内容", r#""除草""#;
    "harvestMethod" => Text, "Harvest method", "采收方式", r#""人工采摘""#;
    "sampleId" => Text, "Sample number", "样品编号", r#""CNJ-2026-05-0217""#;
    "testItems" => TestItems, "Test items", "检测项目", r#"[{"item": "吡虫啉", "method": "GB 23200.113-2018", "result": "0.02 mg/kg", "limit": "0.2 mg/kg", "pass": true}]"#;
    "conclusion" => Conclusion, "Conclusion", "检测结论", r#""pass""#;
    "agency" => Text, "Testing agency", "检测机构", r#""四川农检检测技术有限公司""#;
    "grade" => Text, "Grade", "等级", r#""一级""#;
    "temperature" => Temperature, "Temperature (°C)", "温度（℃）", "4";
    "position" => Text, "Storage position", "库位", r#""A-01""#;
    "conditions" => Text, "Storage conditions", "贮存条件", r#""2–8 ℃ 冷藏""#;
    "carrier" => Text, "Carrier", "承运方", r#""蜀运冷链物流有限公司""#;
    "vehicle" => Text, "Vehicle", "运输车辆", r#""川A·D12345 冷藏车""#;
    "transportMode" => Text, "Transport mode", "运输方式", r#""冷藏车公路运输""#;
    "temperatureClass" => Text, "Temperature class", "温控要求", r#""2–8 ℃""#;
    "channel" => Text, "Sales channel", "销售渠道", r#""超市零售""#;
    "nonConformanceOverride" => Text, "Reason a non-conformant unit leaves", "不合格品放行理由", r#""退回供货方销毁""#;
    "note" => Text, "Note", "备注", r#""晴，东南风 2 级""#;
}

/// The declaration of an `agri:*` field, by local name.
pub fn agri_field(name: &str) -> Option<&'static AgriField> {
    AGRI_FIELDS.iter().find(|f| f.name == name)
}

/// The example value of a field, parsed.
pub fn example(f: &AgriField) -> Value {
    serde_json::from_str(f.example).unwrap_or(Value::Null)
}

fn wrong(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Invalid {
    Invalid::new(code, en, zh)
}

/// Checks one value against its type, as far as it can be checked alone.
pub fn check_value(ty: ValueType, v: &Value) -> Result<(), Invalid> {
    match ty {
        ValueType::Text | ValueType::Operator | ValueType::InputLot => text(v).map(|_| ()),
        ValueType::RegistrationNumber => parse_pesticide_registration(text(v)?).map(|_| ()),
        ValueType::Measure => measure(v).map(|_| ()),
        ValueType::Temperature => temperature(v).map(|_| ()),
        ValueType::Days => days(v).map(|_| ()),
        ValueType::Conclusion => conclusion(v).map(|_| ()),
        ValueType::TestItems => test_items(v).map(|_| ()),
    }
}

/// Text of 1 to [`TEXT_MAX`] characters.
pub fn text(v: &Value) -> Result<&str, Invalid> {
    match v.as_str().map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().count() <= TEXT_MAX => Ok(s),
        _ => Err(wrong(
            "value_text",
            format!("the value is text of 1 to {TEXT_MAX} characters"),
            format!("取值应为 1 至 {TEXT_MAX} 个字符的文本"),
        )),
    }
}

/// A measure: (value, unit).
pub fn measure(v: &Value) -> Result<(f64, String), Invalid> {
    let bad = || {
        wrong(
            "value_measure",
            "the value is a number greater than zero with its unit, e.g. {\"value\": 20, \"unit\": \"g/亩\"} or \"20 g/亩\"",
            "取值应为大于零的数值及其单位，如 {\"value\": 20, \"unit\": \"g/亩\"} 或 \"20 g/亩\"",
        )
    };
    let (value, unit) = match v {
        Value::Object(o) => (
            o.get("value").and_then(Value::as_f64),
            o.get("unit").and_then(Value::as_str).map(|u| u.trim().to_owned()),
        ),
        Value::String(s) => split_number(s).map_or((None, None), |(n, u)| (Some(n), Some(u))),
        _ => (None, None),
    };
    match (value, unit) {
        (Some(n), Some(u))
            if n.is_finite() && n > 0.0 && u.chars().any(char::is_alphabetic) && u.chars().count() <= 40 =>
        {
            Ok((n, u))
        }
        _ => Err(bad()),
    }
}

/// The first decimal number in `s` and the rest (the unit), trimmed.
fn split_number(s: &str) -> Option<(f64, String)> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let len = s[start..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len() - start);
    let n: f64 = s[start..start + len].parse().ok()?;
    let unit = format!("{} {}", &s[..start], &s[start + len..]);
    Some((n, unit.split_whitespace().collect::<Vec<_>>().join(" ")))
}

/// Degrees Celsius.
pub fn temperature(v: &Value) -> Result<f64, Invalid> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            let t = t
                .strip_suffix('℃')
                .or_else(|| t.strip_suffix("°C"))
                .or_else(|| t.strip_suffix('C'))
                .unwrap_or(t);
            t.trim().parse::<f64>().ok()
        }
        _ => None,
    };
    match n {
        Some(n) if (-60.0..=60.0).contains(&n) => Ok(n),
        _ => Err(wrong(
            "value_temperature",
            "the value is a temperature in °C between -60 and 60, e.g. 4 or \"4 ℃\"",
            "取值应为 -60 至 60 之间的摄氏温度，如 4 或 \"4 ℃\"",
        )),
    }
}

/// Whole days, 0 to 365.
pub fn days(v: &Value) -> Result<i64, Invalid> {
    match v.as_i64() {
        Some(d) if (0..=365).contains(&d) => Ok(d),
        _ => Err(wrong(
            "value_days",
            "the value is a whole number of days from 0 to 365",
            "取值应为 0 至 365 的整数天数",
        )),
    }
}

/// A test's conclusion: `true` when it failed.
pub fn conclusion(v: &Value) -> Result<bool, Invalid> {
    match v.as_str() {
        Some("pass") => Ok(false),
        Some("fail") => Ok(true),
        _ => Err(wrong(
            "value_conclusion",
            "a test's conclusion is \"pass\" or \"fail\"",
            "检测结论应为 \"pass\"（合格）或 \"fail\"（不合格）",
        )),
    }
}

/// A conclusion for people: (English, Chinese).
pub fn conclusion_names(failed: bool) -> (&'static str, &'static str) {
    if failed {
        ("fail", "不合格")
    } else {
        ("pass", "合格")
    }
}

/// The items of a test: whether any failed.
pub fn test_items(v: &Value) -> Result<bool, Invalid> {
    let bad = || {
        wrong(
            "value_test_items",
            "test items are a list of objects, each with \"item\" (text) and \"pass\" (true or false), \
             and \"result\", \"limit\", \"method\", \"unit\" as text if given",
            "检测项目应为对象列表，每项含 \"item\"（文本）和 \"pass\"（true 或 false），\
             \"result\"、\"limit\"、\"method\"、\"unit\" 如有应为文本",
        )
    };
    let items = v.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    let mut any_failed = false;
    for it in items {
        let o = it.as_object().ok_or_else(bad)?;
        text(o.get("item").unwrap_or(&Value::Null)).map_err(|_| bad())?;
        any_failed |= !o.get("pass").and_then(Value::as_bool).ok_or_else(bad)?;
        for k in ["result", "limit", "method", "unit"] {
            if let Some(x) = o.get(k) {
                if !(x.is_string() || x.is_number()) {
                    return Err(bad());
                }
            }
        }
    }
    Ok(any_failed)
}

/// A test's conclusion must agree with its items: `fail` when any item
/// failed, and a failed test names the item that failed.
pub fn check_conclusion(conclusion_failed: bool, any_item_failed: bool) -> Result<(), Invalid> {
    match (conclusion_failed, any_item_failed) {
        (false, true) => Err(wrong(
            "conclusion_contradicts_items",
            "an item failed, so the conclusion is \"fail\"",
            "有检测项目不合格，结论应为 \"fail\"（不合格）",
        )),
        (true, false) => Err(wrong(
            "conclusion_contradicts_items",
            "the conclusion is \"fail\" but every item passed: mark the item that failed",
            "结论为不合格但各项目均合格：请标明不合格的项目",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn measures_need_a_number_and_a_unit() {
        assert_eq!(
            measure(&json!("每亩 200 千克")).unwrap(),
            (200.0, "每亩 千克".into())
        );
        assert_eq!(measure(&json!("40 m3")).unwrap(), (40.0, "m3".into()));
        assert_eq!(measure(&json!("1.5 L")).unwrap().0, 1.5);
        assert_eq!(
            measure(&json!({"value": 20, "unit": "g/亩"})).unwrap(),
            (20.0, "g/亩".into())
        );
        for bad in [
            json!("lots"),
            json!("200"),
            json!(200),
            json!("0 kg"),
            json!({"value": 2}),
            json!(null),
        ] {
            assert_eq!(measure(&bad).unwrap_err().code, "value_measure", "{bad}");
        }
    }

    #[test]
    fn days_conclusions_temperatures() {
        assert_eq!(days(&json!(7)).unwrap(), 7);
        for bad in [json!("one"), json!(1.5), json!(-1), json!(400), json!("7")] {
            assert_eq!(days(&bad).unwrap_err().code, "value_days", "{bad}");
        }
        assert!(!conclusion(&json!("pass")).unwrap());
        assert!(conclusion(&json!("fail")).unwrap());
        for bad in ["FAIL", "不合格（超标）", "failed", "ok"] {
            assert_eq!(conclusion(&json!(bad)).unwrap_err().code, "value_conclusion");
        }
        assert_eq!(temperature(&json!("4 ℃")).unwrap(), 4.0);
        assert_eq!(temperature(&json!(-18)).unwrap(), -18.0);
        assert!(temperature(&json!("cold")).is_err());
    }

    #[test]
    fn test_items_and_their_conclusion() {
        let items =
            json!([{"item": "铅", "pass": true}, {"item": "吡虫啉", "result": "0.5 mg/kg", "pass": false}]);
        assert!(test_items(&items).unwrap());
        assert!(!test_items(&json!([{"item": "铅", "pass": true}])).unwrap());
        for bad in [
            json!([]),
            json!(["毒死蜱"]),
            json!([{"item": "铅"}]),
            json!([{"pass": true}]),
        ] {
            assert_eq!(test_items(&bad).unwrap_err().code, "value_test_items", "{bad}");
        }
        assert!(check_conclusion(true, true).is_ok());
        assert!(check_conclusion(false, false).is_ok());
        assert!(check_conclusion(false, true).is_err());
        assert!(check_conclusion(true, false).is_err());
    }

    #[test]
    fn every_example_is_a_valid_value() {
        for f in AGRI_FIELDS {
            check_value(f.ty, &example(f)).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        }
        assert_eq!(
            check_value(ValueType::RegistrationNumber, &json!("not a number"))
                .unwrap_err()
                .code,
            "pesticide_registration_format"
        );
    }
}
