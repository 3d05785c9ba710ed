//! Products and their certifications.
//!
//! A product is what a trace code names (R-5.3.3.3 c): a GTIN, unique on the
//! platform and always stored as GTIN-14, with its name, category, variety,
//! specification, unit, shelf life and origin, and the certifications it holds
//! (green food, organic, GAP, geographical indication) with number and
//! validity.
//!
//! A product may carry the GS1 Company Prefix of its organisation's
//! registration certificate (`company_prefix`, 7 to 10 digits that start the
//! GTIN-14 after its indicator digit). The registered prefixes are the only
//! source of a prefix length on the platform: [`Store::registered_company_prefixes`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::codes::{CompanyPrefix, Gtin, RegionCode};
use suyuan_core::epcis::KnownPrefixes;
use suyuan_core::fields::{int_range, iso_date, opt_text, text};
use suyuan_core::model::{CertificationKind, ProductCategory};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Val};
use crate::master_log::{ClientSignature, RecordKind};
use crate::master_versions::{insert_entry, History};
use crate::orgs::ts;
use crate::{field, new_id, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// A certification held by a product.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    pub kind: CertificationKind,
    pub number: String,
    pub issuer: Option<String>,
    /// `YYYY-MM-DD`
    pub valid_from: String,
    /// `YYYY-MM-DD`
    pub valid_until: String,
}

/// A request to create a product.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// GTIN-8, -12, -13 or -14 with its check digit; stored as GTIN-14.
    pub gtin: String,
    /// GS1 Company Prefix from the organisation's registration certificate:
    /// 7 to 10 digits, the start of the GTIN-14 after its indicator digit.
    pub company_prefix: Option<String>,
    pub name: String,
    pub category: ProductCategory,
    pub variety: Option<String>,
    /// e.g. "500 g/袋"
    pub specification: Option<String>,
    /// UN/CEFACT unit code or a plain unit, e.g. KGM, 袋.
    pub unit: String,
    pub shelf_life_days: Option<i64>,
    pub origin_region: Option<String>,
    /// Origin in words, e.g. "四川省成都市郫都区".
    pub origin: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub certifications: Vec<Certification>,
}

/// A product as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: Uuid,
    pub org_id: Uuid,
    /// GTIN-14.
    pub gtin: String,
    /// GS1 Company Prefix from the registration certificate, when given.
    pub company_prefix: Option<String>,
    pub name: String,
    pub category: ProductCategory,
    pub variety: Option<String>,
    pub specification: Option<String>,
    pub unit: String,
    pub shelf_life_days: Option<i64>,
    pub origin_region: Option<String>,
    pub origin: Option<String>,
    pub description: Option<String>,
    pub certifications: Vec<Certification>,
    pub created_at: DateTime<Utc>,
    /// False once deactivated: hidden from lists.
    pub active: bool,
}

const PRODUCT_COLUMNS: &str =
    "t.id, t.org_id, t.gtin, t.company_prefix, t.name, t.category, t.variety, t.specification, t.unit, \
    t.shelf_life_days, t.origin_region, t.origin, t.description, t.created_at, t.active";

fn decode_product(r: &Row) -> Result<Product> {
    Ok(Product {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        gtin: r.text("gtin")?,
        company_prefix: r.opt_text("company_prefix")?,
        name: r.text("name")?,
        category: ProductCategory::parse(&r.text("category")?).map_err(|e| StoreError::Corrupt(e.en))?,
        variety: r.opt_text("variety")?,
        specification: r.opt_text("specification")?,
        unit: r.text("unit")?,
        shelf_life_days: r.opt_int("shelf_life_days")?,
        origin_region: r.opt_text("origin_region")?,
        origin: r.opt_text("origin")?,
        description: r.opt_text("description")?,
        certifications: Vec::new(),
        created_at: ts(r.int("created_at")?),
        active: r.bool("active")?,
    })
}

pub(crate) fn decode_certification(r: &Row) -> Result<Certification> {
    Ok(Certification {
        kind: CertificationKind::parse(&r.text("kind")?).map_err(|e| StoreError::Corrupt(e.en))?,
        number: r.text("number")?,
        issuer: r.opt_text("issuer")?,
        valid_from: r.text("valid_from")?,
        valid_until: r.text("valid_until")?,
    })
}

pub(crate) fn validate_certification(
    i: usize,
    c: &Certification,
) -> Result<(Certification, NaiveDate, NaiveDate)> {
    let f = |name: &str| format!("certifications[{i}].{name}");
    let from = field(&f("valid_from"), iso_date(&c.valid_from))?;
    let until = field(&f("valid_until"), iso_date(&c.valid_until))?;
    if until < from {
        return Err(StoreError::invalid(
            f("valid_until"),
            Invalid::new(
                "validity_order",
                "a certification cannot end before it starts",
                "证书的有效期截止日不能早于起始日",
            ),
        ));
    }
    Ok((
        Certification {
            kind: c.kind,
            number: field(&f("number"), text(&c.number, 50))?,
            issuer: field(&f("issuer"), opt_text(c.issuer.as_deref(), 100))?,
            valid_from: from.to_string(),
            valid_until: until.to_string(),
        },
        from,
        until,
    ))
}

impl Store {
    pub async fn create_product(&self, caller: &Caller, new: &NewProduct) -> Result<Product> {
        self.create_product_signed(caller, new, None).await
    }

    /// Like [`Store::create_product`], with the client's detached signature over the
    /// request body (required when the platform holds no key for the
    /// organisation; see [`crate::master_log`]). The record is appended to
    /// the transparency log in the insert's transaction.
    pub async fn create_product_signed(
        &self,
        caller: &Caller,
        new: &NewProduct,
        signature: Option<&ClientSignature>,
    ) -> Result<Product> {
        // Registering a GTIN claims it: verified organisations only.
        caller.require_verified_recorder()?;
        let (set, certs) = self.checked_product(caller, new).await?;
        let id = new_id();
        let detached = self
            .check_record_signature(caller.org_id, RecordKind::Product, signature)
            .await?;
        let mut tx = self.db.begin().await?;
        insert_entry(&mut tx, RecordKind::Product, id, caller.org_id, set)
            .await
            .map_err(|e| {
                e.on_duplicate(
                    "gtin",
                    "this GTIN is already registered on the platform",
                    "该 GTIN 已在平台登记",
                )
            })?;
        for (c, _, _) in &certs {
            crate::certifications::insert(self, &mut tx, caller, id, c, "created").await?;
        }
        self.log_record(&mut tx, caller.org_id, RecordKind::Product, id, detached)
            .await?;
        tx.commit().await?;
        self.get_product(caller, id).await
    }

    /// Records a new version of a product of the caller's organisation (a
    /// verified recorder's) with the full new content, checked as at its
    /// creation. Its GTIN and company prefix name it and do not change
    /// (`field_fixed`); certifications are added and withdrawn on their own
    /// (`POST /products/{id}/certifications`), so an edit carries none.
    pub async fn edit_product(
        &self,
        caller: &Caller,
        id: Uuid,
        new: &NewProduct,
        signature: Option<&ClientSignature>,
    ) -> Result<Product> {
        if !new.certifications.is_empty() {
            return Err(StoreError::invalid(
                "certifications",
                Invalid::new(
                    "certifications_separate",
                    "an edit carries no certifications: add or withdraw them on their own",
                    "修改产品时不提交认证：认证请单独添加或撤销",
                ),
            ));
        }
        let (set, _) = self.checked_product(caller, new).await?;
        self.record_edit(
            caller,
            RecordKind::Product,
            id,
            set,
            &["gtin", "company_prefix"],
            signature,
        )
        .await?;
        self.get_product(caller, id).await
    }

    /// Every version of a product, oldest first.
    pub async fn product_history(&self, caller: &Caller, id: Uuid) -> Result<History<Product>> {
        self.entry_history(caller, RecordKind::Product, "product", id, decode_product)
            .await
    }

    /// A product's content checked as the rules say, as the columns to
    /// store, and its checked certifications.
    async fn checked_product(
        &self,
        caller: &Caller,
        new: &NewProduct,
    ) -> Result<(
        Vec<(&'static str, Val)>,
        Vec<(Certification, NaiveDate, NaiveDate)>,
    )> {
        let gtin = field("gtin", Gtin::parse(&new.gtin))?;
        if let Some(owner) = self.verified_prefix_owner(&gtin.as_str()[1..]).await? {
            if owner != caller.org_id {
                return Err(StoreError::invalid(
                    "gtin",
                    Invalid::new(
                        "gtin_prefix_owned",
                        "this GTIN lies under a company prefix verified for another organisation",
                        "该 GTIN 属于已核验给其他机构的厂商识别代码",
                    ),
                ));
            }
        }
        let company_prefix = new
            .company_prefix
            .as_deref()
            .map(|p| {
                let p = CompanyPrefix::parse(p)?;
                p.check_gtin(&gtin).map(|()| p)
            })
            .transpose();
        let company_prefix = field("company_prefix", company_prefix)?;
        let name = field("name", text(&new.name, 100))?;
        let unit = field("unit", text(&new.unit, 20))?;
        let shelf = new
            .shelf_life_days
            .map(|d| field("shelf_life_days", int_range(d, 1, 3650)))
            .transpose()?;
        let origin_region = new
            .origin_region
            .as_deref()
            .map(|r| field("origin_region", RegionCode::parse(r)))
            .transpose()?;
        if new.certifications.len() > 20 {
            return Err(StoreError::invalid(
                "certifications",
                Invalid::new("list_too_long", "at most 20 entries", "最多 20 项"),
            ));
        }
        let certs = new
            .certifications
            .iter()
            .enumerate()
            .map(|(i, c)| validate_certification(i, c))
            .collect::<Result<Vec<_>>>()?;
        let set = vec![
            ("gtin", gtin.as_str().into()),
            (
                "company_prefix",
                company_prefix.as_ref().map(|p| p.as_str()).into(),
            ),
            ("name", name.into()),
            ("category", new.category.as_str().into()),
            (
                "variety",
                field("variety", opt_text(new.variety.as_deref(), 50))?.into(),
            ),
            (
                "specification",
                field("specification", opt_text(new.specification.as_deref(), 100))?.into(),
            ),
            ("unit", unit.into()),
            ("shelf_life_days", shelf.into()),
            ("origin_region", origin_region.as_ref().map(|r| r.as_str()).into()),
            (
                "origin",
                field("origin", opt_text(new.origin.as_deref(), 200))?.into(),
            ),
            (
                "description",
                field("description", opt_text(new.description.as_deref(), 2000))?.into(),
            ),
        ];
        Ok((set, certs))
    }

    pub async fn get_product(&self, caller: &Caller, id: Uuid) -> Result<Product> {
        let mut p = self
            .get_scoped(
                caller,
                "product",
                &format!("SELECT {PRODUCT_COLUMNS} FROM products t"),
                id,
                decode_product,
            )
            .await?;
        p.certifications = self.certifications_of(id).await?;
        Ok(p)
    }

    async fn certifications_of(&self, product_id: Uuid) -> Result<Vec<Certification>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT kind, number, issuer, valid_from, valid_until FROM certifications \
                 WHERE product_id = $1 ORDER BY id",
                &params![product_id],
            )
            .await?;
        rows.iter().map(decode_certification).collect()
    }

    /// The certifications of every product of the caller's own
    /// organisation, by product (for lists, which leave them out).
    pub async fn own_certifications(&self, caller: &Caller) -> Result<HashMap<Uuid, Vec<Certification>>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT product_id, kind, number, issuer, valid_from, valid_until FROM certifications \
                 WHERE org_id = $1 ORDER BY id",
                &params![caller.org_id],
            )
            .await?;
        let mut out: HashMap<Uuid, Vec<Certification>> = HashMap::new();
        for r in &rows {
            out.entry(r.uuid("product_id")?)
                .or_default()
                .push(decode_certification(r)?);
        }
        Ok(out)
    }

    /// Products the caller may read. Certifications are not included in
    /// lists; fetch one product for them.
    pub async fn list_products(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Product>> {
        self.list_products_with(caller, org_id, false, page).await
    }

    /// The products the caller may read: active ones, or `all`.
    pub async fn list_products_with(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        all: bool,
        page: PageRequest,
    ) -> Result<Page<Product>> {
        self.list_entries(
            caller,
            &format!("SELECT {PRODUCT_COLUMNS} FROM products t"),
            org_id,
            all,
            page,
            decode_product,
        )
        .await
    }

    /// Every GS1 Company Prefix registered with a product, on any
    /// organisation (events name other companies' keys too), as the set an
    /// EPC URN is formed with: a GS1 key's prefix length is known when the
    /// registered prefixes that start its digits are one prefix, and unknown
    /// (no URN) when none does or several of different lengths do. Nothing
    /// is inferred from number ranges. Read once per query answer.
    pub async fn registered_company_prefixes(&self) -> Result<KnownPrefixes> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT DISTINCT company_prefix FROM products WHERE company_prefix IS NOT NULL",
                &[],
            )
            .await?;
        let prefixes = rows
            .iter()
            .map(|r| r.text("company_prefix"))
            .collect::<Result<Vec<_>>>()?;
        KnownPrefixes::new(prefixes).map_err(|e| StoreError::Corrupt(e.en))
    }
}
