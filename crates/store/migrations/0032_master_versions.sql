-- Edits of master data (#14): places, products, suppliers and inputs are
-- edited as versions and deactivated instead of deleted (master_versions.rs).
--
-- Each version is a row of `master_versions` holding the canonical form of
-- the entry's row after it (`content`), whether the entry is active, the
-- action and the acting user. Version 1 is written at the entry's first
-- change, under the entry's own id: it copies the record as first logged,
-- whose leaf is the entry's own (`place:<id>` …). Versions 2, 3 … are
-- logged records (kind `master_version`). The entry's row (`places` …)
-- holds its latest version.
CREATE TABLE master_versions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    record TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    content TEXT NOT NULL,
    acting_user TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX master_versions_org ON master_versions (org_id, record);

-- A deactivated entry is named by no new record; lists hide it.
ALTER TABLE places ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE products ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE suppliers ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE inputs ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
