//! Consumers' complaints (R-8.1.2 e): filed from the consumer's page about
//! a unit, without signing in; read by the organisations that hold and own
//! the unit and by the officers whose jurisdiction covers them; answered
//! by the holder or the owner, or by an officer of the jurisdiction (the
//! public status page names the organisation that answered).
//!
//! Every complaint, every photo and every change of state is a logged
//! record (kinds `complaint`, `complaint_photo`, `complaint_update`, see
//! [`crate::master_log`]), inserted once and never changed, signed by the
//! platform operator's key (the platform receives the complaint; the
//! update names the acting user and organisation). A complaint's status is
//! its latest update (`received` before any). The complaint binds its
//! photos by `photos_sha256`, the SHA-256 over the lines
//! `<position>:<sha256 of the photo>\n` in order, besides each photo's own
//! leaf. The consumer's phone number is personal data: stored only
//! encrypted, with its masked form, and never in a public answer.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use suyuan_core::calendar::Calendar;
use suyuan_core::complaints::{self as rules, Category, Status};
use suyuan_core::Invalid;
use utoipa::ToSchema;

use crate::db::{Row, Tx};
use crate::master_log::RecordKind;
use crate::org_records::operator_org;
use crate::tlog::APPEND_LOCK;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// A complaint as the consumer files it (the unit by its canonical code).
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub unit_epc: String,
    pub category: String,
    pub description: String,
    pub phone: Option<String>,
    /// The photos' bytes, in order.
    pub photos: Vec<Vec<u8>>,
}

/// What the consumer gets back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Filed {
    pub reference: String,
    pub acknowledge_by: i64,
}

/// One state of a complaint, as anyone with the reference sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicUpdate {
    pub status: String,
    pub reply: Option<String>,
    pub at: i64,
    /// The organisation that made the change: the enterprise (holder or
    /// owner) or the regulator; never the person.
    pub by: Option<String>,
    /// `regulator` when a regulator's officer answered, else `enterprise`.
    pub by_kind: Option<String>,
}

/// A complaint's public status: no description, no phone, no person's name
/// (only the organisation that made each change).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicComplaint {
    pub reference: String,
    pub category: String,
    pub status: String,
    pub filed_at: i64,
    pub acknowledge_by: i64,
    pub photo_count: i64,
    pub updates: Vec<PublicUpdate>,
}

/// A complaint in an inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintEntry {
    pub reference: String,
    pub unit_epc: String,
    pub holder_org_id: String,
    pub owner_org_id: String,
    pub category: String,
    pub description: String,
    /// The consumer's phone number, masked (`138****5678`).
    pub phone_masked: Option<String>,
    pub photo_count: i64,
    pub status: String,
    pub filed_at: i64,
    pub acknowledge_by: i64,
    /// Not acknowledged, and its time to be acknowledged is over.
    pub overdue: bool,
    /// The latest reply, if any.
    pub reply: Option<String>,
}

/// One state of a complaint, with who acted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateEntry {
    pub status: String,
    pub reply: Option<String>,
    pub org_id: Option<String>,
    pub acting_user: Option<String>,
    pub at: i64,
    /// The acting organisation's name.
    pub org_name: Option<String>,
    /// The acting user's username.
    pub username: Option<String>,
}

/// A complaint with its history and photos' types.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintDetail {
    pub entry: ComplaintEntry,
    pub updates: Vec<UpdateEntry>,
    pub photo_types: Vec<String>,
}

fn invalid(field: &str, e: Invalid) -> StoreError {
    StoreError::invalid(field, e)
}

/// The SHA-256 over the photos' hashes, one `<position>:<hex>\n` line each.
fn photos_digest(hashes: &[String]) -> String {
    let mut h = Sha256::new();
    for (i, x) in hashes.iter().enumerate() {
        h.update(format!("{}:{x}\n", i + 1).as_bytes());
    }
    hex::encode(h.finalize())
}

/// The columns of an inbox entry (alias `c`), its status and latest reply.
const ENTRY_SQL: &str = "SELECT c.*, \
     (SELECT u.status FROM complaint_updates u WHERE u.complaint_id = c.id ORDER BY u.created_at DESC, u.id DESC LIMIT 1) AS status, \
     (SELECT u.reply FROM complaint_updates u WHERE u.complaint_id = c.id AND u.reply IS NOT NULL ORDER BY u.created_at DESC, u.id DESC LIMIT 1) AS last_reply \
     FROM complaints c";

fn entry(r: &Row, now: i64) -> Result<ComplaintEntry> {
    let status = r
        .opt_text("status")?
        .unwrap_or_else(|| Status::Received.as_str().into());
    let acknowledge_by = r.int("acknowledge_by")?;
    Ok(ComplaintEntry {
        reference: r.text("reference")?,
        unit_epc: r.text("unit_epc")?,
        holder_org_id: r.text("holder_org_id")?,
        owner_org_id: r.text("owner_org_id")?,
        category: r.text("category")?,
        description: r.text("description")?,
        phone_masked: r.opt_text("phone_masked")?,
        photo_count: r.int("photo_count")?,
        overdue: status == Status::Received.as_str() && now > acknowledge_by,
        status,
        filed_at: r.int("created_at")?,
        acknowledge_by,
        reply: r.opt_text("last_reply")?,
    })
}

impl Caller {
    /// A SQL condition on complaints (alias `c`) selecting those the caller
    /// may read, and its parameter `$n`: its organisation's units', or, for
    /// an officer, those of organisations in its jurisdiction.
    fn complaint_scope(&self, n: usize) -> (String, crate::db::Val) {
        match self.officer_jurisdiction() {
            Some(prefix) => (
                format!(
                    "(c.holder_org_id IN (SELECT id FROM organisations WHERE region LIKE ${n}) \
                     OR c.owner_org_id IN (SELECT id FROM organisations WHERE region LIKE ${n}))"
                ),
                crate::db::Val::Text(format!("{prefix}%")),
            ),
            None => (
                format!("(c.holder_org_id = ${n} OR c.owner_org_id = ${n})"),
                self.org_id.into(),
            ),
        }
    }
}

impl Store {
    /// Files a complaint: checks every field, finds the unit, and stores
    /// and logs the complaint and its photos in one transaction. A unit the
    /// platform does not know is not found; nothing is stored on a refusal.
    pub async fn file_complaint(&self, new: NewComplaint) -> Result<Filed> {
        let category = Category::parse(&new.category).map_err(|e| invalid("category", e))?;
        let description = rules::description(&new.description).map_err(|e| invalid("description", e))?;
        let phone = match new.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(suyuan_core::fields::phone(p).map_err(|e| invalid("phone", e))?),
            None => None,
        };
        rules::photo_count(new.photos.len()).map_err(|e| invalid("photos", e))?;
        let mut photos = Vec::with_capacity(new.photos.len());
        for (i, bytes) in new.photos.iter().enumerate() {
            let media_type = rules::photo_type(bytes).map_err(|e| invalid(&format!("photos[{i}]"), e))?;
            photos.push((media_type, hex::encode(Sha256::digest(bytes)), B64.encode(bytes)));
        }
        let hashes: Vec<String> = photos.iter().map(|p| p.1.clone()).collect();
        let (phone_cipher, phone_masked) = match &phone {
            Some(p) => (Some(self.cipher.encrypt(p)?), Some(rules::mask_phone(p))),
            None => (None, None),
        };
        let mut tx = self.db.begin().await?;
        let unit = tx
            .fetch_optional(
                "SELECT holder_org_id, owner_org_id FROM units WHERE epc = $1",
                &params![new.unit_epc.as_str()],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "unit" })?;
        let signer = operator_org(&mut tx).await?.unwrap_or(unit.uuid("owner_org_id")?);
        let (id, created_at) = (new_id(), now_ms());
        let reference = rules::new_reference(&mut rand::thread_rng());
        let acknowledge_by = rules::acknowledge_by(&Calendar::default(), created_at);
        tx.execute(
            "INSERT INTO complaints (id, reference, unit_epc, holder_org_id, owner_org_id, category, description, \
             phone_cipher, phone_masked, photo_count, photos_sha256, acknowledge_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
            &params![
                id,
                reference.as_str(),
                new.unit_epc.as_str(),
                unit.text("holder_org_id")?,
                unit.text("owner_org_id")?,
                category.as_str(),
                description,
                phone_cipher,
                phone_masked,
                photos.len() as i64,
                photos_digest(&hashes),
                acknowledge_by,
                created_at
            ],
        )
        .await?;
        self.log_record(&mut tx, signer, RecordKind::Complaint, id, None)
            .await?;
        for (i, (media_type, sha, data)) in photos.into_iter().enumerate() {
            let photo_id = new_id();
            tx.execute(
                "INSERT INTO complaint_photos (id, complaint_id, position, media_type, sha256, data, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7)",
                &params![photo_id, id, (i + 1) as i64, media_type, sha, data, created_at],
            )
            .await?;
            self.log_record(&mut tx, signer, RecordKind::ComplaintPhoto, photo_id, None)
                .await?;
        }
        tx.commit().await?;
        Ok(Filed {
            reference,
            acknowledge_by,
        })
    }

    /// A complaint's public status by its reference.
    pub async fn complaint_status(&self, reference: &str) -> Result<PublicComplaint> {
        let mut conn = self.db.conn();
        let c = conn
            .fetch_optional(
                &format!("{ENTRY_SQL} WHERE c.reference = $1"),
                &params![reference.trim()],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "complaint" })?;
        let e = entry(&c, now_ms())?;
        let updates = conn
            .fetch_all(
                "SELECT u.status, u.reply, u.created_at, o.name, o.kind FROM complaint_updates u \
                 LEFT JOIN organisations o ON o.id = u.org_id WHERE u.complaint_id = $1 \
                 ORDER BY u.created_at, u.id",
                &params![c.text("id")?],
            )
            .await?
            .iter()
            .map(|u| {
                let kind = u.opt_text("kind")?;
                Ok(PublicUpdate {
                    status: u.text("status")?,
                    reply: u.opt_text("reply")?,
                    at: u.int("created_at")?,
                    by: u.opt_text("name")?,
                    by_kind: kind.map(|k| {
                        if k == suyuan_core::model::OrgKind::Regulator.as_str() {
                            "regulator".to_owned()
                        } else {
                            "enterprise".to_owned()
                        }
                    }),
                })
            })
            .collect::<Result<_>>()?;
        Ok(PublicComplaint {
            reference: e.reference,
            category: e.category,
            status: e.status,
            filed_at: e.filed_at,
            acknowledge_by: e.acknowledge_by,
            photo_count: e.photo_count,
            updates,
        })
    }

    /// The complaints the caller may read, newest first, with whether each
    /// is overdue at `now` (ms). Others' complaints are simply not there.
    pub async fn complaint_inbox(&self, caller: &Caller, now: i64) -> Result<Vec<ComplaintEntry>> {
        let (scope, val) = caller.complaint_scope(1);
        self.db
            .conn()
            .fetch_all(
                &format!("{ENTRY_SQL} WHERE {scope} ORDER BY c.created_at DESC, c.id DESC LIMIT 500"),
                &[val],
            )
            .await?
            .iter()
            .map(|r| entry(r, now))
            .collect()
    }

    /// One complaint the caller may read, with its history.
    pub async fn complaint_detail(&self, caller: &Caller, reference: &str) -> Result<ComplaintDetail> {
        let (scope, val) = caller.complaint_scope(2);
        let mut conn = self.db.conn();
        let c = conn
            .fetch_optional(
                &format!("{ENTRY_SQL} WHERE c.reference = $1 AND {scope}"),
                &[reference.trim().into(), val],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "complaint" })?;
        let id = c.text("id")?;
        let updates = conn
            .fetch_all(
                "SELECT u.*, o.name AS org_name, a.username FROM complaint_updates u \
                 LEFT JOIN organisations o ON o.id = u.org_id LEFT JOIN users a ON a.id = u.acting_user \
                 WHERE u.complaint_id = $1 ORDER BY u.created_at, u.id",
                &params![id.as_str()],
            )
            .await?
            .iter()
            .map(|u| {
                Ok(UpdateEntry {
                    status: u.text("status")?,
                    reply: u.opt_text("reply")?,
                    org_id: u.opt_text("org_id")?,
                    acting_user: u.opt_text("acting_user")?,
                    at: u.int("created_at")?,
                    org_name: u.opt_text("org_name")?,
                    username: u.opt_text("username")?,
                })
            })
            .collect::<Result<_>>()?;
        let photo_types = conn
            .fetch_all(
                "SELECT media_type FROM complaint_photos WHERE complaint_id = $1 ORDER BY position",
                &params![id.as_str()],
            )
            .await?
            .iter()
            .map(|p| p.text("media_type"))
            .collect::<Result<_>>()?;
        Ok(ComplaintDetail {
            entry: entry(&c, now_ms())?,
            updates,
            photo_types,
        })
    }

    /// A photo (1-based `position`) of a complaint the caller may read:
    /// its media type and bytes.
    pub async fn complaint_photo(
        &self,
        caller: &Caller,
        reference: &str,
        position: i64,
    ) -> Result<(String, Vec<u8>)> {
        let (scope, val) = caller.complaint_scope(3);
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!(
                    "SELECT p.media_type, p.data FROM complaint_photos p JOIN complaints c ON c.id = p.complaint_id \
                     WHERE c.reference = $1 AND p.position = $2 AND {scope}"
                ),
                &[reference.trim().into(), position.into(), val],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "photo" })?;
        let bytes = B64
            .decode(row.text("data")?)
            .map_err(|e| StoreError::Corrupt(format!("complaint photo: {e}")))?;
        Ok((row.text("media_type")?, bytes))
    }

    /// Moves a complaint to `status` with `reply` (required for an answer
    /// or a rejection): a recorder of the unit's holder or owner, or an
    /// officer whose jurisdiction covers either (the regulator answers in
    /// its own name; the update records the organisation and the user who
    /// acted). Anyone else is told the complaint is not found; a member of
    /// the enterprise who may not record is refused.
    pub async fn update_complaint(
        &self,
        caller: &Caller,
        reference: &str,
        status: &str,
        reply: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if let Tx::Postgres(_) = tx {
            // One change of a complaint at a time: the current state is read under the lock.
            tx.execute(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"), &[])
                .await?;
        }
        let (scope, val) = caller.complaint_scope(2);
        let c = tx
            .fetch_optional(
                &format!("{ENTRY_SQL} WHERE c.reference = $1 AND {scope}"),
                &[reference.trim().into(), val],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "complaint" })?;
        if caller.officer_jurisdiction().is_none() {
            caller.require_recorder()?;
        }
        let to = Status::parse(status).map_err(|e| invalid("status", e))?;
        let current = Status::parse(&c.opt_text("status")?.unwrap_or_else(|| "received".into()))
            .map_err(|e| StoreError::Corrupt(e.en))?;
        let reply = current
            .may_become(to, reply)
            .map_err(|(field, e)| invalid(field, e))?;
        let id = new_id();
        let signer = operator_org(&mut tx).await?.unwrap_or(caller.org_id);
        tx.execute(
            "INSERT INTO complaint_updates (id, complaint_id, status, reply, org_id, acting_user, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
            &params![
                id,
                c.text("id")?,
                to.as_str(),
                reply,
                caller.org_id,
                caller.user_id,
                now_ms()
            ],
        )
        .await?;
        self.log_record(&mut tx, signer, RecordKind::ComplaintUpdate, id, None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The numbers of complaints, photos and updates stored (for tests and
    /// the health page).
    pub async fn complaint_counts(&self) -> Result<(i64, i64, i64)> {
        let r = self
            .db
            .conn()
            .fetch_optional(
                "SELECT (SELECT COUNT(*) FROM complaints) AS c, (SELECT COUNT(*) FROM complaint_photos) AS p, \
                 (SELECT COUNT(*) FROM complaint_updates) AS u",
                &[],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "counts" })?;
        Ok((r.int("c")?, r.int("p")?, r.int("u")?))
    }
}
