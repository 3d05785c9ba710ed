//! API keys for system-to-system use: created by a signed-in user (never by
//! another key, so no key outlives the revocation of the one that made it),
//! acting as that user, shown once, stored hashed, revocable by the user and
//! by its organisation's admin. Each key records the user who created it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use suyuan_core::fields::text;
use suyuan_core::model::{OrgStatus, Role};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{new_secret, operator_not_member, API_KEY_PREFIX};
use crate::access::Credential;
use crate::db::Row;
use crate::orgs::ts;
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// An API key as listed (the secret is never shown again).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    /// The user the key acts as.
    pub user_id: Uuid,
    /// The user who created it (absent for keys made before this was kept).
    pub created_by: Option<Uuid>,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A newly created API key, with its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewApiKeySecret {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

const KEY_COLUMNS: &str = "t.id, t.user_id, t.created_by, t.name, t.prefix, t.created_at, t.revoked_at";

fn decode_api_key(r: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.uuid("id")?,
        user_id: r.uuid("user_id")?,
        created_by: r.opt_uuid("created_by")?,
        name: r.text("name")?,
        prefix: r.text("prefix")?,
        created_at: ts(r.int("created_at")?),
        revoked_at: r.opt_int("revoked_at")?.map(ts),
    })
}

impl Store {
    /// Creates an API key acting as the caller. The secret is returned once.
    /// A caller that came with an API key may not make keys.
    pub async fn create_api_key(&self, caller: &Caller, name: &str) -> Result<NewApiKeySecret> {
        if let Credential::ApiKey(_) = caller.credential {
            return Err(StoreError::forbidden(
                "key_cannot_mint_keys",
                "an API key cannot create API keys; sign in as the user to create one",
                "API 密钥不能创建 API 密钥，请以用户身份登录后创建",
            ));
        }
        if caller.org_status == OrgStatus::Suspended {
            caller.require_recorder()?;
        }
        let name = field("name", text(name, 100))?;
        let (secret, hash) = new_secret(API_KEY_PREFIX);
        let id = new_id();
        let now = now_ms();
        let prefix: String = secret.chars().take(12).collect();
        self.db
            .conn()
            .execute(
                "INSERT INTO api_keys (id, user_id, org_id, name, prefix, key_hash, created_at, revoked_at, created_by) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,NULL,$8)",
                &params![
                    id,
                    caller.user_id,
                    caller.org_id,
                    name.clone(),
                    prefix.clone(),
                    hash,
                    now,
                    caller.user_id
                ],
            )
            .await?;
        tracing::info!(key_id = %id, user_id = %caller.user_id, "API key created");
        Ok(NewApiKeySecret {
            key: ApiKey {
                id,
                user_id: caller.user_id,
                created_by: Some(caller.user_id),
                name,
                prefix,
                created_at: ts(now),
                revoked_at: None,
            },
            secret,
        })
    }

    /// API keys of the caller's organisation (an admin sees all of them,
    /// others their own).
    pub async fn list_api_keys(&self, caller: &Caller, page: PageRequest) -> Result<Page<ApiKey>> {
        if caller.role == Role::OrgAdmin {
            self.page(
                &format!("SELECT {KEY_COLUMNS} FROM api_keys t WHERE t.org_id = $1"),
                params![caller.org_id].to_vec(),
                page,
                decode_api_key,
            )
            .await
        } else {
            self.page(
                &format!("SELECT {KEY_COLUMNS} FROM api_keys t WHERE t.user_id = $1"),
                params![caller.user_id].to_vec(),
                page,
                decode_api_key,
            )
            .await
        }
    }

    /// Revokes a key of the caller's (or, for an admin, of its organisation).
    /// The operator may not revoke another organisation's keys.
    pub async fn revoke_api_key(&self, caller: &Caller, id: Uuid) -> Result<()> {
        let is_admin = caller.role == Role::OrgAdmin;
        let changed = self
            .db
            .conn()
            .execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                 AND org_id = $3 AND (user_id = $4 OR $5)",
                &params![now_ms(), id, caller.org_id, caller.user_id, is_admin],
            )
            .await?;
        if changed == 0 {
            if caller.is_operator() {
                let elsewhere = self
                    .db
                    .conn()
                    .fetch_optional(
                        "SELECT id FROM api_keys WHERE id = $1 AND org_id <> $2",
                        &params![id, caller.org_id],
                    )
                    .await?;
                if elsewhere.is_some() {
                    return Err(operator_not_member());
                }
            }
            return Err(StoreError::NotFound { what: "API key" });
        }
        tracing::info!(key_id = %id, by = %caller.user_id, "API key revoked");
        Ok(())
    }
}
