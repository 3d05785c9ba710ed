-- Consumers' complaints (complaints.rs). Each complaint, each photo and
-- each change of a complaint's state is a logged record (kinds
-- `complaint`, `complaint_photo`, `complaint_update`): rows are only
-- inserted, and a complaint's status is its latest update.

-- A complaint about a unit: the unit's canonical code, its holder and its
-- owner when it was filed (whose inboxes it reaches), what is wrong, the
-- consumer's phone number (encrypted; its masked form beside it), how many
-- photos and the SHA-256 over their hashes, and the end of the time to
-- acknowledge it.
CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    unit_epc TEXT NOT NULL,
    holder_org_id TEXT NOT NULL REFERENCES organisations (id),
    owner_org_id TEXT NOT NULL REFERENCES organisations (id),
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    phone_cipher TEXT,
    phone_masked TEXT,
    photo_count BIGINT NOT NULL,
    photos_sha256 TEXT NOT NULL,
    acknowledge_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX complaints_holder ON complaints (holder_org_id, created_at);
CREATE INDEX complaints_owner ON complaints (owner_org_id, created_at);

-- A photo of a complaint: JPEG, PNG or WebP as its bytes say, stored as
-- base64 (the same text on both databases), with its SHA-256.
CREATE TABLE complaint_photos (
    id TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    position BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX complaint_photos_complaint ON complaint_photos (complaint_id, position);

-- A state a complaint takes, with the reply the consumer reads, who acted
-- and for which organisation (none for the consumer's filing).
CREATE TABLE complaint_updates (
    id TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    status TEXT NOT NULL,
    reply TEXT,
    org_id TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX complaint_updates_complaint ON complaint_updates (complaint_id, created_at);

-- What an officer records about an enterprise in its jurisdiction
-- (oversight.rs, kind `oversight_record`): an inspection (巡查) with its
-- findings, or a sampling check of the enterprise's records (R-8.2.4) with
-- the period, the records drawn and what each check found. Signed by the
-- officer's organisation; never changed.
CREATE TABLE oversight_records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    officer_org_id TEXT NOT NULL REFERENCES organisations (id),
    acting_user TEXT NOT NULL,
    period_from BIGINT,
    period_to BIGINT,
    sample_size BIGINT,
    failed BIGINT,
    findings TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX oversight_records_org ON oversight_records (org_id, created_at);

-- The regulator's dashboard asks each enterprise when it last recorded.
CREATE INDEX events_org_record_time ON events (org_id, record_time);
