-- Results of the scheduled re-verification of the transparency log
-- (R-8.2.2): one row per run, the newest answers GET /tlog/integrity.
CREATE TABLE integrity_checks (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    seconds DOUBLE PRECISION NOT NULL,
    ok BOOLEAN NOT NULL,
    leaves BIGINT NOT NULL,
    checkpoints BIGINT NOT NULL,
    problems BIGINT NOT NULL,
    first_problem TEXT
);
CREATE INDEX integrity_checks_started ON integrity_checks (started_at);

-- Witnesses the log asks to cosign its checkpoints (C2SP tlog-witness):
-- the size each last cosigned, as far as the log knows, and its last error.
CREATE TABLE tlog_witnesses (
    vkey TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    size BIGINT NOT NULL,
    last_error TEXT,
    updated_at BIGINT NOT NULL
);

-- The cosignature lines witnesses returned, per checkpoint size; appended
-- to the checkpoint note when it is served or put in a proof bundle.
CREATE TABLE tlog_cosignatures (
    size BIGINT NOT NULL,
    vkey TEXT NOT NULL,
    line TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (size, vkey)
);
