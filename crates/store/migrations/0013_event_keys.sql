-- Events are found by their eventID through a narrow key: the first 8 bytes
-- of SHA-256 of the eventID, as a signed 64-bit integer (`trace::event_key`;
-- existing rows are keyed by the migration itself). The eventID index it
-- replaces held ~90-byte random keys: at a million events every capture of
-- a few thousand events rewrote most of its pages. Captures are serialised
-- (SQLite's writer, PostgreSQL's append lock) and check eventIDs before
-- writing, so the eventID stays unique without an index of its own.
ALTER TABLE events ADD COLUMN event_key BIGINT;
CREATE INDEX events_event_key ON events (event_key);
DROP INDEX events_event_id;
