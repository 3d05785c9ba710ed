//! The transparency log over HTTP (issue: tamper evidence).
//!
//! Public, for anyone who wants to check a record without trusting the
//! platform's database:
//! - `GET /tlog/checkpoint`: the latest signed checkpoint (a C2SP signed
//!   note, text/plain, with the witnesses' cosignatures so far); a new one
//!   is signed when the log grew;
//! - `GET /tlog/log-key`: the log's checkpoint key (C2SP vkey, text/plain);
//! - `GET /tlog/proof?event_id=…`: the offline proof bundle of an event
//!   (JSON, `suyuan-ledger` format): record hash, signature, signer key, leaf
//!   index, inclusion proof and checkpoint; `?record=<kind>:<id>` that of a
//!   master-data record (place, product, input, input_purchase);
//! - `GET /tlog/consistency?old=M&new=N`: a consistency proof;
//! - `GET /tlog/integrity`: the newest scheduled integrity check (JSON;
//!   `503` when it failed, so a monitor alerts on the status alone).
//!
//! Authenticated, for an organisation's signing keys:
//! - `GET /tlog/keys`: the organisation's keys, newest first;
//! - `POST /tlog/keys` `{"public_key": "ed25519:…"}`: register a key the
//!   organisation keeps itself (org admin); it then signs its events itself
//!   and sends the signatures with the capture (`suyuan:signatures`, see
//!   `suyuan_store::detached`);
//! - `POST /tlog/keys/rotate` (optional body `{"algorithm": "ed25519"|"sm2"}`,
//!   default `ed25519`): revoke the active keys, create a new platform-held
//!   key (org admin; `sm2` is SM2 with SM3);
//! - `POST /tlog/keys/{key_id}/revoke`: revoke one key (org admin).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, OptionalJson, ValidJson, ValidQuery};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tlog/checkpoint", get(checkpoint))
        .route("/tlog/log-key", get(log_key))
        .route("/tlog/proof", get(proof))
        .route("/tlog/consistency", get(consistency))
        .route("/tlog/integrity", get(integrity))
        .route("/tlog/keys", get(keys).post(register_key))
        .route("/tlog/keys/rotate", post(rotate_key))
        .route("/tlog/keys/{key_id}/revoke", post(revoke_key))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

async fn checkpoint(State(state): State<AppState>) -> ApiResult<Response> {
    let cp = state.store.checkpoint().await?;
    Ok(text(state.store.cosigned_note(&cp).await?))
}

async fn integrity(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(match state.store.latest_integrity_check().await? {
        Some(check) if check.ok => Json(check).into_response(),
        // The check itself, for a monitor: meant as it is, not a problem.
        Some(check) => {
            crate::error::deliberate((StatusCode::SERVICE_UNAVAILABLE, Json(check)).into_response())
        }
        None => Json(serde_json::json!({"checked": false})).into_response(),
    })
}

async fn log_key(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(text(format!("{}\n", state.store.log_vkey().await?)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofQuery {
    event_id: Option<String>,
    /// A master-data record, `<kind>:<id>`.
    record: Option<String>,
}

async fn proof(State(state): State<AppState>, ValidQuery(q): ValidQuery<ProofQuery>) -> ApiResult<Response> {
    let bundle = match (&q.event_id, &q.record) {
        (Some(event_id), None) => state.store.proof_bundle(event_id).await?,
        (None, Some(record)) => state.store.record_proof_bundle(record).await?,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "proof_query",
                "give exactly one of event_id and record",
                "请只提供 event_id 与 record 之一",
            )
            .with_field("event_id"))
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], bundle.to_json()).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

async fn consistency(
    State(state): State<AppState>,
    ValidQuery(q): ValidQuery<ConsistencyQuery>,
) -> ApiResult<Response> {
    Ok(Json(state.store.consistency_proof(q.old, q.new).await?).into_response())
}

async fn keys(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<Response> {
    Ok(Json(state.store.org_keys(&caller).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterKey {
    public_key: String,
}

async fn register_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(body): ValidJson<RegisterKey>,
) -> ApiResult<Response> {
    let key = state.store.register_org_key(&caller, &body.public_key).await?;
    Ok((StatusCode::CREATED, Json(key)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateKey {
    algorithm: Option<String>,
}

async fn rotate_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    OptionalJson(body): OptionalJson<RotateKey>,
) -> ApiResult<Response> {
    let key = state
        .store
        .rotate_org_key(&caller, body.algorithm.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(key)).into_response())
}

async fn revoke_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(key_id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(state.store.revoke_org_key(&caller, &key_id).await?).into_response())
}
