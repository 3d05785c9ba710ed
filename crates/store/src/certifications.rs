//! A product's certifications (绿色食品, 有机产品, GAP, 地理标志) changed over
//! time: one added to an existing product, one withdrawn from it.
//!
//! The certifications register is tracked row by row
//! ([`crate::row_states::Tracked::Certifications`]): adding a certification
//! logs its row's state (`added`), withdrawing it deletes the row and logs
//! that it is gone (`withdrawn`, no state), both in the change's transaction
//! with the acting user. The log is the history; `verify` compares every
//! stored row with its latest logged state ([`Store::rows_against_log`]).
//!
//! Only a verified, active recorder of the product's own organisation may
//! change them; another organisation's product is not found.

use serde::Serialize;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Tx;
use crate::products::{decode_certification, validate_certification, Certification};
use crate::row_states::Tracked;
use crate::{new_id, params, Caller, Result, Store, StoreError};

/// The most certifications a product holds.
pub const MAX_PER_PRODUCT: usize = 20;

/// A certification a product holds, with the id it is withdrawn by.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldCertification {
    pub id: Uuid,
    pub product_id: Uuid,
    #[serde(flatten)]
    pub certification: Certification,
}

/// A certification added to or withdrawn from a product, with who and when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificationChange {
    /// The certification's id.
    pub id: Uuid,
    /// `created` (with the product), `added`, `withdrawn` or `logged` (held
    /// before changes were logged).
    pub action: String,
    /// The certification as it was added (for a withdrawal: as it was held).
    pub certification: Option<Certification>,
    pub acting_user: Option<Uuid>,
    pub acting_username: Option<String>,
    /// When (ms since the epoch).
    pub at: i64,
}

/// A certification's logged row state (the fields shown of it).
#[derive(serde::Deserialize)]
struct Snapshot {
    kind: suyuan_core::model::CertificationKind,
    number: String,
    issuer: Option<String>,
    valid_from: String,
    valid_until: String,
}

/// Stores a checked certification of `product_id` and logs its row's state
/// after `action`, inside `tx`.
pub(crate) async fn insert(
    store: &Store,
    tx: &mut Tx,
    caller: &Caller,
    product_id: Uuid,
    c: &Certification,
    action: &str,
) -> Result<Uuid> {
    let id = new_id();
    tx.execute(
        "INSERT INTO certifications (id, org_id, product_id, kind, number, issuer, valid_from, valid_until) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        &params![
            id,
            caller.org_id,
            product_id,
            c.kind.as_str(),
            c.number.clone(),
            c.issuer.clone(),
            c.valid_from.clone(),
            c.valid_until.clone()
        ],
    )
    .await?;
    store
        .log_row_state(
            tx,
            Tracked::Certifications,
            &id.to_string(),
            action,
            Some(caller.user_id),
        )
        .await?;
    Ok(id)
}

impl Store {
    /// The product, when it is the caller's own organisation's: not found
    /// otherwise (another organisation's products are hidden).
    async fn own_product(&self, tx: &mut Tx, caller: &Caller, product_id: Uuid) -> Result<()> {
        tx.fetch_optional(
            "SELECT id FROM products WHERE id = $1 AND org_id = $2",
            &params![product_id, caller.org_id],
        )
        .await?
        .map(drop)
        .ok_or(StoreError::NotFound { what: "product" })
    }

    /// The certifications a product holds now, with their ids.
    pub async fn held_certifications(
        &self,
        caller: &Caller,
        product_id: Uuid,
    ) -> Result<Vec<HeldCertification>> {
        // Read through the caller's scope: hidden products are not found.
        self.get_product(caller, product_id).await?;
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT id, kind, number, issuer, valid_from, valid_until FROM certifications \
                 WHERE product_id = $1 ORDER BY id",
                &params![product_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(HeldCertification {
                    id: r.uuid("id")?,
                    product_id,
                    certification: decode_certification(r)?,
                })
            })
            .collect()
    }

    /// Every certification ever added to or withdrawn from a product the
    /// caller may read, oldest first, from the logged row states.
    pub async fn certification_history(
        &self,
        caller: &Caller,
        product_id: Uuid,
    ) -> Result<Vec<CertificationChange>> {
        self.get_product(caller, product_id).await?;
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT s.row_key, s.action, s.snapshot, s.acting_user, s.created_at, u.username \
                 FROM row_states s LEFT JOIN users u ON u.id = s.acting_user \
                 WHERE s.table_name = 'certifications' AND s.row_key IN (SELECT r.row_key FROM row_states r \
                 WHERE r.table_name = 'certifications' AND r.snapshot LIKE $1) ORDER BY s.created_at, s.id",
                &params![format!("%\"product_id\":\"{product_id}\"%")],
            )
            .await?;
        let mut held: std::collections::HashMap<String, Certification> = Default::default();
        rows.iter()
            .map(|r| {
                let key = r.text("row_key")?;
                let state = r
                    .opt_text("snapshot")?
                    .and_then(|s| serde_json::from_str::<Snapshot>(&s).ok())
                    .map(|s| Certification {
                        kind: s.kind,
                        number: s.number,
                        issuer: s.issuer,
                        valid_from: s.valid_from,
                        valid_until: s.valid_until,
                    });
                let certification = match state {
                    Some(c) => {
                        held.insert(key.clone(), c.clone());
                        Some(c)
                    }
                    None => held.get(&key).cloned(),
                };
                Ok(CertificationChange {
                    id: Uuid::parse_str(&key).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    action: r.text("action")?,
                    certification,
                    acting_user: r.opt_uuid("acting_user")?,
                    acting_username: r.opt_text("username")?,
                    at: r.int("created_at")?,
                })
            })
            .collect()
    }

    /// Adds a certification to an existing product of the caller's
    /// organisation (a verified recorder's), checked as at the product's
    /// creation; the row's state is logged in the same transaction.
    pub async fn add_certification(
        &self,
        caller: &Caller,
        product_id: Uuid,
        new: &Certification,
    ) -> Result<HeldCertification> {
        caller.require_verified_recorder()?;
        let (checked, _, _) = validate_certification(0, new).map_err(|e| match e {
            StoreError::Invalid { field, invalid } => StoreError::Invalid {
                field: field.trim_start_matches("certifications[0].").to_owned(),
                invalid,
            },
            other => other,
        })?;
        let mut tx = self.db.begin().await?;
        self.own_product(&mut tx, caller, product_id).await?;
        let held = tx
            .fetch_all(
                "SELECT id FROM certifications WHERE product_id = $1",
                &params![product_id],
            )
            .await?
            .len();
        if held >= MAX_PER_PRODUCT {
            return Err(StoreError::invalid(
                "certifications",
                Invalid::new(
                    "list_too_long",
                    "a product holds at most 20 certifications",
                    "一个产品最多 20 项认证",
                ),
            ));
        }
        let id = insert(self, &mut tx, caller, product_id, &checked, "added").await?;
        tx.commit().await?;
        Ok(HeldCertification {
            id,
            product_id,
            certification: checked,
        })
    }

    /// Withdraws a certification from a product of the caller's
    /// organisation: the row is deleted and its deletion logged
    /// (`withdrawn`) with the acting user, in one transaction.
    pub async fn withdraw_certification(&self, caller: &Caller, product_id: Uuid, id: Uuid) -> Result<()> {
        caller.require_verified_recorder()?;
        let mut tx = self.db.begin().await?;
        self.own_product(&mut tx, caller, product_id).await?;
        let gone = tx
            .execute(
                "DELETE FROM certifications WHERE id = $1 AND product_id = $2 AND org_id = $3",
                &params![id, product_id, caller.org_id],
            )
            .await?;
        if gone == 0 {
            return Err(StoreError::NotFound {
                what: "certification",
            });
        }
        self.log_row_state(
            &mut tx,
            Tracked::Certifications,
            &id.to_string(),
            "withdrawn",
            Some(caller.user_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
