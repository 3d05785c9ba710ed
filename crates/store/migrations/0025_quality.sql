-- Quality management (#16). Every table here is a logged record
-- (master_log.rs) except `recall_units`, which each recall's record binds
-- by the SHA-256 of its lines (quality/recalls.rs).

-- 承诺达标合格证: one per lot or shipment issue; never updated or deleted.
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    subject_kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    style TEXT NOT NULL,
    basis TEXT NOT NULL,
    test_event TEXT,
    product_name TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    origin TEXT NOT NULL,
    committer_name TEXT NOT NULL,
    committer_code TEXT NOT NULL,
    committer_contact TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    parents TEXT NOT NULL,
    issued_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX certificates_subject ON certificates (subject);
CREATE INDEX certificates_org ON certificates (org_id, created_at);

-- The consumer page finds the certificates of the shipments that carried a
-- unit: shipments by the event that despatched them.
CREATE INDEX shipments_shipped_event ON shipments (shipped_event);

-- A certificate voided (作废), with the reason.
CREATE TABLE certificate_voids (
    id TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL UNIQUE REFERENCES certificates (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    reason TEXT NOT NULL,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);

-- A certificate a buyer received with a shipment (scanned or typed).
CREATE TABLE certificate_receipts (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    number TEXT NOT NULL,
    despatch_ref TEXT,
    certificate_id TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX certificate_receipts_org ON certificate_receipts (org_id, created_at);

-- A recall (or a drill): who, from what, level, reason, plan, deadlines,
-- and the affected set it bound (count and SHA-256 of its lines).
CREATE TABLE recalls (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    start_code TEXT NOT NULL,
    test_event TEXT,
    level TEXT NOT NULL,
    reason TEXT NOT NULL,
    drill BOOLEAN NOT NULL,
    plan TEXT NOT NULL,
    affected_count BIGINT NOT NULL,
    affected_sha256 TEXT NOT NULL,
    report_by BIGINT NOT NULL,
    complete_by TEXT NOT NULL,
    started_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX recalls_org ON recalls (org_id, created_at);

-- The units a recall reached and who held each when it started.
CREATE TABLE recall_units (
    recall_id TEXT NOT NULL REFERENCES recalls (id),
    epc TEXT NOT NULL,
    holder_org_id TEXT NOT NULL,
    sold BOOLEAN NOT NULL,
    PRIMARY KEY (recall_id, epc)
);
CREATE INDEX recall_units_epc ON recall_units (epc);
CREATE INDEX recall_units_holder ON recall_units (holder_org_id, recall_id);

-- What a party did in a recall: acknowledged the notice, accounted for
-- units (removed, returned, destroyed; `event_id` the EPCIS event with the
-- `recalled` or `destroyed` disposition naming them, when it named them),
-- or closed it.
CREATE TABLE recall_acts (
    id TEXT PRIMARY KEY,
    recall_id TEXT NOT NULL REFERENCES recalls (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    action TEXT NOT NULL,
    removed DOUBLE PRECISION NOT NULL,
    returned DOUBLE PRECISION NOT NULL,
    destroyed DOUBLE PRECISION NOT NULL,
    note TEXT,
    event_id TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX recall_acts_recall ON recall_acts (recall_id, org_id);

-- The holiday calendar the operator keeps: a day declared a holiday, an
-- adjusted working day, or back to normal; the latest record of a day wins.
CREATE TABLE calendar_days (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX calendar_days_day ON calendar_days (day, created_at);
