//! Management documents (R-4.3.1.1 a/e, R-4.3.3.3): the traceability
//! implementation plan, the quality policy, production procedures, testing
//! record rules, the traceability policy and the internal audit plan, each
//! versioned (`archive_documents`) with the date it takes effect and its
//! text attached.

use serde::Serialize;
use suyuan_core::archives::{self as rules, DocumentKind};
use utoipa::ToSchema;
use uuid::Uuid;

use super::attachments::{joined, select_joined};
use super::{Attach, AttachmentInfo, NewVersion, Stamp, Versions};
use crate::db::Row;
use crate::master_log::RecordKind;
use crate::{Caller, Page, PageRequest, Result, Store, StoreError};

/// A document's version as written.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub kind: String,
    pub title: String,
    /// YYYY-MM-DD.
    pub effective_from: String,
    pub summary: Option<String>,
    pub attachment: Attach,
}

/// A version of a document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub kind: String,
    /// The kind in Chinese.
    pub kind_zh: String,
    pub title: String,
    pub effective_from: String,
    pub summary: Option<String>,
    pub attachment: Option<AttachmentInfo>,
}

const TABLE: &str = "archive_documents";

fn decode(r: &Row) -> Result<Document> {
    let kind = r.text("kind")?;
    Ok(Document {
        stamp: Stamp::of(r)?,
        kind_zh: DocumentKind::parse(&kind)
            .map(|k| k.zh())
            .unwrap_or_default()
            .into(),
        kind,
        title: r.text("title")?,
        effective_from: r.text("effective_from")?,
        summary: r.opt_text("summary")?,
        attachment: joined(r)?,
    })
}

impl Store {
    /// Records a document (`entry` `None`) or a new version of one.
    pub async fn record_document(
        &self,
        caller: &Caller,
        entry: Option<Uuid>,
        new: &NewDocument,
    ) -> Result<Versions<Document>> {
        caller.require_verified_recorder()?;
        let f = |field: &'static str| move |e| StoreError::invalid(field, e);
        let kind = DocumentKind::parse(&new.kind).map_err(f("kind"))?;
        let title = rules::short(&new.title).map_err(f("title"))?;
        let effective = rules::date(&new.effective_from).map_err(f("effective_from"))?;
        let summary = rules::opt_long(new.summary.as_deref()).map_err(f("summary"))?;
        let mut tx = self.db.begin().await?;
        let previous = match entry {
            Some(e) => self
                .current_row(&mut tx, caller, RecordKind::ArchiveDocument, "document", e)
                .await?
                .opt_text("attachment_id")?,
            None => None,
        };
        let attachment = self
            .resolve_attachment(&mut tx, caller, "attachment", &new.attachment, previous)
            .await?;
        let (_, entry_id) = self
            .insert_version(
                &mut tx,
                NewVersion {
                    kind: RecordKind::ArchiveDocument,
                    what: "document",
                    entry,
                    columns: vec![
                        ("kind", kind.as_str().into()),
                        ("title", title.into()),
                        ("effective_from", effective.into()),
                        ("summary", summary.into()),
                        ("attachment_id", attachment.into()),
                    ],
                    caller,
                },
            )
            .await?;
        tx.commit().await?;
        self.document(caller, entry_id).await
    }

    /// The current version of each document the caller may read (with
    /// `org`, of that organisation only).
    pub async fn documents(
        &self,
        caller: &Caller,
        org: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Document>> {
        self.current_versions(caller, org, &select_joined(TABLE), TABLE, page, decode)
            .await
    }

    /// A document with every version it had.
    pub async fn document(&self, caller: &Caller, entry: Uuid) -> Result<Versions<Document>> {
        self.versions(caller, "document", &select_joined(TABLE), entry, decode)
            .await
    }
}
