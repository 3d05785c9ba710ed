//! The published OpenAPI document: a snapshot (any change to the API shows up
//! in review) and the rules every operation must follow.

#![allow(clippy::unwrap_used)]

use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(suyuan_server::openapi()).unwrap()
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Whether an operation has a 4xx response whose JSON body is the Problem
/// schema.
fn has_problem_4xx(op: &Value) -> bool {
    op["responses"].as_object().is_some_and(|responses| {
        responses.iter().any(|(status, resp)| {
            status.starts_with('4')
                && resp["content"].as_object().is_some_and(|c| {
                    c.values()
                        .any(|m| m["schema"]["$ref"] == "#/components/schemas/Problem")
                })
        })
    })
}

/// The /api/v1 paths none of whose operations document a Problem response.
fn paths_without_problem(doc: &Value) -> Vec<String> {
    let paths = doc["paths"].as_object().unwrap();
    paths
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/"))
        .filter(|(_, item)| !METHODS.iter().filter_map(|m| item.get(*m)).any(has_problem_4xx))
        .map(|(path, _)| path.clone())
        .collect()
}

#[test]
fn openapi_document_snapshot() {
    let text = serde_json::to_string_pretty(&suyuan_server::openapi()).unwrap();
    insta::assert_snapshot!("openapi_document", text);
}

#[test]
fn openapi_is_3_1_and_complete() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in ["code", "field", "detail", "detail_zh", "status", "type", "title"] {
        assert!(problem[field].is_object(), "Problem lacks {field}");
    }
    let paths = doc["paths"].as_object().unwrap();
    let api: Vec<&String> = paths.keys().filter(|p| p.starts_with("/api/v1/")).collect();
    assert!(api.len() >= 20, "{api:?}");
    for expected in [
        "/api/v1/auth/login",
        "/api/v1/registrations",
        "/api/v1/organisations/{id}/verify",
        "/api/v1/products/{id}",
        "/api/v1/input-purchases",
        "/api/v1/duties/{duty}",
    ] {
        assert!(paths.contains_key(expected), "{expected} missing");
    }
    // Every operation has an id.
    for (path, item) in paths {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                assert!(op["operationId"].is_string(), "{m} {path} has no operationId");
            }
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn every_api_path_but_logout_documents_a_problem() {
    let missing: Vec<String> = paths_without_problem(&document())
        .into_iter()
        .filter(|p| p != "/api/v1/auth/logout")
        .collect();
    assert!(
        missing.is_empty(),
        "no 4xx Problem response documented: {missing:?}"
    );
}

#[test]
fn every_api_path_documents_a_problem() {
    let missing = paths_without_problem(&document());
    assert!(
        missing.is_empty(),
        "no 4xx Problem response documented: {missing:?}"
    );
}

/// The document served at /api/openapi.json is the one `openapi()` returns.
#[tokio::test]
async fn served_document_matches() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = suyuan_store::Store::open(
        &suyuan_store::Backend::Sqlite(dir.path().join("t.db")),
        &suyuan_store::OpenOptions::default(),
        suyuan_store::PersonalDataCipher::new(&[7u8; 32]),
    )
    .await
    .unwrap();
    let resp = suyuan_server::app(store)
        .oneshot(
            axum::http::Request::builder()
                .uri("/api/openapi.json")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), axum::http::StatusCode::OK);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let served: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(served, document());
}

/// Every error answer is documented as `application/problem+json` (as the
/// edge serves it), and what the edge answers for every route is documented
/// on every operation it can reach: 400/413/415/422 with a body, 400 with
/// query parameters, 404 with a path parameter, 401 unless public.
#[test]
fn error_answers_are_problems_and_the_edge_is_documented() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let responses = op["responses"].as_object().unwrap();
            for (status, resp) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    if let Some(content) = resp["content"].as_object() {
                        assert!(
                            !content.contains_key("application/json")
                                || content["application/json"]["schema"]["$ref"]
                                    != "#/components/schemas/Problem",
                            "{method} {path} {status}: a problem documented as application/json"
                        );
                    }
                }
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut needed = vec!["403", "429"];
            if op.get("requestBody").is_some() {
                needed.extend(["400", "413", "415", "422"]);
            }
            if params.iter().any(|p| p["in"] == "query") {
                needed.push("400");
            }
            if params.iter().any(|p| p["in"] == "path") {
                needed.push("404");
            }
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())));
            if !public {
                needed.push("401");
            }
            for status in needed {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: {status} undocumented"
                );
            }
        }
    }
}
