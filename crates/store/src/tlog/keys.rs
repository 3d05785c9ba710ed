//! Organisation keys: the public keys an organisation signs its records
//! with, in `org_keys`. A platform-held key's private half is kept encrypted
//! with the store's cipher; an external key (a UKey) is registered by its
//! public half only. Ensure (create on first use), register, rotate and
//! revoke, and `Store::signing_key`, the key capture signs with.

use serde::Serialize;
use suyuan_core::Invalid;
use suyuan_ledger::keys::{KeyAlgorithm, SigningKey, VerifyingKey};
use uuid::Uuid;

use super::{corrupt, ms_to_rfc3339};
use crate::db::{Row, Tx};
use crate::row_states::Tracked;
use crate::{now_ms, params, Caller, Result, Store, StoreError};

/// One of an organisation's public keys.
#[derive(Debug, Clone, Serialize)]
pub struct OrgKey {
    /// The key's fingerprint, hex: SHA-256 of `public_key`.
    pub key_id: String,
    pub org_id: Uuid,
    pub algorithm: String,
    /// `ed25519:<base64>` or `sm2:<hex>`.
    pub public_key: String,
    /// True when the platform holds the private key (and signs with it).
    pub platform_held: bool,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl OrgKey {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(OrgKey {
            key_id: r.text("key_id")?,
            org_id: r.uuid("org_id")?,
            algorithm: r.text("algorithm")?,
            public_key: r.text("public_key")?,
            platform_held: r.opt_text("private_key_cipher")?.is_some(),
            created_at: ms_to_rfc3339(r.int("created_at")?),
            revoked_at: r.opt_int("revoked_at")?.map(ms_to_rfc3339),
        })
    }
}

/// Creates a platform-held key of `algorithm` for `org_id`.
async fn insert_platform_key(
    store: &Store,
    tx: &mut Tx,
    org_id: Uuid,
    algorithm: KeyAlgorithm,
) -> Result<(SigningKey, Row)> {
    let key = SigningKey::generate(algorithm, &mut rand::rngs::OsRng).map_err(corrupt)?;
    let public = key.verifying_key();
    let key_id = public.fingerprint().to_hex();
    let sealed = store.cipher.encrypt(&key.to_secret_string())?;
    tx.execute(
        "INSERT INTO org_keys (key_id, org_id, algorithm, public_key, private_key_cipher, created_at, revoked_at) \
         VALUES ($1,$2,$3,$4,$5,$6,NULL)",
        &params![
            key_id.as_str(),
            org_id,
            public.algorithm().name(),
            public.to_string(),
            sealed,
            now_ms()
        ],
    )
    .await?;
    // Logged like every key, and signed by itself: the key that would
    // otherwise sign may be this one.
    let (state, _) =
        crate::row_states::insert_row_state(tx, Tracked::OrgKeys, &key_id, "created", None).await?;
    store
        .log_record_with(
            tx,
            org_id,
            crate::master_log::RecordKind::RowState,
            state,
            &key,
            &key_id,
        )
        .await?;
    let row = tx
        .fetch_optional(
            "SELECT * FROM org_keys WHERE key_id = $1",
            &params![key_id.as_str()],
        )
        .await?
        .ok_or(StoreError::NotFound { what: "key" })?;
    Ok((key, row))
}

impl Store {
    /// Makes sure the organisation has a signing key (a platform-held one
    /// is made, and its state logged, when it has none), as its first
    /// record would.
    pub async fn ensure_signing_key(&self, org_id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        self.signing_key(&mut tx, org_id).await?;
        tx.commit().await
    }

    /// The organisation's active platform-held signing key, created on first
    /// use. Refused when the organisation keeps its own (external) key and
    /// the platform holds none.
    pub(crate) async fn signing_key(&self, tx: &mut Tx, org_id: Uuid) -> Result<(SigningKey, Row)> {
        let rows = tx
            .fetch_all(
                "SELECT * FROM org_keys WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
                &params![org_id],
            )
            .await?;
        if let Some(row) = rows
            .iter()
            .find(|r| matches!(r.opt_text("private_key_cipher"), Ok(Some(_))))
        {
            let secret = self.cipher.decrypt(&row.text("private_key_cipher")?)?;
            let key = SigningKey::from_secret_string(&secret).map_err(corrupt)?;
            return Ok((key, row.clone()));
        }
        if !rows.is_empty() {
            return Err(StoreError::forbidden(
                "org_key_external",
                "your organisation signs with its own key, which the platform does not hold; send your signature with each record, or rotate to a platform-held key",
                "贵机构使用自持密钥签名，平台不持有该私钥；请随每条记录提交签名，或轮换为平台托管密钥",
            ));
        }
        insert_platform_key(self, tx, org_id, KeyAlgorithm::Ed25519).await
    }

    /// The organisation's active platform-held key, created (Ed25519) on first use.
    pub async fn ensure_org_key(&self, org_id: Uuid) -> Result<OrgKey> {
        let mut tx = self.db.begin().await?;
        let (_, row) = self.signing_key(&mut tx, org_id).await?;
        tx.commit().await?;
        OrgKey::from_row(&row)
    }

    /// Every key of the caller's organisation, newest first.
    pub async fn org_keys(&self, caller: &Caller) -> Result<Vec<OrgKey>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT * FROM org_keys WHERE org_id = $1 ORDER BY created_at DESC, key_id",
                &params![caller.org_id],
            )
            .await?;
        rows.iter().map(OrgKey::from_row).collect()
    }

    /// Registers a public key the organisation keeps itself (e.g. on a UKey):
    /// `ed25519:<base64>` or `sm2:<hex>`. Organisation admins only.
    pub async fn register_org_key(&self, caller: &Caller, public_key: &str) -> Result<OrgKey> {
        caller.require_org_admin()?;
        // Keys sign what others rely on: verified organisations only.
        caller.require_verified_recorder()?;
        let key = VerifyingKey::parse(public_key.trim()).map_err(|e| {
            StoreError::invalid(
                "public_key",
                Invalid::new(
                    "public_key_invalid",
                    format!("not a public key in canonical form: {e}"),
                    format!("公钥格式不正确：{e}"),
                ),
            )
        })?;
        let key_id = key.fingerprint().to_hex();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO org_keys (key_id, org_id, algorithm, public_key, private_key_cipher, created_at, revoked_at) \
             VALUES ($1,$2,$3,$4,NULL,$5,NULL)",
            &params![key_id.as_str(), caller.org_id, key.algorithm().name(), key.to_string(), now_ms()],
        )
        .await
        .map_err(|e| e.on_duplicate("public_key", "this key is already registered", "该公钥已登记"))?;
        self.log_row_state(
            &mut tx,
            Tracked::OrgKeys,
            &key_id,
            "registered",
            Some(caller.user_id),
        )
        .await?;
        tx.commit().await?;
        self.org_key(caller, &key_id).await
    }

    async fn org_key(&self, caller: &Caller, key_id: &str) -> Result<OrgKey> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT * FROM org_keys WHERE key_id = $1 AND org_id = $2",
                &params![key_id, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "key" })?;
        OrgKey::from_row(&row)
    }

    /// Revokes every active key of the caller's organisation and creates a
    /// new platform-held key: `algorithm` is `ed25519` (the default) or
    /// `sm2` (SM2 with SM3). Organisation admins only.
    pub async fn rotate_org_key(&self, caller: &Caller, algorithm: Option<&str>) -> Result<OrgKey> {
        caller.require_org_admin()?;
        // Keys sign what others rely on: verified organisations only.
        caller.require_verified_recorder()?;
        let algorithm = match algorithm.map(str::trim) {
            None | Some("ed25519") => KeyAlgorithm::Ed25519,
            Some("sm2") => KeyAlgorithm::Sm2,
            Some(other) => {
                return Err(StoreError::invalid(
                    "algorithm",
                    Invalid::new(
                        "key_algorithm_unknown",
                        format!("unknown key algorithm {other:?}; allowed: ed25519, sm2"),
                        format!("未知的密钥算法“{other}”，允许：ed25519、sm2"),
                    ),
                ))
            }
        };
        let mut tx = self.db.begin().await?;
        let active = tx
            .fetch_all(
                "SELECT key_id FROM org_keys WHERE org_id = $1 AND revoked_at IS NULL",
                &params![caller.org_id],
            )
            .await?;
        tx.execute(
            "UPDATE org_keys SET revoked_at = $1 WHERE org_id = $2 AND revoked_at IS NULL",
            &params![now_ms(), caller.org_id],
        )
        .await?;
        for r in active {
            self.log_row_state(
                &mut tx,
                Tracked::OrgKeys,
                &r.text("key_id")?,
                "revoked",
                Some(caller.user_id),
            )
            .await?;
        }
        let (_, row) = insert_platform_key(self, &mut tx, caller.org_id, algorithm).await?;
        tx.commit().await?;
        OrgKey::from_row(&row)
    }

    /// Revokes one key of the caller's organisation: records signed with it
    /// after now are refused. Organisation admins only.
    pub async fn revoke_org_key(&self, caller: &Caller, key_id: &str) -> Result<OrgKey> {
        caller.require_org_admin()?;
        let current = self.org_key(caller, key_id).await?;
        if current.revoked_at.is_some() {
            return Err(StoreError::conflict(
                "key_revoked",
                None,
                "this key is already revoked",
                "该密钥已被吊销",
            ));
        }
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE org_keys SET revoked_at = $1 WHERE key_id = $2 AND org_id = $3 AND revoked_at IS NULL",
            &params![now_ms(), key_id, caller.org_id],
        )
        .await?;
        self.log_row_state(&mut tx, Tracked::OrgKeys, key_id, "revoked", Some(caller.user_id))
            .await?;
        tx.commit().await?;
        self.org_key(caller, key_id).await
    }
}
