-- The archives of chapter 4.3 (#16): management documents, customers and
-- distributors, training sessions, internal audits and nonconformities,
-- and the files attached to them. Every table is a logged record
-- (master_log.rs), inserted once and never changed: a change of an entry
-- is a new row with the next `version` of the same `entry_id`, and the
-- entry's current state is its highest version (archives/mod.rs).

-- A file attached to a record: its type as its bytes say, size, SHA-256
-- and the bytes as base64.
CREATE TABLE archive_attachments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data TEXT NOT NULL,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX archive_attachments_org ON archive_attachments (org_id, created_at);

-- A version of a management document (R-4.3.1.1 a/e, R-4.3.3.3).
CREATE TABLE archive_documents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    entry_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    summary TEXT,
    attachment_id TEXT REFERENCES archive_attachments (id),
    acting_user TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX archive_documents_org ON archive_documents (org_id, entry_id);

-- A version of a customer or distributor (R-4.3.3.2); `party_org_id` is
-- the counterparty's organisation on the platform, which its shipments
-- are addressed to.
CREATE TABLE archive_customers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    entry_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    uscc TEXT,
    party_org_id TEXT REFERENCES organisations (id),
    contact_name TEXT,
    contact_phone TEXT,
    address TEXT,
    note TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX archive_customers_org ON archive_customers (org_id, entry_id);

-- A version of a training session (R-4.3.4.2); attendees as a JSON array.
CREATE TABLE archive_trainings (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    entry_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    held_on TEXT NOT NULL,
    topic TEXT NOT NULL,
    content TEXT NOT NULL,
    trainer TEXT NOT NULL,
    attendees TEXT NOT NULL,
    attachment_id TEXT REFERENCES archive_attachments (id),
    acting_user TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX archive_trainings_org ON archive_trainings (org_id, entry_id);

-- A version of an internal audit (R-4.3.5.1); the checklist as a JSON
-- array of {item, result, note}.
CREATE TABLE archive_audits (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    entry_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    audited_on TEXT NOT NULL,
    scope TEXT NOT NULL,
    auditor TEXT NOT NULL,
    checklist TEXT NOT NULL,
    findings TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX archive_audits_org ON archive_audits (org_id, entry_id);

-- A version of a nonconformity found by an audit (R-4.3.5.2).
CREATE TABLE archive_nonconformities (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    entry_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    audit_entry_id TEXT NOT NULL,
    description TEXT NOT NULL,
    cause TEXT NOT NULL,
    corrective_action TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    verification TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX archive_nonconformities_org ON archive_nonconformities (org_id, entry_id);
CREATE INDEX archive_nonconformities_audit ON archive_nonconformities (audit_entry_id);
