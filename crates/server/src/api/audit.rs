//! Reading the audit trail and the block list:
//! `GET /audit` for an organisation's admin (its own organisation's
//! records) and the platform operator (all, or one organisation's);
//! `GET /security/blocks` and `DELETE /security/blocks/{id}` for the
//! operator. Everyone else is refused (403).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use suyuan_store::audit::{AuditEvent, AuditFilter, Block};
use suyuan_store::{Page, PageRequest};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Id, ValidQuery};
use crate::AppState;

/// Filters of the audit trail; all optional, combined with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub after: Option<Uuid>,
    /// The operator only: one organisation's records.
    pub org_id: Option<Uuid>,
    /// One user's records.
    pub user_id: Option<Uuid>,
    /// An action: `sign_in`, `user_change`, `api_key_create`,
    /// `detect.path_scanning`, or a method and route (`GET /api/v1/places`).
    pub action: Option<String>,
    /// A prefix of the resource (a route with record ids).
    pub resource: Option<String>,
    /// `ok`, `denied`, `forbidden`, `not_found`, `invalid`, `conflict`,
    /// `rate_limited`, `blocked`, `error` or `refused`.
    pub outcome: Option<String>,
    /// From this time on (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

impl AuditQuery {
    /// The store's filter, and the page.
    pub fn filter(&self) -> Result<(AuditFilter, PageRequest), ApiError> {
        let page = crate::extract::ListQuery {
            limit: self.limit,
            after: self.after,
            org_id: None,
        }
        .page()?;
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if f > t {
                // A rule across parameters (no schema states it): 422.
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "time_range",
                    "from must not be after to",
                    "起始时间不能晚于结束时间",
                )
                .with_field("from"));
            }
        }
        let text = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok((
            AuditFilter {
                user_id: self.user_id,
                org_id: self.org_id,
                action: text(&self.action),
                resource: text(&self.resource),
                outcome: text(&self.outcome),
                from: self.from.map(|t| t.timestamp_millis()),
                to: self.to.map(|t| t.timestamp_millis()),
            },
            page,
        ))
    }
}

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub action: String,
    /// The route with record ids; never a query string or body.
    pub resource: String,
    pub outcome: String,
    pub status: i64,
    /// The answer's stable problem code, or the attack detected.
    pub code: Option<String>,
    /// The client's address (an IPv6 client's /64 network).
    pub client: String,
}

pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl From<AuditEvent> for AuditEntry {
    fn from(e: AuditEvent) -> Self {
        AuditEntry {
            id: e.id,
            at: time(e.at),
            user_id: e.user_id,
            org_id: e.org_id,
            action: e.action,
            resource: e.resource,
            outcome: e.outcome,
            status: e.status,
            code: e.code,
            client: e.client,
        }
    }
}

/// The audit trail, newest first: an organisation's admin reads its own
/// organisation's records, the platform operator all (or one
/// organisation's with `org_id`); anyone else is refused (403
/// `audit_forbidden`).
#[utoipa::path(get, path = "/audit", tag = "security", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let (filter, page) = q.filter()?;
    // What this server queued so far is stored before it is read.
    state.audit.flush_within(Duration::from_secs(2)).await;
    let p = state.store.audit_events(&caller, &filter, page).await?;
    Ok(Json(Page {
        items: p.items.into_iter().map(AuditEntry::from).collect(),
        next_cursor: p.next_cursor,
    }))
}

/// A blocked client.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockEntry {
    pub id: Uuid,
    pub client: String,
    /// The attack detected: `credential_stuffing`, `path_scanning`,
    /// `injection_probe` or `malformed_flood`.
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// When the operator lifted it.
    pub lifted_at: Option<DateTime<Utc>>,
    /// In force now.
    pub active: bool,
}

impl From<Block> for BlockEntry {
    fn from(b: Block) -> Self {
        let now = suyuan_store::now_ms();
        BlockEntry {
            active: b.lifted_at.is_none() && b.until_at > now,
            id: b.id,
            client: b.client,
            reason: b.reason,
            created_at: time(b.created_at),
            until: time(b.until_at),
            lifted_at: b.lifted_at.map(time),
        }
    }
}

/// The block list (the operator only): blocks in force and those of the
/// last 30 days, newest first.
#[utoipa::path(get, path = "/security/blocks", tag = "security",
    responses((status = 200, body = Vec<BlockEntry>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_blocks(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<BlockEntry>>> {
    let blocks = state.store.list_blocks(&caller, suyuan_store::now_ms()).await?;
    Ok(Json(blocks.into_iter().map(BlockEntry::from).collect()))
}

/// Lift a block (the operator only): the client is served again at once by
/// this server, and by the others within their cache time.
#[utoipa::path(delete, path = "/security/blocks/{id}", tag = "security", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn lift_block(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let b = state.store.lift_block(&caller, id).await?;
    state.guard.unblocked(b.id);
    Ok(StatusCode::NO_CONTENT)
}
