//! Logout: with an API key it is refused and the key goes on working; with
//! a session it ends that session only.

use axum::http::{header, StatusCode};
use serde_json::{json, Value};
use suyuan_server::csrf::CSRF_HEADER;

use super::*;

both_backends!(
    logout_with_an_api_key_is_refused_and_the_key_works,
    |app| async move {
        let (_, admin) = app.producer("edge.keyout", "510115").await;
        let (_, created) = app
            .post("/api/v1/api-keys", &admin, json!({"name": "同步"}))
            .await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap();

        let resp = app
            .request("POST", "/api/v1/auth/logout", Some(&secret), None)
            .await;
        assert_problem(&resp, 403, "logout_needs_session", Some("Authorization"));
        let detail = resp.1["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("DELETE /api/v1/api-keys/{id}")),
            "{detail}"
        );
        assert!(resp.1["detail_zh"]
            .as_str()
            .unwrap()
            .contains("/api/v1/api-keys/"));

        // The key still works and is not revoked.
        let (status, me) = app.get("/api/v1/auth/me", &secret).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        let (_, list) = app.get("/api/v1/api-keys", &admin).await;
        assert_eq!(list["items"][0]["revoked_at"], Value::Null, "{list}");
        app.create_product(&secret, "登出后仍可用").await;
    }
);

both_backends!(logout_ends_only_its_own_session, |app| async move {
    let (_, admin_token) = app.producer("edge.out", "510115").await;
    let b = sign_in(app, "edge.out", ADMIN_PASSWORD).await;

    // A cookie logout needs the token like any other change.
    let site = Cookie::from_site(&b);
    let resp = site.csrf(None).post(app, "/api/v1/auth/logout", "").await;
    assert_problem_h(&resp, 403, "csrf_token_missing", Some(CSRF_HEADER));
    let (status, _) = app.get("/api/v1/auth/me", &b.token).await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, body) = site.post(app, "/api/v1/auth/logout", "").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let cleared = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("suyuan_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    // That session is over, as cookie and as bearer token …
    let req = Cookie::of(&b.token).request("GET", "/api/v1/auth/me", "");
    assert_problem_h(&app.send(req).await, 401, "unauthenticated", None);
    let resp = app.get("/api/v1/auth/me", &b.token).await;
    assert_problem(&resp, 401, "unauthenticated", None);
    // … the user's other session is not.
    let (status, me) = app.get("/api/v1/auth/me", &admin_token).await;
    assert_eq!(status, StatusCode::OK, "{me}");

    // A bearer session logs out without Origin or CSRF token.
    let (status, _) = app
        .request("POST", "/api/v1/auth/logout", Some(&admin_token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let resp = app.get("/api/v1/auth/me", &admin_token).await;
    assert_problem(&resp, 401, "unauthenticated", None);
});
