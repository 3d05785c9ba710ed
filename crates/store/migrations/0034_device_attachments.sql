-- Devices in EPCIS (issue 18, R-5.3.2.1): what a device is attached to is
-- recorded as EPCIS AssociationEvents (parent: the place's SGLN, child:
-- the device's GIAI), captured in the transaction that registers or moves
-- the device.

-- The device's GIAI (urn:epc:id:giai:…) under its organisation's verified
-- company prefix, fixed at registration; NULL when the organisation had no
-- verified prefix or the place no GLN (then no AssociationEvent is
-- captured). A column of the logged record `device`, added after records
-- were logged: it enters the record's hash only when not NULL.
ALTER TABLE devices ADD COLUMN giai TEXT;

-- Each move of a device to another place is a logged record (kind
-- `device_move`); a device's current place is its latest move's (its
-- registered place when it has none). `event_id`: the AssociationEvent
-- (DELETE from the old place, ADD to the new one) captured with it, NULL
-- when the device has no GIAI or the new place no GLN.
CREATE TABLE device_moves (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    org_id TEXT NOT NULL,
    from_place_id TEXT NOT NULL REFERENCES places (id),
    place_id TEXT NOT NULL REFERENCES places (id),
    event_id TEXT,
    acting_user TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_moves_device ON device_moves (device_id, created_at);
