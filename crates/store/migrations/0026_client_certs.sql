-- Transport security (R-5.1.3, R-7.2.5): the platform's client CA, which
-- issues certificates to machine clients (partner systems, devices,
-- witnesses), and every client certificate the platform accepts over
-- mutual TLS, issued by that CA or registered by fingerprint. Operational:
-- revocable credentials, like API keys.

-- At most one CA (id 1): its certificate, and its private key sealed with
-- the platform secret.
CREATE TABLE client_ca (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cert_pem TEXT NOT NULL,
    key_cipher TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A client certificate by the SHA-256 of its DER (hex), and what it
-- authenticates as: an organisation, a device or an API key.
CREATE TABLE client_certificates (
    fingerprint TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    label TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX client_certificates_subject ON client_certificates (subject_kind, subject_id);
