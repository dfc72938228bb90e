-- Intel sharing (issue #4, second part): secrets the intel capability keeps across restarts and
-- shares between the servers of one database, e.g. the key that signs TAXII `next` cursors
-- (name 'taxii_cursor_key'). `value` is lower-case hex; rows are created once and never change.
CREATE TABLE intel_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
