//! Organisations: registration, verification by the operator, duties.
//!
//! An organisation registers with its unified social credit code and its legal
//! representative's ID number (R-5.3.3.3 a). It starts `pending`; the operator
//! verifies, suspends and restores it. A credit code that fails its checksum is
//! accepted for review with the reason recorded, because some early pilot-area
//! codes are legal yet fail it. The ID number is stored encrypted and shown
//! masked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::codes::{IdNumber, RegionCode, Uscc};
use suyuan_core::model::{Duty, OrgKind, OrgStatus, ProducerForm};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};
use suyuan_core::fields::{email, opt_text, phone, text};

/// A request to register an organisation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub kind: OrgKind,
    /// Required for producers: farm, cooperative or family farm.
    pub producer_form: Option<ProducerForm>,
    /// Registered name, at most 100 characters.
    pub name: String,
    /// Unified social credit code (GB 32100-2015), 18 characters.
    pub uscc: String,
    /// 6-digit administrative division code (GB/T 2260).
    pub region: String,
    pub address: Option<String>,
    pub legal_rep_name: String,
    /// Resident ID number (GB 11643-1999); stored encrypted, shown masked.
    pub legal_rep_id_number: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: Option<String>,
}

/// An organisation as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub kind: OrgKind,
    pub producer_form: Option<ProducerForm>,
    pub name: String,
    pub uscc: Option<String>,
    /// False when the credit code failed its checksum and waits for review.
    pub uscc_checksum_ok: bool,
    /// Why the operator must look at this registration, if anything.
    pub review_reason: Option<String>,
    pub region: String,
    pub address: Option<String>,
    pub legal_rep_name: Option<String>,
    /// Masked, e.g. `110105********1239`.
    pub legal_rep_id_masked: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub status: OrgStatus,
    pub status_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The person responsible for one duty (R-4.3.4.1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyAssignment {
    pub person_name: String,
    pub phone: Option<String>,
}

/// A duty and its responsible person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgDuty {
    pub duty: Duty,
    pub person_name: String,
    pub phone: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Filters for listing organisations.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub status: Option<OrgStatus>,
    pub kind: Option<OrgKind>,
    /// Only those whose registration needs a manual look (checksum failure).
    pub needs_review: Option<bool>,
}

/// An operator's decision on an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Verify,
    Suspend,
    Restore,
}

pub(crate) fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The credit-code category digits plausible for each kind of organisation.
fn plausible_categories(kind: OrgKind) -> &'static [&'static str] {
    match kind {
        // Enterprises, sole traders (family farms) and farmers' cooperatives.
        OrgKind::Producer => &["91", "92", "93"],
        OrgKind::Processor | OrgKind::Logistics | OrgKind::Retailer => &["91", "92", "93"],
        // Enterprises, public institutions (事业单位) and social organisations.
        OrgKind::TestingAgency => &["91", "12", "52"],
        // Government organs and public institutions.
        OrgKind::Regulator => &["11", "12"],
        OrgKind::PlatformOperator => &["91", "12"],
    }
}

/// A registration, validated: every field parsed, the ID number sealed.
struct ValidOrg {
    kind: OrgKind,
    producer_form: Option<ProducerForm>,
    name: String,
    uscc: Uscc,
    review_reason: Option<String>,
    region: RegionCode,
    address: Option<String>,
    legal_rep_name: String,
    legal_rep_id: IdNumber,
    contact_name: String,
    contact_phone: String,
    contact_email: Option<String>,
}

impl NewOrganisation {
    fn validate(&self) -> Result<ValidOrg> {
        if self.kind == OrgKind::PlatformOperator {
            return Err(StoreError::invalid(
                "kind",
                Invalid::new(
                    "kind_not_registrable",
                    "the platform operator exists once, created at first start; it cannot be registered",
                    "平台运营方在首次启动时创建，不能注册",
                ),
            ));
        }
        let name = field("name", text(&self.name, 100))?;
        let uscc = field("uscc", Uscc::parse(&self.uscc))?;
        let category = uscc.category();
        let allowed = plausible_categories(self.kind);
        if !allowed.contains(&category) {
            return Err(StoreError::invalid(
                "uscc",
                Invalid::new(
                    "uscc_category_kind",
                    format!(
                        "credit code category {category} does not fit a {}; expected one of {}",
                        self.kind,
                        allowed.join(", ")
                    ),
                    format!(
                        "统一社会信用代码类别 {category} 与机构类型“{}”不符，应为 {}",
                        self.kind.zh(),
                        allowed.join("、")
                    ),
                ),
            ));
        }
        let producer_form = match (self.kind, self.producer_form) {
            (OrgKind::Producer, None) => {
                return Err(StoreError::invalid(
                    "producer_form",
                    Invalid::new(
                        "producer_form_required",
                        "a producer must say whether it is a farm, cooperative or family farm",
                        "生产主体须注明类型：农场、农民专业合作社或家庭农场",
                    ),
                ))
            }
            (OrgKind::Producer, Some(form)) => {
                if (form == ProducerForm::Cooperative) != (category == "93") {
                    return Err(StoreError::invalid(
                        "producer_form",
                        Invalid::new(
                            "producer_form_category",
                            "a farmers' cooperative has credit code category 93, and only a cooperative does",
                            "农民专业合作社的统一社会信用代码类别为 93，其他主体不是",
                        ),
                    ));
                }
                Some(form)
            }
            (_, Some(_)) => {
                return Err(StoreError::invalid(
                    "producer_form",
                    Invalid::new(
                        "producer_form_not_producer",
                        "only a producer has a producer form",
                        "只有生产主体填写主体类型",
                    ),
                ))
            }
            (_, None) => None,
        };
        let review_reason = uscc
            .checksum_problem()
            .map(|p| format!("{}: {} / {}", p.code, p.en, p.zh));
        Ok(ValidOrg {
            kind: self.kind,
            producer_form,
            name,
            review_reason,
            uscc,
            region: field("region", RegionCode::parse(&self.region))?,
            address: field("address", opt_text(self.address.as_deref(), 200))?,
            legal_rep_name: field("legal_rep_name", text(&self.legal_rep_name, 50))?,
            legal_rep_id: field("legal_rep_id_number", IdNumber::parse(&self.legal_rep_id_number))?,
            contact_name: field("contact_name", text(&self.contact_name, 50))?,
            contact_phone: field("contact_phone", phone(&self.contact_phone))?,
            contact_email: self
                .contact_email
                .as_deref()
                .map(|e| field("contact_email", email(e)))
                .transpose()?,
        })
    }
}

const ORG_COLUMNS: &str = "t.id, t.kind, t.producer_form, t.name, t.uscc, t.uscc_checksum_ok, \
    t.review_reason, t.region, t.address, t.legal_rep_name, t.legal_rep_id_masked, t.contact_name, \
    t.contact_phone, t.contact_email, t.status, t.status_reason, t.created_at, t.updated_at";

fn decode_org(r: &Row) -> Result<Organisation> {
    let vocab = |col: &str| r.text(col);
    Ok(Organisation {
        id: r.uuid("id")?,
        kind: OrgKind::parse(&vocab("kind")?).map_err(|e| StoreError::Corrupt(e.en))?,
        producer_form: r
            .opt_text("producer_form")?
            .map(|s| ProducerForm::parse(&s))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.en))?,
        name: r.text("name")?,
        uscc: r.opt_text("uscc")?,
        uscc_checksum_ok: r.bool("uscc_checksum_ok")?,
        review_reason: r.opt_text("review_reason")?,
        region: r.text("region")?,
        address: r.opt_text("address")?,
        legal_rep_name: r.opt_text("legal_rep_name")?,
        legal_rep_id_masked: r.opt_text("legal_rep_id_masked")?,
        contact_name: r.opt_text("contact_name")?,
        contact_phone: r.opt_text("contact_phone")?,
        contact_email: r.opt_text("contact_email")?,
        status: OrgStatus::parse(&vocab("status")?).map_err(|e| StoreError::Corrupt(e.en))?,
        status_reason: r.opt_text("status_reason")?,
        created_at: ts(r.int("created_at")?),
        updated_at: ts(r.int("updated_at")?),
    })
}

impl Store {
    /// Registers an organisation (status `pending`) inside `tx`, so that the
    /// caller can add its first admin in the same transaction.
    /// `acting_user`: the operator registering it on someone's behalf.
    pub(crate) async fn insert_organisation(
        &self,
        tx: &mut Tx,
        new: &NewOrganisation,
        acting_user: Option<Uuid>,
    ) -> Result<Organisation> {
        let v = new.validate()?;
        let id = new_id();
        let now = now_ms();
        let cipher = self.cipher.encrypt(v.legal_rep_id.as_str())?;
        tx.execute(
            "INSERT INTO organisations (id, kind, producer_form, name, uscc, uscc_checksum_ok, review_reason, \
             region, address, legal_rep_name, legal_rep_id_cipher, legal_rep_id_masked, contact_name, \
             contact_phone, contact_email, status, status_reason, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)",
            &params![
                id,
                v.kind.as_str(),
                v.producer_form.map(|f| f.as_str()),
                v.name,
                v.uscc.as_str(),
                v.review_reason.is_none(),
                v.review_reason,
                v.region.as_str(),
                v.address,
                v.legal_rep_name,
                cipher,
                v.legal_rep_id.masked(),
                v.contact_name,
                v.contact_phone,
                v.contact_email,
                OrgStatus::Pending.as_str(),
                Option::<String>::None,
                now,
                now,
            ],
        )
        .await
        .map_err(|e| {
            e.on_duplicate(
                "uscc",
                "an organisation with this unified social credit code is already registered",
                "该统一社会信用代码已注册",
            )
        })?;
        self.log_org_state(tx, id, "registered", acting_user).await?;
        let row = tx
            .fetch_optional(
                &format!("SELECT {ORG_COLUMNS} FROM organisations t WHERE t.id = $1"),
                &params![id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "organisation" })?;
        decode_org(&row)
    }

    /// The operator registers an organisation on someone's behalf.
    pub async fn create_organisation(&self, caller: &Caller, new: &NewOrganisation) -> Result<Organisation> {
        caller.require_operator()?;
        let mut tx = self.db.begin().await?;
        let org = self
            .insert_organisation(&mut tx, new, Some(caller.user_id))
            .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org.id, kind = %org.kind, "organisation registered");
        Ok(org)
    }

    /// An organisation the caller may see; otherwise not found.
    pub async fn get_organisation(&self, caller: &Caller, id: Uuid) -> Result<Organisation> {
        let (scope, p) = caller.organisation_scope(2);
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {ORG_COLUMNS} FROM organisations t WHERE t.id = $1 AND {scope}"),
                &[id.into(), p],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "organisation" })?;
        decode_org(&row)
    }

    /// Organisations the caller may see, filtered and paged.
    pub async fn list_organisations(
        &self,
        caller: &Caller,
        filter: &OrgFilter,
        page: PageRequest,
    ) -> Result<Page<Organisation>> {
        let (scope, p) = caller.organisation_scope(1);
        let mut sql = format!("SELECT {ORG_COLUMNS} FROM organisations t WHERE {scope}");
        let mut ps = vec![p];
        if let Some(status) = filter.status {
            ps.push(status.as_str().into());
            sql.push_str(&format!(" AND t.status = ${}", ps.len()));
        }
        if let Some(kind) = filter.kind {
            ps.push(kind.as_str().into());
            sql.push_str(&format!(" AND t.kind = ${}", ps.len()));
        }
        if let Some(needs) = filter.needs_review {
            ps.push((!needs).into());
            sql.push_str(&format!(" AND t.uscc_checksum_ok = ${}", ps.len()));
        }
        self.page(&sql, ps, page, decode_org).await
    }

    /// The operator's decisions: verify a pending organisation, suspend one,
    /// restore a suspended one. The operator's own organisation is not subject
    /// to them.
    pub async fn change_organisation_status(
        &self,
        caller: &Caller,
        id: Uuid,
        change: StatusChange,
        reason: Option<&str>,
    ) -> Result<Organisation> {
        caller.require_operator()?;
        let reason = field("reason", opt_text(reason, 500))?;
        let org = self.get_organisation(caller, id).await?;
        if org.kind == OrgKind::PlatformOperator {
            return Err(StoreError::conflict(
                "operator_status_fixed",
                None,
                "the platform operator's own status cannot be changed",
                "平台运营方自身的状态不能更改",
            ));
        }
        let (from, to): (&[OrgStatus], OrgStatus) = match change {
            StatusChange::Verify => (&[OrgStatus::Pending], OrgStatus::Verified),
            StatusChange::Suspend => (&[OrgStatus::Pending, OrgStatus::Verified], OrgStatus::Suspended),
            StatusChange::Restore => (&[OrgStatus::Suspended], OrgStatus::Verified),
        };
        if !from.contains(&org.status) {
            return Err(StoreError::conflict(
                "status_transition",
                Some("status"),
                format!("an organisation that is {} cannot become {}", org.status, to),
                format!("状态为“{}”的机构不能变为“{}”", org.status.zh(), to.zh()),
            ));
        }
        if change == StatusChange::Suspend && reason.is_none() {
            return Err(StoreError::invalid(
                "reason",
                Invalid::new("reason_required", "a suspension needs a reason", "暂停须注明原因"),
            ));
        }
        // The status is checked again in the UPDATE so that two operators
        // acting at once cannot both succeed.
        let status_list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let mut tx = self.db.begin().await?;
        let changed = tx
            .execute(
                &format!(
                    "UPDATE organisations SET status = $1, status_reason = $2, updated_at = $3 \
                     WHERE id = $4 AND status IN ({})",
                    status_list.join(",")
                ),
                &params![to.as_str(), reason, now_ms(), id],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict(
                "status_changed_meanwhile",
                Some("status"),
                "the organisation's status changed meanwhile; reload and try again",
                "机构状态已被他人更改，请刷新后重试",
            ));
        }
        let action = match change {
            StatusChange::Verify => "verified",
            StatusChange::Suspend => "suspended",
            StatusChange::Restore => "restored",
        };
        self.log_org_state(&mut tx, id, action, Some(caller.user_id))
            .await?;
        tx.commit().await?;
        tracing::info!(org_id = %id, status = %to, by = %caller.username, "organisation status changed");
        self.get_organisation(caller, id).await
    }

    /// Names the person responsible for a duty in the caller's organisation.
    pub async fn set_duty(&self, caller: &Caller, duty: Duty, a: &DutyAssignment) -> Result<OrgDuty> {
        caller.require_org_admin()?;
        let person = field("person_name", text(&a.person_name, 50))?;
        let phone_no = a.phone.as_deref().map(|p| field("phone", phone(p))).transpose()?;
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "DELETE FROM org_duties WHERE org_id = $1 AND duty = $2",
            &params![caller.org_id, duty.as_str()],
        )
        .await?;
        tx.execute(
            "INSERT INTO org_duties (org_id, duty, person_name, phone, updated_at) VALUES ($1,$2,$3,$4,$5)",
            &params![
                caller.org_id,
                duty.as_str(),
                person.clone(),
                phone_no.clone(),
                now
            ],
        )
        .await?;
        let key = format!("{} {}", caller.org_id, duty.as_str());
        self.log_row_state(
            &mut tx,
            crate::row_states::Tracked::Duties,
            &key,
            "named",
            Some(caller.user_id),
        )
        .await?;
        tx.commit().await?;
        Ok(OrgDuty {
            duty,
            person_name: person,
            phone: phone_no,
            updated_at: ts(now),
        })
    }

    /// The duties of an organisation the caller may see.
    pub async fn list_duties(&self, caller: &Caller, org_id: Uuid) -> Result<Vec<OrgDuty>> {
        self.get_organisation(caller, org_id).await?;
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT duty, person_name, phone, updated_at FROM org_duties WHERE org_id = $1 ORDER BY duty",
                &params![org_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OrgDuty {
                    duty: Duty::parse(&r.text("duty")?).map_err(|e| StoreError::Corrupt(e.en))?,
                    person_name: r.text("person_name")?,
                    phone: r.opt_text("phone")?,
                    updated_at: ts(r.int("updated_at")?),
                })
            })
            .collect()
    }

    /// The legal representative's ID number in clear, for the operator's
    /// review only. Logged as an access, never with the number.
    pub async fn reveal_legal_rep_id(&self, caller: &Caller, org_id: Uuid) -> Result<String> {
        caller.require_operator()?;
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT legal_rep_id_cipher FROM organisations WHERE id = $1",
                &params![org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "organisation" })?;
        let sealed = row.opt_text("legal_rep_id_cipher")?.ok_or(StoreError::NotFound {
            what: "legal representative ID number",
        })?;
        tracing::info!(org_id = %org_id, by = %caller.username, "legal representative ID number revealed");
        self.cipher.decrypt(&sealed)
    }
}
