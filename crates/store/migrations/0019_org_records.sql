-- Every state an organisation takes is a logged record (org_records.rs,
-- kind `org_record`): its registered facts at that moment, its status and
-- the reason, who acted. `organisations` is the latest of them.
CREATE TABLE org_records (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    acting_user TEXT,
    snapshot TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX org_records_org ON org_records (org_id, created_at);
