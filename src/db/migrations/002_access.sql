-- Access: users, sessions, API tokens, explicit shares and the tamper-evident audit log.
-- Timestamps are BIGINT microseconds since the epoch (UTC); booleans are 0/1 integers.

-- Usernames are stored lower-case, so UNIQUE is case-insensitive. Secrets: password_hash is an
-- argon2id string; totp_secret is base32 (set by MFA set-up before mfa_enabled is confirmed);
-- totp_last_step is the last accepted TOTP time step, so a code cannot be replayed.
CREATE TABLE users (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'council', 'partner')),
    totp_secret TEXT NOT NULL DEFAULT '',
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    mfa_enabled INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_login_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX users_organisation ON users (organisation_id);

-- Browser sessions; only the SHA-256 of the session token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Bearer tokens ("mfz_..."); only the SHA-256 is stored. scopes: space-separated read/write/admin.
CREATE TABLE api_tokens (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Explicit sharing of one record with one organisation (read by access::Policy::RecordScope).
-- The UNIQUE index also serves the policy's EXISTS lookup.
CREATE TABLE shares (
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    access TEXT NOT NULL CHECK (access IN ('read', 'write')),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (object_type, object_id, organisation_id)
);
CREATE INDEX shares_organisation ON shares (organisation_id);

-- The audit log: append-only, hash-chained (hash = SHA-256 over prev_hash and the entry, see
-- access/audit_log.hpp). No foreign keys: entries outlive the users and organisations they name.
CREATE TABLE audit_log (
    id {{ID}},
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    organisation_id BIGINT,
    address TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    "before" TEXT,
    "after" TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_organisation ON audit_log (organisation_id, id);

-- The head of the chain: one row, the id and hash of the last entry (zeros before the first).
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only: UPDATE and DELETE on audit_log fail on both backends.
-- @sqlite
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- @end
-- @postgresql
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
-- @end
