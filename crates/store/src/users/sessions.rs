//! Sessions and the callers behind secrets: what a sign-in needs, opening
//! and closing sessions, resolving a session token or API key to its
//! caller, and an admin's view of a user's sessions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use suyuan_core::model::{OrgKind, OrgStatus, Role};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{hash_secret, new_secret, API_KEY_PREFIX, SESSION_MS, SESSION_PREFIX};
use crate::access::Credential;
use crate::db::Row;
use crate::orgs::ts;
use crate::{now_ms, params, Caller, Result, Store, StoreError};

/// What a sign-in needs from the store.
pub struct LoginRecord {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub password_hash: String,
    pub disabled: bool,
}

/// A new session's token, shown once.
pub struct SessionToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A session as an admin sees it (never its token).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfo {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The most sessions listed for one user.
const MAX_LISTED_SESSIONS: i64 = 200;

pub(crate) fn decode_caller(r: &Row, credential: Credential) -> Result<Caller> {
    let corrupt = |e: Invalid| StoreError::Corrupt(e.en);
    Ok(Caller {
        user_id: r.uuid("user_id")?,
        username: r.text("username")?,
        org_id: r.uuid("org_id")?,
        org_kind: OrgKind::parse(&r.text("kind")?).map_err(corrupt)?,
        org_status: OrgStatus::parse(&r.text("status")?).map_err(corrupt)?,
        role: Role::parse(&r.text("role")?).map_err(corrupt)?,
        jurisdiction: r.opt_text("jurisdiction")?,
        credential,
    })
}

impl Store {
    /// What a sign-in needs: the hash and whether the user is disabled.
    pub async fn login_record(&self, username: &str) -> Result<Option<LoginRecord>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT id, org_id, password_hash, disabled FROM users WHERE username = $1",
                &params![username],
            )
            .await?;
        row.map(|r| {
            Ok(LoginRecord {
                user_id: r.uuid("id")?,
                org_id: r.uuid("org_id")?,
                password_hash: r.text("password_hash")?,
                disabled: r.bool("disabled")?,
            })
        })
        .transpose()
    }

    /// A successful sign-in: opens a session.
    pub async fn open_session(&self, user_id: Uuid) -> Result<SessionToken> {
        let now = now_ms();
        let (token, hash) = new_secret(SESSION_PREFIX);
        let mut tx = self.db.begin().await?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND expires_at < $2",
            &params![user_id, now],
        )
        .await?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)",
            &params![hash, user_id, now, now + SESSION_MS],
        )
        .await?;
        tx.commit().await?;
        Ok(SessionToken {
            token,
            expires_at: ts(now + SESSION_MS),
        })
    }

    pub async fn close_session(&self, token: &str) -> Result<()> {
        self.db
            .conn()
            .execute(
                "DELETE FROM sessions WHERE token_hash = $1",
                &params![hash_secret(token)],
            )
            .await?;
        Ok(())
    }

    /// Resolves a session token or an API key to the caller it stands for.
    /// Unknown, expired, revoked, disabled: `None`.
    pub async fn caller_for_secret(&self, secret: &str) -> Result<Option<Caller>> {
        let hash = hash_secret(secret);
        let now = now_ms();
        let sql = if secret.starts_with(API_KEY_PREFIX) {
            "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status, \
             k.id AS key_id FROM api_keys k JOIN users u ON u.id = k.user_id JOIN organisations o ON o.id = u.org_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.disabled = FALSE AND $2 = $2"
        } else if secret.starts_with(SESSION_PREFIX) {
            "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE"
        } else {
            return Ok(None);
        };
        let is_key = secret.starts_with(API_KEY_PREFIX);
        let row = self.db.conn().fetch_optional(sql, &params![hash, now]).await?;
        row.map(|r| {
            let credential = if is_key {
                Credential::ApiKey(r.uuid("key_id")?)
            } else {
                Credential::Session
            };
            decode_caller(&r, credential)
        })
        .transpose()
    }

    /// The caller for a username (the CLI acts as a named user).
    pub async fn caller_for_username(&self, username: &str) -> Result<Option<Caller>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status \
                 FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.username = $1",
                &params![username],
            )
            .await?;
        row.map(|r| decode_caller(&r, Credential::Cli)).transpose()
    }

    /// The open sessions of a user (the user itself, or its organisation's
    /// admin), newest first; never their tokens.
    pub async fn list_sessions(&self, caller: &Caller, user_id: Uuid) -> Result<Vec<SessionInfo>> {
        let user = self.administered_user(caller, user_id, true).await?;
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT created_at, expires_at FROM sessions WHERE user_id = $1 AND expires_at > $2 \
                     ORDER BY created_at DESC LIMIT {MAX_LISTED_SESSIONS}"
                ),
                &params![user.id, now_ms()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionInfo {
                    created_at: ts(r.int("created_at")?),
                    expires_at: ts(r.int("expires_at")?),
                })
            })
            .collect()
    }

    /// Ends every session of a user (the user itself, or its organisation's
    /// admin). Returns how many were open.
    pub async fn end_sessions(&self, caller: &Caller, user_id: Uuid) -> Result<u64> {
        let user = self.administered_user(caller, user_id, true).await?;
        let ended = self
            .db
            .conn()
            .execute("DELETE FROM sessions WHERE user_id = $1", &params![user.id])
            .await?;
        tracing::info!(user_id = %user.id, by = %caller.user_id, ended, "sessions ended");
        Ok(ended)
    }
}
