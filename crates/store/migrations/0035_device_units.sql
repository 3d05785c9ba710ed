-- Devices attached to lots and units (issue 18, R-5.3.2.1, R-4.2.4): a
-- logger travelling with a lot or packed in a pallet. Each attaching and
-- detaching is a logged record (kind `device_attachment`); a device is
-- attached to a unit from an attaching row to the next detaching row of the
-- same device and unit. `unit_epc`: the unit's canonical identifier.
-- `event_id`: the EPCIS AssociationEvent (ADD when attaching, DELETE when
-- detaching; parent the device's GIAI, child the unit) captured with it,
-- NULL when the device has no GIAI.
CREATE TABLE device_attachments (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    org_id TEXT NOT NULL,
    unit_epc TEXT NOT NULL,
    attached BOOLEAN NOT NULL,
    event_id TEXT,
    acting_user TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_attachments_unit ON device_attachments (unit_epc, created_at);
CREATE INDEX device_attachments_device ON device_attachments (device_id, created_at);
