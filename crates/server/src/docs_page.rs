//! The readable API docs page (`/api/docs`), rendered on the server from the
//! OpenAPI document: every operation with its parameters, its request body
//! and its responses, and the fields of each (name, type, whether required,
//! description), `$ref`s resolved into the schemas listed at the end of the
//! page, each with its own fields. No script, nothing from outside.

use std::fmt::Write as _;

use serde_json::Value;

use crate::docs::{esc, STYLE};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];
const REF_PREFIX: &str = "#/components/schemas/";

/// Extra style of the page: tables that scroll sideways on a phone.
pub(crate) const TABLES: &str =
    ".t{overflow-x:auto}table{border-collapse:collapse;margin:.25em 0 .75em;font-size:.92em}\
th,td{border:1px solid #cfdccf;padding:.2em .45em;text-align:left;vertical-align:top}th{background:#eef3ee}\
h4{margin:.6em 0 .2em}section.schema{border-top:1px solid #cfdccf;margin-top:1em}";

/// The schema a `$ref` names, or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix(REF_PREFIX)
            .and_then(|name| doc["components"]["schemas"].get(name))
            .unwrap_or(schema),
        None => schema,
    }
}

fn one_line(s: &str) -> String {
    esc(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A schema's type for people, with links to named schemas.
fn type_text(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = esc(r.trim_start_matches(REF_PREFIX));
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let sep = if key == "allOf" { " &amp; " } else { " | " };
            return parts.iter().map(type_text).collect::<Vec<_>>().join(sep);
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let list: Vec<String> = options.iter().map(|o| esc(&o.to_string())).collect();
        return format!("{} ∈ {{{}}}", type_name(schema), list.join(", "));
    }
    type_name(schema)
}

fn type_name(schema: &Value) -> String {
    let mut types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    if let Some(i) = types.iter().position(|t| t == "array") {
        let items = schema.get("items").map_or_else(|| "any".to_owned(), type_text);
        types[i] = format!("array of {items}");
    }
    if types.is_empty() {
        return "any".to_owned();
    }
    let mut out = types.join(" | ");
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(out, " ({})", esc(f));
    }
    out
}

/// The fields of an object schema (its properties, and those of the parts
/// of an `allOf`), as table rows.
fn field_rows(doc: &Value, schema: &Value, out: &mut String) -> bool {
    let schema = resolve(doc, schema);
    let mut any = false;
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for p in parts {
            any |= field_rows(doc, p, out);
        }
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        any = true;
        let desc = prop
            .get("description")
            .or_else(|| resolve(doc, prop).get("description"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            type_text(prop),
            if required.contains(&name.as_str()) {
                "是 / yes"
            } else {
                ""
            },
            one_line(desc)
        );
    }
    any
}

/// The fields of a schema as a table (for an array, its items' fields);
/// nothing for a schema without fields.
fn fields_table(doc: &Value, schema: &Value) -> String {
    let mut target = resolve(doc, schema);
    if target.get("type").and_then(Value::as_str) == Some("array") {
        if let Some(items) = target.get("items") {
            target = resolve(doc, items);
        }
    }
    let mut rows = String::new();
    if !field_rows(doc, target, &mut rows) {
        return String::new();
    }
    format!(
        "<div class=\"t\"><table><tr><th>字段 / field</th><th>类型 / type</th><th>必填 / required</th>\
         <th>说明 / description</th></tr>{rows}</table></div>"
    )
}

/// The JSON schema of a request body or response, and its media type.
fn content_schema(content: &Value) -> Option<(&str, &Value)> {
    let map = content.as_object()?;
    map.iter()
        .find(|(t, _)| t.ends_with("json"))
        .or_else(|| map.iter().next())
        .and_then(|(t, m)| m.get("schema").map(|s| (t.as_str(), s)))
}

fn parameters(op: &Value, out: &mut String) {
    let Some(params) = op
        .get("parameters")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    else {
        return;
    };
    out.push_str(
        "<h4>参数 / parameters</h4><div class=\"t\"><table><tr><th>名称 / name</th><th>位置 / in</th>\
         <th>类型 / type</th><th>必填 / required</th><th>说明 / description</th></tr>",
    );
    for p in params {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p["name"].as_str().unwrap_or("")),
            esc(p["in"].as_str().unwrap_or("")),
            p.get("schema").map_or_else(|| "any".to_owned(), type_text),
            if p["required"] == true { "是 / yes" } else { "" },
            one_line(p["description"].as_str().unwrap_or(""))
        );
    }
    out.push_str("</table></div>");
}

fn operation(doc: &Value, method: &str, path: &str, op: &Value, out: &mut String) {
    let summary = op["summary"]
        .as_str()
        .or(op["description"].as_str())
        .unwrap_or("");
    let _ = write!(
        out,
        "<div class=\"op\"><details><summary><span class=\"m {method}\">{method}</span> <code>{}</code> {}</summary>",
        esc(path),
        one_line(summary)
    );
    if let Some(d) = op["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", one_line(d));
    }
    parameters(op, out);
    if let Some((media, schema)) = op["requestBody"].get("content").and_then(content_schema) {
        let _ = write!(
            out,
            "<h4>请求体 / request body</h4><p><code>{}</code> {}</p>{}",
            esc(media),
            type_text(schema),
            fields_table(doc, schema)
        );
    }
    out.push_str("<h4>响应 / responses</h4>");
    for (status, resp) in op["responses"].as_object().into_iter().flatten() {
        let body = resp.get("content").and_then(content_schema);
        let _ = write!(
            out,
            "<p><code>{}</code> {} {}</p>",
            esc(status),
            one_line(resp["description"].as_str().unwrap_or("")),
            body.map(|(_, s)| type_text(s)).unwrap_or_default()
        );
        if let (true, Some((_, schema))) = (status.starts_with('2'), body) {
            out.push_str(&fields_table(doc, schema));
        }
    }
    out.push_str("</details></div>");
}

/// The page.
pub(crate) fn render(doc: &Value) -> String {
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    let mut out = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} 接口文档</title><style>{STYLE}{TABLES}</style></head><body><h1>{}</h1><p>{}</p>\
         <p>机器可读文档 / machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a></p>\
         <p>记录类型及其字段 / record kinds and their fields: <a href=\"/docs/records\">/docs/records</a> \
         (JSON Schema: <a href=\"/schemas/records\">/schemas/records</a>)</p>",
        esc(title),
        esc(title),
        one_line(doc["info"]["description"].as_str().unwrap_or(""))
    );
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                operation(doc, method, path, op, &mut out);
            }
        }
    }
    out.push_str("<h2>数据结构 / schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let _ = write!(
            out,
            "<section class=\"schema\" id=\"schema-{n}\"><h3>{n}</h3><p>{}</p><p>{}</p>{}</section>",
            one_line(schema["description"].as_str().unwrap_or("")),
            type_text(schema),
            fields_table(doc, schema),
            n = esc(name)
        );
    }
    out.push_str("</body></html>");
    out
}
