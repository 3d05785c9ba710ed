-- The lineage walk reads, per unit reached, the edges leaving it and the
-- items of a lot. Covering indexes answer those from the index alone: no
-- lookup into the table per edge (the event_id of an edge) or per item.
DROP INDEX lineage_downstream;
CREATE INDEX lineage_down_walk ON lineage (downstream, upstream, relation, event_id);
CREATE INDEX lineage_up_walk ON lineage (upstream, downstream, relation, event_id);
DROP INDEX units_lot_epc;
CREATE INDEX units_lot_epc ON units (lot_epc, epc) WHERE lot_epc IS NOT NULL;
