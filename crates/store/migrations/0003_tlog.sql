-- Tamper evidence: organisation signing keys and the transparency log
-- (crates/ledger). Binary values are stored as lowercase hex (hashes,
-- fingerprints) or standard base64 (signatures).

-- Every public key an organisation has signed records with. key_id is the
-- key's fingerprint: SHA-256 of its canonical text (`ed25519:...`/`sm2:...`).
-- private_key_cipher is the secret encrypted with the store's cipher when the
-- platform holds the key, NULL when the organisation keeps it (UKey).
CREATE TABLE org_keys (
    key_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    private_key_cipher TEXT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX org_keys_org ON org_keys (org_id, created_at);

-- The log's own settings: its origin, hash algorithm and checkpoint key
-- (a C2SP note key; the private half encrypted with the store's cipher so
-- that several servers share it). One row, id = 'log'.
CREATE TABLE tlog_config (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    hash_alg TEXT NOT NULL,
    vkey TEXT NOT NULL,
    private_key_cipher TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per leaf, in log order from 0 without gaps.
CREATE TABLE tlog_leaves (
    idx BIGINT PRIMARY KEY,
    event_pk TEXT NOT NULL,
    event_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    signer_fingerprint TEXT NOT NULL,
    signature TEXT NOT NULL,
    leaf_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tlog_leaves_event_pk ON tlog_leaves (event_pk);
CREATE INDEX tlog_leaves_event_id ON tlog_leaves (event_id);

-- The hash of every perfect subtree: (level, idx) covers leaves
-- [idx * 2^level, (idx + 1) * 2^level).
CREATE TABLE tlog_nodes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed checkpoints (C2SP signed notes), one per published tree size.
CREATE TABLE tlog_checkpoints (
    size BIGINT PRIMARY KEY,
    root TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
