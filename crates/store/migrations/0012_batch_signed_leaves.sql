-- A capture's records are signed once, over the Merkle root of their record
-- hashes (leaf version 3, crates/ledger/README.md): each leaf keeps its
-- place in that batch. NULL for leaves signed alone (versions 1 and 2).
ALTER TABLE tlog_leaves ADD COLUMN batch_root TEXT;
ALTER TABLE tlog_leaves ADD COLUMN batch_index BIGINT;
ALTER TABLE tlog_leaves ADD COLUMN batch_size BIGINT;
