-- Traceability core: events (append-only), the units they name, lineage
-- edges written at capture time, custody hand-overs, capture jobs, issued
-- trace codes and scan counts.

-- Every captured EPCIS event, as captured (document) plus the columns the
-- standard query parameters filter on. Never updated except `corrected_by`
-- (set when an error declaration names the event) and never deleted.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    capture_id TEXT,
    event_type TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    time_zone_offset TEXT NOT NULL,
    record_time BIGINT NOT NULL,
    action TEXT,
    biz_step TEXT,
    disposition TEXT,
    read_point TEXT,
    biz_location TEXT,
    record_kind TEXT,
    stage TEXT,
    is_error_declaration BOOLEAN NOT NULL,
    corrected_by TEXT,
    document TEXT NOT NULL
);
-- An error declaration repeats the eventID of the event it declares wrong.
CREATE UNIQUE INDEX events_event_id ON events (event_id, is_error_declaration);
CREATE INDEX events_org_time ON events (org_id, event_time);
CREATE INDEX events_time ON events (event_time);
CREATE INDEX events_biz_step ON events (biz_step);
CREATE INDEX events_biz_location ON events (biz_location, event_time);
CREATE INDEX events_record_time ON events (record_time);

-- The identifiers an event names, by role: epc, parent, child, input,
-- output (instance level) and their class-level (quantity) counterparts.
-- Identifiers are stored in one canonical form (GS1 Digital Link on
-- id.gs1.org, or the URI as given for non-GS1 schemes).
CREATE TABLE event_epcs (
    event_pk TEXT NOT NULL REFERENCES events (id),
    role TEXT NOT NULL,
    epc TEXT NOT NULL,
    quantity DOUBLE PRECISION,
    uom TEXT,
    PRIMARY KEY (event_pk, role, epc)
);
CREATE INDEX event_epcs_epc ON event_epcs (epc, role);

-- Traceability units the platform knows: lots (GTIN + batch), items
-- (GTIN + batch + serial), logistic units (SSCC), input lots. Current state
-- (holder, status) is derived from events and can always be rebuilt.
CREATE TABLE units (
    id TEXT PRIMARY KEY,
    epc TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    gtin TEXT,
    batch TEXT,
    serial TEXT,
    sscc TEXT,
    owner_org_id TEXT NOT NULL REFERENCES organisations (id),
    holder_org_id TEXT NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    status_reason TEXT,
    origin_place TEXT,
    created_event TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX units_lot ON units (gtin, batch);
CREATE INDEX units_holder ON units (holder_org_id);

-- Lineage: `upstream` went into (or contains, or was split into) `downstream`.
CREATE TABLE lineage (
    upstream TEXT NOT NULL,
    downstream TEXT NOT NULL,
    relation TEXT NOT NULL,
    event_pk TEXT NOT NULL REFERENCES events (id),
    PRIMARY KEY (upstream, downstream, relation, event_pk)
);
CREATE INDEX lineage_downstream ON lineage (downstream);

-- Hand-overs: a shipment against a despatch reference; custody moves when
-- the receiver records receipt against the same reference.
CREATE TABLE shipments (
    despatch_ref TEXT PRIMARY KEY,
    from_org_id TEXT NOT NULL REFERENCES organisations (id),
    to_org_id TEXT,
    shipped_event TEXT NOT NULL,
    received_event TEXT,
    shipped_at BIGINT NOT NULL,
    received_at BIGINT
);

-- EPCIS capture jobs (REST binding): status and per-event errors.
CREATE TABLE capture_jobs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    event_count BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    event_ids TEXT NOT NULL,
    errors TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);

-- Public scans of trace codes: first scan and count per unit.
CREATE TABLE scans (
    unit_key TEXT PRIMARY KEY,
    first_scan BIGINT NOT NULL,
    last_scan BIGINT NOT NULL,
    count BIGINT NOT NULL
);
