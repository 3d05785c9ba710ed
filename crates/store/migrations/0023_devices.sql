-- Devices (R-5.3.2.1, R-7.2.3): the registry, device credentials, refused
-- attempts, readings as a time series, the logged batches that cover them,
-- and the alerts the periodic check raises.

-- A registered device is a logged record (master_log.rs, kind `device`).
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    place_id TEXT NOT NULL REFERENCES places (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX devices_org ON devices (org_id);
CREATE INDEX devices_place ON devices (place_id);

-- Each enabling or disabling is a logged record (kind `device_state`);
-- a device's state is its latest one (enabled when it has none).
CREATE TABLE device_states (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    org_id TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    acting_user TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_states_device ON device_states (device_id, created_at);

-- Credentials (operational, like API keys): the token's SHA-256 and the
-- MQTT signing key derived from it, sealed with the platform secret.
CREATE TABLE device_credentials (
    device_id TEXT PRIMARY KEY REFERENCES devices (id),
    token_hash TEXT NOT NULL UNIQUE,
    hmac_key_cipher TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Refused attempts to send readings (operational): who claimed to be
-- which device, over which channel, and why it was refused.
CREATE TABLE device_refusals (
    id TEXT PRIMARY KEY,
    device_id TEXT,
    org_id TEXT,
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_refusals_org ON device_refusals (org_id, created_at);

-- Each accepted batch of readings is a logged record (kind
-- `reading_batch`): its device, count, time range and the SHA-256 of the
-- canonical form of the readings it stored.
CREATE TABLE reading_batches (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    device_id TEXT NOT NULL REFERENCES devices (id),
    reading_count BIGINT NOT NULL,
    first_time BIGINT NOT NULL,
    last_time BIGINT NOT NULL,
    readings_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reading_batches_device ON reading_batches (device_id, last_time);

-- The readings: one row per device, quantity and time (a repeat is a
-- duplicate and dropped); each names the batch whose hash covers it.
CREATE TABLE device_readings (
    device_id TEXT NOT NULL REFERENCES devices (id),
    quantity TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    batch_id TEXT NOT NULL REFERENCES reading_batches (id),
    PRIMARY KEY (device_id, quantity, time_ms)
);
CREATE INDEX device_readings_batch ON device_readings (batch_id);

-- Alerts the periodic check raises: a silent device, a temperature
-- excursion, with its span and extreme.
CREATE TABLE device_alerts (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    device_id TEXT NOT NULL REFERENCES devices (id),
    kind TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    extreme DOUBLE PRECISION,
    raised_at BIGINT NOT NULL,
    UNIQUE (device_id, kind, started_at)
);
CREATE INDEX device_alerts_org ON device_alerts (org_id, raised_at);
