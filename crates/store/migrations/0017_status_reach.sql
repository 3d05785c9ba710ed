-- A unit's status reason in Chinese beside the English one
-- (crates/store/src/trace/status.rs), and the warnings a capture job gave.
ALTER TABLE units ADD COLUMN status_reason_zh TEXT;
ALTER TABLE capture_jobs ADD COLUMN warnings TEXT;
