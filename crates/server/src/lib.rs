//! suyuan-server: the HTTP face of the platform.
//!
//! One axum router serves the JSON API under `/api/v1` (documented by an
//! OpenAPI 3.1 document generated from the handlers), the API docs page,
//! and the health probes. Handlers are thin: they extract and validate the
//! request at the edge, call the [`Store`] with the caller's identity, and
//! map errors once through [`error::ApiError`]. The process keeps no state of
//! its own, so several servers can share one PostgreSQL.
//!
//! At the edge, for every route: a browser's session cookie authenticates a
//! state-changing request only with its CSRF token and from a page of this
//! site ([`csrf`]); bodies are read only with their declared content type
//! ([`extract`]); and every error answer is `application/problem+json`, the
//! last layer ([`error::ensure_problem`]) turning anything else into one.

pub mod api;
pub mod audit;
pub mod client;
pub mod client_auth;
pub mod complaint_page;
pub mod console;
pub mod csrf;
pub mod defence;
pub mod docs;
pub mod docs_contract;
mod docs_page;
pub mod epcis;
pub mod epcis_doc;
pub mod error;
pub mod export;
pub mod extract;
pub mod headers;
pub mod health;
pub mod limiter;
pub mod metrics;
pub mod mqtt;
pub mod multipart;
pub mod outbound;
pub mod public;
mod public_cold;
pub mod records_doc;
pub mod tlog;
pub mod tls;
pub mod webhooks;
pub mod witness_service;
pub mod witnesses;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use suyuan_store::Store;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;

/// What every handler shares: the store and the published OpenAPI document.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub openapi: Arc<serde_json::Value>,
    pub config: Arc<ServerConfig>,
    /// Public complaints per client address ([`ServerConfig::complaint_limit`]).
    pub complaint_limiter: Arc<limiter::Limiter>,
    /// This application's counters, served at `/metrics` ([`metrics`]).
    pub metrics: Arc<metrics::Metrics>,
    /// Rate limits, detection and the block list ([`defence`]).
    pub guard: Arc<defence::Guard>,
    /// The audit trail's writer ([`audit`]).
    pub audit: audit::AuditLog,
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The platform's public base URL: the domain of the Digital Links printed
    /// in QR codes, e.g. `https://trace.example.cn`.
    pub public_url: String,
    /// Scans of one code after which the public page warns that the code may
    /// have been copied.
    pub scan_warning_threshold: i64,
    /// Complaints one client address may file per window (count, seconds).
    pub complaint_limit: (usize, u64),
    /// The bearer token that lets clients beyond loopback read `/metrics`
    /// (None: loopback clients only).
    pub metrics_token: Option<String>,
    /// Served over HTTPS: send HSTS and mark cookies `Secure`.
    pub https: bool,
    /// Reverse proxies whose forwarded client addresses are believed
    /// (`--behind-proxy`; see [`client`]).
    pub trusted_proxies: Vec<client::ProxyNet>,
    /// Rate limits and intrusion detection thresholds.
    pub defence: defence::DefenceConfig,
    /// The audit trail's retention and queue.
    pub audit: audit::AuditConfig,
    /// Whether an alert webhook may point at a loopback, private or
    /// reserved address (`--webhook-allow-private`; off: refused, SSRF).
    pub webhook_allow_private: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            scan_warning_threshold: 50,
            complaint_limit: (10, 600),
            metrics_token: None,
            https: false,
            trusted_proxies: Vec::new(),
            defence: defence::DefenceConfig::default(),
            audit: audit::AuditConfig::default(),
            webhook_allow_private: false,
        }
    }
}

impl ServerConfig {
    /// The defaults with the rate limits lifted (detection kept), for load
    /// benchmarks that drive the server from one address.
    pub fn benchmark() -> Self {
        ServerConfig {
            defence: defence::DefenceConfig::unlimited_rates(),
            ..ServerConfig::default()
        }
    }
}

/// Largest JSON body accepted (bulk imports have their own endpoints).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The OpenAPI document and the API routes, before state is attached.
fn api_parts() -> (Router<AppState>, serde_json::Value) {
    let (router, doc) = OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .nest("/api/v1", api::router())
        .split_for_parts();
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    docs_contract::complete_value(&mut doc);
    (router, doc)
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> serde_json::Value {
    api_parts().1
}

/// Builds the whole application.
pub fn app(store: Store) -> Router {
    app_with(store, ServerConfig::default())
}

/// Builds the whole application with explicit settings.
pub fn app_with(store: Store, config: ServerConfig) -> Router {
    app_with_audit(store, config).0
}

/// Builds the whole application, and answers its audit trail's writer too,
/// to be flushed when the server stops ([`audit::AuditLog::flush`]).
pub fn app_with_audit(store: Store, config: ServerConfig) -> (Router, audit::AuditLog) {
    let (api, openapi) = api_parts();
    let (max, secs) = config.complaint_limit;
    let metrics = Arc::new(metrics::Metrics::new());
    let audit = audit::AuditLog::new(store.clone(), &config.audit);
    let state = AppState {
        guard: Arc::new(defence::Guard::new(store.clone(), config.defence.clone())),
        audit: audit.clone(),
        store,
        openapi: Arc::new(openapi),
        config: Arc::new(config),
        complaint_limiter: Arc::new(limiter::Limiter::new(max, Duration::from_secs(secs))),
        metrics: metrics.clone(),
    };
    let router = Router::new()
        .merge(api)
        .merge(docs::router())
        .merge(epcis::router())
        .merge(public::router())
        .merge(complaint_page::router())
        .merge(console::router())
        .merge(records_doc::router())
        .merge(tlog::router())
        .merge(health::router())
        .merge(metrics::scrape::router())
        .fallback(|| async { ApiError::not_found("page") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not allowed here",
                "此路径不支持该请求方法",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::middleware,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(error::ensure_problem))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_auth::layer,
        ))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            headers::add,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::resolve,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // Method and path only: query strings and headers may carry secrets.
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state);
    (router, audit)
}

/// Serves `app` on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// How long the graceful shutdown waits before giving up (used by the CLI).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
