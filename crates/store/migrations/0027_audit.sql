-- The audit trail (R-7.2.2, R-8.2.3): one row per authenticated request or
-- security event, appended in batches and deleted only by the retention
-- purge. No passwords, tokens, ID numbers, query strings or bodies: the
-- resource is a route template with record ids.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id TEXT,
    org_id TEXT,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status BIGINT NOT NULL,
    code TEXT,
    client TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_org ON audit_events (org_id, id);

-- Clients blocked by intrusion detection (R-7.2.3, R-7.2.4), shared by every
-- server on the database; lifted by the operator or when `until_at` passes.
CREATE TABLE security_blocks (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    until_at BIGINT NOT NULL,
    lifted_at BIGINT,
    lifted_by TEXT
);
CREATE INDEX security_blocks_until ON security_blocks (until_at);
