//! Intrusion defence: rate limits per client
//! address and per account, detection of attacks, and the block list.
//!
//! - **Rate limits** on sign-in, public pages (Digital Links, `/c/…`,
//!   `/trace`) and capture (EPCIS capture and every other write), per client
//!   address; capture also per account (checked when the caller is known,
//!   [`crate::audit::note_caller`]). Complaints keep their own limiter
//!   ([`crate::limiter`], [`crate::ServerConfig::complaint_limit`]) and
//!   failed sign-ins the store's throttle (`login_throttle`). A refused
//!   request is answered 429 `rate_limited` with `Retry-After`.
//! - **Detection**, per client: credential stuffing (many distinct accounts
//!   failing to sign in), path scanning (a burst of 404s), injection probes
//!   (SQL, script or path-traversal patterns in the path or query,
//!   [`suyuan_core::intrusion::probe`]) and malformed floods (a burst of 400,
//!   413, 415 or 422 answers). Each is classified, recorded in the audit
//!   trail (action `detect.<kind>`) and blocks the client.
//! - **Blocks** live in the `security_blocks` table, so every server on the
//!   database enforces them and a restart keeps them; each server caches the
//!   list for [`DefenceConfig::block_cache_secs`]. A blocked client is
//!   answered 403 `client_blocked` on every route until the block ends or
//!   the operator lifts it.
//! - Loopback is not exempt. Only a client whose address is unknown
//!   ([`crate::client::ClientAddr::UNKNOWN`], a request without a socket)
//!   is never blocked: it is not one client. Rate limits still apply to it.
//!
//! Thresholds are [`DefenceConfig`], part of [`crate::ServerConfig`]. The
//! counts are kept per server, in memory, and cost a lock and a hash lookup
//! per request.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde::Deserialize;
use suyuan_core::intrusion::Attack;
use suyuan_store::users::throttle::client_key;
use suyuan_store::Store;
use uuid::Uuid;

use crate::error::ApiError;
use crate::limiter::Limiter;

/// At most `max` in `per_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub max: usize,
    pub per_secs: u64,
}

impl Rate {
    pub const fn new(max: usize, per_secs: u64) -> Rate {
        Rate { max, per_secs }
    }

    fn limiter<K: std::hash::Hash + Eq + Clone>(self) -> Limiter<K> {
        Limiter::new(self.max.max(1), Duration::from_secs(self.per_secs.max(1)))
    }
}

/// Thresholds of the defence. The defaults let a busy office behind one
/// address work and stop floods and scans; tests set low ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefenceConfig {
    /// Sign-in requests per client address (failures are also counted by
    /// the store's throttle, per account and per client).
    pub sign_in: Rate,
    /// Public page requests per client address.
    pub public_pages: Rate,
    /// Writes (EPCIS capture, record posts) per client address.
    pub capture: Rate,
    /// Writes per account (user).
    pub capture_per_account: Rate,
    /// Distinct accounts failing to sign in from one client.
    pub credential_stuffing: Rate,
    /// 404 answers to one client.
    pub path_scanning: Rate,
    /// Requests with injection patterns from one client.
    pub injection_probes: Rate,
    /// Malformed requests (400, 413, 415, 422) from one client.
    pub malformed_flood: Rate,
    /// How long a detected client stays blocked.
    pub block_secs: u64,
    /// How long a server trusts its copy of the block list.
    pub block_cache_secs: u64,
}

impl Default for DefenceConfig {
    fn default() -> Self {
        DefenceConfig {
            sign_in: Rate::new(300, 60),
            public_pages: Rate::new(600, 60),
            capture: Rate::new(1200, 60),
            capture_per_account: Rate::new(1200, 60),
            credential_stuffing: Rate::new(50, 3600),
            path_scanning: Rate::new(200, 60),
            injection_probes: Rate::new(5, 600),
            malformed_flood: Rate::new(300, 60),
            block_secs: 3600,
            block_cache_secs: 5,
        }
    }
}

impl DefenceConfig {
    /// Rate limits lifted (detection kept): for load benchmarks that drive
    /// the server from one address.
    pub fn unlimited_rates() -> Self {
        let lots = Rate::new(usize::MAX / 4, 1);
        DefenceConfig {
            sign_in: lots,
            public_pages: lots,
            capture: lots,
            capture_per_account: lots,
            ..DefenceConfig::default()
        }
    }
}

/// What kind of request, for the rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    SignIn,
    Public,
    Capture,
    Other,
}

/// The class of a request by its method and path.
pub fn classify(method: &Method, path: &str) -> Class {
    let write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if *method == Method::POST && (path == "/api/v1/auth/login" || path == "/console/login") {
        return Class::SignIn;
    }
    if !write {
        let public = ["/t/", "/c/", "/01/", "/00/", "/complaints/"]
            .iter()
            .any(|p| path.starts_with(p))
            || path == "/trace";
        return if public { Class::Public } else { Class::Other };
    }
    let own_limits = path == "/api/v1/complaints" || path.starts_with("/complaints");
    if own_limits || path == "/api/v1/auth/logout" || path == "/console/logout" {
        Class::Other
    } else {
        Class::Capture
    }
}

static BLOCKED_REQUESTS: AtomicU64 = AtomicU64::new(0);
static RATE_LIMITED: AtomicU64 = AtomicU64::new(0);
static DETECTIONS: AtomicU64 = AtomicU64::new(0);

/// Process-wide counts, for `/metrics`: requests refused because their
/// client was blocked, requests refused by a rate limit, attacks detected.
pub fn counts() -> (u64, u64, u64) {
    (
        BLOCKED_REQUESTS.load(Ordering::Relaxed),
        RATE_LIMITED.load(Ordering::Relaxed),
        DETECTIONS.load(Ordering::Relaxed),
    )
}

/// Distinct values per key within a window (accounts failing per client).
#[derive(Debug)]
struct Distinct {
    window: Duration,
    seen: Mutex<HashMap<IpAddr, VecDeque<(Instant, u64)>>>,
}

impl Distinct {
    /// Notes `value` from `key`; answers the distinct values in the window.
    fn note(&self, key: IpAddr, value: u64) -> usize {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= 10_000 {
            let w = self.window;
            seen.retain(|_, q| q.back().is_some_and(|(t, _)| now.duration_since(*t) < w));
        }
        let q = seen.entry(key).or_default();
        while q
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if !q.iter().any(|(_, v)| *v == value) {
            q.push_back((now, value));
        }
        q.len()
    }

    fn forget(&self, key: IpAddr) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
    }
}

/// The cached block list.
#[derive(Debug, Default)]
struct Cache {
    fetched: Option<Instant>,
    /// Client key → (block id, until ms).
    blocks: HashMap<String, (Uuid, i64)>,
}

/// The defence's state in one server.
pub struct Guard {
    pub config: DefenceConfig,
    store: Store,
    sign_in: Limiter,
    public: Limiter,
    capture: Limiter,
    capture_account: Limiter<Uuid>,
    stuffing: Distinct,
    scanning: Limiter,
    probes: Limiter,
    malformed: Limiter,
    /// One audit record per client and kind of refusal per few seconds.
    quiet: Limiter<(IpAddr, u16)>,
    cache: RwLock<Cache>,
    refreshing: AtomicBool,
}

/// A detection that blocked its client.
#[derive(Debug, Clone)]
pub struct Detection {
    pub attack: Attack,
    pub block_id: Uuid,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Guard {
    pub fn new(store: Store, config: DefenceConfig) -> Guard {
        Guard {
            sign_in: config.sign_in.limiter(),
            public: config.public_pages.limiter(),
            capture: config.capture.limiter(),
            capture_account: config.capture_per_account.limiter(),
            stuffing: Distinct {
                window: Duration::from_secs(config.credential_stuffing.per_secs.max(1)),
                seen: Mutex::new(HashMap::new()),
            },
            scanning: config.path_scanning.limiter(),
            probes: config.injection_probes.limiter(),
            malformed: config.malformed_flood.limiter(),
            quiet: Limiter::new(1, Duration::from_secs(10)),
            cache: RwLock::new(Cache::default()),
            refreshing: AtomicBool::new(false),
            store,
            config,
        }
    }

    /// The block in force on `client`, if any (from the cached list,
    /// refreshed from the database when older than the cache time).
    pub async fn blocked(&self, client: IpAddr) -> Option<(Uuid, i64)> {
        let stale = {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            cache
                .fetched
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(self.config.block_cache_secs))
        };
        if stale && !self.refreshing.swap(true, Ordering::AcqRel) {
            let now = suyuan_store::now_ms();
            match self.store.blocks_in_force(now).await {
                Ok(list) => {
                    let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
                    cache.blocks = list.into_iter().map(|b| (b.client, (b.id, b.until_at))).collect();
                    cache.fetched = Some(Instant::now());
                }
                Err(e) => tracing::warn!(error = %e, "the block list could not be read"),
            }
            self.refreshing.store(false, Ordering::Release);
        }
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache
            .blocks
            .get(&client_key(client))
            .copied()
            .filter(|(_, until)| *until > suyuan_store::now_ms())
    }

    /// Forgets a lifted block in this server's cache.
    pub fn unblocked(&self, id: Uuid) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.blocks.retain(|_, (b, _)| *b != id);
    }

    /// The rate limit of `class` for `client`: 429 `rate_limited` past it.
    pub fn admit(&self, class: Class, client: IpAddr) -> Result<(), ApiError> {
        let limiter = match class {
            Class::SignIn => &self.sign_in,
            Class::Public => &self.public,
            Class::Capture => &self.capture,
            Class::Other => return Ok(()),
        };
        limiter.hit(client).map_err(rate_limited)
    }

    /// The per-account limit on writes.
    pub fn admit_account(&self, user: Uuid) -> Result<(), ApiError> {
        self.capture_account.hit(user).map_err(rate_limited)
    }

    /// Whether a refusal of this kind to `client` should be recorded now
    /// (the first in a few seconds), so that a flood does not flood the
    /// audit trail.
    pub fn worth_recording(&self, client: IpAddr, status: StatusCode) -> bool {
        self.quiet.hit((client, status.as_u16())).is_ok()
    }

    /// Counts what a request revealed and answers the attack detected, if
    /// its threshold was reached: `probe` (the path or query carried an
    /// injection pattern), the answer's status, and for a failed sign-in the
    /// account tried (a hash).
    pub fn observe(
        &self,
        client: IpAddr,
        probe: bool,
        status: StatusCode,
        failed_account: Option<u64>,
    ) -> Option<Attack> {
        let c = &self.config;
        if probe && self.probes.count(client) >= c.injection_probes.max {
            self.probes.forget(&client);
            return Some(Attack::InjectionProbe);
        }
        if let Some(account) = failed_account {
            if self.stuffing.note(client, account) >= c.credential_stuffing.max {
                self.stuffing.forget(client);
                return Some(Attack::CredentialStuffing);
            }
        }
        if status == StatusCode::NOT_FOUND && self.scanning.count(client) >= c.path_scanning.max {
            self.scanning.forget(&client);
            return Some(Attack::PathScanning);
        }
        let malformed = matches!(
            status,
            StatusCode::BAD_REQUEST
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::UNSUPPORTED_MEDIA_TYPE
                | StatusCode::UNPROCESSABLE_ENTITY
        );
        if malformed && self.malformed.count(client) >= c.malformed_flood.max {
            self.malformed.forget(&client);
            return Some(Attack::MalformedFlood);
        }
        None
    }

    /// Blocks `client` for the configured time, in the database and in
    /// this server's cache.
    pub async fn block(&self, client: IpAddr, attack: Attack) -> Option<Detection> {
        DETECTIONS.fetch_add(1, Ordering::Relaxed);
        let until = suyuan_store::now_ms() + (self.config.block_secs as i64) * 1000;
        let key = client_key(client);
        tracing::warn!(alert = "intrusion", attack = attack.code(), client = %key, "client blocked");
        match self.store.add_block(&key, attack.code(), until).await {
            Ok(b) => {
                let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
                cache.blocks.insert(key, (b.id, until));
                Some(Detection {
                    attack,
                    block_id: b.id,
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "the block could not be stored");
                None
            }
        }
    }
}

/// Notes a refused request in the process-wide counts.
pub(crate) fn count_refusal(blocked: bool) {
    if blocked {
        BLOCKED_REQUESTS.fetch_add(1, Ordering::Relaxed);
    } else {
        RATE_LIMITED.fetch_add(1, Ordering::Relaxed);
    }
}

fn rate_limited(secs: u64) -> ApiError {
    count_refusal(false);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests from your address or account; try again later (see Retry-After)",
        "来自您的地址或账户的请求过于频繁，请稍后再试",
    )
    .with_retry_after(secs)
}

/// The answer to a blocked client, on every route.
pub fn client_blocked(until_ms: i64) -> ApiError {
    count_refusal(true);
    let secs = ((until_ms - suyuan_store::now_ms()) / 1000).max(1) as u64;
    ApiError::new(
        StatusCode::FORBIDDEN,
        "client_blocked",
        "requests from your address are blocked for a while after suspicious activity; try again later",
        "检测到可疑行为，来自您所在地址的请求已被暂时阻止，请稍后再试",
    )
    .with_retry_after(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classed_for_their_limits() {
        assert_eq!(classify(&Method::POST, "/api/v1/auth/login"), Class::SignIn);
        assert_eq!(classify(&Method::POST, "/console/login"), Class::SignIn);
        assert_eq!(classify(&Method::GET, "/01/06901234567892/10/L1"), Class::Public);
        assert_eq!(classify(&Method::GET, "/c/123"), Class::Public);
        assert_eq!(classify(&Method::POST, "/epcis/capture"), Class::Capture);
        assert_eq!(classify(&Method::POST, "/api/v1/places"), Class::Capture);
        assert_eq!(classify(&Method::POST, "/api/v1/complaints"), Class::Other);
        assert_eq!(classify(&Method::GET, "/api/v1/places"), Class::Other);
    }
}
