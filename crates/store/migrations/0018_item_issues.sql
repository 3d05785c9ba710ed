-- Every issue of item codes is a logged record (master_log.rs, kind
-- `item_issue`): the lot, how many, the SHA-256 of the serials issued (in
-- issue order, one per line), who issued them, and for a non-conformant lot
-- the reason of the override that allowed it.
CREATE TABLE item_issues (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    lot_epc TEXT NOT NULL,
    item_count BIGINT NOT NULL,
    serials_sha256 TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    override_reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX item_issues_lot ON item_issues (lot_epc);
