//! The API document as a contract: the answers every operation can give
//! because of the edge it passes through, added once here rather than
//! repeated (and forgotten) on each handler.
//!
//! The handlers' annotations say what their own logic answers. The edge
//! answers more, the same way for every route, and the document must say so
//! or a client generated from it (and schemathesis, which `.ci/run` runs
//! against the served document) is told something false:
//! - every error answer is `application/problem+json` ([`crate::error`]);
//! - a JSON body can be malformed (400), too large (413), of another media
//!   type (415), or break a field's rule (422) ([`crate::extract`]);
//! - query parameters can be malformed or missing (400);
//! - a path naming no record is 404 ([`crate::extract::Id`]);
//! - a secured operation answers 401 without a valid credential, and 403 to a
//!   browser's state-changing request without its CSRF token
//!   ([`crate::csrf`]);
//! - any request may be refused 429 when its client or account is over a
//!   rate limit, and 403 when its client is blocked ([`crate::defence`]).
//!
//! Public operations declare `security(())` on their handler; the document's
//! default (a bearer token or the session cookie) holds for all others.

use serde_json::{json, Map, Value};

const PROBLEM_REF: &str = "#/components/schemas/Problem";
const PROBLEM_TYPE: &str = "application/problem+json";
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// Adds the edge's answers to the JSON form of the document and gives problem
/// answers their media type. (utoipa's typed document does not survive a
/// round trip through serde, so this works on the served JSON.)
pub fn complete_value(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let shared_params = item.get("parameters").cloned();
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                complete_operation(op, method, shared_params.as_ref());
            }
        }
    }
}

fn complete_operation(op: &mut Map<String, Value>, method: &str, shared: Option<&Value>) {
    // A parameter is absent or text: never `null` on the wire.
    for p in op
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(types) = p.pointer_mut("/schema/type").and_then(Value::as_array_mut) {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types[0].clone();
                p["schema"]["type"] = only;
            }
        }
    }
    let params: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .chain(shared.and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let has_body = op.contains_key("requestBody");
    // `security: [{}]` (or an empty list) marks a public operation.
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.is_empty() || s.iter().any(|r| r.as_object().is_some_and(Map::is_empty)));
    let state_changing = !matches!(method, "get" | "head" | "options");

    let responses = op.entry("responses").or_insert_with(|| json!({})).as_object_mut();
    let Some(responses) = responses else { return };
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') || status == "default" {
            problem_media_type(response);
        }
    }
    let mut add = |status: &str, why: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(why));
    };
    if has_body {
        add(
            "400",
            "The body is not valid JSON, or does not have the documented shape",
        );
        add("413", "The body is larger than the limit");
        add("415", "The body is not sent as application/json");
        add("422", "A field breaks its rule (the problem names the field)");
    }
    if has("query") {
        add("400", "A query parameter is missing or malformed");
    }
    if has("path") {
        add("404", "No record of the caller's has this identifier");
    }
    if !public {
        add("401", "No valid session token, API key or session cookie");
        if state_changing {
            add(
                "403",
                "The caller may not do this, or a browser's request lacks its CSRF token",
            );
        }
    }
    add(
        "403",
        "The client is blocked by intrusion defence (`client_blocked`)",
    );
    add(
        "429",
        "Too many requests from this client or account; see Retry-After",
    );
}

/// Moves a problem answer documented as `application/json` to its real type.
fn problem_media_type(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(json_body) = content.remove("application/json") {
        let is_problem = json_body["schema"]["$ref"] == PROBLEM_REF;
        let key = if is_problem {
            PROBLEM_TYPE
        } else {
            "application/json"
        };
        content.insert(key.to_owned(), json_body);
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { PROBLEM_TYPE: { "schema": { "$ref": PROBLEM_REF } } },
        "headers": {}
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_edge_answers_and_fixes_problem_types() {
        let mut doc = json!({"paths": {
            "/x/{id}": {"post": {
                "parameters": [{"name": "id", "in": "path"}],
                "requestBody": {},
                "responses": {"200": {"description": "", "content": {"application/json": {}}},
                              "409": {"description": "", "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}}}}
            }},
            "/public": {"get": {"security": [{}], "responses": {}}}
        }});
        complete_value(&mut doc);
        let op = &doc["paths"]["/x/{id}"]["post"]["responses"];
        assert!(op["200"]["content"]["application/json"].is_object());
        assert!(op["409"]["content"][PROBLEM_TYPE].is_object());
        for s in ["400", "401", "403", "404", "413", "415", "422", "429"] {
            assert!(op[s]["content"][PROBLEM_TYPE].is_object(), "{s}");
        }
        let public = &doc["paths"]["/public"]["get"]["responses"];
        assert!(public["401"].is_null() && public["400"].is_null());
        assert!(public["403"]["description"]
            .as_str()
            .unwrap()
            .contains("client_blocked"));
    }
}
