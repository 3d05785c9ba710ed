//! The HTTP edge: a browser's session cookie changes nothing without the
//! CSRF token and a same-origin `Origin`/`Referer`, and an API key is never a
//! cookie (`cookies`); logout ends sessions, not API keys (`logout`); bodies
//! are read only with their declared content types and every error answer is
//! problem+json, swept over every route (`problems`); a code's scans count
//! each client once a day and HEAD not at all (`scans`).

#![allow(clippy::unwrap_used)]

mod cookies;
mod logout;
mod problems;
mod scans;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use suyuan_server::csrf::CSRF_HEADER;
use tower::ServiceExt;

use crate::common::*;

/// The default `public_url`'s origin: that of the site's own pages.
const SITE: &str = "http://127.0.0.1:8080";
const EVIL: &str = "https://evil.example";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// A signed-in browser: the session token (its cookie), the CSRF token and
/// the `Set-Cookie` of the login response.
struct Browser {
    token: String,
    csrf: String,
    set_cookie: String,
}

/// Sends a request to a router of the test's own (another configuration).
async fn send_to(router: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, headers, body)
}

fn login_request(username: &str, password: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, JSON)
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

fn browser_of(resp: (StatusCode, HeaderMap, Value)) -> Browser {
    let (status, headers, body) = resp;
    assert_eq!(status, StatusCode::OK, "{body}");
    Browser {
        token: body["token"].as_str().unwrap().to_owned(),
        csrf: body["csrf_token"]
            .as_str()
            .expect("csrf_token in the login response")
            .to_owned(),
        set_cookie: headers[header::SET_COOKIE].to_str().unwrap().to_owned(),
    }
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> Browser {
    browser_of(app.send(login_request(username, password)).await)
}

/// A request a browser holding the session cookie sends, with what else it
/// brings: `Origin`, `Referer`, `Host`, the CSRF token, the content type.
#[derive(Clone, Copy, Default)]
struct Cookie<'a> {
    session: &'a str,
    origin: Option<&'a str>,
    referer: Option<&'a str>,
    host: Option<&'a str>,
    csrf: Option<&'a str>,
    content_type: Option<&'a str>,
}

impl<'a> Cookie<'a> {
    /// The cookie alone.
    fn of(session: &'a str) -> Self {
        Cookie {
            session,
            ..Cookie::default()
        }
    }

    /// From a page of this site, with the session's CSRF token.
    fn from_site(b: &'a Browser) -> Self {
        Cookie {
            origin: Some(SITE),
            csrf: Some(&b.csrf),
            ..Cookie::of(&b.token)
        }
    }

    fn origin(self, origin: Option<&'a str>) -> Self {
        Cookie { origin, ..self }
    }

    fn csrf(self, csrf: Option<&'a str>) -> Self {
        Cookie { csrf, ..self }
    }

    fn content_type(self, content_type: Option<&'a str>) -> Self {
        Cookie { content_type, ..self }
    }

    /// The request, with a `Content-Length` as a browser sends it (also 0
    /// for an empty form).
    fn request(&self, method: &str, path: &str, body: &str) -> Request<Body> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(
                header::COOKIE,
                format!("lang=zh; suyuan_session={}", self.session),
            )
            .header(header::CONTENT_LENGTH, body.len());
        for (name, value) in [
            (header::ORIGIN.as_str(), self.origin),
            (header::REFERER.as_str(), self.referer),
            (header::HOST.as_str(), self.host),
            (CSRF_HEADER, self.csrf),
            (header::CONTENT_TYPE.as_str(), self.content_type),
        ] {
            if let Some(v) = value {
                b = b.header(name, v);
            }
        }
        b.body(Body::from(body.to_owned())).unwrap()
    }

    async fn post(&self, app: &TestApp, path: &str, body: &str) -> (StatusCode, HeaderMap, Value) {
        app.send(self.request("POST", path, body)).await
    }
}

/// An EPCIS document of one commissioning event of a fresh item.
fn capture_doc() -> String {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-20T10:00:00+08:00",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent",
            "eventTime": "2026-03-01T08:00:00+08:00",
            "eventTimeZoneOffset": "+08:00",
            "action": "ADD",
            "epcList": [format!("urn:epc:id:sgtin:9521234.012345.E{}", unique())],
            "bizStep": "commissioning"
        }]}
    })
    .to_string()
}

/// How many events the organisation of `token` has.
async fn event_count(app: &TestApp, token: &str) -> usize {
    let (status, doc) = app.get("/epcis/events?perPage=1000", token).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .len()
}
