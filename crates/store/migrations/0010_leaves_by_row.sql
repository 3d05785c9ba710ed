-- Proof bundles find a leaf through its row (`event_pk`, a sequential key
-- with a unique index) rather than by eventID: an index of random eventIDs
-- cost every capture a random insert into a large B-tree.
DROP INDEX tlog_leaves_event_id;
