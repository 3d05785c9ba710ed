//! A testing agency's inbox: the samples entrusted to it by a `sampling`
//! record (the holder's, or a regulator's officer's sampling task), with
//! who took each, when, its sample number and whether the agency has
//! recorded a test of the unit yet. Read from the derived `entrustments`
//! and the sampling events; the agency's results are its own `testing`
//! records, captured like any other (the capture refuses a test of a unit
//! nobody entrusted to it), each read back as a test report
//! ([`crate::test_reports`]).

use serde::Serialize;
use suyuan_core::model::OrgKind;

use crate::{params, Caller, Result, Store, StoreError};

/// One sample entrusted to the agency.
#[derive(Debug, Clone, Serialize)]
pub struct EntrustedSample {
    /// The unit sampled (canonical identifier).
    pub epc: String,
    pub sample_id: Option<String>,
    /// The organisation that took the sample (holder or regulator).
    pub sampled_by: String,
    /// When it was taken (ms).
    pub sampled_at: i64,
    /// The sampling record's eventID.
    pub sampling_event: String,
    /// The agency has recorded a test of the unit.
    pub tested: bool,
    /// The agency's latest test report of the unit (its `testing` record's
    /// row id), once tested.
    pub report: Option<uuid::Uuid>,
}

impl Store {
    /// The samples entrusted to the caller's testing agency, latest first.
    pub async fn entrusted_samples(&self, caller: &Caller) -> Result<Vec<EntrustedSample>> {
        if caller.org_kind != OrgKind::TestingAgency {
            return Err(StoreError::forbidden(
                "testing_agency_only",
                "only a testing agency receives samples",
                "只有检测机构接收样品",
            ));
        }
        self.db
            .conn()
            .fetch_all(
                "SELECT en.epc, e.event_id, e.event_time, e.document, o.name, \
                 (SELECT t.id FROM events t JOIN event_epcs x ON x.event_pk = t.id \
                   WHERE t.org_id = $1 AND t.record_kind = 'testing' AND x.epc = en.epc \
                   ORDER BY t.event_time DESC, t.id DESC LIMIT 1) AS report \
                 FROM entrustments en JOIN events e ON e.id = en.event_pk JOIN organisations o ON o.id = e.org_id \
                 WHERE en.agency_org_id = $1 ORDER BY e.event_time DESC, e.id DESC LIMIT 500",
                &params![caller.org_id],
            )
            .await?
            .iter()
            .map(|r| {
                let doc: serde_json::Value = serde_json::from_str(&r.text("document")?).unwrap_or_default();
                Ok(EntrustedSample {
                    epc: r.text("epc")?,
                    sample_id: doc["agri:sampleId"].as_str().map(str::to_owned),
                    sampled_by: r.text("name")?,
                    sampled_at: r.int("event_time")?,
                    sampling_event: r.text("event_id")?,
                    tested: r.opt_text("report")?.is_some(),
                    report: r.opt_uuid("report")?,
                })
            })
            .collect()
    }
}
