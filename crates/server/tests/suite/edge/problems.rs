//! Bodies only with their declared content types, a repeated query
//! parameter refused by name, and problem+json for every error answer: a
//! sweep of bad requests over every route.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use super::*;

both_backends!(capture_reads_only_json_and_limits_its_body, |app| async move {
    let (_, token) = app.producer("edge.ct", "510115").await;
    for ct in [
        Some("text/plain"),
        Some(FORM),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let resp = app
            .raw("POST", "/epcis/capture", Some(&token), ct, capture_doc())
            .await;
        assert_problem_h(&resp, 415, "unsupported_media_type", Some("Content-Type"));
    }
    // Over the capture limit (32 MiB): 413, as a problem.
    let huge = format!(
        r#"{{"padding": "{}"}}"#,
        "a".repeat(suyuan_server::epcis::MAX_CAPTURE_BYTES)
    );
    let resp = app
        .raw(
            "POST",
            "/epcis/capture",
            Some(&token),
            Some("application/json"),
            huge,
        )
        .await;
    assert_problem_h(&resp, 413, "body_unreadable", None);
    assert_eq!(event_count(app, &token).await, 0);

    for ct in ["application/json; charset=utf-8", "application/ld+json"] {
        let (status, _, job) = app
            .raw("POST", "/epcis/capture", Some(&token), Some(ct), capture_doc())
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{ct}: {job}");
    }
    assert_eq!(event_count(app, &token).await, 2);
});

both_backends!(a_repeated_query_parameter_is_refused_by_name, |app| async move {
    let (_, token) = app.producer("edge.repeat", "510115").await;
    for (path, field) in [
        ("/epcis/events?perPage=1&perPage=2", "perPage"),
        (
            "/epcis/events?EQ_bizStep=shipping&EQ_bizStep=receiving",
            "EQ_bizStep",
        ),
        ("/api/v1/places?limit=1&limit=2", "limit"),
        ("/api/v1/products?after=&limit=5&after=", "after"),
        ("/tlog/proof?event_id=a&event_id=b", "event_id"),
        ("/trace?code=x&lang=en&lang=zh", "lang"),
        ("/01/09521234123457/10/L1?lang=en&lang=en", "lang"),
    ] {
        let (status, headers, body) = app.raw("GET", path, Some(&token), None, "").await;
        assert_problem_h(&(status, headers, body), 400, "repeated_parameter", Some(field));
    }
    // Given once, they are fine.
    let (status, _) = app.get("/epcis/events?perPage=1", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/api/v1/places?limit=1", &token).await;
    assert_eq!(status, StatusCode::OK);
});

/// One request of the sweep.
#[derive(Clone)]
struct Probe {
    method: Method,
    path: String,
    token: Option<String>,
    /// A session cookie sent from another site.
    cross_site_cookie: Option<String>,
    content_type: Option<&'static str>,
    body: &'static str,
    accept_json: bool,
}

impl Probe {
    fn new(method: Method, path: impl Into<String>) -> Probe {
        Probe {
            method,
            path: path.into(),
            token: None,
            cross_site_cookie: None,
            content_type: None,
            body: "",
            accept_json: true,
        }
    }

    fn request(&self) -> Request<Body> {
        let mut b = Request::builder().method(self.method.clone()).uri(&self.path);
        if let Some(t) = &self.token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(t) = &self.cross_site_cookie {
            b = b
                .header(header::COOKIE, format!("suyuan_session={t}"))
                .header(header::ORIGIN, EVIL);
        }
        if let Some(ct) = self.content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        if self.accept_json {
            b = b.header(header::ACCEPT, "application/json");
        }
        b.body(Body::from(self.body)).unwrap()
    }
}

/// Every path of the OpenAPI document with its methods, path parameters
/// filled in with something that names nothing.
async fn documented_routes(app: &TestApp) -> Vec<(Method, String)> {
    let (status, doc) = app.request("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let filled: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "not-a-uuid" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            if let Ok(m) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) {
                routes.push((m, filled.clone()));
            }
        }
    }
    routes
}

/// The routes outside the OpenAPI document: the EPCIS binding, the
/// transparency log, the public pages, the probes, paths that name nothing.
fn other_routes() -> Vec<(Method, String)> {
    let gtin = format!("0{}", gtin13());
    let uuid = Uuid::now_v7();
    [
        ("POST", "/epcis/capture".to_owned()),
        ("GET", format!("/epcis/capture/{uuid}")),
        ("GET", "/epcis/capture/not-a-uuid".to_owned()),
        ("GET", "/epcis/events".to_owned()),
        ("GET", "/epcis/events/urn:uuid:nothing".to_owned()),
        ("GET", "/epcis/events/%FF%FE".to_owned()),
        ("GET", "/tlog/checkpoint".to_owned()),
        ("GET", "/tlog/log-key".to_owned()),
        ("GET", "/tlog/proof".to_owned()),
        ("GET", "/tlog/consistency".to_owned()),
        ("GET", "/tlog/integrity".to_owned()),
        ("GET", "/tlog/keys".to_owned()),
        ("POST", "/tlog/keys".to_owned()),
        ("POST", "/tlog/keys/rotate".to_owned()),
        ("POST", "/tlog/keys/not-a-key/revoke".to_owned()),
        ("GET", format!("/01/{gtin}/10/NOPE")),
        ("GET", "/01/123/10/L1".to_owned()),
        ("GET", format!("/01/{gtin}/10/L1/21/S1")),
        ("GET", format!("/01/{gtin}/21/%FF")),
        ("GET", "/00/123".to_owned()),
        ("GET", "/trace".to_owned()),
        ("GET", "/healthz".to_owned()),
        ("GET", "/readyz".to_owned()),
        ("GET", "/metrics".to_owned()),
        ("GET", "/api/openapi.json".to_owned()),
        ("GET", "/api/v1/no-such-thing".to_owned()),
        ("GET", "/no/such/page".to_owned()),
    ]
    .into_iter()
    .map(|(m, p)| (Method::from_bytes(m.as_bytes()).unwrap(), p))
    .collect()
}

/// The bad requests sent to one route: without a credential, with a
/// repeated (and unknown, and badly encoded) query parameter, with bodies
/// of other types and malformed ones, by methods it does not take, with a
/// cookie from another site.
fn probes_for(method: &Method, path: &str, token: &str) -> Vec<Probe> {
    let query = format!("{path}?limit=1&limit=2&lang=xx&code=(01)1&old=a&x=%FF");
    let anonymous = Probe {
        content_type: Some("text/plain"),
        body: "x=1",
        ..Probe::new(method.clone(), query.clone())
    };
    let mut probes = vec![
        anonymous,
        Probe::new(Method::PATCH, path),
        Probe::new(Method::from_bytes(b"BREW").unwrap(), path),
        Probe {
            cross_site_cookie: Some(token.to_owned()),
            content_type: Some(FORM),
            ..Probe::new(method.clone(), path)
        },
    ];
    // Logging out would end the sweep's own session.
    if path.ends_with("/auth/logout") {
        return probes;
    }
    let signed_in = Probe {
        token: Some(token.to_owned()),
        ..Probe::new(method.clone(), path)
    };
    for (ct, body) in [
        (Some("text/plain"), "{}"),
        (Some(FORM), "a=1"),
        (Some(JSON), "[1]"),
        (Some(JSON), "{\"no\": "),
        (Some(JSON), "{\"unknown_field\": 1}"),
    ] {
        probes.push(Probe {
            content_type: ct,
            body,
            ..signed_in.clone()
        });
    }
    probes.push(Probe {
        path: query,
        ..signed_in
    });
    probes
}

both_backends!(every_error_answer_is_problem_json, |app| async move {
    let (_, token) = app.producer("edge.sweep", "510115").await;
    let mut routes = documented_routes(app).await;
    assert!(routes.len() > 30, "{routes:?}");
    routes.extend(other_routes());

    let mut seen = BTreeSet::new();
    for (method, path) in &routes {
        for p in probes_for(method, path, &token) {
            let resp = app.send(p.request()).await;
            seen.insert(resp.0.as_u16());
            check_problem(&format!("{} {}", p.method, p.path), &resp);
        }
    }
    // The sweep met every kind of refusal.
    for status in [400, 401, 403, 404, 405, 415, 422] {
        assert!(seen.contains(&status), "no {status} in the sweep: {seen:?}");
    }

    // The consumer pages' own error pages stay pages for a phone.
    let unknown = format!("/01/0{}/10/NOPE", gtin13());
    let mut p = Probe::new(Method::GET, unknown.as_str());
    let (status, headers, body) = app.send(p.request()).await;
    check_problem(&unknown, &(status, headers, body.clone()));
    assert_eq!(body["code"], "not_found", "{body}");
    p.accept_json = false;
    let (status, headers, body) = app.send(p.request()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let ct = headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
});

/// A 4xx or 5xx answer is problem+json with its status and a code.
#[track_caller]
fn check_problem(what: &str, (status, headers, body): &(StatusCode, HeaderMap, Value)) {
    if !(status.is_client_error() || status.is_server_error()) {
        return;
    }
    let ct = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap());
    assert_eq!(ct, Some("application/problem+json"), "{what}: {status} {body}");
    assert_eq!(body["status"], status.as_u16(), "{what}: {body}");
    for member in ["code", "detail", "detail_zh"] {
        assert!(
            body[member].as_str().is_some_and(|c| !c.is_empty()),
            "{what}: no {member}: {body}"
        );
    }
}
