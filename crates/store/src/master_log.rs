//! Master-data records in the transparency log: places, products, suppliers,
//! inputs and input purchases are signed by their organisation and appended as leaves,
//! in the transaction that inserts them, like events (R-5.3.1.1: enterprise
//! and product data are certified too).
//!
//! - **canonical bytes**: the canonical JSON (`suyuan_ledger::record::canonical_json`:
//!   sorted keys, no whitespace) of an object holding `"record"` (the kind:
//!   `place`, `product`, `supplier`, `input`, `input_purchase`, `item_issue`, `org_record`,
//!   `unit_allocation`, `row_state`, `certificate`, `certificate_void`,
//!   `certificate_receipt`, `recall`, `recall_act`, `calendar_day`,
//!   `complaint`, `complaint_photo`, `complaint_update`, `oversight_record`,
//!   `device`, `device_state`, `reading_batch`, `archive_attachment`,
//!   `archive_document`, `archive_customer`, `archive_training`,
//!   `archive_audit`, `archive_nonconformity`, `device_move`,
//!   `device_attachment`, `master_version`) and every
//!   stored column of the row listed in `RecordKind::columns` under its column name (text
//!   as strings, integers and floats as numbers, booleans, SQL NULL as
//!   `null`), `id` and `created_at` included; a column added after records
//!   were logged (a product's `company_prefix`) appears only when not NULL,
//!   so records logged before it keep their hash. The record hash is SHA-256 of
//!   those bytes, so `verify` re-derives it from the row and catches an edit
//!   of any column;
//! - **the leaf** is named `<kind>:<id>` (`tlog_leaves.event_id`, with
//!   `event_pk` = the row id and `record_kind` = the kind), signed by the
//!   organisation's platform-held key (leaf version 1);
//! - **a detached client signature** (the UKey case) comes with the create
//!   request (headers `Suyuan-Signature-Key`: public key text or
//!   fingerprint, `Suyuan-Signature`: base64). The client signs
//!   `signed_message(sha256, S)` with
//!   `S = SHA-256("suyuan-master-data/v1\n" || kind || "\n" || request body bytes as sent)`;
//!   the leaf is then version 2 (binding `S` and the record hash). The rules
//!   are those of events: unknown, revoked or wrong key, or a signature that
//!   does not verify, refuse the request; so does a missing signature when
//!   the platform holds no key for the organisation. Nothing is stored then.
//!
//! A proof bundle of such a record: `GET /tlog/proof?record=<kind>:<id>`.

use suyuan_core::Invalid;
use suyuan_ledger::keys::Signature;
use suyuan_ledger::record::{canonical_json, SignedRecord};
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::detached::DetachedSignature;
use crate::tlog::{NewLeaf, APPEND_LOCK, LOG_HASH};
use crate::{params, Result, Store, StoreError};

/// Domain separation of a master-data record's client-signed hash.
pub const MASTER_DATA_CONTEXT: &str = "suyuan-master-data/v1\n";

/// A detached signature sent with a create request, with the body it covers.
#[derive(Debug, Clone)]
pub struct ClientSignature {
    /// Public key text or fingerprint (header `Suyuan-Signature-Key`).
    pub key: String,
    /// Base64 signature (header `Suyuan-Signature`).
    pub signature: String,
    /// The request body, exactly as sent.
    pub body: Vec<u8>,
}

/// The type of a column in the canonical form.
#[derive(Debug, Clone, Copy)]
enum Col {
    Text,
    Int,
    Float,
    Bool,
    /// Text added after records were logged: left out when NULL.
    AddedText,
}

/// The kinds of master-data records the log covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Place,
    Product,
    Supplier,
    Input,
    InputPurchase,
    /// An issue of item codes for a lot (`item_issues`).
    ItemIssue,
    /// A state of an organisation (`org_records`).
    OrgRecord,
    /// A unit allocated before any event named it (`unit_allocations`).
    UnitAllocation,
    /// A state of a row of a mutable register (`row_states`).
    RowState,
    /// A 承诺达标合格证 (`certificates`).
    Certificate,
    /// A certificate voided (`certificate_voids`).
    CertificateVoid,
    /// A certificate a buyer received (`certificate_receipts`).
    CertificateReceipt,
    /// A recall or a drill, with the affected set it binds (`recalls`).
    Recall,
    /// An acknowledgement, accounting or closing of a recall (`recall_acts`).
    RecallAct,
    /// A day of the holiday calendar (`calendar_days`).
    CalendarDay,
    /// A consumer's complaint (`complaints`).
    Complaint,
    /// A photo of a complaint (`complaint_photos`).
    ComplaintPhoto,
    /// A state a complaint takes, with its reply (`complaint_updates`).
    ComplaintUpdate,
    /// An officer's inspection or records sampling check (`oversight_records`).
    OversightRecord,
    /// A registered device (`devices`).
    Device,
    /// A device enabled or disabled (`device_states`).
    DeviceState,
    /// An accepted batch of a device's readings (`reading_batches`).
    ReadingBatch,
    /// A file attached to an archive record (`archive_attachments`).
    ArchiveAttachment,
    /// A version of a management document (`archive_documents`).
    ArchiveDocument,
    /// A version of a customer or distributor (`archive_customers`).
    ArchiveCustomer,
    /// A version of a training session (`archive_trainings`).
    ArchiveTraining,
    /// A version of an internal audit (`archive_audits`).
    ArchiveAudit,
    /// A version of a nonconformity (`archive_nonconformities`).
    ArchiveNonconformity,
    /// A device moved to another place (`device_moves`).
    DeviceMove,
    /// A device attached to or detached from a lot or unit (`device_attachments`).
    DeviceAttachment,
    /// A version of a place, product, supplier or input after its first
    /// (`master_versions`).
    MasterVersion,
}

impl RecordKind {
    pub const ALL: [RecordKind; 31] = [
        RecordKind::Place,
        RecordKind::Product,
        RecordKind::Supplier,
        RecordKind::Input,
        RecordKind::InputPurchase,
        RecordKind::ItemIssue,
        RecordKind::OrgRecord,
        RecordKind::UnitAllocation,
        RecordKind::RowState,
        RecordKind::Certificate,
        RecordKind::CertificateVoid,
        RecordKind::CertificateReceipt,
        RecordKind::Recall,
        RecordKind::RecallAct,
        RecordKind::CalendarDay,
        RecordKind::Complaint,
        RecordKind::ComplaintPhoto,
        RecordKind::ComplaintUpdate,
        RecordKind::OversightRecord,
        RecordKind::Device,
        RecordKind::DeviceState,
        RecordKind::ReadingBatch,
        RecordKind::ArchiveAttachment,
        RecordKind::ArchiveDocument,
        RecordKind::ArchiveCustomer,
        RecordKind::ArchiveTraining,
        RecordKind::ArchiveAudit,
        RecordKind::ArchiveNonconformity,
        RecordKind::DeviceMove,
        RecordKind::DeviceAttachment,
        RecordKind::MasterVersion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Place => "place",
            RecordKind::Product => "product",
            RecordKind::Supplier => "supplier",
            RecordKind::Input => "input",
            RecordKind::InputPurchase => "input_purchase",
            RecordKind::ItemIssue => "item_issue",
            RecordKind::OrgRecord => "org_record",
            RecordKind::UnitAllocation => "unit_allocation",
            RecordKind::RowState => "row_state",
            RecordKind::Certificate => "certificate",
            RecordKind::CertificateVoid => "certificate_void",
            RecordKind::CertificateReceipt => "certificate_receipt",
            RecordKind::Recall => "recall",
            RecordKind::RecallAct => "recall_act",
            RecordKind::CalendarDay => "calendar_day",
            RecordKind::Complaint => "complaint",
            RecordKind::ComplaintPhoto => "complaint_photo",
            RecordKind::ComplaintUpdate => "complaint_update",
            RecordKind::OversightRecord => "oversight_record",
            RecordKind::Device => "device",
            RecordKind::DeviceState => "device_state",
            RecordKind::ReadingBatch => "reading_batch",
            RecordKind::ArchiveAttachment => "archive_attachment",
            RecordKind::ArchiveDocument => "archive_document",
            RecordKind::ArchiveCustomer => "archive_customer",
            RecordKind::ArchiveTraining => "archive_training",
            RecordKind::ArchiveAudit => "archive_audit",
            RecordKind::ArchiveNonconformity => "archive_nonconformity",
            RecordKind::DeviceMove => "device_move",
            RecordKind::DeviceAttachment => "device_attachment",
            RecordKind::MasterVersion => "master_version",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The table holding the records.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Place => "places",
            RecordKind::Product => "products",
            RecordKind::Supplier => "suppliers",
            RecordKind::Input => "inputs",
            RecordKind::InputPurchase => "input_purchases",
            RecordKind::ItemIssue => "item_issues",
            RecordKind::OrgRecord => "org_records",
            RecordKind::UnitAllocation => "unit_allocations",
            RecordKind::RowState => "row_states",
            RecordKind::Certificate => "certificates",
            RecordKind::CertificateVoid => "certificate_voids",
            RecordKind::CertificateReceipt => "certificate_receipts",
            RecordKind::Recall => "recalls",
            RecordKind::RecallAct => "recall_acts",
            RecordKind::CalendarDay => "calendar_days",
            RecordKind::Complaint => "complaints",
            RecordKind::ComplaintPhoto => "complaint_photos",
            RecordKind::ComplaintUpdate => "complaint_updates",
            RecordKind::OversightRecord => "oversight_records",
            RecordKind::Device => "devices",
            RecordKind::DeviceState => "device_states",
            RecordKind::ReadingBatch => "reading_batches",
            RecordKind::ArchiveAttachment => "archive_attachments",
            RecordKind::ArchiveDocument => "archive_documents",
            RecordKind::ArchiveCustomer => "archive_customers",
            RecordKind::ArchiveTraining => "archive_trainings",
            RecordKind::ArchiveAudit => "archive_audits",
            RecordKind::ArchiveNonconformity => "archive_nonconformities",
            RecordKind::DeviceMove => "device_moves",
            RecordKind::DeviceAttachment => "device_attachments",
            RecordKind::MasterVersion => "master_versions",
        }
    }

    /// The columns of the canonical form, with their types.
    fn columns(self) -> &'static [(&'static str, Col)] {
        use Col::*;
        match self {
            RecordKind::Place => &[
                ("id", Text),
                ("org_id", Text),
                ("kind", Text),
                ("name", Text),
                ("parent_id", Text),
                ("gln", Text),
                ("region", Text),
                ("address", Text),
                ("latitude", Float),
                ("longitude", Float),
                ("polygon", Text),
                ("area_m2", Float),
                ("crops", Text),
                ("soil_type", Text),
                ("water_source", Text),
                ("irrigation", Text),
                ("environment_tests", Text),
                ("temperature_controlled", Bool),
                ("temperature_min", Float),
                ("temperature_max", Float),
                ("plate_number", Text),
                ("created_at", Int),
            ],
            RecordKind::Product => &[
                ("id", Text),
                ("org_id", Text),
                ("gtin", Text),
                ("name", Text),
                ("category", Text),
                ("variety", Text),
                ("specification", Text),
                ("unit", Text),
                ("shelf_life_days", Int),
                ("origin_region", Text),
                ("origin", Text),
                ("description", Text),
                ("created_at", Int),
                ("company_prefix", AddedText),
            ],
            RecordKind::Supplier => &[
                ("id", Text),
                ("org_id", Text),
                ("name", Text),
                ("uscc", Text),
                ("contact_name", Text),
                ("contact_phone", Text),
                ("address", Text),
                ("licence_number", Text),
                ("created_at", Int),
            ],
            RecordKind::Input => &[
                ("id", Text),
                ("org_id", Text),
                ("kind", Text),
                ("name", Text),
                ("manufacturer", Text),
                ("registration_number", Text),
                ("active_ingredient", Text),
                ("pre_harvest_interval_days", Int),
                ("specification", Text),
                ("unit", Text),
                ("created_at", Int),
            ],
            RecordKind::InputPurchase => &[
                ("id", Text),
                ("org_id", Text),
                ("input_id", Text),
                ("supplier_id", Text),
                ("lot_number", Text),
                ("quantity", Float),
                ("unit", Text),
                ("purchased_on", Text),
                ("storage_place_id", Text),
                ("storage_conditions", Text),
                ("created_at", Int),
            ],
            RecordKind::ItemIssue => &[
                ("id", Text),
                ("org_id", Text),
                ("lot_epc", Text),
                ("item_count", Int),
                ("serials_sha256", Text),
                ("issued_by", Text),
                ("override_reason", Text),
                ("created_at", Int),
            ],
            RecordKind::OrgRecord => &[
                ("id", Text),
                ("org_id", Text),
                ("action", Text),
                ("status", Text),
                ("status_reason", Text),
                ("acting_user", Text),
                ("snapshot", Text),
                ("created_at", Int),
            ],
            RecordKind::UnitAllocation => &[
                ("id", Text),
                ("org_id", Text),
                ("epc", Text),
                ("kind", Text),
                ("origin_place", Text),
                ("allocated_by", Text),
                ("created_at", Int),
            ],
            RecordKind::RowState => &[
                ("id", Text),
                ("table_name", Text),
                ("row_key", Text),
                ("action", Text),
                ("snapshot", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::Certificate => &[
                ("id", Text),
                ("number", Text),
                ("org_id", Text),
                ("subject_kind", Text),
                ("subject", Text),
                ("style", Text),
                ("basis", Text),
                ("test_event", Text),
                ("product_name", Text),
                ("quantity", Float),
                ("unit", Text),
                ("origin", Text),
                ("committer_name", Text),
                ("committer_code", Text),
                ("committer_contact", Text),
                ("issue_date", Text),
                ("parents", Text),
                ("issued_by", Text),
                ("created_at", Int),
            ],
            RecordKind::CertificateVoid => &[
                ("id", Text),
                ("certificate_id", Text),
                ("org_id", Text),
                ("reason", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::CertificateReceipt => &[
                ("id", Text),
                ("org_id", Text),
                ("number", Text),
                ("despatch_ref", Text),
                ("certificate_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::Recall => &[
                ("id", Text),
                ("org_id", Text),
                ("start_code", Text),
                ("test_event", Text),
                ("level", Text),
                ("reason", Text),
                ("drill", Bool),
                ("plan", Text),
                ("affected_count", Int),
                ("affected_sha256", Text),
                ("report_by", Int),
                ("complete_by", Text),
                ("started_by", Text),
                ("created_at", Int),
            ],
            RecordKind::RecallAct => &[
                ("id", Text),
                ("recall_id", Text),
                ("org_id", Text),
                ("action", Text),
                ("removed", Float),
                ("returned", Float),
                ("destroyed", Float),
                ("note", Text),
                ("event_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::CalendarDay => &[
                ("id", Text),
                ("day", Text),
                ("status", Text),
                ("note", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::Complaint => &[
                ("id", Text),
                ("reference", Text),
                ("unit_epc", Text),
                ("holder_org_id", Text),
                ("owner_org_id", Text),
                ("category", Text),
                ("description", Text),
                ("phone_cipher", Text),
                ("phone_masked", Text),
                ("photo_count", Int),
                ("photos_sha256", Text),
                ("acknowledge_by", Int),
                ("created_at", Int),
            ],
            RecordKind::ComplaintPhoto => &[
                ("id", Text),
                ("complaint_id", Text),
                ("position", Int),
                ("media_type", Text),
                ("sha256", Text),
                ("data", Text),
                ("created_at", Int),
            ],
            RecordKind::ComplaintUpdate => &[
                ("id", Text),
                ("complaint_id", Text),
                ("status", Text),
                ("reply", Text),
                ("org_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::OversightRecord => &[
                ("id", Text),
                ("kind", Text),
                ("org_id", Text),
                ("officer_org_id", Text),
                ("acting_user", Text),
                ("period_from", Int),
                ("period_to", Int),
                ("sample_size", Int),
                ("failed", Int),
                ("findings", Text),
                ("conclusion", Text),
                ("created_at", Int),
            ],
            RecordKind::Device => &[
                ("id", Text),
                ("org_id", Text),
                ("name", Text),
                ("kind", Text),
                ("place_id", Text),
                ("created_by", Text),
                ("created_at", Int),
                ("giai", AddedText),
            ],
            RecordKind::DeviceState => &[
                ("id", Text),
                ("device_id", Text),
                ("org_id", Text),
                ("enabled", Bool),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::ReadingBatch => &[
                ("id", Text),
                ("org_id", Text),
                ("device_id", Text),
                ("reading_count", Int),
                ("first_time", Int),
                ("last_time", Int),
                ("readings_sha256", Text),
                ("created_at", Int),
            ],
            RecordKind::ArchiveAttachment => &[
                ("id", Text),
                ("org_id", Text),
                ("file_name", Text),
                ("media_type", Text),
                ("size_bytes", Int),
                ("sha256", Text),
                ("data", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::ArchiveDocument => &[
                ("id", Text),
                ("org_id", Text),
                ("entry_id", Text),
                ("version", Int),
                ("kind", Text),
                ("title", Text),
                ("effective_from", Text),
                ("summary", Text),
                ("attachment_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::ArchiveCustomer => &[
                ("id", Text),
                ("org_id", Text),
                ("entry_id", Text),
                ("version", Int),
                ("kind", Text),
                ("name", Text),
                ("uscc", Text),
                ("party_org_id", Text),
                ("contact_name", Text),
                ("contact_phone", Text),
                ("address", Text),
                ("note", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::ArchiveTraining => &[
                ("id", Text),
                ("org_id", Text),
                ("entry_id", Text),
                ("version", Int),
                ("held_on", Text),
                ("topic", Text),
                ("content", Text),
                ("trainer", Text),
                ("attendees", Text),
                ("attachment_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::ArchiveAudit => &[
                ("id", Text),
                ("org_id", Text),
                ("entry_id", Text),
                ("version", Int),
                ("audited_on", Text),
                ("scope", Text),
                ("auditor", Text),
                ("checklist", Text),
                ("findings", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::ArchiveNonconformity => &[
                ("id", Text),
                ("org_id", Text),
                ("entry_id", Text),
                ("version", Int),
                ("audit_entry_id", Text),
                ("description", Text),
                ("cause", Text),
                ("corrective_action", Text),
                ("owner", Text),
                ("due_on", Text),
                ("status", Text),
                ("verification", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::DeviceMove => &[
                ("id", Text),
                ("device_id", Text),
                ("org_id", Text),
                ("from_place_id", Text),
                ("place_id", Text),
                ("event_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::DeviceAttachment => &[
                ("id", Text),
                ("device_id", Text),
                ("org_id", Text),
                ("unit_epc", Text),
                ("attached", Bool),
                ("event_id", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
            RecordKind::MasterVersion => &[
                ("id", Text),
                ("org_id", Text),
                ("record", Text),
                ("entry_id", Text),
                ("version", Int),
                ("action", Text),
                ("active", Bool),
                ("content", Text),
                ("acting_user", Text),
                ("created_at", Int),
            ],
        }
    }

    /// The names of the columns of the canonical form.
    pub(crate) fn column_names(self) -> impl Iterator<Item = &'static str> {
        self.columns().iter().map(|c| c.0)
    }

    /// The record's canonical bytes, from its stored row.
    pub fn canonical_bytes(self, row: &Row) -> Result<Vec<u8>> {
        use serde_json::Value;
        let mut obj = serde_json::Map::new();
        obj.insert("record".into(), Value::from(self.as_str()));
        for (name, col) in self.columns() {
            let v = match col {
                Col::Text => row.opt_text(name)?.map(Value::from),
                Col::Int => row.opt_int(name)?.map(Value::from),
                Col::Float => row.opt_float(name)?.map(Value::from),
                Col::Bool => row.opt_bool(name)?.map(Value::from),
                Col::AddedText => match row.opt_text(name)? {
                    Some(t) => Some(Value::from(t)),
                    None => continue,
                },
            };
            obj.insert((*name).into(), v.unwrap_or(Value::Null));
        }
        Ok(canonical_json(&Value::Object(obj)).into_bytes())
    }

    /// The name of a record's leaf: `<kind>:<id>`.
    pub fn leaf_name(self, id: &str) -> String {
        format!("{}:{id}", self.as_str())
    }
}

/// Takes the log's append lock (PostgreSQL) and reads a just-inserted
/// record's row and record hash.
async fn record_row(tx: &mut Tx, kind: RecordKind, id: Uuid) -> Result<(Row, suyuan_ledger::hash::Hash)> {
    if let Tx::Postgres(_) = tx {
        tx.execute(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"), &[])
            .await?;
    }
    let row = tx
        .fetch_optional(
            &format!("SELECT * FROM {} WHERE id = $1", kind.table()),
            &params![id],
        )
        .await?
        .ok_or(StoreError::NotFound { what: "record" })?;
    let record_hash = LOG_HASH.digest(&kind.canonical_bytes(&row)?);
    Ok((row, record_hash))
}

fn refused(field: &str, invalid: Invalid) -> StoreError {
    StoreError::invalid(field, invalid)
}

impl Store {
    /// Checks a create request's detached signature (see the module doc)
    /// before anything is written. `None` with `Ok`: the platform signs.
    pub(crate) async fn check_record_signature(
        &self,
        org_id: Uuid,
        kind: RecordKind,
        signature: Option<&ClientSignature>,
    ) -> Result<Option<DetachedSignature>> {
        let keys = self.signature_keys(org_id).await?;
        let Some(sig) = signature else {
            if keys.needs_client_signature() {
                return Err(refused(
                    "Suyuan-Signature",
                    Invalid::new(
                        "signature_missing",
                        "your organisation signs with its own key, which the platform does not hold: sign the request body and send the signature",
                        "贵机构使用自持密钥签名，平台不持有该私钥：请对请求体签名并随请求提交签名",
                    ),
                ));
            }
            return Ok(None);
        };
        let signature = Signature::from_base64(sig.signature.trim()).map_err(|_| {
            refused(
                "Suyuan-Signature",
                Invalid::new(
                    "signature_malformed",
                    "must be standard base64 of a 64-byte signature",
                    "应为 64 字节签名的标准 base64 编码",
                ),
            )
        })?;
        let mut bytes = MASTER_DATA_CONTEXT.as_bytes().to_vec();
        bytes.extend_from_slice(kind.as_str().as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(&sig.body);
        let signed_hash = LOG_HASH.digest(&bytes);
        keys.check(&sig.key, signature, signed_hash, "the request body")
            .map(Some)
            .map_err(|(part, invalid)| {
                let field = if part == "key" {
                    "Suyuan-Signature-Key"
                } else {
                    "Suyuan-Signature"
                };
                refused(field, invalid)
            })
    }

    /// Appends the leaf of a just-inserted record, inside its transaction.
    pub(crate) async fn log_record(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        kind: RecordKind,
        id: Uuid,
        detached: Option<DetachedSignature>,
    ) -> Result<()> {
        let (row, record_hash) = record_row(tx, kind, id).await?;
        let (key_id, record) = match detached {
            Some(d) => (d.key_id.clone(), d.record(record_hash)),
            None => {
                let (key, key_row) = self.signing_key(tx, org_id).await?;
                let record = SignedRecord::sign_hash(LOG_HASH, &key, record_hash)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                (key_row.text("key_id")?, record)
            }
        };
        self.append_record(tx, org_id, kind, id, &row, &key_id, &record)
            .await
    }

    /// Appends the leaf of a just-inserted record signed with `key` (whose
    /// fingerprint is `key_id`), inside its transaction.
    pub(crate) async fn log_record_with(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        kind: RecordKind,
        id: Uuid,
        key: &suyuan_ledger::keys::SigningKey,
        key_id: &str,
    ) -> Result<()> {
        let (row, record_hash) = record_row(tx, kind, id).await?;
        let record = SignedRecord::sign_hash(LOG_HASH, key, record_hash)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.append_record(tx, org_id, kind, id, &row, key_id, &record)
            .await
    }

    /// Appends the leaf of a record.
    #[allow(clippy::too_many_arguments)]
    async fn append_record(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        kind: RecordKind,
        id: Uuid,
        row: &Row,
        key_id: &str,
        record: &SignedRecord,
    ) -> Result<()> {
        let pk = id.to_string();
        let name = kind.leaf_name(&pk);
        self.append_leaves(
            tx,
            org_id,
            &[NewLeaf {
                pk: &pk,
                name: &name,
                record_kind: Some(kind.as_str()),
                key_id,
                record,
                created_at: row.int("created_at")?,
            }],
        )
        .await
    }
}
