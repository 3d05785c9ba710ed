//! Metrics for monitoring: a small registry
//! kept in [`crate::AppState`], fed by a middleware layer that counts every
//! request by its route *template* (axum's `MatchedPath`, so the number of
//! series is bounded by the routes; anything unmatched is `other`), status
//! code and method, with a latency histogram per route; by the capture
//! handlers (captures and events stored); and by the rate limiters (blocks
//! per scope). `GET /metrics` ([`scrape`]) writes it out in the Prometheus
//! text format together with gauges read at scrape time: the log, its
//! checkpoint, witnesses, integrity checks, backup drills, the database
//! pool and the process.
//!
//! Recording is cheap: a read lock to find the route's series (a write lock
//! only the first time a route is seen), then atomics; the per-status
//! counts take a lock of their route only.

mod exposition;
mod process;
pub mod scrape;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use suyuan_store::trace::capture::CaptureJob;

pub use exposition::{Exposition, Kind, CONTENT_TYPE};

/// Upper bounds (seconds) of the request latency histogram's buckets.
pub const LATENCY_BOUNDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The route label of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "other";

/// Rate-limit scopes counted from the start (so that they show as 0).
pub const RATE_LIMIT_SCOPES: [&str; 1] = ["complaint"];

/// One route's counts.
#[derive(Debug, Default)]
struct RouteSeries {
    /// Requests per latency bucket (not cumulative; the last is overflow).
    buckets: [AtomicU64; LATENCY_BOUNDS.len() + 1],
    /// Total latency in microseconds.
    micros: AtomicU64,
    /// Requests per (method, status code).
    by_status: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

/// The registry of one application.
#[derive(Debug)]
pub struct Metrics {
    routes: RwLock<HashMap<Box<str>, Arc<RouteSeries>>>,
    capture_jobs_ok: AtomicU64,
    capture_jobs_refused: AtomicU64,
    events_captured: AtomicU64,
    rate_limited: RwLock<BTreeMap<&'static str, AtomicU64>>,
    start_time_seconds: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A method as a label: the standard ones by name, anything else `other`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    pub fn new() -> Self {
        let start_time_seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Metrics {
            routes: RwLock::new(HashMap::new()),
            capture_jobs_ok: AtomicU64::new(0),
            capture_jobs_refused: AtomicU64::new(0),
            events_captured: AtomicU64::new(0),
            rate_limited: RwLock::new(
                RATE_LIMIT_SCOPES
                    .iter()
                    .map(|s| (*s, AtomicU64::new(0)))
                    .collect(),
            ),
            start_time_seconds,
        }
    }

    /// Counts one answered request.
    pub fn observe_request(&self, route: &str, method: &Method, status: u16, took: Duration) {
        let series = self.series(route);
        let secs = took.as_secs_f64();
        let slot = LATENCY_BOUNDS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BOUNDS.len());
        series.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        series.micros.fetch_add(micros, Ordering::Relaxed);
        let mut by_status = series.by_status.lock().unwrap_or_else(|p| p.into_inner());
        *by_status.entry((method_label(method), status)).or_insert(0) += 1;
    }

    fn series(&self, route: &str) -> Arc<RouteSeries> {
        if let Some(s) = self.routes.read().unwrap_or_else(|p| p.into_inner()).get(route) {
            return s.clone();
        }
        self.routes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(route.into())
            .or_default()
            .clone()
    }

    /// Counts a capture job: refused or not, and the events it stored.
    pub fn count_capture(&self, job: &CaptureJob) {
        let counter = if job.success {
            &self.capture_jobs_ok
        } else {
            &self.capture_jobs_refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let stored = u64::try_from(job.captured).unwrap_or(0);
        self.events_captured.fetch_add(stored, Ordering::Relaxed);
    }

    /// Counts a request refused by the rate limit of `scope` (e.g.
    /// `complaint`, `signin`). Scopes are names in the code, never input.
    pub fn rate_limited(&self, scope: &'static str) {
        if let Some(c) = self
            .rate_limited
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(scope)
        {
            c.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.rate_limited
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(scope)
            .or_insert_with(|| AtomicU64::new(0))
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the in-process families.
    fn write_process_families(&self, e: &mut Exposition) {
        self.write_http(e);
        e.family(
            "suyuan_captures_total",
            Kind::Counter,
            "EPCIS capture jobs answered (API and console), by outcome.",
        );
        let ok = self.capture_jobs_ok.load(Ordering::Relaxed) as f64;
        let refused = self.capture_jobs_refused.load(Ordering::Relaxed) as f64;
        e.sample("suyuan_captures_total", &[("outcome", "stored")], ok);
        e.sample("suyuan_captures_total", &[("outcome", "refused")], refused);
        e.single(
            "suyuan_events_captured_total",
            Kind::Counter,
            "Events stored by capture jobs (repeats of stored events not counted).",
            self.events_captured.load(Ordering::Relaxed) as f64,
        );
        e.family(
            "suyuan_rate_limited_total",
            Kind::Counter,
            "Requests refused by a rate limit, by the limit's scope.",
        );
        for (scope, n) in self.rate_limited.read().unwrap_or_else(|p| p.into_inner()).iter() {
            e.sample(
                "suyuan_rate_limited_total",
                &[("scope", scope)],
                n.load(Ordering::Relaxed) as f64,
            );
        }
        // The intrusion defence's limits (sign-in, public pages, writes) and
        // blocks, and the audit trail's writer, count process-wide.
        let (blocked, limited, detections) = crate::defence::counts();
        e.sample(
            "suyuan_rate_limited_total",
            &[("scope", "defence")],
            limited as f64,
        );
        e.single(
            "suyuan_blocked_requests_total",
            Kind::Counter,
            "Requests refused because their client is on the block list.",
            blocked as f64,
        );
        e.single(
            "suyuan_intrusion_detections_total",
            Kind::Counter,
            "Attacks detected (credential stuffing, path scanning, injection probes, malformed floods).",
            detections as f64,
        );
        let (written, dropped) = crate::audit::counts();
        e.single(
            "suyuan_audit_events_written_total",
            Kind::Counter,
            "Audit records stored.",
            written as f64,
        );
        e.single(
            "suyuan_audit_events_dropped_total",
            Kind::Counter,
            "Audit records dropped because the writer's queue was full.",
            dropped as f64,
        );
        e.single(
            "suyuan_process_start_time_seconds",
            Kind::Gauge,
            "When this server started serving, Unix seconds.",
            self.start_time_seconds,
        );
        e.optional(
            "suyuan_process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory of the server process (Linux).",
            process::resident_memory_bytes(),
        );
        e.optional(
            "suyuan_process_open_fds",
            Kind::Gauge,
            "Open file descriptors of the server process (Linux).",
            process::open_fds(),
        );
    }

    fn write_http(&self, e: &mut Exposition) {
        let routes: BTreeMap<String, Arc<RouteSeries>> = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        e.family(
            "suyuan_http_requests_total",
            Kind::Counter,
            "HTTP requests answered, by route template, method and status code.",
        );
        for (route, s) in &routes {
            let by_status = s.by_status.lock().unwrap_or_else(|p| p.into_inner()).clone();
            for ((method, status), n) in by_status {
                let code = status.to_string();
                let labels = [
                    ("route", route.as_str()),
                    ("method", method),
                    ("status", code.as_str()),
                ];
                e.sample("suyuan_http_requests_total", &labels, n as f64);
            }
        }
        e.family(
            "suyuan_http_request_duration_seconds",
            Kind::Histogram,
            "Time to answer HTTP requests, by route template.",
        );
        for (route, s) in &routes {
            let counts: Vec<u64> = s.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
            let sum = s.micros.load(Ordering::Relaxed) as f64 / 1e6;
            e.histogram(
                "suyuan_http_request_duration_seconds",
                &[("route", route.as_str())],
                &LATENCY_BOUNDS,
                &counts,
                sum,
            );
        }
    }
}

/// The middleware counting every request (added in [`crate::app_with`]).
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let resp = next.run(req).await;
    let route = route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    metrics.observe_request(route, &method, resp.status().as_u16(), started.elapsed());
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_route_method_and_status() {
        let m = Metrics::new();
        m.observe_request("/a/{id}", &Method::GET, 200, Duration::from_millis(3));
        m.observe_request("/a/{id}", &Method::GET, 200, Duration::from_millis(300));
        m.observe_request("/a/{id}", &Method::POST, 500, Duration::from_secs(60));
        m.rate_limited("complaint");
        m.rate_limited("signin");
        let mut e = Exposition::default();
        m.write_process_families(&mut e);
        let text = e.finish();
        for want in [
            "suyuan_http_requests_total{route=\"/a/{id}\",method=\"GET\",status=\"200\"} 2\n",
            "suyuan_http_requests_total{route=\"/a/{id}\",method=\"POST\",status=\"500\"} 1\n",
            "suyuan_http_request_duration_seconds_bucket{route=\"/a/{id}\",le=\"0.005\"} 1\n",
            "suyuan_http_request_duration_seconds_bucket{route=\"/a/{id}\",le=\"0.5\"} 2\n",
            "suyuan_http_request_duration_seconds_bucket{route=\"/a/{id}\",le=\"30\"} 2\n",
            "suyuan_http_request_duration_seconds_bucket{route=\"/a/{id}\",le=\"+Inf\"} 3\n",
            "suyuan_rate_limited_total{scope=\"complaint\"} 1\n",
            "suyuan_rate_limited_total{scope=\"signin\"} 1\n",
        ] {
            assert!(text.contains(want), "{want} missing from\n{text}");
        }
    }

    #[test]
    fn counts_captures_and_their_events() {
        let m = Metrics::new();
        let job = |success, captured| CaptureJob {
            capture_id: uuid::Uuid::nil(),
            created_at: chrono::Utc::now(),
            finished_at: None,
            running: false,
            success,
            capture_error_behaviour: "rollback".into(),
            errors: vec![],
            warnings: vec![],
            captured,
            duplicates: 0,
            event_ids: vec![],
        };
        m.count_capture(&job(true, 3));
        m.count_capture(&job(true, 2));
        m.count_capture(&job(false, 0));
        let mut e = Exposition::default();
        m.write_process_families(&mut e);
        let text = e.finish();
        assert!(
            text.contains("suyuan_captures_total{outcome=\"stored\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("suyuan_captures_total{outcome=\"refused\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("suyuan_events_captured_total 5\n"), "{text}");
    }
}
