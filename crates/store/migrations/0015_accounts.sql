-- Accounts and access: sign-in throttling, one-time password resets, and
-- the creator of each API key.

-- Failure counters of sign-in attempts, one row a bucket: an (account,
-- client) pair `p:…`, an account `a:…` or a client `c:…`. The account is a
-- hash of the username as typed, known or not. Operational data: rows whose
-- window and lock have passed are deleted.
CREATE TABLE login_throttle (
    bucket TEXT PRIMARY KEY,
    account_key TEXT,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT
);
CREATE INDEX login_throttle_account ON login_throttle (account_key);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- One-time password-reset tokens (SHA-256 of the token, never the token).
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Who created each key (keys are made by signed-in users, acting as
-- themselves: until now always the key's own user).
ALTER TABLE api_keys ADD COLUMN created_by TEXT REFERENCES users (id);
UPDATE api_keys SET created_by = user_id WHERE created_by IS NULL;
CREATE INDEX api_keys_user ON api_keys (user_id);
