-- The console's dashboard at an organisation with a long history.
--
-- The receiving desk's list reads only the shipments addressed to it that
-- are still on their way, not every shipment it ever received.
CREATE INDEX shipments_incoming ON shipments (to_org_id, shipped_at) WHERE received_event IS NULL;

-- How many of an organisation's item codes consumers scanned, and how many
-- scans they had, kept as the scans are counted (one row per organisation),
-- so the dashboard does not read every item it ever issued. Statistics, like
-- `scans` itself: operational, outside the log.
CREATE TABLE scan_totals (
    org_id TEXT PRIMARY KEY,
    scanned_items BIGINT NOT NULL,
    scans BIGINT NOT NULL
);
INSERT INTO scan_totals (org_id, scanned_items, scans)
    SELECT u.owner_org_id, COUNT(*), COALESCE(SUM(s.count), 0)
    FROM scans s JOIN units u ON u.epc = s.unit_key
    WHERE u.kind = 'item' GROUP BY u.owner_org_id;
