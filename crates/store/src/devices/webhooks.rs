//! Alert webhooks (issue 18, R-5.3.2.1): an organisation's admin names
//! one URL that the alerts of its devices are sent to; the platform signs
//! every delivery (`suyuan_core::webhooks`) and keeps trying until the
//! receiver takes it.
//!
//! - `webhooks`: the URL and the signing secret (`whsec_…`, shown once
//!   when the webhook is created or its secret rotated; kept sealed with
//!   the platform secret, because the server must sign with it);
//! - `webhook_deliveries`: a durable outbox. The periodic check
//!   ([`Store::check_devices`]) writes one row per alert raised or ended,
//!   in the transaction that raises or ends it, for an organisation with a
//!   webhook; the row holds the exact body sent. `event_key` (device, kind,
//!   start, what happened) is unique per organisation, so a check run
//!   twice, or by two servers at once, queues an alert event once;
//! - `webhook_attempts`: every attempt, with the HTTP status or the error.
//!
//! A sender (`suyuan_server::webhooks`, run by `suyuan serve`) takes due
//! rows with a lease ([`Store::claim_webhook_delivery`]: the row's
//! `next_attempt_at` moved ahead, conditionally, so one server sends it),
//! posts, and records the outcome: delivered on a 2xx answer, otherwise
//! due again after the back-off. Rows survive restarts, and a delivery
//! interrupted between sending and recording is sent again with the same
//! id once the lease ends: at least once, with a delivery id the receiver
//! keeps to take each one exactly once. Removing the webhook cancels what
//! is still pending.
//!
//! Only the organisation's admin (of a verified organisation, not the
//! operator) configures the webhook and reads its deliveries; another
//! organisation's delivery reads as not found.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::webhooks::{check_url, SECRET_PREFIX};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::orgs::ts;
use crate::users::new_secret;
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// A webhook as configured by its admin.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// `https://…` (or `http://…`): where the alerts are posted.
    pub url: String,
    /// Make a new signing secret (answered once); the old one stops working.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// An organisation's webhook.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Webhook {
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Deliveries not yet taken by the receiver.
    pub pending: i64,
    pub delivered: i64,
}

/// The webhook as saved; `secret` only when it was created or rotated
/// (shown this once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookSaved {
    pub url: String,
    /// The signing secret: verify `Suyuan-Webhook-Signature` with it.
    pub secret: Option<String>,
}

/// One notification to deliver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    /// Sent as `Suyuan-Webhook-Id`, the same on every retry.
    pub id: Uuid,
    /// `alert.raised` or `alert.ended`.
    pub event: String,
    /// The alert and what happened to it: `device:kind:start(ms):event`.
    pub event_key: String,
    /// `pending`, `delivered` or `cancelled`.
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One attempt to deliver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub url: String,
    /// The receiver's HTTP status, when it answered.
    pub http_status: Option<i64>,
    pub error: Option<String>,
}

/// A delivery with its body and its attempts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The body posted (the same bytes on every attempt).
    pub payload: serde_json::Value,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// A delivery due, for the sender.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    /// The `next_attempt_at` seen, to claim it with.
    pub due_at: i64,
}

/// An alert event to notify: what the periodic check raised or ended.
#[derive(Debug, Clone)]
pub(crate) struct AlertNote<'a> {
    pub org_id: &'a str,
    pub device_id: &'a str,
    pub device_name: &'a str,
    pub kind: &'a str,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub extreme: Option<f64>,
    /// Raised (false) or ended (true).
    pub ended: bool,
}

const DELIVERY_COLUMNS: &str =
    "t.id, t.event, t.event_key, t.status, t.attempts, t.next_attempt_at, t.last_error, \
     t.delivered_at, t.created_at";

fn decode_delivery(r: &Row) -> Result<Delivery> {
    let status = r.text("status")?;
    Ok(Delivery {
        id: r.uuid("id")?,
        event: r.text("event")?,
        event_key: r.text("event_key")?,
        next_attempt_at: (status == "pending")
            .then(|| r.int("next_attempt_at").map(ts))
            .transpose()?,
        status,
        attempts: r.int("attempts")?,
        last_error: r.opt_text("last_error")?,
        delivered_at: r.opt_int("delivered_at")?.map(ts),
        created_at: ts(r.int("created_at")?),
    })
}

fn rfc3339(ms: i64) -> String {
    ts(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Who configures webhooks: an admin of a verified organisation that is
/// not the operator.
fn require_webhook_admin(caller: &Caller) -> Result<()> {
    caller.require_verified_recorder()?;
    caller.require_org_admin()
}

impl Store {
    /// Creates or changes the caller's organisation's webhook. A new
    /// webhook, or `rotate_secret`, makes a new secret, answered once.
    /// `allow_private`: whether loopback and private addresses are allowed
    /// (the server's configuration).
    pub async fn set_webhook(
        &self,
        caller: &Caller,
        new: &WebhookIn,
        allow_private: bool,
    ) -> Result<WebhookSaved> {
        require_webhook_admin(caller)?;
        field("url", check_url(&new.url, allow_private))?;
        let url_text = new.url.trim().to_owned();
        let now = now_ms();
        let existing = self
            .db
            .conn()
            .fetch_optional(
                "SELECT org_id FROM webhooks WHERE org_id = $1",
                &params![caller.org_id],
            )
            .await?;
        let secret = (existing.is_none() || new.rotate_secret).then(|| new_secret(SECRET_PREFIX).0);
        let mut tx = self.db.begin().await?;
        match (&existing, &secret) {
            (None, Some(s)) => {
                tx.execute(
                    "INSERT INTO webhooks (org_id, url, secret_cipher, created_by, created_at, updated_at) \
                     VALUES ($1,$2,$3,$4,$5,$5)",
                    &params![
                        caller.org_id,
                        url_text.clone(),
                        self.cipher.encrypt(s)?,
                        caller.user_id,
                        now
                    ],
                )
                .await?;
            }
            (_, Some(s)) => {
                tx.execute(
                    "UPDATE webhooks SET url = $1, secret_cipher = $2, updated_at = $3 WHERE org_id = $4",
                    &params![url_text.clone(), self.cipher.encrypt(s)?, now, caller.org_id],
                )
                .await?;
            }
            (_, None) => {
                tx.execute(
                    "UPDATE webhooks SET url = $1, updated_at = $2 WHERE org_id = $3",
                    &params![url_text.clone(), now, caller.org_id],
                )
                .await?;
            }
        }
        tx.commit().await?;
        tracing::info!(org = %caller.org_id, rotated = secret.is_some(), "webhook configured");
        Ok(WebhookSaved {
            url: url_text,
            secret,
        })
    }

    /// The caller's organisation's webhook, if it has one.
    pub async fn get_webhook(&self, caller: &Caller) -> Result<Option<Webhook>> {
        require_webhook_admin(caller)?;
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT w.url, w.created_at, w.updated_at, \
                 (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.org_id = w.org_id AND d.status = 'pending') AS pending, \
                 (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.org_id = w.org_id AND d.status = 'delivered') AS delivered \
                 FROM webhooks w WHERE w.org_id = $1",
                &params![caller.org_id],
            )
            .await?;
        row.map(|r| {
            Ok(Webhook {
                url: r.text("url")?,
                created_at: ts(r.int("created_at")?),
                updated_at: ts(r.int("updated_at")?),
                pending: r.int("pending")?,
                delivered: r.int("delivered")?,
            })
        })
        .transpose()
    }

    /// Removes the caller's organisation's webhook; its pending deliveries
    /// are cancelled. Not found when there is none.
    pub async fn delete_webhook(&self, caller: &Caller) -> Result<()> {
        require_webhook_admin(caller)?;
        let mut tx = self.db.begin().await?;
        let n = tx
            .execute("DELETE FROM webhooks WHERE org_id = $1", &params![caller.org_id])
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "webhook" });
        }
        tx.execute(
            "UPDATE webhook_deliveries SET status = 'cancelled' WHERE org_id = $1 AND status = 'pending'",
            &params![caller.org_id],
        )
        .await?;
        tx.commit().await
    }

    /// The caller's organisation's deliveries, oldest first.
    pub async fn list_webhook_deliveries(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<Delivery>> {
        require_webhook_admin(caller)?;
        self.page(
            &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries t WHERE t.org_id = $1"),
            vec![caller.org_id.into()],
            page,
            decode_delivery,
        )
        .await
    }

    /// The latest `n` deliveries of the caller's organisation, newest first
    /// (the console).
    pub async fn recent_webhook_deliveries(&self, caller: &Caller, n: i64) -> Result<Vec<Delivery>> {
        require_webhook_admin(caller)?;
        self.db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries t WHERE t.org_id = $1 \
                     ORDER BY t.id DESC LIMIT $2"
                ),
                &params![caller.org_id, n],
            )
            .await?
            .iter()
            .map(decode_delivery)
            .collect()
    }

    /// One delivery of the caller's organisation with its body and attempts.
    pub async fn get_webhook_delivery(&self, caller: &Caller, id: Uuid) -> Result<DeliveryDetail> {
        require_webhook_admin(caller)?;
        let mut conn = self.db.conn();
        let row = conn
            .fetch_optional(
                &format!(
                    "SELECT {DELIVERY_COLUMNS}, t.payload FROM webhook_deliveries t WHERE t.id = $1 AND t.org_id = $2"
                ),
                &params![id, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "delivery" })?;
        let attempts = conn
            .fetch_all(
                "SELECT attempt, at, url, http_status, error FROM webhook_attempts WHERE delivery_id = $1 \
                 ORDER BY attempt",
                &params![id],
            )
            .await?;
        Ok(DeliveryDetail {
            delivery: decode_delivery(&row)?,
            payload: serde_json::from_str(&row.text("payload")?)
                .map_err(|_| StoreError::Corrupt("a webhook payload is not JSON".into()))?,
            attempt_log: attempts
                .iter()
                .map(|a| {
                    Ok(DeliveryAttempt {
                        attempt: a.int("attempt")?,
                        at: ts(a.int("at")?),
                        url: a.text("url")?,
                        http_status: a.opt_int("http_status")?,
                        error: a.opt_text("error")?,
                    })
                })
                .collect::<Result<_>>()?,
        })
    }

    /// The organisations with a webhook (read by the check in its
    /// transaction, to queue only what has somewhere to go).
    pub(crate) async fn webhook_orgs(tx: &mut Tx) -> Result<std::collections::HashSet<String>> {
        tx.fetch_all("SELECT org_id FROM webhooks", &[])
            .await?
            .iter()
            .map(|r| r.text("org_id"))
            .collect()
    }

    /// Queues the notification of an alert event, in the check's
    /// transaction, due at once; once per event (a repeat does nothing).
    pub(crate) async fn queue_alert_note(tx: &mut Tx, note: &AlertNote<'_>) -> Result<()> {
        let now = now_ms();
        let event = if note.ended { "alert.ended" } else { "alert.raised" };
        let key = format!(
            "{}:{}:{}:{}",
            note.device_id,
            note.kind,
            note.started_at,
            if note.ended { "ended" } else { "raised" }
        );
        let id = new_id();
        let until = note.ended_at;
        let body = serde_json::json!({
            "id": id,
            "event": event,
            "created_at": rfc3339(now),
            "organisation": note.org_id,
            "alert": {
                "key": format!("{}:{}:{}", note.device_id, note.kind, note.started_at),
                "kind": note.kind,
                "device_id": note.device_id,
                "device_name": note.device_name,
                "started_at": rfc3339(note.started_at),
                "ended_at": until.map(rfc3339),
                "minutes": until.map(|u| (u - note.started_at).max(0) / 60_000),
                "extreme": note.extreme,
            },
        });
        tx.execute(
            "INSERT INTO webhook_deliveries (id, org_id, event_key, event, payload, status, attempts, next_attempt_at, \
             created_at) VALUES ($1,$2,$3,$4,$5,'pending',0,$6,$6) ON CONFLICT DO NOTHING",
            &params![id, note.org_id, key, event, body.to_string(), now],
        )
        .await?;
        Ok(())
    }

    /// Deliveries due at `now` whose organisation has a webhook, oldest
    /// due first, at most `limit`.
    pub async fn due_webhook_deliveries(&self, now: i64, limit: i64) -> Result<Vec<DueDelivery>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT d.id, d.org_id, d.payload, d.attempts, d.next_attempt_at, w.url, w.secret_cipher \
                 FROM webhook_deliveries d JOIN webhooks w ON w.org_id = d.org_id \
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at, d.id LIMIT $2",
                &params![now, limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DueDelivery {
                    id: r.uuid("id")?,
                    org_id: r.uuid("org_id")?,
                    url: r.text("url")?,
                    secret: self.cipher.decrypt(&r.text("secret_cipher")?)?,
                    payload: r.text("payload")?,
                    attempts: r.int("attempts")?,
                    due_at: r.int("next_attempt_at")?,
                })
            })
            .collect()
    }

    /// Takes a due delivery until `lease_until` (ms): true when this caller
    /// got it (no other sender took it since it was read).
    pub async fn claim_webhook_delivery(&self, d: &DueDelivery, lease_until: i64) -> Result<bool> {
        let n = self
            .db
            .conn()
            .execute(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
                &params![lease_until, d.id, d.due_at],
            )
            .await?;
        Ok(n == 1)
    }

    /// Records an attempt: `status` the receiver's HTTP status (when it
    /// answered), `error` why it failed (none on a 2xx answer). A failure
    /// is due again at `retry_at`.
    pub async fn record_webhook_attempt(
        &self,
        d: &DueDelivery,
        at: i64,
        status: Option<u16>,
        error: Option<&str>,
        retry_at: i64,
    ) -> Result<()> {
        let attempt = d.attempts + 1;
        let error: Option<String> = error.map(|e| e.chars().take(500).collect());
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, url, http_status, error) VALUES ($1,$2,$3,$4,$5,$6)",
            &params![d.id, attempt, at, d.url.clone(), status.map(i64::from), error.clone()],
        )
        .await?;
        if error.is_none() {
            tx.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = $1, delivered_at = $2, last_error = NULL \
                 WHERE id = $3",
                &params![attempt, at, d.id],
            )
            .await?;
        } else {
            tx.execute(
                "UPDATE webhook_deliveries SET attempts = $1, last_error = $2, next_attempt_at = $3 \
                 WHERE id = $4 AND status = 'pending'",
                &params![attempt, error, retry_at, d.id],
            )
            .await?;
        }
        tx.commit().await
    }
}
