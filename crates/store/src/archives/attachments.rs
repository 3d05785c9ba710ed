//! Files attached to archive records (`archive_attachments`, logged records
//! `archive_attachment`): a document's text, a training's material. The
//! type is read from the bytes (`suyuan_core::archives::attachment_type`:
//! PDF, PNG, JPEG, DOCX, XLSX), never taken from the sender; the size is
//! bounded; the bytes are kept with the record, in the database on both
//! backends, as base64, with their SHA-256, all of it covered by the leaf.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use suyuan_core::archives as rules;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::master_log::RecordKind;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// A file to attach.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Which file a version carries.
#[derive(Debug, Clone, Default)]
pub enum Attach {
    /// None given: a new entry has none, a new version keeps its
    /// predecessor's.
    #[default]
    Keep,
    /// A file uploaded before (`POST /api/v1/archives/attachments`).
    Existing(Uuid),
    /// A file sent with the record (a console form), stored in its
    /// transaction.
    New(NewAttachment),
}

/// An attachment as listed with its record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentInfo {
    pub id: Uuid,
    pub file_name: String,
    /// As the file's bytes say.
    pub media_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub created_at: i64,
}

/// Selects the rows of `table` (alias `t`) with the columns of their
/// attachment (alias `a`, prefixed `a_`), for [`joined`].
pub(crate) fn select_joined(table: &str) -> String {
    format!(
        "SELECT t.*, a.id AS a_id, a.file_name AS a_file_name, a.media_type AS a_media_type, \
         a.size_bytes AS a_size_bytes, a.sha256 AS a_sha256, a.created_at AS a_created_at \
         FROM {table} t LEFT JOIN archive_attachments a ON a.id = t.attachment_id"
    )
}

/// The attachment joined to a record's row, if it has one.
pub(crate) fn joined(r: &Row) -> Result<Option<AttachmentInfo>> {
    let Some(id) = r.opt_uuid("a_id")? else {
        return Ok(None);
    };
    Ok(Some(AttachmentInfo {
        id,
        file_name: r.text("a_file_name")?,
        media_type: r.text("a_media_type")?,
        size_bytes: r.int("a_size_bytes")?,
        sha256: r.text("a_sha256")?,
        created_at: r.int("a_created_at")?,
    }))
}

fn info(r: &Row) -> Result<AttachmentInfo> {
    Ok(AttachmentInfo {
        id: r.uuid("id")?,
        file_name: r.text("file_name")?,
        media_type: r.text("media_type")?,
        size_bytes: r.int("size_bytes")?,
        sha256: r.text("sha256")?,
        created_at: r.int("created_at")?,
    })
}

impl Store {
    /// Stores and logs a file inside `tx`; `field` names it in a refusal.
    async fn store_attachment(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        field: &str,
        new: &NewAttachment,
    ) -> Result<Uuid> {
        let media_type = rules::attachment_type(&new.bytes).map_err(|e| StoreError::invalid(field, e))?;
        let file_name = rules::file_name(&new.file_name)
            .map_err(|e| StoreError::invalid(format!("{field}.file_name"), e))?;
        let id = new_id();
        tx.execute(
            "INSERT INTO archive_attachments (id, org_id, file_name, media_type, size_bytes, sha256, data, acting_user, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            &params![
                id,
                caller.org_id,
                file_name,
                media_type,
                new.bytes.len() as i64,
                hex::encode(Sha256::digest(&new.bytes)),
                B64.encode(&new.bytes),
                caller.user_id,
                now_ms()
            ],
        )
        .await?;
        self.log_record(tx, caller.org_id, RecordKind::ArchiveAttachment, id, None)
            .await?;
        Ok(id)
    }

    /// Uploads a file to attach to records later (a recorder of a verified
    /// organisation). Refused, storing nothing, when its bytes are not a
    /// PDF, PNG, JPEG, DOCX or XLSX or it is too large (field `file`).
    pub async fn upload_attachment(&self, caller: &Caller, new: &NewAttachment) -> Result<AttachmentInfo> {
        caller.require_verified_recorder()?;
        let mut tx = self.db.begin().await?;
        let id = self.store_attachment(&mut tx, caller, "file", new).await?;
        let row = tx
            .fetch_optional("SELECT * FROM archive_attachments WHERE id = $1", &params![id])
            .await?
            .ok_or(StoreError::NotFound { what: "attachment" })?;
        tx.commit().await?;
        info(&row)
    }

    /// The attachment a version carries, inside its transaction: `previous`
    /// kept, one of the organisation's uploads (another's is refused as
    /// not found in `field`), or a new file stored now.
    pub(crate) async fn resolve_attachment(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        field: &str,
        attach: &Attach,
        previous: Option<String>,
    ) -> Result<Option<String>> {
        match attach {
            Attach::Keep => Ok(previous),
            Attach::New(new) => Ok(Some(
                self.store_attachment(tx, caller, field, new).await?.to_string(),
            )),
            Attach::Existing(id) => {
                let found = tx
                    .fetch_optional(
                        "SELECT id FROM archive_attachments WHERE id = $1 AND org_id = $2",
                        &params![*id, caller.org_id],
                    )
                    .await?;
                match found {
                    Some(_) => Ok(Some(id.to_string())),
                    None => Err(StoreError::invalid(
                        field,
                        suyuan_core::Invalid::new(
                            "reference_not_found",
                            format!("{field}: no such attachment in your organisation"),
                            format!("{field}：本机构没有该附件"),
                        ),
                    )),
                }
            }
        }
    }

    /// An attachment the caller may read: its description and bytes.
    pub async fn attachment(&self, caller: &Caller, id: Uuid) -> Result<(AttachmentInfo, Vec<u8>)> {
        let (scope, p) = caller.record_scope("t", 2);
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT t.* FROM archive_attachments t WHERE t.id = $1 AND {scope}"),
                &[id.into(), p],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "attachment" })?;
        let bytes = B64
            .decode(row.text("data")?)
            .map_err(|e| StoreError::Corrupt(format!("attachment {id}: {e}")))?;
        Ok((info(&row)?, bytes))
    }
}
