-- Foundation schema: organisations, people, access, places, products, inputs.
-- One file for both backends: only types both understand (TEXT, BIGINT,
-- BOOLEAN, DOUBLE PRECISION). Times are UTC milliseconds since the epoch;
-- calendar dates are ISO 'YYYY-MM-DD' text. Row ids are UUIDv7 text.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    producer_form TEXT,
    name TEXT NOT NULL,
    uscc TEXT UNIQUE,
    uscc_checksum_ok BOOLEAN NOT NULL,
    review_reason TEXT,
    region TEXT NOT NULL,
    address TEXT,
    legal_rep_name TEXT,
    legal_rep_id_cipher TEXT,
    legal_rep_id_masked TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    status TEXT NOT NULL,
    status_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX organisations_region ON organisations (region);
CREATE INDEX organisations_status ON organisations (status);

CREATE TABLE org_duties (
    org_id TEXT NOT NULL REFERENCES organisations (id),
    duty TEXT NOT NULL,
    person_name TEXT NOT NULL,
    phone TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, duty)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    jurisdiction TEXT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_org ON users (org_id, id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE places (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES places (id),
    gln TEXT,
    region TEXT,
    address TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    polygon TEXT,
    area_m2 DOUBLE PRECISION,
    crops TEXT,
    soil_type TEXT,
    water_source TEXT,
    irrigation TEXT,
    environment_tests TEXT,
    temperature_controlled BOOLEAN,
    temperature_min DOUBLE PRECISION,
    temperature_max DOUBLE PRECISION,
    plate_number TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX places_gln ON places (gln) WHERE gln IS NOT NULL;
CREATE INDEX places_org ON places (org_id, id);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    gtin TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    variety TEXT,
    specification TEXT,
    unit TEXT NOT NULL,
    shelf_life_days BIGINT,
    origin_region TEXT,
    origin TEXT,
    description TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX products_org ON products (org_id, id);

CREATE TABLE certifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    issuer TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL
);
CREATE INDEX certifications_product ON certifications (product_id);

CREATE TABLE suppliers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    uscc TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    address TEXT,
    licence_number TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX suppliers_org ON suppliers (org_id, id);

CREATE TABLE inputs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    manufacturer TEXT,
    registration_number TEXT,
    active_ingredient TEXT,
    pre_harvest_interval_days BIGINT,
    specification TEXT,
    unit TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inputs_org ON inputs (org_id, id);

CREATE TABLE input_purchases (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    input_id TEXT NOT NULL REFERENCES inputs (id),
    supplier_id TEXT NOT NULL REFERENCES suppliers (id),
    lot_number TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    purchased_on TEXT NOT NULL,
    storage_place_id TEXT REFERENCES places (id),
    storage_conditions TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX input_purchases_org ON input_purchases (org_id, id);
