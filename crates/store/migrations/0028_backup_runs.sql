-- Scheduled backups and their restore drills (R-7.1.2): one row per run of
-- `serve --backup-every`, what the backup holds (file, size, SHA-256, the
-- log's size and root in the snapshot) and how its drill ended. Operational:
-- a report about copies of the data, not a record.
CREATE TABLE backup_runs (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    tree_size BIGINT NOT NULL,
    root TEXT NOT NULL,
    -- passed, failed (the drill ran and found a problem) or not_run (the
    -- backup itself failed).
    drill_outcome TEXT NOT NULL,
    drill_at BIGINT,
    seconds DOUBLE PRECISION NOT NULL,
    error TEXT
);
CREATE INDEX backup_runs_started ON backup_runs (started_at);
