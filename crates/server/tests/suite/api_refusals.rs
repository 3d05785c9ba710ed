//! Refusals at the edge: bodies, content types, query strings, path ids,
//! identities and roles. Every refusal is problem+json naming the rule and
//! the field, and stores nothing.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

const PRODUCTS: &str = "/api/v1/products";

/// Posts `text` as JSON to the products endpoint.
async fn post_text(app: &TestApp, token: &str, text: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    app.raw("POST", PRODUCTS, Some(token), Some("application/json"), text)
        .await
}

both_backends!(malformed_and_mistyped_bodies, |app| async move {
    let (_, admin) = app.producer("edge.admin", "510115").await;
    let good = product(&gtin13(), "好辣椒");

    let resp = post_text(app, &admin, r#"{"gtin": "#).await;
    assert_problem_h(&resp, 400, "malformed_json", None);
    let resp = post_text(app, &admin, "").await;
    assert_problem_h(&resp, 400, "malformed_json", None);
    let resp = post_text(app, &admin, "{'gtin': 1}").await;
    assert_problem_h(&resp, 400, "malformed_json", None);

    // An unknown field is refused (which field: see unknown_field_names_the_field).
    let resp = app
        .post(PRODUCTS, &admin, merge(good.clone(), json!({"colour": "red"})))
        .await;
    assert_eq!(resp.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", resp.1);
    assert_eq!(resp.1["code"], "unknown_field");

    let resp = app
        .post(
            PRODUCTS,
            &admin,
            merge(good.clone(), json!({"shelf_life_days": "ten"})),
        )
        .await;
    assert_problem(&resp, 422, "wrong_type", Some("shelf_life_days"));
    let resp = app
        .post(PRODUCTS, &admin, merge(good.clone(), json!({"name": null})))
        .await;
    assert_problem(&resp, 422, "wrong_type", Some("name"));
    let resp = app.post(PRODUCTS, &admin, json!([1, 2])).await;
    assert_eq!(resp.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", resp.1);
    assert_eq!(resp.1["code"], "wrong_type");

    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("unit");
    let resp = app.post(PRODUCTS, &admin, missing).await;
    assert_problem(&resp, 422, "missing_field", Some("unit"));

    let resp = app
        .post(PRODUCTS, &admin, merge(good.clone(), json!({"category": "meat"})))
        .await;
    assert_problem(&resp, 422, "invalid_value", Some("category"));

    let resp = app
        .post(
            PRODUCTS,
            &admin,
            merge(good.clone(), json!({"name": "菜".repeat(101)})),
        )
        .await;
    assert_problem(&resp, 422, "text_too_long", Some("name"));
    let resp = app
        .post(PRODUCTS, &admin, merge(good.clone(), json!({"name": "  "})))
        .await;
    assert_problem(&resp, 422, "text_empty", Some("name"));
    let resp = app
        .post(
            PRODUCTS,
            &admin,
            merge(good.clone(), json!({"name": "辣\u{202E}椒"})),
        )
        .await;
    assert_problem(&resp, 422, "text_control_chars", Some("name"));

    // Too large a body.
    let huge = format!(
        r#"{{"gtin": "{}", "name": "x", "category": "other", "unit": "KGM", "description": "{}"}}"#,
        gtin13(),
        "a".repeat(1024 * 1024 + 10)
    );
    let resp = post_text(app, &admin, &huge).await;
    assert_problem_h(&resp, 413, "body_unreadable", None);

    assert_eq!(
        app.count(PRODUCTS, &admin).await,
        0,
        "a refused body stored something"
    );

    // Exactly 100 characters is fine.
    let (status, p) = app
        .post(PRODUCTS, &admin, merge(good, json!({"name": "菜".repeat(100)})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
});

both_backends!(unknown_field_names_the_field, |app| async move {
    let (_, admin) = app.producer("unk.admin", "510115").await;
    let good = product(&gtin13(), "未知字段");
    let resp = app
        .post(PRODUCTS, &admin, merge(good.clone(), json!({"colour": "red"})))
        .await;
    assert_problem(&resp, 422, "unknown_field", Some("colour"));
    let mut nested = good.clone();
    nested["certifications"] = json!([{
        "kind": "organic", "number": "1", "valid_from": "2024-01-01",
        "valid_until": "2025-01-01", "bogus": true
    }]);
    let resp = app.post(PRODUCTS, &admin, nested).await;
    assert_problem(&resp, 422, "unknown_field", Some("certifications[0].bogus"));
    assert_eq!(app.count(PRODUCTS, &admin).await, 0);
});

both_backends!(trailing_data_after_json_is_refused, |app| async move {
    let (_, admin) = app.producer("trail.admin", "510115").await;
    let good = product(&gtin13(), "尾随数据").to_string();
    let resp = post_text(app, &admin, &format!("{good} trailing")).await;
    assert_problem_h(&resp, 400, "malformed_json", None);
    assert_eq!(app.count(PRODUCTS, &admin).await, 0);
});

both_backends!(content_types, |app| async move {
    let (_, admin) = app.producer("ct.admin", "510115").await;
    let body = product(&gtin13(), "类型").to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let resp = app.raw("POST", PRODUCTS, Some(&admin), ct, body.clone()).await;
        assert_problem_h(&resp, 415, "unsupported_media_type", Some("Content-Type"));
    }
    assert_eq!(app.count(PRODUCTS, &admin).await, 0);
    let (status, _, p) = app
        .raw(
            "POST",
            PRODUCTS,
            Some(&admin),
            Some("application/json; charset=utf-8"),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
});

both_backends!(query_strings_and_paths, |app| async move {
    let (_, admin) = app.producer("q.admin", "510115").await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("bogus=1", "bogus"),
        ("after=not-a-uuid", "after"),
        ("org_id=42", "org_id"),
    ] {
        let resp = app.get(&format!("{PRODUCTS}?{query}"), &admin).await;
        assert_eq!(resp.0, StatusCode::BAD_REQUEST, "?{query}: {}", resp.1);
        assert_eq!(resp.1["field"], field, "?{query}: {}", resp.1);
        assert!(
            ["invalid_query", "limit_range"].contains(&resp.1["code"].as_str().unwrap()),
            "{}",
            resp.1
        );
    }
    let resp = app.get(&format!("{PRODUCTS}?limit=0"), &admin).await;
    assert_problem(&resp, 400, "limit_range", Some("limit"));
    let resp = app.get(&format!("{PRODUCTS}?bogus=1"), &admin).await;
    assert_problem(&resp, 400, "invalid_query", Some("bogus"));
    let resp = app.get("/api/v1/organisations?status=sleeping", &admin).await;
    assert_problem(&resp, 400, "invalid_query", Some("status"));
    let resp = app.get("/api/v1/organisations?limit=0", &admin).await;
    assert_problem(&resp, 400, "limit_range", Some("limit"));

    // Ids that are not UUIDs name nothing.
    for path in [
        "/api/v1/products/not-a-uuid",
        "/api/v1/places/123",
        "/api/v1/organisations/xyz",
        "/api/v1/organisations/xyz/users",
        "/api/v1/users/%20",
    ] {
        let resp = app.get(path, &admin).await;
        assert_problem(&resp, 404, "not_found", None);
    }
    let resp = app
        .get(&format!("{PRODUCTS}/{}", uuid::Uuid::now_v7()), &admin)
        .await;
    assert_problem(&resp, 404, "not_found", None);
    // Unknown paths and methods.
    let (status, headers, body) = app.raw("GET", "/api/v1/nothing-here", None, None, "").await;
    assert_problem_h(&(status, headers, body), 404, "not_found", None);
    let resp = app.raw("PATCH", PRODUCTS, Some(&admin), None, "").await;
    assert_problem_h(&resp, 405, "method_not_allowed", None);
});

both_backends!(identities, |app| async move {
    let (_, admin) = app.producer("id.admin", "510115").await;
    let body = product(&gtin13(), "无身份");
    for token in [None, Some("sys_made-up-token"), Some("nonsense"), Some("")] {
        let resp = app.request("POST", PRODUCTS, token, Some(body.clone())).await;
        assert_problem(&resp, 401, "unauthenticated", None);
        let resp = app.request("GET", PRODUCTS, token, None).await;
        assert_problem(&resp, 401, "unauthenticated", None);
    }
    // Authentication comes before the body is even looked at.
    let resp = app
        .raw("POST", PRODUCTS, None, Some("text/plain"), "not json")
        .await;
    assert_problem_h(&resp, 401, "unauthenticated", None);
    let req = axum::http::Request::builder()
        .uri(PRODUCTS)
        .header("authorization", format!("Basic {admin}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, _) = app.send(req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count(PRODUCTS, &admin).await, 0);
});

both_backends!(other_tenants_records_are_not_found, |app| async move {
    let (_, a) = app.producer("nf.a", "510115").await;
    let (b_id, b) = app.producer("nf.b", "510115").await;
    let pb = app.create_product(&b, "B 的产品").await;
    let placeb = app.create_place(&b, base("B 的基地")).await;
    let (_, sb) = app
        .post("/api/v1/suppliers", &b, json!({"name": "B 的供应商"}))
        .await;
    for path in [
        format!("/api/v1/products/{}", pb["id"].as_str().unwrap()),
        format!("/api/v1/places/{}", placeb["id"].as_str().unwrap()),
        format!("/api/v1/suppliers/{}", sb["id"].as_str().unwrap()),
        format!("/api/v1/organisations/{b_id}"),
        format!("/api/v1/organisations/{b_id}/duties"),
    ] {
        let resp = app.get(&path, &a).await;
        assert_problem(&resp, 404, "not_found", None);
    }
    // The owner sees them.
    let (status, _) = app
        .get(&format!("/api/v1/products/{}", pb["id"].as_str().unwrap()), &b)
        .await;
    assert_eq!(status, StatusCode::OK);
});

both_backends!(roles_that_may_not, |app| async move {
    let (org_id, admin) = app.producer("rl.admin", "510115").await;
    app.create_user(&admin, org_id, "rl.viewer", "viewer", None).await;
    app.create_user(&admin, org_id, "rl.recorder", "recorder", None)
        .await;
    let viewer = app.login("rl.viewer", USER_PASSWORD).await;
    let recorder = app.login("rl.recorder", USER_PASSWORD).await;
    let users = format!("/api/v1/organisations/{org_id}/users");

    // A viewer reads but records nothing and administers nothing.
    let resp = app.post(PRODUCTS, &viewer, product(&gtin13(), "查看员")).await;
    assert_problem(&resp, 403, "role_cannot_record", None);
    let resp = app.post("/api/v1/places", &viewer, base("查看员基地")).await;
    assert_problem(&resp, 403, "role_cannot_record", None);
    let resp = app
        .try_create_user(&viewer, org_id, "by.viewer", "viewer", None)
        .await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let resp = app
        .put("/api/v1/duties/recording", &viewer, json!({"person_name": "x"}))
        .await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let (status, _) = app.get(PRODUCTS, &viewer).await;
    assert_eq!(status, StatusCode::OK);

    // A recorder records but administers nothing.
    let resp = app
        .put("/api/v1/duties/recording", &recorder, json!({"person_name": "x"}))
        .await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let resp = app
        .try_create_user(&recorder, org_id, "by.recorder", "recorder", None)
        .await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let (status, p) = app.post(PRODUCTS, &recorder, product(&gtin13(), "记录员")).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    // Nothing but the recorder's product was stored.
    assert_eq!(app.count(PRODUCTS, &admin).await, 1);
    assert_eq!(app.count("/api/v1/places", &admin).await, 0);
    assert_eq!(app.count(&users, &admin).await, 3);
    let (_, duties) = app
        .get(&format!("/api/v1/organisations/{org_id}/duties"), &admin)
        .await;
    assert_eq!(duties, json!([]));
});

both_backends!(
    suspended_organisation_reads_but_does_not_write,
    |app| async move {
        let (org_id, admin) = app.producer("susp.admin", "510115").await;
        app.create_product(&admin, "暂停前").await;
        let (status, key) = app
            .post("/api/v1/api-keys", &admin, json!({"name": "before"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let key = key["secret"].as_str().unwrap().to_owned();
        let op = app.operator_token().await;
        let (status, _) = app
            .post(
                &format!("/api/v1/organisations/{org_id}/suspend"),
                &op,
                json!({"reason": "农残超标"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        for token in [&admin, &key] {
            let resp = app.post(PRODUCTS, token, product(&gtin13(), "暂停后")).await;
            assert_problem(&resp, 403, "organisation_suspended", None);
            let resp = app.post("/api/v1/places", token, base("暂停后基地")).await;
            assert_problem(&resp, 403, "organisation_suspended", None);
            let resp = app
                .post("/api/v1/suppliers", token, json!({"name": "暂停后供应商"}))
                .await;
            assert_problem(&resp, 403, "organisation_suspended", None);
        }
        let resp = app
            .put("/api/v1/duties/recording", &admin, json!({"person_name": "x"}))
            .await;
        assert_problem(&resp, 403, "organisation_suspended", None);
        let resp = app
            .try_create_user(&admin, org_id, "susp.new", "viewer", None)
            .await;
        assert_problem(&resp, 403, "organisation_suspended", None);
        let resp = app
            .post("/api/v1/api-keys", &admin, json!({"name": "after"}))
            .await;
        assert_problem(&resp, 403, "organisation_suspended", None);

        // Reading still works.
        assert_eq!(app.count(PRODUCTS, &admin).await, 1);
        assert_eq!(app.count(PRODUCTS, &key).await, 1);
        assert_eq!(app.count("/api/v1/places", &admin).await, 0);
        assert_eq!(app.count("/api/v1/suppliers", &admin).await, 0);
        let (status, me) = app.get("/api/v1/auth/me", &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["org_status"], "suspended");

        // Restored, it writes again.
        let (status, _) = app
            .post(&format!("/api/v1/organisations/{org_id}/restore"), &op, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        app.create_product(&admin, "恢复后").await;
    }
);
