//! Every `/api/v1` operation called over HTTP: a success whose answer is
//! checked for what it says (not only its status) and, for every operation
//! that names a record by id or a unit by code, another tenant's call
//! answered 404, exactly as for an id nobody has. The operator's decisions
//! (verify, suspend, restore an organisation; verify, reject a prefix claim)
//! are refused to every tenant alike, 403 whatever the id, so they reveal
//! nothing either.
//!
//! Each area lists its operations and checks, when its scenario ends, that
//! it called each of them successfully and, for those that take an id or a
//! code, as another tenant. The operations of the OpenAPI document (the
//! router's own: it is built from the same routes) must be exactly the
//! areas' lists: a route added later fails here until a test calls it.

#![allow(clippy::unwrap_used)]

mod accounts;
mod archives;
mod backups;
mod certifications;
mod complaints;
mod devices;
mod labels;
mod organisations;
mod quality;
mod records;
mod reports;
mod security;
mod trace;
mod versions;

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::common::*;
use axum::http::StatusCode;
use serde_json::Value;

/// One operation: its method and path template, as the OpenAPI document
/// writes them.
pub(crate) type Op = (&'static str, &'static str);

/// Every area's operations.
const AREAS: &[&[Op]] = &[
    accounts::OPS,
    organisations::OPS,
    records::OPS,
    trace::OPS,
    labels::OPS,
    quality::OPS,
    reports::OPS,
    complaints::OPS,
    devices::OPS,
    backups::OPS,
    security::OPS,
    archives::OPS,
    certifications::OPS,
    versions::OPS,
];

/// The operator's decisions: a tenant is refused them whatever the id.
const OPERATOR_ONLY: &[Op] = &[
    ("POST", "/api/v1/organisations/{id}/verify"),
    ("POST", "/api/v1/organisations/{id}/suspend"),
    ("POST", "/api/v1/organisations/{id}/restore"),
    ("POST", "/api/v1/company-prefixes/{id}/verify"),
    ("POST", "/api/v1/company-prefixes/{id}/reject"),
    ("DELETE", "/api/v1/security/blocks/{id}"),
];

/// Operations that name a unit by a code in the query.
const BY_CODE: &[Op] = &[
    ("GET", "/api/v1/trace/back"),
    ("GET", "/api/v1/trace/forward"),
    ("GET", "/api/v1/trace/export"),
    ("GET", "/api/v1/dossier"),
    ("GET", "/api/v1/labels"),
];

/// Operations whose path parameter is not a record of anyone's: a duty
/// (of the caller's own organisation); a device sending its readings with
/// its own token (anyone else's credential is refused 401 whatever the id).
const NOT_A_RECORD: &[Op] = &[
    ("PUT", "/api/v1/duties/{duty}"),
    ("POST", "/api/v1/devices/{id}/readings"),
    // Public: a certificate is printed for anyone to read by its number.
    ("GET", "/api/v1/certificates/{number}"),
    // Public: anyone with a complaint's reference reads its status.
    ("GET", "/api/v1/complaints/{reference}"),
    // Public: a test report is printed for anyone to check by its id.
    ("GET", "/api/v1/test-reports/{id}"),
];

/// Whether `path` (its query left out) fits `template`.
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// Whether another tenant's call of `op` must be answered 404.
fn scoped(op: &Op) -> bool {
    (op.1.contains('{') || BY_CODE.contains(op)) && !OPERATOR_ONLY.contains(op) && !NOT_A_RECORD.contains(op)
}

/// The calls of one area's scenario, checked at its end.
pub(crate) struct Calls<'a> {
    app: &'a TestApp,
    ops: &'static [Op],
    succeeded: Mutex<BTreeSet<Op>>,
    scoped: Mutex<BTreeSet<Op>>,
}

impl<'a> Calls<'a> {
    pub(crate) fn new(app: &'a TestApp, ops: &'static [Op]) -> Self {
        Calls {
            app,
            ops,
            succeeded: Mutex::new(BTreeSet::new()),
            scoped: Mutex::new(BTreeSet::new()),
        }
    }

    #[track_caller]
    fn check(&self, op: Op, path: &str) {
        assert!(
            self.ops.contains(&op),
            "{op:?} is not among this area's operations"
        );
        assert!(fits(op.1, path), "{path} is not a path of {op:?}");
    }

    /// Calls `op` on `path` (its template with the ids filled in); a 2xx
    /// answer counts as the operation's success.
    pub(crate) async fn call(
        &self,
        op: Op,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.check(op, path);
        let (status, answer) = self.app.request(op.0, path, token, body).await;
        if status.is_success() {
            self.succeeded.lock().unwrap().insert(op);
        }
        (status, answer)
    }

    /// [`Calls::call`] with a body of raw bytes (a file upload).
    pub(crate) async fn call_bytes(
        &self,
        op: Op,
        path: &str,
        token: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.check(op, path);
        let req = axum::http::Request::builder()
            .method(op.0)
            .uri(path)
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(axum::http::header::CONTENT_TYPE, "application/octet-stream")
            .body(axum::body::Body::from(bytes))
            .unwrap();
        let (status, _, answer) = self.app.send(req).await;
        if status.is_success() {
            self.succeeded.lock().unwrap().insert(op);
        }
        (status, answer)
    }

    /// [`Calls::call`] by a signed-in caller, expecting `status`; answers
    /// the body.
    pub(crate) async fn expect(
        &self,
        op: Op,
        path: &str,
        token: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let (got, answer) = self.call(op, path, Some(token), body).await;
        assert_eq!(got.as_u16(), status, "{} {path}: {answer}", op.0);
        answer
    }

    /// Another tenant calls `op` on `path`: 404 `not_found`, the very answer
    /// `unknown` (the same call naming what nobody has) gets.
    pub(crate) async fn foreign(&self, op: Op, path: &str, unknown: &str, token: &str, body: Option<Value>) {
        self.check(op, path);
        self.check(op, unknown);
        let theirs = self.app.request(op.0, path, Some(token), body.clone()).await;
        assert_problem(&theirs, 404, "not_found", None);
        let nobodys = self.app.request(op.0, unknown, Some(token), body).await;
        assert_eq!(
            theirs, nobodys,
            "{} {path}: another tenant's record is told apart from none",
            op.0
        );
        self.scoped.lock().unwrap().insert(op);
    }

    /// A tenant calls one of the operator's decisions: refused 403, the same
    /// for an existing id (`path`) and an unknown one.
    pub(crate) async fn not_operator(&self, op: Op, path: &str, unknown: &str, token: &str) {
        assert!(OPERATOR_ONLY.contains(&op), "{op:?}");
        self.check(op, path);
        let existing = self
            .app
            .request(op.0, path, Some(token), Some(serde_json::json!({"reason": "x"})))
            .await;
        assert_eq!(
            existing.0,
            StatusCode::FORBIDDEN,
            "{} {path}: {}",
            op.0,
            existing.1
        );
        let none = self
            .app
            .request(
                op.0,
                unknown,
                Some(token),
                Some(serde_json::json!({"reason": "x"})),
            )
            .await;
        assert_eq!(
            existing, none,
            "{} {path}: an existing record is told apart from none",
            op.0
        );
        self.scoped.lock().unwrap().insert(op);
    }

    /// Every operation of the area succeeded, and each that takes an id or
    /// a code was tried as another tenant.
    pub(crate) fn finish(self) {
        let succeeded = self.succeeded.into_inner().unwrap();
        let scoped_done = self.scoped.into_inner().unwrap();
        let never: Vec<&Op> = self.ops.iter().filter(|op| !succeeded.contains(op)).collect();
        assert!(never.is_empty(), "never called with success: {never:?}");
        let untried: Vec<&Op> = self
            .ops
            .iter()
            .filter(|op| (scoped(op) || OPERATOR_ONLY.contains(op)) && !scoped_done.contains(op))
            .collect();
        assert!(untried.is_empty(), "never tried as another tenant: {untried:?}");
    }
}

/// A record id nobody has.
pub(crate) fn nobodys() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[test]
fn every_documented_operation_is_exercised() {
    let doc = serde_json::to_value(suyuan_server::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    let mut listed = BTreeSet::new();
    for op in AREAS.iter().flat_map(|a| a.iter()) {
        assert!(
            listed.insert((op.0.to_owned(), op.1.to_owned())),
            "{op:?} listed twice"
        );
    }
    let untested: Vec<_> = documented.difference(&listed).collect();
    assert!(
        untested.is_empty(),
        "documented but exercised by no test: {untested:?}"
    );
    let gone: Vec<_> = listed.difference(&documented).collect();
    assert!(
        gone.is_empty(),
        "listed but not in the OpenAPI document: {gone:?}"
    );
    assert!(documented.len() >= 50, "{}", documented.len());
}

#[test]
fn templates_fit_their_paths() {
    assert!(fits("/api/v1/users/{id}", "/api/v1/users/abc"));
    assert!(fits("/api/v1/lots", "/api/v1/lots?status=active"));
    assert!(!fits("/api/v1/users/{id}", "/api/v1/users/abc/disable"));
    assert!(!fits("/api/v1/users/{id}", "/api/v1/users/"));
    assert!(scoped(&("GET", "/api/v1/trace/back")));
    assert!(!scoped(&("GET", "/api/v1/codes/parse")));
    assert!(!scoped(&("POST", "/api/v1/organisations/{id}/verify")));
}
