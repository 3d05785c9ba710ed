-- The authority model (crates/core/src/authority.rs).
--
-- GS1 Company Prefixes an organisation claims with the number of its GS1
-- registration certificate (中国商品条码系统成员证书); the operator checks the
-- certificate and verifies or rejects the claim. A verified prefix makes its
-- organisation the owner of every GTIN and SSCC under it: only the owner
-- commissions units under it and registers products with those GTINs.
CREATE TABLE company_prefixes (
    id TEXT PRIMARY KEY,
    prefix TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    certificate_number TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    decided_by TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE UNIQUE INDEX company_prefixes_claim ON company_prefixes (prefix, org_id);
CREATE UNIQUE INDEX company_prefixes_verified ON company_prefixes (prefix) WHERE status = 'verified';
CREATE INDEX company_prefixes_org ON company_prefixes (org_id, id);


-- Testing entrusted to an agency by a `sampling` record (derived from the
-- log: each row is an effect of the sampling event `event_pk`).
CREATE TABLE entrustments (
    epc TEXT NOT NULL,
    agency_org_id TEXT NOT NULL,
    event_pk TEXT NOT NULL,
    PRIMARY KEY (agency_org_id, epc, event_pk)
);
