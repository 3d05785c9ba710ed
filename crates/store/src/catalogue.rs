//! Every table of the database, every column of it, and what the table is
//! with respect to the transparency log: the one place a reader (and a test)
//! finds whether what a table holds answers to the log.
//!
//! - **logged** (a): a record whose canonical form is hashed into a log
//!   leaf and signed in the transaction that stores it;
//! - **derived** (b): state that the logged records determine, taken in log
//!   order (units, custody, status, lineage …);
//! - **operational** (c): kept outside the log, for the reason given.
//!
//! [`Store::unclassified`] compares this list with the database's own
//! catalogue (SQLite's `pragma_table_info`, PostgreSQL's
//! `information_schema`): a table or column that a migration adds without
//! classifying it here is named, and the suite fails on it. `verified` says
//! honestly whether `suyuan verify` checks the table against the log today.

use crate::{Result, Store};

/// What a table is with respect to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// (a) A logged record.
    Logged,
    /// (b) Derived from logged records.
    Derived,
    /// (c) Operational, outside the log.
    Operational,
}

/// One table.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub class: Class,
    /// Whether `suyuan verify` checks the table against the log today.
    pub verified: bool,
    /// What it holds, what it derives from, or why it stays outside the log.
    pub reason: &'static str,
    pub columns: &'static [&'static str],
}

macro_rules! tables {
    ($($name:literal: $class:ident, $verified:literal, $reason:literal, [$($col:literal),+ $(,)?];)+) => {
        /// Every table of the schema.
        pub const TABLES: &[Table] = &[
            $(Table { name: $name, class: Class::$class, verified: $verified, reason: $reason, columns: &[$($col),+] }),+
        ];
    };
}

tables! {
    "events": Logged, true,
        "EPCIS events as captured: `document` is the text the leaf's record hash covers. The query columns are derived from the document and the leaf, and the replay compares each; `corrected_by` names the event's error declaration; `capture_id` links the capture job (operational) and is not checked.",
        ["id", "event_id", "org_id", "capture_id", "event_type", "event_time", "time_zone_offset", "record_time", "action",
         "biz_step", "disposition", "read_point", "biz_location", "record_kind", "stage", "is_error_declaration",
         "corrected_by", "document", "event_key"];
    "places": Logged, true, "Master record `place`; once edited, its latest version in `master_versions` (which `verify` compares every column and `active` with), its leaf logging version 1.",
        ["id", "org_id", "kind", "name", "parent_id", "gln", "region", "address", "latitude", "longitude", "polygon",
         "area_m2", "crops", "soil_type", "water_source", "irrigation", "environment_tests", "temperature_controlled",
         "temperature_min", "temperature_max", "plate_number", "created_at", "active"];
    "products": Logged, true, "Master record `product`; once edited, its latest version in `master_versions` (as places).",
        ["id", "org_id", "gtin", "name", "category", "variety", "specification", "unit", "shelf_life_days",
         "origin_region", "origin", "description", "created_at", "company_prefix", "active"];
    "suppliers": Logged, true, "Master record `supplier`; once edited, its latest version in `master_versions` (as places).",
        ["id", "org_id", "name", "uscc", "contact_name", "contact_phone", "address", "licence_number", "created_at",
         "active"];
    "inputs": Logged, true, "Master record `input`; once edited, its latest version in `master_versions` (as places).",
        ["id", "org_id", "kind", "name", "manufacturer", "registration_number", "active_ingredient",
         "pre_harvest_interval_days", "specification", "unit", "created_at", "active"];
    "master_versions": Logged, true, "Each version of a place, product, supplier or input (the canonical form of its row after it, `active`, the action, the acting user): version 1, under the entry's id, is the record its own leaf logged (written at the first change); later ones are master records `master_version`. `verify` checks version 1 against the entry's leaf, the numbering, and the entry's row against its latest version.",
        ["id", "org_id", "record", "entry_id", "version", "action", "active", "content", "acting_user", "created_at"];
    "input_purchases": Logged, true, "Master record `input_purchase`.",
        ["id", "org_id", "input_id", "supplier_id", "lot_number", "quantity", "unit", "purchased_on",
         "storage_place_id", "storage_conditions", "created_at"];
    "item_issues": Logged, true, "Master record `item_issue`: an issue of item codes (lot, count, serials' hash, user, override reason).",
        ["id", "org_id", "lot_epc", "item_count", "serials_sha256", "issued_by", "override_reason", "created_at"];
    "unit_allocations": Logged, true, "Master record `unit_allocation`: a unit allocated before any event names it (a lot's platform batch ID), with its kind, organisation, origin and user.",
        ["id", "org_id", "epc", "kind", "origin_place", "allocated_by", "created_at"];
    "row_states": Logged, true, "Master record `row_state`: each state of a row of a mutable register (duties, certifications, company prefixes, organisation keys, users) with the action and the acting user; `verify` compares every row with its latest state.",
        ["id", "table_name", "row_key", "action", "snapshot", "acting_user", "created_at"];
    "certificates": Logged, true, "Master record `certificate`: a 承诺达标合格证 as issued from the trace (subject, basis and the test it rests on, the printed facts, its parents).",
        ["id", "number", "org_id", "subject_kind", "subject", "style", "basis", "test_event", "product_name", "quantity",
         "unit", "origin", "committer_name", "committer_code", "committer_contact", "issue_date", "parents", "issued_by",
         "created_at"];
    "certificate_voids": Logged, true, "Master record `certificate_void`: a certificate voided, with the reason.",
        ["id", "certificate_id", "org_id", "reason", "acting_user", "created_at"];
    "certificate_receipts": Logged, true, "Master record `certificate_receipt`: a certificate a buyer received with a shipment.",
        ["id", "org_id", "number", "despatch_ref", "certificate_id", "acting_user", "created_at"];
    "recalls": Logged, true, "Master record `recall`: a recall or drill with its level, reason, plan, deadlines and the affected set it binds (count and SHA-256).",
        ["id", "org_id", "start_code", "test_event", "level", "reason", "drill", "plan", "affected_count",
         "affected_sha256", "report_by", "complete_by", "started_by", "created_at"];
    "recall_units": Derived, true, "Each recall's affected units and their holders when it started: `verify` recomputes the SHA-256 of each recall's lines and compares it with the recall record's `affected_sha256`.",
        ["recall_id", "epc", "holder_org_id", "sold"];
    "recall_acts": Logged, true, "Master record `recall_act`: a holder's acknowledgement or accounting (removed, returned, destroyed), or the recall's closing.",
        ["id", "recall_id", "org_id", "action", "removed", "returned", "destroyed", "note", "event_id", "acting_user",
         "created_at"];
    "calendar_days": Logged, true, "Master record `calendar_day`: a day of the operator's holiday calendar (holiday, adjusted working day, normal).",
        ["id", "day", "status", "note", "acting_user", "created_at"];
    "org_records": Logged, true, "Master record `org_record`: each state of an organisation (registered, verified, suspended, restored) with its facts, status, reason and the acting user.",
        ["id", "org_id", "action", "status", "status_reason", "acting_user", "snapshot", "created_at"];
    "complaints": Logged, true, "Master record `complaint`: a consumer's complaint about a unit (its holder and owner then, category, description, the phone number encrypted and masked, the photos' count and hash, the time to acknowledge it).",
        ["id", "reference", "unit_epc", "holder_org_id", "owner_org_id", "category", "description", "phone_cipher",
         "phone_masked", "photo_count", "photos_sha256", "acknowledge_by", "created_at"];
    "complaint_photos": Logged, true, "Master record `complaint_photo`: a photo of a complaint (type, SHA-256, the bytes as base64).",
        ["id", "complaint_id", "position", "media_type", "sha256", "data", "created_at"];
    "complaint_updates": Logged, true, "Master record `complaint_update`: each state a complaint takes (status, reply, organisation, acting user); its status is the latest.",
        ["id", "complaint_id", "status", "reply", "org_id", "acting_user", "created_at"];
    "oversight_records": Logged, true, "Master record `oversight_record`: an officer's inspection (巡查) or records sampling check (R-8.2.4) of an enterprise in its jurisdiction: period, sample, failures, findings (the records drawn and what each check found), conclusion.",
        ["id", "kind", "org_id", "officer_org_id", "acting_user", "period_from", "period_to", "sample_size", "failed",
         "findings", "conclusion", "created_at"];
    "organisations": Derived, true, "The latest logged state (`org_records`) of each organisation: `verify` compares every column but the sealed ID number with it (`Store::organisations_against_log`).",
        ["id", "kind", "producer_form", "name", "uscc", "uscc_checksum_ok", "review_reason", "region", "address",
         "legal_rep_name", "legal_rep_id_cipher", "legal_rep_id_masked", "contact_name", "contact_phone",
         "contact_email", "status", "status_reason", "created_at", "updated_at"];
    "org_duties": Logged, true, "The person named for each duty (R-4.3.4.1); each state logged as a `row_state`.",
        ["org_id", "duty", "person_name", "phone", "updated_at"];
    "certifications": Logged, true, "A product's certifications; each logged as a `row_state`.",
        ["id", "org_id", "product_id", "kind", "number", "issuer", "valid_from", "valid_until"];
    "company_prefixes": Logged, true, "A GS1 Company Prefix claim and the operator's decision; each state logged as a `row_state`.",
        ["id", "prefix", "org_id", "certificate_number", "status", "status_reason", "decided_by", "created_at", "decided_at"];
    "org_keys": Logged, true, "Organisations' signing keys: public key, creation and revocation, each state logged as a `row_state` (a platform-held key's creation signed by itself). The private key is sealed with the platform secret and stays outside the log.",
        ["key_id", "org_id", "algorithm", "public_key", "private_key_cipher", "created_at", "revoked_at"];
    "users": Logged, true, "Users and their role grants: the account, role, jurisdiction and disabling, each state logged as a `row_state`; the password hash and the lock counters are operational (`Tracked::unlogged_columns`).",
        ["id", "org_id", "username", "display_name", "password_hash", "role", "jurisdiction", "failed_logins",
         "locked_until", "disabled", "created_at"];
    "tlog_leaves": Logged, true, "The log's leaves: each binds a record's hash and its signature.",
        ["idx", "event_pk", "event_id", "org_id", "record_hash", "signer_fingerprint", "signature", "leaf_hash",
         "created_at", "signed_hash", "record_kind", "batch_root", "batch_index", "batch_size"];
    "tlog_nodes": Derived, true, "The Merkle tree's interior nodes, a function of the leaves.",
        ["level", "idx", "hash"];
    "tlog_checkpoints": Logged, true, "Signed checkpoints (size, root) of the log; the note states when it was made (`created_at`) and how many witnesses cosigned the one before.",
        ["size", "root", "note", "created_at"];
    "tlog_cosignatures": Logged, true, "Witnesses' cosignatures of checkpoints, each verifiable with the witness's key; `created_at` is the time the signed line states; the next checkpoint states their number.",
        ["size", "vkey", "line", "created_at"];
    "tlog_config": Operational, true, "The log's identity: origin, hash, verifier key and the sealed signing key; every checkpoint is checked with it.",
        ["id", "origin", "hash_alg", "vkey", "private_key_cipher", "created_at"];
    "tlog_witnesses": Operational, false, "Where each witness is reached and how far it has cosigned: delivery state, not records.",
        ["vkey", "url", "size", "last_error", "updated_at"];
    "units": Derived, true, "Lots, items, cases and pallets with holder, owner, status and origin: a function of the events, unit allocations and item issues in log order (the replay of `verify` compares every column).",
        ["id", "epc", "kind", "gtin", "batch", "serial", "sscc", "owner_org_id", "holder_org_id", "status",
         "status_reason", "origin_place", "created_event", "created_at", "lot_epc", "status_reason_zh"];
    "lineage": Derived, true, "Edges between units, plots and input lots, from packing, transformation, harvest and planting records (replayed per event).",
        ["upstream", "downstream", "relation", "event_pk", "event_id"];
    "event_epcs": Derived, true, "The identifiers each event names, by role, from its document (replayed per event).",
        ["event_pk", "role", "epc", "quantity", "uom"];
    "shipments": Derived, true, "Despatches and their receipts, from shipping and receiving records (replayed).",
        ["despatch_ref", "from_org_id", "to_org_id", "shipped_event", "received_event", "shipped_at", "received_at"];
    "entrustments": Derived, true, "Testing entrusted to an agency, from sampling records (replayed).",
        ["epc", "agency_org_id", "event_pk"];
    "capture_jobs": Operational, false, "The answer to one capture request (errors, warnings), kept for `GET /epcis/capture/{id}`; the records themselves are logged.",
        ["id", "org_id", "status", "behaviour", "event_count", "duplicates", "event_ids", "errors", "created_at",
         "finished_at", "warnings"];
    "scans": Operational, false, "Scan counts of public pages: statistics, not records.",
        ["unit_key", "first_scan", "last_scan", "count"];
    "scan_totals": Operational, false, "Per organisation, its item codes scanned and their scans, kept as `scans` counts them: statistics for its dashboard.",
        ["org_id", "scanned_items", "scans"];
    "scan_clients": Operational, false, "De-duplicates scans per client and day (keyed hashes of addresses); old days are deleted.",
        ["unit_key", "client_key", "day"];
    "sessions": Operational, false, "Sign-in sessions (token hashes); they expire.",
        ["token_hash", "user_id", "created_at", "expires_at"];
    "api_keys": Operational, false, "API keys (hashes); revocable credentials. The role they carry is the user's.",
        ["id", "user_id", "org_id", "name", "prefix", "key_hash", "created_at", "revoked_at", "created_by"];
    "password_resets": Operational, false, "One-time reset tokens (hashes); they expire.",
        ["token_hash", "user_id", "created_by", "created_at", "expires_at", "used_at"];
    "login_throttle": Operational, false, "Sign-in failure counters (keyed hashes); they expire with their windows.",
        ["bucket", "account_key", "failures", "window_start", "locked_until"];
    "sign_in_attempts": Operational, false, "Sign-in attempts whose password is being checked, per throttle bucket; deleted when the attempt settles, ignored and purged after a minute.",
        ["id", "bucket", "started_at"];
    "audit_events": Operational, false, "The audit trail: a security journal of authenticated requests and security events (who, what, outcome, when, from where), kept for its retention time and then purged; about the platform's use, not a record of the supply chain, so outside the log. Append-only: no update path; deleted only by the retention purge.",
        ["id", "at", "user_id", "org_id", "action", "resource", "outcome", "status", "code", "client"];
    "security_blocks": Operational, false, "Clients blocked by intrusion detection, shared by the servers: a security journal's working list; blocks end or are lifted by the operator, and old ones are purged with the audit trail.",
        ["id", "client", "reason", "created_at", "until_at", "lifted_at", "lifted_by"];
    "integrity_checks": Operational, false, "Results of the scheduled integrity check: reports about the log, not records.",
        ["id", "started_at", "seconds", "ok", "leaves", "checkpoints", "problems", "first_problem"];
    "backup_runs": Operational, false, "Scheduled backups and their restore drills: reports about copies of the data (file, size, SHA-256, the snapshot's log size and root, the drill's outcome), not records.",
        ["id", "started_at", "file_name", "size_bytes", "sha256", "tree_size", "root", "drill_outcome", "drill_at",
         "seconds", "error"];
    "devices": Logged, true, "Master record `device`: a registered device, its kind, the place it is attached to and who registered it.",
        ["id", "org_id", "name", "kind", "place_id", "created_by", "created_at", "giai"];
    "device_moves": Logged, true, "Master record `device_move`: a device moved to another place, by whom, with the AssociationEvent captured with it; its current place is the latest one.",
        ["id", "device_id", "org_id", "from_place_id", "place_id", "event_id", "acting_user", "created_at"];
    "device_attachments": Logged, true, "Master record `device_attachment`: a device attached to (or detached from) a lot or unit, by whom, with the AssociationEvent captured with it; its readings count for the unit while it is attached.",
        ["id", "device_id", "org_id", "unit_epc", "attached", "event_id", "acting_user", "created_at"];
    "device_states": Logged, true, "Master record `device_state`: a device enabled or disabled, by whom; its state is the latest one.",
        ["id", "device_id", "org_id", "enabled", "acting_user", "created_at"];
    "reading_batches": Logged, true, "Master record `reading_batch`: an accepted batch of a device's readings, its count, time range and the SHA-256 of the readings it stored.",
        ["id", "org_id", "device_id", "reading_count", "first_time", "last_time", "readings_sha256", "created_at"];
    "device_readings": Logged, true, "Readings, each covered by its batch's logged hash: `verify` recomputes every batch's count and hash from these rows (`Store::readings_against_log`).",
        ["device_id", "quantity", "time_ms", "value", "unit", "batch_id"];
    "device_credentials": Operational, false, "Device credentials (the token's hash, the MQTT signing key sealed with the platform secret): revocable secrets, like API keys.",
        ["device_id", "token_hash", "hmac_key_cipher", "created_at"];
    "device_refusals": Operational, false, "Refused attempts to send readings (unknown device, wrong token or signature, disabled device) with the reason: a security journal, not records.",
        ["id", "device_id", "org_id", "channel", "reason", "created_at"];
    "device_alerts": Operational, false, "Alerts of the periodic check: a working list for people (and the source of webhook notifications), not a record. A silence depends on when the check ran (the server's clock), which no logged record states, so a replay cannot reproduce it; excursions are recomputed from the logged readings and the places' logged ranges by each check that sees new readings of the device (an edit does not survive it). What traces and the consumer page show of storage and transport conditions (cold chain, summaries, silences) is computed from the logged readings directly, never read from this table.",
        ["id", "org_id", "device_id", "kind", "started_at", "ended_at", "extreme", "raised_at"];
    "webhooks": Operational, false, "Each organisation's alert webhook (URL, the signing secret sealed with the platform secret): a delivery setting its admin changes, like an API key, not a record of the supply chain.",
        ["org_id", "url", "secret_cipher", "created_by", "created_at", "updated_at"];
    "webhook_deliveries": Operational, false, "The outbox of alert notifications to webhooks (payload, status, attempts, next attempt): delivery state, kept until delivered; the alerts it carries derive from logged readings.",
        ["id", "org_id", "event_key", "event", "payload", "status", "attempts", "next_attempt_at", "last_error",
         "delivered_at", "created_at"];
    "webhook_attempts": Operational, false, "Each attempt to deliver a webhook notification (time, URL, HTTP status or error): a delivery journal, not records.",
        ["delivery_id", "attempt", "at", "url", "http_status", "error"];
    "client_ca": Operational, false, "The platform's client CA for mutual TLS: its certificate and its private key sealed with the platform secret.",
        ["id", "cert_pem", "key_cipher", "created_at"];
    "client_certificates": Operational, false, "Client certificates accepted over mutual TLS (SHA-256 of the DER) and the organisation, device or API key each authenticates as: revocable credentials, like API keys.",
        ["fingerprint", "subject_kind", "subject_id", "origin", "label", "created_by", "created_at", "revoked_at"];
    "archive_attachments": Logged, true, "Master record `archive_attachment`: a file attached to an archive record (name, type as its bytes say, size, SHA-256, the bytes as base64).",
        ["id", "org_id", "file_name", "media_type", "size_bytes", "sha256", "data", "acting_user", "created_at"];
    "archive_documents": Logged, true, "Master record `archive_document`: a version of a management document (implementation plan, quality policy, procedures, testing rules, traceability policy, internal audit plan) with its effective date and attachment; the current version is the highest.",
        ["id", "org_id", "entry_id", "version", "kind", "title", "effective_from", "summary", "attachment_id",
         "acting_user", "created_at"];
    "archive_customers": Logged, true, "Master record `archive_customer`: a version of a customer or distributor, with the platform organisation its shipments are addressed to; the current version is the highest.",
        ["id", "org_id", "entry_id", "version", "kind", "name", "uscc", "party_org_id", "contact_name", "contact_phone",
         "address", "note", "acting_user", "created_at"];
    "archive_trainings": Logged, true, "Master record `archive_training`: a version of a training session (date, topic, content, trainer, attendees, material).",
        ["id", "org_id", "entry_id", "version", "held_on", "topic", "content", "trainer", "attendees", "attachment_id",
         "acting_user", "created_at"];
    "archive_audits": Logged, true, "Master record `archive_audit`: a version of an internal audit (date, scope, auditor, checklist with each item's result, findings).",
        ["id", "org_id", "entry_id", "version", "audited_on", "scope", "auditor", "checklist", "findings",
         "acting_user", "created_at"];
    "archive_nonconformities": Logged, true, "Master record `archive_nonconformity`: a version of a nonconformity of an audit (cause, corrective action, owner, due date, status, the verification that closed it).",
        ["id", "org_id", "entry_id", "version", "audit_entry_id", "description", "cause", "corrective_action", "owner",
         "due_on", "status", "verification", "acting_user", "created_at"];
    "schema_migrations": Operational, false, "Which migrations ran.",
        ["version", "name", "applied_at"];
}

/// The classification of a table, if it has one.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

impl Store {
    /// Every table and column of the database that [`TABLES`] does not
    /// classify, and every classified one the database does not have, as
    /// `table` or `table.column`. Empty when the catalogue is complete.
    pub async fn unclassified(&self) -> Result<Vec<String>> {
        let sql = match self.db() {
            crate::Db::Sqlite(_) => {
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            }
            crate::Db::Postgres(_) => {
                "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
                 WHERE table_schema = current_schema()"
            }
        };
        let mut found: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for r in self.db().conn().fetch_all(sql, &[]).await? {
            found.entry(r.text("t")?).or_default().push(r.text("c")?);
        }
        let mut out = Vec::new();
        for (t, cols) in &found {
            match table(t) {
                None => out.push(t.clone()),
                Some(known) => out.extend(
                    cols.iter()
                        .filter(|c| !known.columns.contains(&c.as_str()))
                        .map(|c| format!("{t}.{c}")),
                ),
            }
        }
        for known in TABLES {
            match found.get(known.name) {
                None => out.push(format!("{} (classified, not in the database)", known.name)),
                Some(cols) => out.extend(
                    known
                        .columns
                        .iter()
                        .filter(|c| !cols.iter().any(|x| x == *c))
                        .map(|c| format!("{}.{c} (classified, not in the database)", known.name)),
                ),
            }
        }
        Ok(out)
    }
}
