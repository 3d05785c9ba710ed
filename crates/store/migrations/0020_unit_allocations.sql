-- Every unit answers to the log (#13). A unit allocated before any event
-- names it (a lot whose batch ID the platform allocates, a logistic unit)
-- is a logged record, kind `unit_allocation`: the unit, its kind, the
-- organisation, its place of origin and when. A unit's row id is a function
-- of its identifier, and its `created_at` that of the record that created it
-- (the allocation, the item issue, or the event's recordTime), so that a
-- replay of the log re-derives every column of `units`. The data of this
-- migration (ids, times, allocations of units stored before) is written by
-- `migrate::derive_units`.
CREATE TABLE unit_allocations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    epc TEXT NOT NULL,
    kind TEXT NOT NULL,
    origin_place TEXT,
    allocated_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX unit_allocations_epc ON unit_allocations (epc);
CREATE INDEX lineage_event ON lineage (event_pk);
