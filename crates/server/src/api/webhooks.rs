//! The alert webhook of an organisation (issue 18): its admin sets the URL
//! (the signing secret is answered once, when the webhook is created or
//! the secret rotated), reads it, removes it, and follows each delivery
//! and its attempts. Only an admin of a verified organisation (not the
//! operator) is answered; another organisation's delivery is 404.
//!
//! Each delivery is a `POST` of `application/json` with
//! `Suyuan-Webhook-Id` (the delivery's id, the same on every retry: keep
//! each id once), `Suyuan-Webhook-Timestamp` (Unix seconds) and
//! `Suyuan-Webhook-Signature: v1=<hex>`, the HMAC-SHA256 with the secret
//! over `<timestamp>.<body>`. Refuse a timestamp more than 5 minutes from
//! your clock. Answer 2xx to take it; anything else is retried with an
//! exponential back-off (10 s doubling, at most an hour apart) until taken.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use suyuan_store::devices::webhooks::{Delivery, DeliveryDetail, Webhook, WebhookIn, WebhookSaved};
use suyuan_store::{Page, StoreError};

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, ListQuery, ValidJson, ValidQuery};
use crate::AppState;

/// Set the organisation's alert webhook (its admin). `url`: `https://` or
/// `http://`, no user name, no fragment (422 `webhook_url_scheme`,
/// `webhook_url`); a loopback, private or reserved address is refused
/// (422 `webhook_url_private`) unless the server allows private targets.
/// The answer carries the signing secret when the webhook is new or
/// `rotate_secret` is true: shown this once.
#[utoipa::path(put, path = "/alerts/webhook", tag = "devices", request_body = WebhookIn,
    responses((status = 200, body = WebhookSaved), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<WebhookIn>,
) -> ApiResult<Json<WebhookSaved>> {
    let allow = state.config.webhook_allow_private;
    Ok(Json(state.store.set_webhook(&caller, &req, allow).await?))
}

/// The organisation's alert webhook (its admin), with the count of
/// deliveries pending and delivered; 404 when none is set.
#[utoipa::path(get, path = "/alerts/webhook", tag = "devices",
    responses((status = 200, body = Webhook), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_webhook(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<Webhook>> {
    Ok(Json(
        state
            .store
            .get_webhook(&caller)
            .await?
            .ok_or(StoreError::NotFound { what: "webhook" })?,
    ))
}

/// Remove the organisation's alert webhook (its admin); deliveries still
/// pending are cancelled.
#[utoipa::path(delete, path = "/alerts/webhook", tag = "devices",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_webhook(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<StatusCode> {
    state.store.delete_webhook(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's webhook deliveries (its admin), oldest first:
/// status (`pending`, `delivered`, `cancelled`), attempts, last error,
/// next attempt.
#[utoipa::path(get, path = "/alerts/webhook/deliveries", tag = "devices", params(ListQuery),
    responses((status = 200, body = Page<Delivery>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    Ok(Json(
        state.store.list_webhook_deliveries(&caller, q.page()?).await?,
    ))
}

/// One delivery (its organisation's admin): the body sent and every
/// attempt with the receiver's status or the error.
#[utoipa::path(get, path = "/alerts/webhook/deliveries/{id}", tag = "devices", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = DeliveryDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_delivery(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<DeliveryDetail>> {
    Ok(Json(state.store.get_webhook_delivery(&caller, id).await?))
}
