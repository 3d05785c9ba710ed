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

use super::schema::value_schema;
use crate::jsonschema;
use crate::model::registration_format_invalid;
use crate::refs::{CUSTOMER_URN, INPUT_LOT_URN};
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
    /// A customer or distributor of the organisation's archive, by its
    /// entry: `urn:suyuan:customer:{entry id}` (also accepted:
    /// `urn:uuid:{id}` or the bare id, normalised at capture).
    Customer,
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
    "buyer" => Customer, "Buyer (a customer of your archive)", "购买方（客户档案）", r#""urn:suyuan:customer:0190f5a2-7c1e-7000-8000-000000000002""#;
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

impl ValueType {
    /// The refusal of a value that is not of this type (the code names the
    /// type's rule).
    pub fn invalid(self) -> Invalid {
        let (code, en, zh) = match self {
            ValueType::Text | ValueType::Operator => (
                "value_text",
                format!("the value is text of 1 to {TEXT_MAX} characters"),
                format!("取值应为 1 至 {TEXT_MAX} 个字符的文本"),
            ),
            ValueType::Measure => (
                "value_measure",
                "the value is a number greater than zero with its unit, e.g. {\"value\": 20, \"unit\": \"g/亩\"} or \"20 g/亩\"".into(),
                "取值应为大于零的数值及其单位，如 {\"value\": 20, \"unit\": \"g/亩\"} 或 \"20 g/亩\"".into(),
            ),
            ValueType::Temperature => (
                "value_temperature",
                "the value is a temperature in °C between -60 and 60, e.g. 4 or \"4 ℃\"".into(),
                "取值应为 -60 至 60 之间的摄氏温度，如 4 或 \"4 ℃\"".into(),
            ),
            ValueType::Days => (
                "value_days",
                "the value is a whole number of days from 0 to 365".into(),
                "取值应为 0 至 365 的整数天数".into(),
            ),
            ValueType::Conclusion => (
                "value_conclusion",
                "a test's conclusion is \"pass\" or \"fail\"".into(),
                "检测结论应为 \"pass\"（合格）或 \"fail\"（不合格）".into(),
            ),
            ValueType::TestItems => (
                "value_test_items",
                "test items are a list of objects, each with \"item\" (text) and \"pass\" (true or false), \
                 and \"result\", \"limit\", \"method\", \"unit\" as text if given"
                    .into(),
                "检测项目应为对象列表，每项含 \"item\"（文本）和 \"pass\"（true 或 false），\
                 \"result\"、\"limit\"、\"method\"、\"unit\" 如有应为文本"
                    .into(),
            ),
            ValueType::InputLot => (
                "input_lot_format",
                format!("an input lot is written {INPUT_LOT_URN}{{purchase id}} (or urn:uuid:{{purchase id}}, or the bare id)"),
                format!("投入品批次应写作 {INPUT_LOT_URN}{{采购记录 id}}（或 urn:uuid:{{采购记录 id}}，或直接写 id）"),
            ),
            ValueType::Customer => (
                "customer_format",
                format!("a buyer is written {CUSTOMER_URN}{{customer id}} (or urn:uuid:{{customer id}}, or the bare id)"),
                format!("购买方应写作 {CUSTOMER_URN}{{客户档案 id}}（或 urn:uuid:{{客户档案 id}}，或直接写 id）"),
            ),
            ValueType::RegistrationNumber => return registration_format_invalid(),
        };
        Invalid::new(code, en, zh)
    }

    /// What a value of this type is, in words: (English, Chinese).
    pub fn words(self) -> (String, String) {
        match self {
            ValueType::Text => (
                format!("text, 1 to {TEXT_MAX} characters"),
                format!("文本，1 至 {TEXT_MAX} 个字符"),
            ),
            ValueType::Measure => (
                "a number greater than zero with its unit: {\"value\": 20, \"unit\": \"g/亩\"} or text such as \"20 g/亩\"".into(),
                "大于零的数值及其单位：{\"value\": 20, \"unit\": \"g/亩\"}，或文本如 \"20 g/亩\"".into(),
            ),
            ValueType::Temperature => (
                "a temperature in °C from -60 to 60: a number, or text such as \"4 ℃\"".into(),
                "-60 至 60 的摄氏温度：数值，或文本如 \"4 ℃\"".into(),
            ),
            ValueType::Days => (
                "a whole number of days, 0 to 365 (written without a fraction: 7)".into(),
                "0 至 365 的整数天数（不带小数：7）".into(),
            ),
            ValueType::Conclusion => (
                "\"pass\" or \"fail\"; \"fail\" exactly when an item failed".into(),
                "\"pass\"（合格）或 \"fail\"（不合格）；有项目不合格时即为 \"fail\"".into(),
            ),
            ValueType::TestItems => (
                "a list of at least one test item: {\"item\": text, \"pass\": true or false}, with \"result\", \"limit\", \"method\", \"unit\" if known".into(),
                "至少一项的检测项目列表：{\"item\": 文本, \"pass\": true 或 false}，可含 \"result\"、\"limit\"、\"method\"、\"unit\"".into(),
            ),
            ValueType::InputLot => (
                format!("one of your organisation's input purchases, {INPUT_LOT_URN}{{purchase id}}, of the kind of input the record uses"),
                format!("本机构的投入品采购批次，写作 {INPUT_LOT_URN}{{采购记录 id}}，且为该记录所用的投入品类别"),
            ),
            ValueType::RegistrationNumber => (
                "a pesticide registration number (PD, LS, WP or WL and 6 to 12 digits), the one the input lot's pesticide is registered with".into(),
                "农药登记证号（PD、LS、WP 或 WL 加 6 至 12 位数字），须与该批次农药登记的证号一致".into(),
            ),
            ValueType::Operator => (
                "one of your organisation's people: a user's name or login, or the person named for one of its duties".into(),
                "本机构人员：用户的姓名或登录名，或职责负责人".into(),
            ),
            ValueType::Customer => (
                format!("one of your organisation's customers or distributors (its archive entry), {CUSTOMER_URN}{{customer id}}"),
                format!("本机构客户档案中的客户或经销商，写作 {CUSTOMER_URN}{{客户档案 id}}"),
            ),
        }
    }
}

/// Checks one value against its type, as far as it can be checked alone:
/// against the type's JSON Schema ([`crate::stages::schema::value_schema`]),
/// the same one the record kinds' schemas are made of.
pub fn check_value(ty: ValueType, v: &Value) -> Result<(), Invalid> {
    if jsonschema::is_valid(&value_schema(ty), v) {
        Ok(())
    } else {
        Err(ty.invalid())
    }
}

/// A test's conclusion: `true` when it failed.
pub fn conclusion(v: &Value) -> Result<bool, Invalid> {
    check_value(ValueType::Conclusion, v)?;
    Ok(v.as_str() == Some("fail"))
}

/// A test whose conclusion does not agree with its items: `conclusion_failed`
/// is what the conclusion says.
pub fn contradiction(conclusion_failed: bool) -> Invalid {
    if conclusion_failed {
        Invalid::new(
            "conclusion_contradicts_items",
            "the conclusion is \"fail\" but every item passed: mark the item that failed",
            "结论为不合格但各项目均合格：请标明不合格的项目",
        )
    } else {
        Invalid::new(
            "conclusion_contradicts_items",
            "an item failed, so the conclusion is \"fail\"",
            "有检测项目不合格，结论应为 \"fail\"（不合格）",
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(ty: ValueType, v: Value) -> Option<&'static str> {
        check_value(ty, &v).err().map(|e| e.code)
    }

    #[test]
    fn measures_need_a_number_and_a_unit() {
        for ok in [
            json!("每亩 200 千克"),
            json!("40 m3"),
            json!("1.5 L"),
            json!("0.05 kg"),
            json!("1500 倍液"),
            json!("每亩 30"),
            json!({"value": 20, "unit": "g/亩"}),
        ] {
            assert_eq!(code(ValueType::Measure, ok.clone()), None, "{ok}");
        }
        for bad in [
            json!("lots"),
            json!("200"),
            json!(200),
            json!("0 kg"),
            json!("0.0 kg"),
            json!("200 %"),
            json!("1.2.3 kg"),
            json!({"value": 2}),
            json!({"value": 0, "unit": "kg"}),
            json!({"value": 2, "unit": "%"}),
            json!(null),
        ] {
            assert_eq!(
                code(ValueType::Measure, bad.clone()),
                Some("value_measure"),
                "{bad}"
            );
        }
    }

    #[test]
    fn days_conclusions_temperatures() {
        assert_eq!(code(ValueType::Days, json!(7)), None);
        for bad in [json!("one"), json!(1.5), json!(-1), json!(400), json!("7")] {
            assert_eq!(code(ValueType::Days, bad.clone()), Some("value_days"), "{bad}");
        }
        assert!(!conclusion(&json!("pass")).unwrap());
        assert!(conclusion(&json!("fail")).unwrap());
        for bad in ["FAIL", "不合格（超标）", "failed", "ok"] {
            assert_eq!(conclusion(&json!(bad)).unwrap_err().code, "value_conclusion");
        }
        for ok in [
            json!("4 ℃"),
            json!(-18),
            json!("-18.5°C"),
            json!(" 60 "),
            json!(59.9),
        ] {
            assert_eq!(code(ValueType::Temperature, ok.clone()), None, "{ok}");
        }
        for bad in [
            json!("cold"),
            json!(61),
            json!("60.5 ℃"),
            json!("-61"),
            json!(true),
        ] {
            assert_eq!(
                code(ValueType::Temperature, bad.clone()),
                Some("value_temperature"),
                "{bad}"
            );
        }
    }

    #[test]
    fn test_items_and_texts() {
        let items =
            json!([{"item": "铅", "pass": true}, {"item": "吡虫啉", "result": "0.5 mg/kg", "pass": false}]);
        assert_eq!(code(ValueType::TestItems, items), None);
        for bad in [
            json!([]),
            json!(["毒死蜱"]),
            json!([{"item": "铅"}]),
            json!([{"pass": true}]),
            json!([{"item": "铅", "pass": true, "limit": {}}]),
        ] {
            assert_eq!(
                code(ValueType::TestItems, bad.clone()),
                Some("value_test_items"),
                "{bad}"
            );
        }
        assert_eq!(code(ValueType::Text, json!("  ")), Some("value_text"));
        assert_eq!(
            code(ValueType::Text, json!("x".repeat(TEXT_MAX + 1))),
            Some("value_text")
        );
        assert_eq!(code(ValueType::Operator, json!(3)), Some("value_text"));
        assert_eq!(contradiction(true).code, "conclusion_contradicts_items");
        assert_ne!(contradiction(true).en, contradiction(false).en);
    }

    #[test]
    fn references() {
        let id = "0190f5a2-7c1e-7000-8000-000000000001";
        for ok in [
            format!("urn:suyuan:input-lot:{id}"),
            format!("urn:uuid:{id}"),
            id.to_owned(),
        ] {
            assert_eq!(code(ValueType::InputLot, json!(ok)), None, "{ok}");
        }
        for bad in [
            "garbage-123",
            "urn:suyuan:input-lot:",
            "urn:suyuan:place:0190f5a2-7c1e-7000-8000-000000000001",
        ] {
            assert_eq!(
                code(ValueType::InputLot, json!(bad)),
                Some("input_lot_format"),
                "{bad}"
            );
        }
        assert_eq!(
            code(ValueType::RegistrationNumber, json!("not a number")),
            Some("pesticide_registration_format")
        );
        assert_eq!(code(ValueType::RegistrationNumber, json!("pd20080005")), None);
        assert_eq!(
            code(ValueType::Customer, json!(format!("{CUSTOMER_URN}{id}"))),
            None
        );
        assert_eq!(
            code(ValueType::Customer, json!("成都超市")),
            Some("customer_format")
        );
    }

    #[test]
    fn every_example_is_a_valid_value() {
        for f in AGRI_FIELDS {
            check_value(f.ty, &example(f)).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        }
    }
}
