//! The session cookie: cross-site requests change nothing, same-site ones
//! need the CSRF token, bearer credentials need neither, an API key is no
//! cookie, and the cookie's attributes.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_server::csrf::{token_for, CSRF_HEADER};
use suyuan_server::ServerConfig;
use uuid::Uuid;

use super::*;

/// The attack's victims: the operator and a verified producer signed in in
/// a browser, a pending organisation the operator could verify.
struct Scene {
    operator: Browser,
    producer: Browser,
    /// The producer admin's bearer token (another session).
    producer_token: String,
    pending: Uuid,
}

async fn scene(app: &TestApp, tag: &str) -> Scene {
    let operator = sign_in(app, "admin", OPERATOR_PASSWORD).await;
    let (pending, _) = app.pending_producer(&format!("{tag}.pending"), "510115").await;
    let admin = format!("{tag}.admin");
    let (_, producer_token) = app.producer(&admin, "510115").await;
    let producer = sign_in(app, &admin, ADMIN_PASSWORD).await;
    Scene {
        operator,
        producer,
        producer_token,
        pending,
    }
}

impl Scene {
    /// The three state changes of the attack: verify an organisation (the
    /// operator's cookie), capture an event and rotate the signing key (the
    /// producer's); each as (browser, path, JSON body).
    fn changes(&self) -> Vec<(&Browser, String, String)> {
        vec![
            (
                &self.operator,
                format!("/api/v1/organisations/{}/verify", self.pending),
                "{}".to_owned(),
            ),
            (&self.producer, "/epcis/capture".to_owned(), capture_doc()),
            (
                &self.producer,
                "/tlog/keys/rotate".to_owned(),
                r#"{"algorithm": "sm2"}"#.to_owned(),
            ),
        ]
    }

    /// What the changes would change: the organisation's status, the
    /// producer's events and keys.
    async fn state(&self, app: &TestApp) -> (String, usize, Value) {
        let operator = app.operator_token().await;
        let (status, org) = app
            .get(&format!("/api/v1/organisations/{}", self.pending), &operator)
            .await;
        assert_eq!(status, StatusCode::OK, "{org}");
        let (status, keys) = app.get("/tlog/keys", &self.producer_token).await;
        assert_eq!(status, StatusCode::OK, "{keys}");
        (
            org["status"].as_str().unwrap().to_owned(),
            event_count(app, &self.producer_token).await,
            keys,
        )
    }
}

both_backends!(cross_site_forms_change_nothing, |app| async move {
    let s = scene(app, "xsite").await;
    let before = s.state(app).await;
    assert_eq!((before.0.as_str(), before.1), ("pending", 0));

    for (b, path, json_body) in s.changes() {
        // What another site's page makes the browser send: a form (empty or
        // not, urlencoded or text/plain, or no body at all) with the cookie
        // and the other site's Origin.
        for (ct, body) in [
            (Some(FORM), ""),
            (Some(FORM), "algorithm=sm2"),
            (Some("text/plain"), json_body.as_str()),
            (None, ""),
        ] {
            let resp = Cookie::of(&b.token)
                .origin(Some(EVIL))
                .content_type(ct)
                .post(app, &path, body)
                .await;
            assert_problem_h(&resp, 403, "origin_mismatch", Some("Origin"));
        }
        // Even with the token, another origin is not this site …
        let site = Cookie::from_site(b).content_type(Some(JSON));
        let resp = site.origin(Some(EVIL)).post(app, &path, &json_body).await;
        assert_problem_h(&resp, 403, "origin_mismatch", Some("Origin"));
        // … nor is `null` (a sandboxed frame, a data: page) …
        let resp = site.origin(Some("null")).post(app, &path, &json_body).await;
        assert_problem_h(&resp, 403, "origin_mismatch", Some("Origin"));
        // … and without Origin, the Referer is checked.
        let referer = format!("{EVIL}/page");
        let resp = Cookie {
            origin: None,
            referer: Some(&referer),
            ..site
        }
        .post(app, &path, &json_body)
        .await;
        assert_problem_h(&resp, 403, "origin_mismatch", Some("Referer"));
    }
    assert_eq!(s.state(app).await, before, "a refused request changed something");
});

both_backends!(same_origin_without_the_token_is_refused, |app| async move {
    let s = scene(app, "notoken").await;
    // The login response's token is the session's own.
    assert_eq!(s.producer.csrf, token_for(&s.producer.token));
    assert_ne!(s.producer.csrf, s.operator.csrf);
    let before = s.state(app).await;

    let zeros = "0".repeat(64);
    for (b, path, body) in s.changes() {
        let site = Cookie::from_site(b).content_type(Some(JSON));
        let resp = site.csrf(None).post(app, &path, &body).await;
        assert_problem_h(&resp, 403, "csrf_token_missing", Some(CSRF_HEADER));
        let resp = site.csrf(Some(&zeros)).post(app, &path, &body).await;
        assert_problem_h(&resp, 403, "csrf_token_invalid", Some(CSRF_HEADER));
        // Another session's token does not fit this one.
        let other = if b.token == s.operator.token {
            &s.producer.csrf
        } else {
            &s.operator.csrf
        };
        let resp = site.csrf(Some(other)).post(app, &path, &body).await;
        assert_problem_h(&resp, 403, "csrf_token_invalid", Some(CSRF_HEADER));
        // The token without any Origin or Referer.
        let resp = site.origin(None).post(app, &path, &body).await;
        assert_problem_h(&resp, 403, "origin_missing", Some("Origin"));
    }
    assert_eq!(s.state(app).await, before, "a refused request changed something");

    // Reading needs neither.
    let req = Cookie::of(&s.producer.token).request("GET", "/tlog/keys", "");
    assert_eq!(app.send(req).await.0, StatusCode::OK);
});

both_backends!(same_origin_with_the_token_is_accepted, |app| async move {
    let s = scene(app, "withtoken").await;
    let verify = format!("/api/v1/organisations/{}/verify", s.pending);
    let (operator, producer) = (Cookie::from_site(&s.operator), Cookie::from_site(&s.producer));

    // A body still needs its content type.
    let resp = producer
        .content_type(Some(FORM))
        .post(app, "/epcis/capture", &capture_doc())
        .await;
    assert_problem_h(&resp, 415, "unsupported_media_type", Some("Content-Type"));
    let resp = operator.content_type(Some(FORM)).post(app, &verify, "").await;
    assert_problem_h(&resp, 415, "unsupported_media_type", Some("Content-Type"));
    let before = s.state(app).await;
    assert_eq!((before.0.as_str(), before.1), ("pending", 0));

    let (status, _, org) = operator.post(app, &verify, "").await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let (status, _, job) = producer
        .content_type(Some("application/ld+json"))
        .post(app, "/epcis/capture", &capture_doc())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let (status, _, key) = producer
        .content_type(Some(JSON))
        .post(app, "/tlog/keys/rotate", r#"{"algorithm": "sm2"}"#)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    assert_eq!(key["algorithm"], "sm2");
    let after = s.state(app).await;
    assert_eq!((after.0.as_str(), after.1), ("verified", 1));
    assert_ne!(after.2, before.2);

    // A same-origin Referer when the browser sent no Origin; the request's
    // own Host (with the public URL's scheme) is this site too, …
    let referer = format!("{SITE}/console/keys?x=1");
    let by_referer = Cookie {
        origin: None,
        referer: Some(&referer),
        ..producer
    };
    let (status, _, key) = by_referer.post(app, "/tlog/keys/rotate", "").await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let by_host = Cookie {
        origin: Some("http://trace.example.cn"),
        host: Some("trace.example.cn"),
        ..producer
    };
    let (status, _, key) = by_host.post(app, "/tlog/keys/rotate", "").await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    // … but not with another scheme.
    let resp = by_host
        .origin(Some("https://trace.example.cn"))
        .post(app, "/tlog/keys/rotate", "")
        .await;
    assert_problem_h(&resp, 403, "origin_mismatch", Some("Origin"));

    // A bearer token needs neither Origin nor CSRF token.
    let token = Some(s.producer_token.as_str());
    let (status, _, job) = app
        .raw("POST", "/epcis/capture", token, Some(JSON), capture_doc())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(event_count(app, &s.producer_token).await, 2);
    let (status, key) = app.post("/tlog/keys/rotate", &s.producer_token, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    assert_eq!(key["algorithm"], "ed25519");
});

both_backends!(an_api_key_is_never_a_cookie, |app| async move {
    let (_, admin) = app.producer("edge.keys", "510115").await;
    let (status, created) = app.post("/api/v1/api-keys", &admin, json!({"name": "ERP"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("syk_"));

    let req = Cookie::of(&secret).request("GET", "/api/v1/auth/me", "");
    assert_problem_h(&app.send(req).await, 401, "unauthenticated", None);
    // With everything a same-site cookie request could bring: still nobody.
    let csrf = token_for(&secret);
    let with_all = Cookie {
        origin: Some(SITE),
        csrf: Some(&csrf),
        content_type: Some(JSON),
        ..Cookie::of(&secret)
    };
    let body = product(&gtin13(), "饼干里的密钥").to_string();
    let resp = with_all.post(app, "/api/v1/products", &body).await;
    assert_problem_h(&resp, 401, "unauthenticated", None);
    assert_eq!(app.count("/api/v1/products", &admin).await, 0);

    // As a bearer credential it works.
    let (status, me) = app.get("/api/v1/auth/me", &secret).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "edge.keys");
});

/// The attributes of a `Set-Cookie` value.
fn attributes(set_cookie: &str) -> BTreeSet<&str> {
    set_cookie.split(';').map(str::trim).collect()
}

both_backends!(session_cookie_attributes, |app| async move {
    app.producer("edge.cookie", "510115").await;
    let b = sign_in(app, "edge.cookie", ADMIN_PASSWORD).await;
    let attrs = attributes(&b.set_cookie);
    assert!(
        attrs.contains(format!("suyuan_session={}", b.token).as_str()),
        "{attrs:?}"
    );
    for a in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attrs.contains(a), "{a} missing: {attrs:?}");
    }
    assert!(!attrs.contains("Secure"), "an http site: {attrs:?}");

    // A site served over https: Secure, on login and logout, and its own
    // origin is the https one.
    let https = suyuan_server::app_with(
        app.store.clone(),
        ServerConfig {
            public_url: "https://trace.example.cn".into(),
            ..ServerConfig::default()
        },
    );
    let b = browser_of(send_to(&https, login_request("edge.cookie", ADMIN_PASSWORD)).await);
    assert!(attributes(&b.set_cookie).contains("Secure"), "{}", b.set_cookie);
    let logout = Cookie::from_site(&b);
    let resp = send_to(&https, logout.request("POST", "/api/v1/auth/logout", "")).await;
    assert_problem_h(&resp, 403, "origin_mismatch", Some("Origin"));
    let logout = logout.origin(Some("https://trace.example.cn"));
    let (status, headers, body) = send_to(&https, logout.request("POST", "/api/v1/auth/logout", "")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let cleared = attributes(headers[axum::http::header::SET_COOKIE].to_str().unwrap());
    for a in [
        "suyuan_session=",
        "Max-Age=0",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Secure",
    ] {
        assert!(cleared.contains(a), "{a} missing: {cleared:?}");
    }
});
