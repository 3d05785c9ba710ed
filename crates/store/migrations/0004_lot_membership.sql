-- Lot membership as a column: an item names the lot it belongs to, so the
-- lineage walk follows membership through one index lookup (item → lot and
-- lot → items) instead of joining units with itself on (gtin, batch).
ALTER TABLE units ADD COLUMN lot_epc TEXT;
UPDATE units SET lot_epc = (
    SELECT l.epc FROM units l WHERE l.kind = 'lot' AND l.gtin = units.gtin AND l.batch = units.batch
) WHERE kind = 'item' AND batch IS NOT NULL;
CREATE INDEX units_lot_epc ON units (lot_epc);
-- The (gtin, batch) index now serves lot allocation only.
DROP INDEX units_lot;
CREATE INDEX units_lot ON units (gtin, batch) WHERE kind = 'lot';
-- Each lineage edge names its event's eventID too, so a walk answers the
-- eventIDs without a lookup into the (large) events table per unit.
ALTER TABLE lineage ADD COLUMN event_id TEXT;
UPDATE lineage SET event_id = (SELECT e.event_id FROM events e WHERE e.id = lineage.event_pk);
