//! A validator for the part of JSON Schema (draft 2020-12) that the
//! platform's own schemas use, so that a schema we publish is the very rule
//! we apply: the record kinds' schemas (`crate::stages::schema`) are both
//! served to integrators and run here on every captured record.
//!
//! Keywords applied ([`KEYWORDS`]): `type` (one or a list; `integer` is a
//! number written without fraction or exponent), `const`, `enum`,
//! `required`, `properties`, `patternProperties`, `additionalProperties`,
//! `propertyNames`, `items` (one schema for every item), `contains`,
//! `minItems`, `maxItems`, `minimum`, `maximum`, `exclusiveMinimum`,
//! `exclusiveMaximum`, `minLength`, `maxLength` (in Unicode characters),
//! `pattern` (see [`pattern`]), `allOf`, `anyOf`, `oneOf`, `not`, `if` /
//! `then` / `else`, and the boolean schemas `true` and `false`. Annotations
//! ([`ANNOTATIONS`]: `title`, `description`, `examples`, `format`, …) are
//! not assertions and are ignored; `$ref` is not supported (our schemas
//! inline everything).
//!
//! Every violation is returned, not only the first, each with where it is in
//! the instance ([`Violation::path`]) and which keyword of the schema it
//! breaks ([`Violation::keyword`], a JSON Pointer into the schema), in
//! English and Chinese. Two departures from the standard's output, for
//! people: a missing required property is reported at the property's own
//! path, and so is a property name refused by `propertyNames` or
//! `additionalProperties`.

pub mod pattern;

use serde_json::{Map, Value};

/// The assertion keywords this validator applies.
pub const KEYWORDS: &[&str] = &[
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "items",
    "contains",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
];

/// Keywords that describe without asserting.
pub const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
    "format",
    "readOnly",
    "writeOnly",
    "deprecated",
];

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// One way an instance breaks its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Where in the instance.
    pub path: Vec<Seg>,
    /// The keyword broken, as a JSON Pointer into the schema
    /// (`/properties/agri:dose/oneOf`).
    pub keyword: String,
    pub en: String,
    pub zh: String,
}

impl Violation {
    /// The path as a field name: `agri:testItems[0].pass` (empty for the
    /// instance itself).
    pub fn field(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            match s {
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// The first key of the path: the top-level field.
    pub fn top_field(&self) -> Option<&str> {
        match self.path.first() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

/// Every violation of `schema` by `instance`.
pub fn validate(schema: &Value, instance: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    // Most instances are valid: answered without building a message.
    if is_valid(schema, instance) {
        return out;
    }
    check(schema, instance, &mut Vec::new(), "", &mut out);
    out
}

/// Every violation, walking the whole schema even when there is none (the
/// reference [`is_valid`] is tested against).
#[cfg(test)]
pub(crate) fn validate_walking(schema: &Value, instance: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    check(schema, instance, &mut Vec::new(), "", &mut out);
    out
}

/// Whether `instance` satisfies `schema`: the same keywords as
/// [`validate`], decided without paths or messages (a property test keeps
/// the two in agreement).
pub fn is_valid(schema: &Value, v: &Value) -> bool {
    let s = match schema {
        Value::Bool(b) => return *b,
        Value::Object(s) => s,
        _ => return true,
    };
    valid_generic(s, v)
        && valid_scalar(s, v)
        && valid_combinators(s, v)
        && match v {
            Value::Object(obj) => valid_object(s, obj),
            Value::Array(items) => valid_array(s, items),
            _ => true,
        }
}

fn valid_generic(s: &Map<String, Value>, v: &Value) -> bool {
    let typed = match s.get("type") {
        Some(Value::String(t)) => has_type(t, v),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(|t| has_type(t, v)),
        Some(_) => false,
        None => true,
    };
    typed
        && s.get("const").is_none_or(|c| json_eq(c, v))
        && match s.get("enum") {
            Some(Value::Array(options)) => options.iter().any(|x| json_eq(x, v)),
            _ => true,
        }
}

fn valid_scalar(s: &Map<String, Value>, v: &Value) -> bool {
    match v {
        Value::String(text) => {
            let needs_len = s.contains_key("minLength") || s.contains_key("maxLength");
            let len = if needs_len { text.chars().count() as u64 } else { 0 };
            s.get("minLength")
                .and_then(Value::as_u64)
                .is_none_or(|m| len >= m)
                && s.get("maxLength")
                    .and_then(Value::as_u64)
                    .is_none_or(|m| len <= m)
                && s.get("pattern")
                    .and_then(Value::as_str)
                    .is_none_or(|p| pattern::matches(p, text))
        }
        Value::Number(_) => {
            let Some(n) = v.as_f64() else { return true };
            let bound = |kw: &str, ok: fn(f64, f64) -> bool| {
                s.get(kw).and_then(Value::as_f64).is_none_or(|b| ok(n, b))
            };
            bound("minimum", |n, b| n >= b)
                && bound("maximum", |n, b| n <= b)
                && bound("exclusiveMinimum", |n, b| n > b)
                && bound("exclusiveMaximum", |n, b| n < b)
        }
        _ => true,
    }
}

fn valid_combinators(s: &Map<String, Value>, v: &Value) -> bool {
    let subs = |key: &str| s.get(key).and_then(Value::as_array);
    subs("allOf").is_none_or(|all| all.iter().all(|sub| is_valid(sub, v)))
        && subs("anyOf").is_none_or(|any| any.iter().any(|sub| is_valid(sub, v)))
        && subs("oneOf").is_none_or(|one| one.iter().filter(|sub| is_valid(sub, v)).count() == 1)
        && s.get("not").is_none_or(|not| !is_valid(not, v))
        && s.get("if").is_none_or(|cond| {
            let branch = if is_valid(cond, v) { "then" } else { "else" };
            s.get(branch).is_none_or(|sub| is_valid(sub, v))
        })
}

fn valid_object(s: &Map<String, Value>, obj: &Map<String, Value>) -> bool {
    if let Some(Value::Array(required)) = s.get("required") {
        if !required
            .iter()
            .filter_map(Value::as_str)
            .all(|name| obj.contains_key(name))
        {
            return false;
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    let patterns = s.get("patternProperties").and_then(Value::as_object);
    let names = s.get("propertyNames");
    let extra = s.get("additionalProperties");
    obj.iter().all(|(key, value)| {
        if names.is_some_and(|n| !is_valid(n, &Value::String(key.clone()))) {
            return false;
        }
        let mut matched = false;
        if let Some(sub) = props.and_then(|p| p.get(key)) {
            matched = true;
            if !is_valid(sub, value) {
                return false;
            }
        }
        for (re, sub) in patterns.into_iter().flatten() {
            if pattern::matches(re, key) {
                matched = true;
                if !is_valid(sub, value) {
                    return false;
                }
            }
        }
        matched || extra.is_none_or(|x| is_valid(x, value))
    })
}

fn valid_array(s: &Map<String, Value>, items: &[Value]) -> bool {
    let count = items.len() as u64;
    s.get("minItems")
        .and_then(Value::as_u64)
        .is_none_or(|m| count >= m)
        && s.get("maxItems")
            .and_then(Value::as_u64)
            .is_none_or(|m| count <= m)
        && s.get("contains")
            .is_none_or(|c| items.iter().any(|i| is_valid(c, i)))
        && s.get("items")
            .is_none_or(|each| items.iter().all(|i| is_valid(each, i)))
}

/// Escapes a key for a JSON Pointer.
fn ptr(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(p), Some(q), _, _) => p == q,
            (_, _, Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn type_name_zh(t: &str) -> &str {
    match t {
        "string" => "文本",
        "number" => "数值",
        "integer" => "整数",
        "object" => "对象",
        "array" => "数组",
        "boolean" => "布尔值",
        "null" => "空值",
        other => other,
    }
}

fn has_type(t: &str, v: &Value) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

struct Out<'a> {
    path: &'a [Seg],
    at: &'a str,
    out: &'a mut Vec<Violation>,
}

impl Out<'_> {
    fn push(&mut self, keyword: &str, en: String, zh: String) {
        self.push_at(self.path.to_vec(), keyword, en, zh);
    }
    fn push_at(&mut self, path: Vec<Seg>, keyword: &str, en: String, zh: String) {
        self.out.push(Violation {
            path,
            keyword: format!("{}/{keyword}", self.at),
            en,
            zh,
        });
    }
}

fn check(schema: &Value, v: &Value, path: &mut Vec<Seg>, at: &str, out: &mut Vec<Violation>) {
    let s = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            out.push(Violation {
                path: path.clone(),
                keyword: at.to_owned(),
                en: "is not allowed".into(),
                zh: "不允许".into(),
            });
            return;
        }
        Value::Object(s) => s,
        _ => return,
    };
    let mut o = Out { path, at, out };
    generic(s, v, &mut o);
    match v {
        Value::String(text) => strings(s, text, &mut o),
        Value::Number(_) => numbers(s, v, &mut o),
        _ => {}
    }
    combinators(s, v, path, at, out);
    match v {
        Value::Object(obj) => objects(s, obj, path, at, out),
        Value::Array(items) => arrays(s, items, path, at, out),
        _ => {}
    }
}

fn generic(s: &Map<String, Value>, v: &Value, o: &mut Out<'_>) {
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.iter().any(|t| has_type(t, v)) {
            let zh: Vec<&str> = types.iter().map(|t| type_name_zh(t)).collect();
            o.push(
                "type",
                format!("must be of type {}", types.join(" or ")),
                format!("应为{}", zh.join("或")),
            );
        }
    }
    if let Some(c) = s.get("const") {
        if !json_eq(c, v) {
            o.push(
                "const",
                format!("must be {}", short(c)),
                format!("应为 {}", short(c)),
            );
        }
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.iter().any(|x| json_eq(x, v)) {
            let list: Vec<String> = options.iter().map(short).collect();
            o.push(
                "enum",
                format!("must be one of: {}", list.join(", ")),
                format!("应为以下之一：{}", list.join("、")),
            );
        }
    }
}

fn strings(s: &Map<String, Value>, text: &str, o: &mut Out<'_>) {
    let len = text.chars().count() as u64;
    if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
        if len < min {
            o.push(
                "minLength",
                format!("must have at least {min} characters"),
                format!("至少应有 {min} 个字符"),
            );
        }
    }
    if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
        if len > max {
            o.push(
                "maxLength",
                format!("must have at most {max} characters"),
                format!("最多 {max} 个字符"),
            );
        }
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        if !pattern::matches(p, text) {
            o.push(
                "pattern",
                format!("must match the pattern {p}"),
                format!("应符合格式 {p}"),
            );
        }
    }
}

/// A bound on numbers: its keyword, whether a number keeps it, and how it
/// is said in English and Chinese.
type Bound = (&'static str, fn(f64, f64) -> bool, &'static str, &'static str);

fn numbers(s: &Map<String, Value>, v: &Value, o: &mut Out<'_>) {
    let Some(n) = v.as_f64() else { return };
    let bounds: [Bound; 4] = [
        ("minimum", |n, b| n >= b, "at least", "不小于"),
        ("maximum", |n, b| n <= b, "at most", "不大于"),
        ("exclusiveMinimum", |n, b| n > b, "greater than", "大于"),
        ("exclusiveMaximum", |n, b| n < b, "less than", "小于"),
    ];
    for (kw, ok, en, zh) in bounds {
        if let Some(b) = s.get(kw).and_then(Value::as_f64) {
            if !ok(n, b) {
                o.push(kw, format!("must be {en} {b}"), format!("应{zh} {b}"));
            }
        }
    }
}

fn combinators(s: &Map<String, Value>, v: &Value, path: &mut Vec<Seg>, at: &str, out: &mut Vec<Violation>) {
    if let Some(Value::Array(all)) = s.get("allOf") {
        for (i, sub) in all.iter().enumerate() {
            check(sub, v, path, &format!("{at}/allOf/{i}"), out);
        }
    }
    let passing = |key: &str| -> Option<usize> {
        let subs = s.get(key)?.as_array()?;
        Some(subs.iter().filter(|sub| is_valid(sub, v)).count())
    };
    let mut o = Out { path, at, out };
    if passing("anyOf") == Some(0) {
        o.push(
            "anyOf",
            "matches none of the allowed forms".into(),
            "不符合任何一种允许的形式".into(),
        );
    }
    match passing("oneOf") {
        Some(0) => o.push(
            "oneOf",
            "matches none of the allowed forms".into(),
            "不符合任何一种允许的形式".into(),
        ),
        Some(1) | None => {}
        Some(_) => o.push(
            "oneOf",
            "matches more than one of the allowed forms".into(),
            "同时符合多种形式".into(),
        ),
    }
    if let Some(not) = s.get("not") {
        if is_valid(not, v) {
            o.push(
                "not",
                "matches a form that is not allowed".into(),
                "符合了不允许的形式".into(),
            );
        }
    }
    if let Some(cond) = s.get("if") {
        let branch = if is_valid(cond, v) { "then" } else { "else" };
        if let Some(sub) = s.get(branch) {
            check(sub, v, path, &format!("{at}/{branch}"), out);
        }
    }
}

fn objects(
    s: &Map<String, Value>,
    obj: &Map<String, Value>,
    path: &mut Vec<Seg>,
    at: &str,
    out: &mut Vec<Violation>,
) {
    if let Some(Value::Array(required)) = s.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                let mut p = path.clone();
                p.push(Seg::Key(name.to_owned()));
                Out { path, at, out }.push_at(p, "required", "is required".into(), "必填".into());
            }
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    let patterns = s.get("patternProperties").and_then(Value::as_object);
    for (key, value) in obj {
        path.push(Seg::Key(key.clone()));
        if let Some(names) = s.get("propertyNames") {
            if !is_valid(names, &Value::String(key.clone())) {
                let p = path.clone();
                Out { path, at, out }.push_at(
                    p,
                    "propertyNames",
                    "is not an allowed field here".into(),
                    "此处不允许该字段".into(),
                );
            }
        }
        let mut matched = false;
        if let Some(sub) = props.and_then(|p| p.get(key)) {
            matched = true;
            check(sub, value, path, &format!("{at}/properties/{}", ptr(key)), out);
        }
        for (re, sub) in patterns.into_iter().flatten() {
            if pattern::matches(re, key) {
                matched = true;
                check(
                    sub,
                    value,
                    path,
                    &format!("{at}/patternProperties/{}", ptr(re)),
                    out,
                );
            }
        }
        if let (false, Some(extra)) = (matched, s.get("additionalProperties")) {
            check(extra, value, path, &format!("{at}/additionalProperties"), out);
        }
        path.pop();
    }
}

fn arrays(s: &Map<String, Value>, items: &[Value], path: &mut Vec<Seg>, at: &str, out: &mut Vec<Violation>) {
    let count = items.len() as u64;
    let mut o = Out { path, at, out };
    if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
        if count < min {
            o.push(
                "minItems",
                format!("must have at least {min} items"),
                format!("至少应有 {min} 项"),
            );
        }
    }
    if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
        if count > max {
            o.push(
                "maxItems",
                format!("must have at most {max} items"),
                format!("最多 {max} 项"),
            );
        }
    }
    if let Some(c) = s.get("contains") {
        if !items.iter().any(|i| is_valid(c, i)) {
            o.push(
                "contains",
                "has no item of the required form".into(),
                "没有符合要求的项".into(),
            );
        }
    }
    if let Some(each) = s.get("items") {
        for (i, item) in items.iter().enumerate() {
            path.push(Seg::Index(i));
            check(each, item, path, &format!("{at}/items"), out);
            path.pop();
        }
    }
}

/// What this validator cannot apply in `schema` (recursively): keywords
/// that are neither applied here nor annotations, and patterns outside the
/// supported subset. A schema we publish must have none.
pub fn unsupported(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk_keywords(schema, "", &mut out);
    out
}

fn walk_keywords(schema: &Value, at: &str, out: &mut Vec<String>) {
    let Value::Object(s) = schema else { return };
    for (k, v) in s {
        let here = format!("{at}/{}", ptr(k));
        if !KEYWORDS.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
            out.push(here.clone());
        }
        let bad_pattern = |p: &str| pattern::Pattern::new(p).is_err();
        match k.as_str() {
            "pattern" if v.as_str().is_none_or(bad_pattern) => out.push(here.clone()),
            "properties" | "patternProperties" => {
                for (name, sub) in v.as_object().into_iter().flatten() {
                    if k == "patternProperties" && bad_pattern(name) {
                        out.push(format!("{here}/{}", ptr(name)));
                    }
                    walk_keywords(sub, &format!("{here}/{}", ptr(name)), out);
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                    walk_keywords(sub, &format!("{here}/{i}"), out);
                }
            }
            "items"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "propertyNames"
            | "additionalProperties" => walk_keywords(v, &here, out),
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
