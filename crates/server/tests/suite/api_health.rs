#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;

both_backends!(healthz_and_readyz, |app| async move {
    let (status, body) = app.request("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let (status, body) = app.request("GET", "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["backend"], app.backend);
    assert_eq!(body["schema_version"], suyuan_store::migrate::latest_version());
    assert!(body["schema_version"].as_i64().unwrap() >= 1);
});
