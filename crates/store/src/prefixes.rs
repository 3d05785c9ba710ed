//! Who owns a GS1 key: company prefixes proved by registration certificates,
//! and the products organisations registered.
//!
//! An organisation claims a GS1 Company Prefix with the number of its GS1
//! registration certificate; the platform operator checks the certificate
//! and verifies (or rejects) the claim. A verified prefix makes its
//! organisation the owner of every GTIN and SSCC under it. Without one, the
//! organisation that registered a product owns that product's GTIN, and the
//! public page says the GTIN is not verified. A key nobody owns may be
//! commissioned by any verified organisation (plain EPCIS data of other
//! systems); see `suyuan_core::authority`.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::codes::CompanyPrefix;
use suyuan_core::fields::text;
use suyuan_core::model::OrgStatus;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{placeholders, Row, Tx, Val};
use crate::orgs::ts;
use crate::row_states::Tracked;
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// The lengths a company prefix may have (as `CompanyPrefix::parse` allows).
const PREFIX_LENGTHS: std::ops::RangeInclusive<usize> = 7..=10;

/// A request to claim a company prefix.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrefixClaim {
    /// 7 to 10 digits, as on the GS1 registration certificate.
    pub prefix: String,
    /// The certificate's number (中国商品条码系统成员证书编号).
    pub certificate_number: String,
}

/// A company prefix claim and its review.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrefixClaim {
    pub id: Uuid,
    pub prefix: String,
    pub org_id: Uuid,
    pub certificate_number: String,
    /// `claimed`, `verified` or `rejected`.
    pub status: String,
    pub status_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

fn decode(r: &Row) -> Result<PrefixClaim> {
    Ok(PrefixClaim {
        id: r.uuid("id")?,
        prefix: r.text("prefix")?,
        org_id: r.uuid("org_id")?,
        certificate_number: r.text("certificate_number")?,
        status: r.text("status")?,
        status_reason: r.opt_text("status_reason")?,
        created_at: ts(r.int("created_at")?),
        decided_at: r.opt_int("decided_at")?.map(ts),
    })
}

const COLUMNS: &str =
    "t.id, t.prefix, t.org_id, t.certificate_number, t.status, t.status_reason, t.created_at, t.decided_at";

/// The digits of a GS1 key that a company prefix starts: a GTIN-14 after
/// its indicator digit, an SSCC after its extension digit. `None` for other
/// identifiers.
pub(crate) fn key_body(epc: &str) -> Option<&str> {
    let path = epc.strip_prefix(crate::trace::CANONICAL_DOMAIN)?;
    let mut seg = path.trim_start_matches('/').split('/');
    match (seg.next(), seg.next()) {
        (Some("01"), Some(gtin)) if gtin.len() == 14 => gtin.get(1..),
        (Some("00"), Some(sscc)) if sscc.len() == 18 => sscc.get(1..),
        _ => None,
    }
}

/// The GTIN-14 of a GTIN-keyed identifier.
/// Of the units `epcs`, those whose GTIN is a product its owner deactivated.
pub(crate) async fn retired_keys<'e>(
    tx: &mut Tx,
    epcs: impl Iterator<Item = &'e str>,
) -> Result<HashSet<String>> {
    let epcs: Vec<&str> = epcs.collect();
    let gtins: BTreeSet<&str> = epcs.iter().filter_map(|e| key_gtin(e)).collect();
    let gtins: Vec<&str> = gtins.into_iter().collect();
    let mut retired: HashSet<String> = HashSet::new();
    for chunk in gtins.chunks(500) {
        let mut ps: Vec<Val> = vec![false.into()];
        ps.extend(chunk.iter().map(|&s| Val::from(s)));
        let sql = format!(
            "SELECT gtin FROM products WHERE active = $1 AND gtin IN ({})",
            placeholders(2, chunk.len())
        );
        for r in tx.fetch_all(&sql, &ps).await? {
            retired.insert(r.text("gtin")?);
        }
    }
    Ok(epcs
        .into_iter()
        .filter(|e| key_gtin(e).is_some_and(|g| retired.contains(g)))
        .map(str::to_owned)
        .collect())
}

fn key_gtin(epc: &str) -> Option<&str> {
    let path = epc.strip_prefix(crate::trace::CANONICAL_DOMAIN)?;
    let mut seg = path.trim_start_matches('/').split('/');
    match (seg.next(), seg.next()) {
        (Some("01"), Some(gtin)) if gtin.len() == 14 => Some(gtin),
        _ => None,
    }
}

fn candidates(body: &str) -> impl Iterator<Item = &str> {
    PREFIX_LENGTHS.filter_map(move |n| body.get(..n))
}

impl Store {
    /// Claims a company prefix for the caller's organisation (its admin),
    /// for the operator to check.
    pub async fn claim_company_prefix(&self, caller: &Caller, new: &NewPrefixClaim) -> Result<PrefixClaim> {
        caller.require_org_admin()?;
        if caller.is_operator() {
            return Err(StoreError::forbidden(
                "operator_cannot_record",
                "the platform operator owns no GS1 keys",
                "平台运营方不拥有 GS1 编码",
            ));
        }
        let prefix = field("prefix", CompanyPrefix::parse(&new.prefix))?;
        if prefix.as_str().bytes().all(|b| b == b'0') {
            return Err(StoreError::invalid(
                "prefix",
                Invalid::new(
                    "gs1_zero",
                    "a company prefix of zeros names nothing",
                    "全零的厂商识别代码无效",
                ),
            ));
        }
        let certificate = field("certificate_number", text(&new.certificate_number, 50))?;
        let id = new_id();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO company_prefixes (id, prefix, org_id, certificate_number, status, created_at) \
             VALUES ($1,$2,$3,$4,'claimed',$5)",
            &params![id, prefix.as_str(), caller.org_id, certificate, now_ms()],
        )
        .await
        .map_err(|e| {
            e.on_duplicate(
                "prefix",
                "your organisation has already claimed this prefix",
                "贵机构已申报该厂商识别代码",
            )
        })?;
        self.log_row_state(
            &mut tx,
            Tracked::CompanyPrefixes,
            &id.to_string(),
            "claimed",
            Some(caller.user_id),
        )
        .await?;
        tx.commit().await?;
        self.company_prefix(caller, id).await
    }

    /// One claim: the claimant's own, or any for the operator.
    pub async fn company_prefix(&self, caller: &Caller, id: Uuid) -> Result<PrefixClaim> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM company_prefixes t WHERE t.id = $1"),
                &params![id],
            )
            .await?;
        match row.as_ref().map(decode).transpose()? {
            Some(c) if caller.is_operator() || c.org_id == caller.org_id => Ok(c),
            _ => Err(StoreError::NotFound {
                what: "company prefix",
            }),
        }
    }

    /// Claims: the caller's organisation's, or all for the operator
    /// (optionally of one status, e.g. `claimed`: the review queue).
    pub async fn list_company_prefixes(
        &self,
        caller: &Caller,
        status: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<PrefixClaim>> {
        let mut sql = format!("SELECT {COLUMNS} FROM company_prefixes t WHERE ");
        let mut ps: Vec<Val> = Vec::new();
        if caller.is_operator() {
            sql.push_str("TRUE");
        } else {
            ps.push(caller.org_id.into());
            sql.push_str("t.org_id = $1");
        }
        if let Some(s) = status {
            ps.push(s.into());
            sql.push_str(&format!(" AND t.status = ${}", ps.len()));
        }
        self.page(&sql, ps, page, decode).await
    }

    /// The operator verifies a claim (it checked the certificate) or rejects
    /// it with a reason. A prefix is verified for one organisation at most;
    /// verifying it is refused while another organisation has products
    /// registered under it (the operator settles that first).
    pub async fn decide_company_prefix(
        &self,
        caller: &Caller,
        id: Uuid,
        verify: bool,
        reason: Option<&str>,
    ) -> Result<PrefixClaim> {
        caller.require_operator()?;
        let claim = self.company_prefix(caller, id).await?;
        if claim.status != "claimed" {
            return Err(StoreError::conflict(
                "prefix_already_decided",
                None,
                format!("this claim was already {}", claim.status),
                "该申报已处理",
            ));
        }
        let reason = reason.map(|r| field("reason", text(r, 500))).transpose()?;
        if !verify && reason.is_none() {
            return Err(StoreError::invalid(
                "reason",
                Invalid::new(
                    "reason_required",
                    "say why the claim is rejected",
                    "请说明驳回理由",
                ),
            ));
        }
        if verify {
            let org = self.get_organisation(caller, claim.org_id).await?;
            if org.status != OrgStatus::Verified {
                return Err(StoreError::conflict(
                    "organisation_not_verified",
                    None,
                    "verify the organisation before its company prefix",
                    "请先审核通过该机构，再核验其厂商识别代码",
                ));
            }
            let others = self
                .db
                .conn()
                .fetch_optional(
                    "SELECT COUNT(*) AS n FROM products WHERE gtin LIKE $1 AND org_id <> $2",
                    &params![format!("_{}%", claim.prefix), claim.org_id],
                )
                .await?
                .map(|r| r.int("n"))
                .transpose()?
                .unwrap_or(0);
            if others > 0 {
                return Err(StoreError::conflict(
                    "prefix_in_use",
                    None,
                    format!("{others} product(s) of other organisations are registered under this prefix; settle them first"),
                    format!("其他机构已在该厂商识别代码下登记了 {others} 个产品，请先处理"),
                ));
            }
        }
        let status = if verify { "verified" } else { "rejected" };
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE company_prefixes SET status = $1, status_reason = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND status = 'claimed'",
            &params![status, reason, caller.user_id, now_ms(), id],
        )
        .await
        .map_err(|e| {
            e.on_duplicate(
                "prefix",
                "this prefix is already verified for another organisation",
                "该厂商识别代码已核验给其他机构",
            )
        })?;
        self.log_row_state(
            &mut tx,
            Tracked::CompanyPrefixes,
            &id.to_string(),
            status,
            Some(caller.user_id),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(claim = %id, status, by = %caller.user_id, "company prefix decided");
        self.company_prefix(caller, id).await
    }

    /// The organisation whose verified company prefix starts `body` (a
    /// GTIN-14 after its indicator digit, a GLN, an SSCC after its extension
    /// digit), if any (a read outside any transaction: the public page asks).
    pub async fn verified_prefix_owner(&self, body: &str) -> Result<Option<Uuid>> {
        let cands: Vec<Val> = candidates(body).map(Val::from).collect();
        if cands.is_empty() {
            return Ok(None);
        }
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!(
                    "SELECT org_id FROM company_prefixes WHERE status = 'verified' AND prefix IN ({})",
                    placeholders(1, cands.len())
                ),
                &cands,
            )
            .await?;
        row.map(|r| r.uuid("org_id")).transpose()
    }
}

/// The owner of each key body's verified company prefix (body → org).
async fn prefix_owners<'e>(
    tx: &mut Tx,
    bodies: impl Iterator<Item = &'e str>,
) -> Result<HashMap<String, Uuid>> {
    let bodies: BTreeSet<&str> = bodies.collect();
    let cands: BTreeSet<&str> = bodies.iter().flat_map(|b| candidates(b)).collect();
    let cands: Vec<&str> = cands.into_iter().collect();
    let mut owner_of_prefix: HashMap<String, Uuid> = HashMap::new();
    for chunk in cands.chunks(500) {
        let ps: Vec<Val> = chunk.iter().map(|&s| s.into()).collect();
        let sql = format!(
            "SELECT prefix, org_id FROM company_prefixes WHERE status = 'verified' AND prefix IN ({})",
            placeholders(1, ps.len())
        );
        for r in tx.fetch_all(&sql, &ps).await? {
            owner_of_prefix.insert(r.text("prefix")?, r.uuid("org_id")?);
        }
    }
    let mut out = HashMap::new();
    for b in bodies {
        if let Some(o) = candidates(b).find_map(|c| owner_of_prefix.get(c)) {
            out.insert(b.to_owned(), *o);
        }
    }
    Ok(out)
}

/// The owner of each GS1-keyed identifier among `epcs`: the organisation of
/// the verified company prefix it lies under, else (GTINs) the organisation
/// that registered a product with its GTIN. Identifiers nobody owns are
/// absent.
pub(crate) async fn key_owners<'e>(
    tx: &mut Tx,
    epcs: impl Iterator<Item = &'e str>,
) -> Result<HashMap<String, Uuid>> {
    let epcs: Vec<&str> = epcs.filter(|e| key_body(e).is_some()).collect();
    if epcs.is_empty() {
        return Ok(HashMap::new());
    }
    let by_prefix = prefix_owners(tx, epcs.iter().filter_map(|e| key_body(e))).await?;
    let gtins: BTreeSet<&str> = epcs.iter().filter_map(|e| key_gtin(e)).collect();
    let gtins: Vec<&str> = gtins.into_iter().collect();
    let mut by_product: HashMap<String, Uuid> = HashMap::new();
    for chunk in gtins.chunks(500) {
        let ps: Vec<Val> = chunk.iter().map(|&s| s.into()).collect();
        let sql = format!(
            "SELECT gtin, org_id FROM products WHERE gtin IN ({})",
            placeholders(1, ps.len())
        );
        for r in tx.fetch_all(&sql, &ps).await? {
            by_product.insert(r.text("gtin")?, r.uuid("org_id")?);
        }
    }
    let mut out = HashMap::new();
    for e in epcs {
        let owner = key_body(e)
            .and_then(|b| by_prefix.get(b))
            .or_else(|| key_gtin(e).and_then(|g| by_product.get(g)));
        if let Some(o) = owner {
            out.insert(e.to_owned(), *o);
        }
    }
    Ok(out)
}
