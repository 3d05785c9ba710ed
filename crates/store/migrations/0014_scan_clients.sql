-- A code's scan counts each client once per day. scan_clients remembers who
-- scanned which unit on which day (UTC day number since 1970): the client
-- is a pseudonym, HMAC-SHA-256 of the day and its IP address under a key
-- derived from the server's secret key, never the address itself. It is an
-- operational table: rows of past days are deleted as scans go on
-- (`trace::public`), and scans.count becomes the number of distinct
-- client-days.
CREATE TABLE scan_clients (
    unit_key TEXT NOT NULL,
    client_key TEXT NOT NULL,
    day BIGINT NOT NULL,
    PRIMARY KEY (unit_key, client_key, day)
);
