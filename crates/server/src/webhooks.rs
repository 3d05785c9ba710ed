//! The sender of alert webhooks (issue 18): `suyuan serve` runs [`run`],
//! which every few seconds takes the deliveries due from the outbox
//! (`suyuan_store::devices::webhooks`), posts each to its organisation's
//! URL, signed (`suyuan_core::webhooks`: `Suyuan-Webhook-Id`,
//! `-Timestamp`, `-Signature`), and records the outcome. A 2xx answer
//! delivers it; anything else (no connection, a timeout, another status, a
//! redirect) is recorded and retried after an exponential back-off, for
//! as long as it takes: nothing is dropped.
//!
//! Before connecting, the URL's host is resolved and every address checked
//! ([`suyuan_core::webhooks::is_public`]) unless private targets are
//! allowed ([`WebhookSettings::allow_private`], off by default); the
//! connection goes to the address checked, so a name cannot be pointed at
//! the server's own network between the check and the request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use suyuan_core::webhooks::{
    backoff_ms, check_url, is_public, sign, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use suyuan_store::devices::webhooks::DueDelivery;
use suyuan_store::{now_ms, Store};

/// How the sender behaves.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether loopback, private and reserved addresses may be webhook
    /// targets (tests, an intranet); off by default.
    pub allow_private: bool,
    /// The first retry's delay; each further one doubles it.
    pub base_backoff: Duration,
    /// The longest delay between two attempts.
    pub max_backoff: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How long a sender holds a delivery it took (longer than `timeout`).
    pub lease: Duration,
    /// Deliveries taken per round.
    pub batch: i64,
    /// Certificates trusted for `https://` webhooks (the system's bundle).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            base_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch: 50,
            tls: None,
        }
    }
}

/// Where the system keeps its trusted certificates (Debian, Ubuntu,
/// Alpine; Fedora, RHEL).
pub const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// A TLS client configuration trusting the system's certificates, when a
/// bundle is found.
pub fn system_tls() -> Option<Arc<rustls::ClientConfig>> {
    SYSTEM_CA_BUNDLES
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .and_then(|pem| crate::tls::client_config(&pem, None).ok())
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: u64,
    pub failed: u64,
}

/// Takes and sends the deliveries due now: one organisation's in order,
/// different organisations' side by side (a slow receiver holds up only
/// its own).
pub async fn deliver_round(store: &Store, settings: &WebhookSettings) -> Result<Round, String> {
    let due = store
        .due_webhook_deliveries(now_ms(), settings.batch)
        .await
        .map_err(|e| e.to_string())?;
    let mut by_org: std::collections::BTreeMap<uuid::Uuid, Vec<DueDelivery>> = Default::default();
    for d in due {
        by_org.entry(d.org_id).or_default().push(d);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (_, deliveries) in by_org {
        let (store, settings) = (store.clone(), settings.clone());
        tasks.spawn(async move {
            let mut round = Round::default();
            for d in deliveries {
                match deliver_one(&store, &settings, &d).await? {
                    Some(true) => round.delivered += 1,
                    Some(false) => round.failed += 1,
                    None => {}
                }
            }
            Ok::<_, String>(round)
        });
    }
    let mut round = Round::default();
    while let Some(done) = tasks.join_next().await {
        let r = done.map_err(|e| e.to_string())??;
        round.delivered += r.delivered;
        round.failed += r.failed;
    }
    Ok(round)
}

/// Claims, sends and records one delivery: `Some(true)` delivered,
/// `Some(false)` failed (due again after the back-off), `None` taken by
/// another server.
async fn deliver_one(
    store: &Store,
    settings: &WebhookSettings,
    d: &DueDelivery,
) -> Result<Option<bool>, String> {
    let lease = now_ms() + settings.lease.as_millis() as i64;
    if !store
        .claim_webhook_delivery(d, lease)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(None);
    }
    let outcome = send(d, settings).await;
    let at = now_ms();
    let (status, error) = match &outcome {
        Ok(s) if (200..300).contains(s) => (Some(*s), None),
        Ok(s) => (Some(*s), Some(format!("the receiver answered {s}"))),
        Err(e) => (None, Some(e.clone())),
    };
    let attempts = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
    let retry_at = at
        + backoff_ms(
            attempts,
            settings.base_backoff.as_millis() as i64,
            settings.max_backoff.as_millis() as i64,
        );
    store
        .record_webhook_attempt(d, at, status, error.as_deref(), retry_at)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(e) = &error {
        tracing::warn!(delivery = %d.id, org = %d.org_id, attempt = attempts, error = %e, "webhook not delivered");
    }
    Ok(Some(error.is_none()))
}

/// Posts one delivery; answers the receiver's status.
async fn send(d: &DueDelivery, settings: &WebhookSettings) -> Result<u16, String> {
    let url = check_url(&d.url, settings.allow_private).map_err(|e| e.en)?;
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        settings.timeout,
        tokio::net::lookup_host((url.host.as_str(), url.port)),
    )
    .await
    .map_err(|_| format!("{} did not resolve in time", url.host))?
    .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
    .collect();
    // Every address the name has must be allowed: a name with one public
    // and one private address is refused.
    if !settings.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(format!(
            "{} resolves to a loopback, private or reserved address",
            url.host
        ));
    }
    let addr = addrs
        .first()
        .ok_or_else(|| format!("{} has no address", url.host))?;
    let tls = match (url.https, &settings.tls) {
        (false, _) => None,
        (true, Some(t)) => Some(t),
        (true, None) => return Err("no trusted certificates to reach an https:// webhook".into()),
    };
    let timestamp = now_ms() / 1000;
    let body = d.payload.as_bytes();
    let connect = addr.to_string();
    let (status, _) = crate::outbound::post(&crate::outbound::Post {
        connect: &connect,
        authority: &url.authority(),
        host: &url.host,
        tls,
        path: &url.path,
        content_type: "application/json",
        headers: &[
            (ID_HEADER, d.id.to_string()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, sign(&d.secret, timestamp, body)),
            ("User-Agent", "suyuan-webhooks/1".to_owned()),
        ],
        body,
        timeout: settings.timeout,
    })
    .await?;
    Ok(status)
}

/// Every couple of seconds, a round; errors are logged and the loop goes
/// on (a database that is briefly away does not stop the sender).
pub async fn run(store: Store, settings: WebhookSettings) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = deliver_round(&store, &settings).await {
            tracing::error!(error = %e, "the webhook sender could not run");
        }
    }
}
