-- Detached signatures (leaf version 2, crates/ledger/src/record.rs): the
-- hash the organisation's own key signed before sending (an event's CBV 2.0
-- hash), lowercase hex. NULL when the platform signed the record hash with a
-- key it holds for the organisation (leaf version 1).
ALTER TABLE tlog_leaves ADD COLUMN signed_hash TEXT;
