//! `GET /metrics`: the registry and the gauges read at scrape time, in the
//! Prometheus text format (version 0.0.4).
//!
//! Who may scrape: a client on a loopback address always (a Prometheus or
//! agent on the same host); any other client only with
//! `Authorization: Bearer TOKEN` when the server has a metrics token
//! (`suyuan serve --metrics-token`). Without a token configured, others get
//! the same 404 as any unknown page (the endpoint does not show); with one,
//! a missing or wrong token is 401 `metrics_token_required`. The client is
//! [`ClientAddr`]: behind a reverse proxy, make sure it names the real
//! client, or refuse `/metrics` at the proxy.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use suyuan_store::monitoring::{MonitoringSnapshot, PoolStats, RunOutcome, WitnessState};

use super::{Exposition, Kind, CONTENT_TYPE};
use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// Compares the presented token with the configured one without leaking,
/// by timing, how much of it matched.
fn token_matches(presented: &str, configured: &str) -> bool {
    let (a, b) = (
        Sha256::digest(presented.as_bytes()),
        Sha256::digest(configured.as_bytes()),
    );
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether this request may scrape.
fn admit(state: &AppState, addr: ClientAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    if addr.0.is_loopback() {
        return Ok(());
    }
    let Some(configured) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::not_found("page"));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(t) if token_matches(t, configured) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "metrics_token_required",
            "metrics are served to this address only with the metrics token (Authorization: Bearer …)",
            "从此地址读取监控指标需要提供监控令牌（Authorization: Bearer …）",
        )
        .with_field("Authorization")),
    }
}

async fn scrape(State(state): State<AppState>, addr: ClientAddr, headers: HeaderMap) -> Response {
    if let Err(e) = admit(&state, addr, &headers) {
        let mut resp = e.into_response();
        if resp.status() == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return resp;
    }
    let mut e = Exposition::default();
    state.metrics.write_process_families(&mut e);
    let snapshot = state.store.monitoring_snapshot().await;
    if let Err(err) = &snapshot {
        tracing::warn!(error = %err, "metrics: the database did not answer");
    }
    e.single(
        "suyuan_database_up",
        Kind::Gauge,
        "1 when the database answered this scrape's queries, else 0.",
        if snapshot.is_ok() { 1.0 } else { 0.0 },
    );
    write_store(&mut e, snapshot.ok().as_ref());
    write_pool(&mut e, state.store.pool_stats(), state.store.backend_name());
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        e.finish(),
    )
        .into_response()
}

/// One witness's value of a per-witness family.
type WitnessValue<'a> = dyn Fn(&WitnessState) -> f64 + 'a;

fn now_seconds() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// The log, checkpoint, witnesses, integrity check and backup drill; the
/// families always, their samples when the database answered.
fn write_store(e: &mut Exposition, s: Option<&MonitoringSnapshot>) {
    e.optional(
        "suyuan_tlog_size",
        Kind::Gauge,
        "Leaves (recorded events) in the transparency log.",
        s.map(|s| s.log_size as f64),
    );
    let checkpoint = s.and_then(|s| s.checkpoint);
    e.optional(
        "suyuan_tlog_checkpoint_size",
        Kind::Gauge,
        "Size of the newest signed checkpoint.",
        checkpoint.map(|c| c.0 as f64),
    );
    e.optional(
        "suyuan_tlog_checkpoint_timestamp_seconds",
        Kind::Gauge,
        "When the newest checkpoint was signed, Unix seconds.",
        checkpoint.map(|c| c.1),
    );
    e.optional(
        "suyuan_tlog_checkpoint_age_seconds",
        Kind::Gauge,
        "Seconds since the newest checkpoint was signed.",
        checkpoint.map(|c| (now_seconds() - c.1).max(0.0)),
    );
    let witnesses = s.map(|s| s.witnesses.as_slice()).unwrap_or_default();
    let tree = checkpoint.map_or(0, |c| c.0);
    let per_witness: [(&str, &str, &WitnessValue); 3] = [
        (
            "suyuan_witness_lag",
            "Checkpoint size minus the size each configured witness last cosigned.",
            &|w| tree.saturating_sub(w.size) as f64,
        ),
        (
            "suyuan_witness_cosigned_size",
            "The size each configured witness last cosigned.",
            &|w| w.size as f64,
        ),
        (
            "suyuan_witness_failing",
            "1 when the last round with the witness failed, else 0.",
            &|w| f64::from(u8::from(w.failing)),
        ),
    ];
    for (name, help, value) in per_witness {
        e.family(name, Kind::Gauge, help);
        for w in witnesses {
            e.sample(name, &[("witness", w.name.as_str())], value(w));
        }
    }
    write_outcome(
        e,
        "suyuan_integrity_check_last",
        "integrity check of the transparency log",
        s.and_then(|s| s.integrity),
    );
    // Fed once backup drills are recorded (the store's snapshot reads them).
    write_outcome(
        e,
        "suyuan_backup_last_drill",
        "backup restore drill",
        s.and_then(|s| s.backup_drill),
    );
}

/// `PREFIX_timestamp_seconds` and `PREFIX_success` of a scheduled run.
fn write_outcome(e: &mut Exposition, prefix: &str, what: &str, run: Option<RunOutcome>) {
    e.optional(
        &format!("{prefix}_timestamp_seconds"),
        Kind::Gauge,
        &format!("When the last {what} ran, Unix seconds (absent: never)."),
        run.map(|r| r.at_seconds),
    );
    e.optional(
        &format!("{prefix}_success"),
        Kind::Gauge,
        &format!("1 when the last {what} passed, 0 when it failed (absent: never ran)."),
        run.map(|r| f64::from(u8::from(r.ok))),
    );
}

fn write_pool(e: &mut Exposition, p: PoolStats, backend: &str) {
    e.family(
        "suyuan_db_pool_connections",
        Kind::Gauge,
        "Database connections open now, by state (idle or busy).",
    );
    e.sample("suyuan_db_pool_connections", &[("state", "idle")], p.idle as f64);
    e.sample("suyuan_db_pool_connections", &[("state", "busy")], p.busy as f64);
    e.single(
        "suyuan_db_pool_max_connections",
        Kind::Gauge,
        "Database connections the pool may open at most.",
        p.max as f64,
    );
    e.family(
        "suyuan_build_info",
        Kind::Gauge,
        "The server's version and database backend (always 1).",
    );
    e.sample(
        "suyuan_build_info",
        &[("version", env!("CARGO_PKG_VERSION")), ("backend", backend)],
        1.0,
    );
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn tokens_compare_whole() {
        assert!(token_matches("s3cret-token", "s3cret-token"));
        assert!(!token_matches("s3cret-toke", "s3cret-token"));
        assert!(!token_matches("", "s3cret-token"));
    }
}
