//! A testing agency's test report (检验检测报告): the agency's `testing`
//! record of a lot, read back as a report with the check of its signature.
//!
//! The report is the record itself, named by its row id (the id printed on
//! the PDF and in its QR code's link): what was tested (the lot, the sample
//! and who took it), each item's result against its limit and standard,
//! the conclusion, and when. Its signature is the agency's own: capture
//! signs every record with its organisation's key, and the report's check
//! re-derives everything a verifier would, from the stored row: the
//! record's hash from the stored document, its place in the signed batch,
//! the agency's signature, the leaf and its inclusion under a checkpoint
//! signed by the log key (the latest stored one that covers it: a view of
//! the page signs no new checkpoint once one does); and that the signing
//! key is one of the agency's.
//! A record edited after it was signed, or a signature replaced, is shown
//! invalid, with the reason.
//!
//! Anyone may read a report (it is printed for the public, as the lot's
//! tests are shown on its page); only the agency that recorded it prints
//! it ([`Store::own_test_report`]): another organisation is told it is not
//! found. Only records of a testing agency are reports.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use suyuan_core::model::OrgKind;
use suyuan_ledger::bundle::verify_bundle_with_quorum;
use suyuan_ledger::cosignature::Quorum;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{params, Caller, Result, Store, StoreError};

/// One test item of a report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportItem {
    pub item: String,
    /// The result, a number and its unit (`0.9 mg/kg`).
    pub result: String,
    /// The limit, in the same unit.
    pub limit: String,
    /// The standard the limit and the method come from (`GB 2763-2021`).
    pub standard: String,
    pub pass: bool,
}

/// The check of a report's signature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignatureCheck {
    /// The record's hash, the agency's signature over it, its leaf and the
    /// leaf's inclusion in the signed log all check, and the key is the
    /// agency's.
    pub valid: bool,
    /// The signing key's fingerprint (hex).
    pub key_id: Option<String>,
    /// `ed25519` or `sm2`.
    pub algorithm: Option<String>,
    /// Why the check failed, when it did.
    pub problem: Option<String>,
}

/// A test report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestReport {
    /// The report's id (the record's row id).
    pub id: Uuid,
    /// The `testing` record's eventID.
    pub event_id: String,
    pub agency_org_id: Uuid,
    pub agency_name: String,
    /// The agency's unified social credit code.
    pub agency_code: String,
    /// The lot tested (canonical identifier).
    pub lot: String,
    pub sample_id: Option<String>,
    /// Who took the sample (the holder, or a regulator's sampling task).
    pub sampled_by: Option<String>,
    /// When the sample was taken (ms).
    pub sampled_at: Option<i64>,
    pub items: Vec<ReportItem>,
    /// `pass` or `fail`.
    pub conclusion: String,
    /// When the test was recorded (the record's event time, ms).
    pub tested_at: i64,
    /// The record was corrected by an error declaration.
    pub corrected: bool,
    pub signature: SignatureCheck,
}

fn text_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// The tested unit of a `testing` record: its first class or instance.
fn tested_unit(doc: &Value) -> String {
    doc["quantityList"][0]["epcClass"]
        .as_str()
        .or_else(|| doc["epcList"][0].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn items_of(doc: &Value) -> Vec<ReportItem> {
    doc["agri:testItems"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| ReportItem {
                    item: text_of(i, "item"),
                    result: text_of(i, "result"),
                    limit: text_of(i, "limit"),
                    standard: text_of(i, "method"),
                    pass: i["pass"].as_bool().unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl SignatureCheck {
    fn invalid(key_id: Option<String>, algorithm: Option<String>, problem: String) -> Self {
        SignatureCheck {
            valid: false,
            key_id,
            algorithm,
            problem: Some(problem),
        }
    }
}

impl Store {
    /// A testing agency's report by its id; not found for any other record.
    pub async fn test_report(&self, id: Uuid) -> Result<TestReport> {
        let not_found = || StoreError::NotFound { what: "test report" };
        let mut conn = self.db.conn();
        let row = conn
            .fetch_optional(
                "SELECT e.event_id, e.document, e.org_id, e.event_time, e.corrected_by, o.name, o.uscc \
                 FROM events e JOIN organisations o ON o.id = e.org_id \
                 WHERE e.id = $1 AND e.record_kind = 'testing' AND o.kind = $2",
                &params![id, OrgKind::TestingAgency.as_str()],
            )
            .await?
            .ok_or_else(not_found)?;
        let document = row.text("document")?;
        let doc: Value = serde_json::from_str(&document).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let agency = row.uuid("org_id")?;
        let lot = tested_unit(&doc);
        let sampled = conn
            .fetch_optional(
                "SELECT o.name, e.event_time FROM entrustments en JOIN events e ON e.id = en.event_pk \
                 JOIN organisations o ON o.id = e.org_id WHERE en.epc = $1 AND en.agency_org_id = $2 \
                 ORDER BY e.event_time DESC LIMIT 1",
                &params![lot.as_str(), agency],
            )
            .await?;
        let event_id = row.text("event_id")?;
        let signature = self.check_report_signature(&event_id, &document, agency).await?;
        Ok(TestReport {
            id,
            agency_org_id: agency,
            agency_name: row.text("name")?,
            agency_code: row.text("uscc")?,
            sample_id: doc["agri:sampleId"].as_str().map(str::to_owned),
            sampled_by: sampled.as_ref().map(|s| s.text("name")).transpose()?,
            sampled_at: sampled.as_ref().map(|s| s.int("event_time")).transpose()?,
            items: items_of(&doc),
            conclusion: text_of(&doc, "agri:conclusion"),
            tested_at: row.int("event_time")?,
            corrected: row.opt_text("corrected_by")?.is_some(),
            lot,
            event_id,
            signature,
        })
    }

    /// A report of the caller's own agency (to print it); another
    /// organisation's is not found.
    pub async fn own_test_report(&self, caller: &Caller, id: Uuid) -> Result<TestReport> {
        let report = self.test_report(id).await?;
        if report.agency_org_id != caller.org_id {
            return Err(StoreError::NotFound { what: "test report" });
        }
        Ok(report)
    }

    /// Checks the report's record as an offline verifier would (its proof
    /// bundle with the stored document as the record), and that the key
    /// that signed it is the agency's.
    async fn check_report_signature(
        &self,
        event_id: &str,
        document: &str,
        agency: Uuid,
    ) -> Result<SignatureCheck> {
        let mut bundle = match self.proof_bundle_at_latest(event_id).await {
            Ok(b) => b,
            Err(StoreError::Corrupt(why)) => return Ok(SignatureCheck::invalid(None, None, why)),
            Err(e) => return Err(e),
        };
        let key_id = bundle.signer_key.fingerprint().to_hex();
        let algorithm = bundle.signer_key.algorithm().name().to_owned();
        bundle.record = Some(B64.encode(document.as_bytes()));
        let trusted = self.trusted_log().await?;
        if let Err(e) = verify_bundle_with_quorum(&bundle, &trusted, &Quorum::default()) {
            return Ok(SignatureCheck::invalid(
                Some(key_id),
                Some(algorithm),
                e.to_string(),
            ));
        }
        let owner = self
            .db
            .conn()
            .fetch_optional(
                "SELECT org_id FROM org_keys WHERE key_id = $1",
                &params![key_id.as_str()],
            )
            .await?
            .map(|r| r.uuid("org_id"))
            .transpose()?;
        if owner != Some(agency) {
            return Ok(SignatureCheck::invalid(
                Some(key_id),
                Some(algorithm),
                "the signing key is not the agency's".to_owned(),
            ));
        }
        Ok(SignatureCheck {
            valid: true,
            key_id: Some(key_id),
            algorithm: Some(algorithm),
            problem: None,
        })
    }
}
