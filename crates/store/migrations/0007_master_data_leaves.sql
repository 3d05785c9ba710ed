-- Master-data records in the log (crates/store/src/master_log.rs): the kind
-- of record a leaf logs (place, product, input, input_purchase); NULL for an
-- event. Such a leaf's event_pk is the record's id and its event_id the
-- name `<kind>:<id>`.
ALTER TABLE tlog_leaves ADD COLUMN record_kind TEXT;
