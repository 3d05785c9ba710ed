-- Alert webhooks (issue 18): each organisation's webhook, the outbox of
-- deliveries to it and every attempt. All operational: delivery state, not
-- records (the alerts they carry derive from logged readings).

-- An organisation's webhook: where alerts go and the secret each delivery
-- is signed with (sealed with the platform secret: the server must sign).
CREATE TABLE webhooks (
    org_id TEXT PRIMARY KEY REFERENCES organisations (id),
    url TEXT NOT NULL,
    secret_cipher TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The outbox: one row per alert event to deliver (`event_key` names the
-- alert and what happened to it, once per organisation), written in the
-- transaction that raises or ends the alert; `payload` is the exact body.
-- `status`: pending (until a 2xx answer), delivered, or cancelled (the
-- webhook was removed). `next_attempt_at` is also the lease a sender takes.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    event_key TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, event_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, created_at);

-- Each attempt: when, the URL, the HTTP status answered or the error.
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    url TEXT NOT NULL,
    http_status BIGINT,
    error TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
