-- Sign-in attempts in flight: one row per bucket of an attempt whose password
-- is being checked. The failure counters (`login_throttle.failures`) now count
-- completed failures only; an attempt is admitted while the failures and the
-- attempts in flight stay under the limit, so a burst of guesses cannot slip
-- past it, and concurrent right passwords wait instead of locking the
-- account. A row older than a minute is an attempt whose handler died: it no
-- longer counts and is deleted. Operational, like the counters.
CREATE TABLE sign_in_attempts (
    id TEXT NOT NULL,
    bucket TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (id, bucket)
);
CREATE INDEX sign_in_attempts_bucket ON sign_in_attempts (bucket, started_at);
