//! The audit trail's capture: one middleware
//! around every route that refuses blocked clients and rate-limited
//! requests ([`crate::defence`]), runs the handler, and records the request
//! when it is authenticated or a security event (a sign-in, any refusal or
//! error answer, a detection), with time, user, organisation, action,
//! resource, outcome, status, stable code and client address.
//!
//! **Who.** The middleware cannot know the caller before the handler runs:
//! it opens a task-local slot, which the authentication extractors
//! ([`crate::extract::Auth`], the console's) and the sign-in check fill
//! ([`note_caller`], [`note_user`], [`note_account`]); it reads the slot
//! after the handler, with the answer's status and problem code.
//!
//! **What is never recorded**: passwords, tokens, ID numbers, query strings,
//! bodies. The resource is the route's template with record ids (UUIDs) put
//! in (`/api/v1/users/{uuid}/sessions`); a path that matched no route is
//! kept (without its query), cut to 120 characters, as a scanner's trace.
//!
//! **Cost.** Nothing is written on the request's path: records go into a
//! bounded channel, and one background writer inserts them in batches (all
//! that queued while it wrote the previous batch). When the channel is full
//! a record is dropped and counted ([`counts`]), never waited for.
//! [`AuditLog::flush`] waits until everything queued before it is stored
//! (the serve command calls it at shutdown; the audit readers before they
//! read).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use suyuan_store::audit::AuditEvent;
use suyuan_store::users::throttle::client_key;
use suyuan_store::{Caller, Store};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::client::ClientAddr;
use crate::defence::{classify, client_blocked, Class, Guard};
use crate::error::{ApiError, ProblemCode};
use crate::AppState;

/// Settings of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Days a record is kept before the daily purge deletes it.
    pub retention_days: u32,
    /// Records waiting for the writer before new ones are dropped.
    pub queue: usize,
    /// Records inserted per statement batch at most.
    pub batch: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            retention_days: 1095,
            queue: 20_000,
            batch: 500,
        }
    }
}

static WRITTEN: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Process-wide counts, for `/metrics`: audit records stored, and dropped
/// (the queue was full or the database refused them).
pub fn counts() -> (u64, u64) {
    (WRITTEN.load(Ordering::Relaxed), DROPPED.load(Ordering::Relaxed))
}

enum Msg {
    Event(AuditEvent),
    Flush(oneshot::Sender<()>),
}

/// The sending side of the audit trail; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    tx: mpsc::Sender<Msg>,
    rx: Mutex<Option<mpsc::Receiver<Msg>>>,
    started: AtomicBool,
    store: Store,
    batch: usize,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

impl AuditLog {
    pub fn new(store: Store, config: &AuditConfig) -> AuditLog {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        AuditLog {
            inner: Arc::new(Inner {
                tx,
                rx: Mutex::new(Some(rx)),
                started: AtomicBool::new(false),
                store,
                batch: config.batch.max(1),
            }),
        }
    }

    /// Starts the writer on the current runtime, once (at the first record,
    /// so that an application built outside a runtime still works).
    fn start(&self) {
        if self.inner.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let rx = self.inner.rx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(rx) = rx {
            tokio::spawn(writer(self.inner.store.clone(), rx, self.inner.batch));
        }
    }

    /// Queues a record; never waits. A full queue drops it (counted, and
    /// logged once per thousand).
    pub fn record(&self, event: AuditEvent) {
        self.start();
        if self.inner.tx.try_send(Msg::Event(event)).is_err() {
            let n = DROPPED.fetch_add(1, Ordering::Relaxed);
            if n.is_multiple_of(1000) {
                tracing::warn!(dropped = n + 1, "the audit queue is full: audit records dropped");
            }
        }
    }

    /// Waits until every record queued before this call is stored.
    pub async fn flush(&self) {
        self.start();
        let (tx, rx) = oneshot::channel();
        if self.inner.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// [`AuditLog::flush`], giving up after `limit`.
    pub async fn flush_within(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.flush()).await;
    }
}

/// The writer: takes what queued, stores it in one batch, answers flushes.
async fn writer(store: Store, mut rx: mpsc::Receiver<Msg>, batch: usize) {
    let mut events = Vec::with_capacity(batch);
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Event(e) => events.push(e),
                Msg::Flush(w) => waiting.push(w),
            }
            if events.len() < batch {
                next = rx.try_recv().ok();
            }
        }
        if !events.is_empty() {
            store_batch(&store, &events).await;
            events.clear();
        }
        for w in waiting.drain(..) {
            let _ = w.send(());
        }
    }
}

async fn store_batch(store: &Store, events: &[AuditEvent]) {
    for attempt in 0..2 {
        match store.append_audit(events).await {
            Ok(_) => {
                WRITTEN.fetch_add(events.len() as u64, Ordering::Relaxed);
                return;
            }
            Err(e) if attempt == 0 => {
                tracing::warn!(error = %e, "audit records not stored; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                DROPPED.fetch_add(events.len() as u64, Ordering::Relaxed);
                tracing::error!(error = %e, records = events.len(), "audit records could not be stored");
            }
        }
    }
}

/// What the handler tells the middleware about the request.
#[derive(Debug, Default)]
struct Slot {
    /// (user, organisation).
    who: Option<(Uuid, Uuid)>,
    /// A hash of the username tried at sign-in.
    account: Option<u64>,
    class: Option<Class>,
    guard: Option<Arc<Guard>>,
}

tokio::task_local! {
    static SLOT: Arc<Mutex<Slot>>;
}

fn with_slot<R>(f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
    SLOT.try_with(|s| f(&mut s.lock().unwrap_or_else(|p| p.into_inner())))
        .ok()
}

/// The caller is known (an authentication extractor resolved it): noted for
/// the audit record; a write is held to the per-account rate limit.
pub(crate) fn note_caller(caller: &Caller) -> Result<(), ApiError> {
    let check = with_slot(|s| {
        s.who = Some((caller.user_id, caller.org_id));
        match (&s.guard, s.class) {
            (Some(g), Some(Class::Capture)) => Some(g.clone()),
            _ => None,
        }
    })
    .flatten();
    match check {
        Some(guard) => guard.admit_account(caller.user_id),
        None => Ok(()),
    }
}

/// The user a sign-in was for (right password or wrong), when it exists.
pub(crate) fn note_user(user_id: Uuid, org_id: Uuid) {
    with_slot(|s| s.who = Some((user_id, org_id)));
}

/// The username a sign-in tried, as a hash kept in memory only (for
/// counting distinct accounts per client).
pub(crate) fn note_account(username: &str) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    username.hash(&mut h);
    let v = h.finish();
    with_slot(|s| s.account = Some(v));
}

/// The audit action of a request: a name for security-relevant ones, else
/// the method and route template.
pub fn action_name(method: &Method, template: Option<&str>) -> String {
    let Some(t) = template else {
        return format!("{method} (no route)");
    };
    let named = match (method.as_str(), t) {
        ("POST", "/api/v1/auth/login" | "/console/login") => "sign_in",
        ("POST", "/api/v1/auth/logout" | "/console/logout") => "sign_out",
        ("POST", "/api/v1/organisations/{id}/users" | "/console/org/users") => "user_create",
        ("PATCH", "/api/v1/users/{id}") | ("POST", "/console/org/users/{id}/role") => "user_change",
        ("POST", "/api/v1/users/{id}/disable" | "/console/org/users/{id}/disable") => "user_disable",
        ("POST", "/api/v1/users/{id}/enable") => "user_enable",
        ("POST", "/api/v1/users/{id}/unlock" | "/console/operator/users/{id}/unlock") => "user_unlock",
        ("DELETE", "/api/v1/users/{id}/sessions") => "sessions_end",
        ("POST", "/api/v1/users/{id}/password-reset" | "/console/operator/users/{id}/reset") => {
            "password_reset_issue"
        }
        ("POST", "/api/v1/auth/password-reset" | "/console/reset") => "password_reset",
        ("POST", "/api/v1/auth/password") => "password_change",
        ("POST", "/api/v1/api-keys" | "/console/org/keys") => "api_key_create",
        ("DELETE", "/api/v1/api-keys/{id}") | ("POST", "/console/org/keys/{id}/revoke") => "api_key_revoke",
        ("POST", "/api/v1/organisations/{id}/suspend") => "org_suspend",
        ("POST", "/api/v1/organisations/{id}/restore") => "org_restore",
        ("POST", "/api/v1/organisations/{id}/verify") => "org_verify",
        ("POST", "/console/operator/orgs/{id}/{action}") => "org_decision",
        ("DELETE", "/api/v1/security/blocks/{id}") | ("POST", "/console/security/blocks/{id}/unblock") => {
            "unblock"
        }
        _ => return format!("{method} {t}"),
    };
    named.to_owned()
}

/// The resource: the template with its UUID segments filled in from the
/// path; an unmatched path as it is, cut short.
pub fn resource_name(template: Option<&str>, path: &str) -> String {
    let Some(t) = template else {
        return path.chars().take(120).collect();
    };
    let actual: Vec<&str> = path.split('/').collect();
    t.split('/')
        .enumerate()
        .map(|(i, seg)| match actual.get(i) {
            Some(a) if seg.starts_with('{') && Uuid::parse_str(a).is_ok() => (*a).to_owned(),
            _ => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The outcome word of a status (and code).
pub fn outcome(status: StatusCode, code: Option<&str>) -> &'static str {
    match status.as_u16() {
        _ if code == Some("client_blocked") => "blocked",
        100..=399 => "ok",
        401 => "denied",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        429 => "rate_limited",
        400 | 413 | 415 | 422 => "invalid",
        500..=599 => "error",
        _ => "refused",
    }
}

/// The middleware (see the module's documentation).
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ip = ClientAddr::from_request_parts(&mut parts, &state)
        .await
        .unwrap_or(ClientAddr::UNKNOWN)
        .0;
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let template = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let probe = suyuan_core::intrusion::probe(&path, parts.uri.query().unwrap_or("")).is_some();
    let guard = state.guard.clone();
    let class = classify(&method, &path);
    let action = action_name(&method, template.as_deref());
    // Sign-ins, password resets, key and role changes: always recorded.
    let security_action = !action.contains(' ');
    let base = |status: StatusCode, code: Option<String>, who: Option<(Uuid, Uuid)>| AuditEvent {
        id: suyuan_store::new_id(),
        at: suyuan_store::now_ms(),
        user_id: who.map(|w| w.0),
        org_id: who.map(|w| w.1),
        action: action.clone(),
        resource: resource_name(template.as_deref(), &path),
        outcome: outcome(status, code.as_deref()).to_owned(),
        status: i64::from(status.as_u16()),
        code,
        client: client_key(ip),
    };

    let refused = match guard.blocked(ip).await {
        Some((_, until)) => Some(client_blocked(until)),
        None => guard.admit(class, ip).err(),
    };
    if let Some(e) = refused {
        if guard.worth_recording(ip, e.status) {
            state.audit.record(base(e.status, Some(e.code.clone()), None));
        }
        return e.into_response();
    }

    let slot = Arc::new(Mutex::new(Slot {
        class: Some(class),
        guard: Some(guard.clone()),
        ..Slot::default()
    }));
    let resp = SLOT
        .scope(slot.clone(), next.run(Request::from_parts(parts, body)))
        .await;
    let status = resp.status();
    let code = resp.extensions().get::<ProblemCode>().map(|c| c.0.clone());
    let (who, account) = {
        let s = slot.lock().unwrap_or_else(|p| p.into_inner());
        (s.who, s.account)
    };
    let failed_account = account.filter(|_| code.as_deref() == Some("invalid_credentials"));
    // A client whose address is not known is not one client: blocking
    // "unknown" would refuse everyone the server cannot tell apart.
    let known = ip != ClientAddr::UNKNOWN.0;
    if let Some(attack) = known
        .then(|| guard.observe(ip, probe, status, failed_account))
        .flatten()
    {
        if let Some(d) = guard.block(ip, attack).await {
            state.audit.record(AuditEvent {
                action: format!("detect.{}", attack.code()),
                resource: format!("/api/v1/security/blocks/{}", d.block_id),
                outcome: "blocked".into(),
                status: 403,
                code: Some(attack.code().into()),
                ..base(status, None, who)
            });
        }
    }
    if who.is_some() || security_action || status.as_u16() >= 400 {
        state.audit.record(base(status, code, who));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_keep_ids_and_templates_only() {
        let id = "0190c6a8-0000-7000-8000-000000000001";
        assert_eq!(
            resource_name(
                Some("/api/v1/users/{id}/sessions"),
                &format!("/api/v1/users/{id}/sessions")
            ),
            format!("/api/v1/users/{id}/sessions")
        );
        assert_eq!(
            resource_name(Some("/complaints/{reference}"), "/complaints/TS-12345"),
            "/complaints/{reference}"
        );
        assert_eq!(resource_name(None, "/wp-admin"), "/wp-admin");
        assert_eq!(
            action_name(&Method::PATCH, Some("/api/v1/users/{id}")),
            "user_change"
        );
        assert_eq!(
            action_name(&Method::GET, Some("/api/v1/places")),
            "GET /api/v1/places"
        );
        assert_eq!(outcome(StatusCode::FORBIDDEN, Some("client_blocked")), "blocked");
        assert_eq!(outcome(StatusCode::NOT_FOUND, None), "not_found");
    }
}
