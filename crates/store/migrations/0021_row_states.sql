-- Every state of a row of a mutable register (duties, certifications,
-- company prefix claims, organisations' keys, users' accounts and roles) is
-- a logged record (master_log.rs, kind `row_state`; row_states.rs): the
-- register, the row's key, the action, the row's tracked columns after it
-- (canonical JSON, NULL when the row was deleted), the acting user.
CREATE TABLE row_states (
    id TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    action TEXT NOT NULL,
    snapshot TEXT,
    acting_user TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX row_states_row ON row_states (table_name, row_key);
