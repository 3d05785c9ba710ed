//! Training sessions (R-4.3.4.2, 培训档案): when, on what, by whom, who
//! attended, and the material handed out (an attachment), versioned
//! (`archive_trainings`).

use serde::Serialize;
use suyuan_core::archives as rules;
use utoipa::ToSchema;
use uuid::Uuid;

use super::attachments::{joined, select_joined};
use super::{Attach, AttachmentInfo, NewVersion, Stamp, Versions};
use crate::db::Row;
use crate::master_log::RecordKind;
use crate::{Caller, Page, PageRequest, Result, Store, StoreError};

/// A training session's version as written.
#[derive(Debug, Clone)]
pub struct NewTraining {
    /// YYYY-MM-DD.
    pub held_on: String,
    pub topic: String,
    pub content: String,
    pub trainer: String,
    pub attendees: Vec<String>,
    pub attachment: Attach,
}

/// A version of a training session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Training {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub held_on: String,
    pub topic: String,
    pub content: String,
    pub trainer: String,
    pub attendees: Vec<String>,
    /// The material.
    pub attachment: Option<AttachmentInfo>,
}

const TABLE: &str = "archive_trainings";

fn decode(r: &Row) -> Result<Training> {
    Ok(Training {
        stamp: Stamp::of(r)?,
        held_on: r.text("held_on")?,
        topic: r.text("topic")?,
        content: r.text("content")?,
        trainer: r.text("trainer")?,
        attendees: serde_json::from_str(&r.text("attendees")?)
            .map_err(|e| StoreError::Corrupt(format!("attendees: {e}")))?,
        attachment: joined(r)?,
    })
}

impl Store {
    /// Records a training session (`entry` `None`) or a new version of one.
    pub async fn record_training(
        &self,
        caller: &Caller,
        entry: Option<Uuid>,
        new: &NewTraining,
    ) -> Result<Versions<Training>> {
        caller.require_verified_recorder()?;
        let f = |field: &'static str| move |e| StoreError::invalid(field, e);
        let held_on = rules::date(&new.held_on).map_err(f("held_on"))?;
        let topic = rules::short(&new.topic).map_err(f("topic"))?;
        let content = rules::long(&new.content).map_err(f("content"))?;
        let trainer = rules::short(&new.trainer).map_err(f("trainer"))?;
        let attendees = rules::names(&new.attendees).map_err(|(i, e)| match i {
            Some(i) => StoreError::invalid(format!("attendees[{i}]"), e),
            None => StoreError::invalid("attendees", e),
        })?;
        let attendees = serde_json::to_string(&attendees).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let previous = match entry {
            Some(e) => self
                .current_row(&mut tx, caller, RecordKind::ArchiveTraining, "training", e)
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
                    kind: RecordKind::ArchiveTraining,
                    what: "training",
                    entry,
                    columns: vec![
                        ("held_on", held_on.into()),
                        ("topic", topic.into()),
                        ("content", content.into()),
                        ("trainer", trainer.into()),
                        ("attendees", attendees.into()),
                        ("attachment_id", attachment.into()),
                    ],
                    caller,
                },
            )
            .await?;
        tx.commit().await?;
        self.training(caller, entry_id).await
    }

    /// The current version of each training session the caller may read
    /// (with `org`, of that organisation only).
    pub async fn trainings(
        &self,
        caller: &Caller,
        org: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Training>> {
        self.current_versions(caller, org, &select_joined(TABLE), TABLE, page, decode)
            .await
    }

    /// A training session with every version it had.
    pub async fn training(&self, caller: &Caller, entry: Uuid) -> Result<Versions<Training>> {
        self.versions(caller, "training", &select_joined(TABLE), entry, decode)
            .await
    }
}
