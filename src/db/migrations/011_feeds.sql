-- Feeds: the automated pipeline's runs, harmonised events, dead letters, digests and fetch state
-- (src/feeds/). Timestamps are BIGINT microseconds since the epoch (UTC).

-- One ingest of one report (a file, an upload, a fetched URL, an e-mail attachment). file_hash
-- identifies the content (feeds/reader.hpp), so re-ingesting it is recognised and a run killed
-- mid-file resumes at next_offset/next_line, which are committed with each batch of events.
-- header is the report's first record (kept to replay dead letters of header-based formats).
CREATE TABLE feed_runs (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    feed TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'file',
    file_name TEXT NOT NULL DEFAULT '',
    file_hash TEXT NOT NULL DEFAULT '',
    file_size BIGINT NOT NULL DEFAULT 0,
    format TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    header TEXT NOT NULL DEFAULT '',
    next_offset BIGINT NOT NULL DEFAULT 0,
    next_line BIGINT NOT NULL DEFAULT 1,
    lines_read BIGINT NOT NULL DEFAULT 0,
    events BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    aggregated BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feed_runs_feed ON feed_runs (feed, id);
CREATE INDEX feed_runs_hash ON feed_runs (feed, file_hash);

-- Events per recipient organisation and run (counted from the stored events when a run ends).
CREATE TABLE feed_run_counts (
    run_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    events BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, organisation_id)
);

-- A harmonised event. data is the flat IntelMQ JSON of the event; the columns beside it are
-- copies of what lists, filters, routing and digests need. organisation_id: the owner found by
-- the owner index (NULL: none); recipient_id: the CERT that handles it (the owner's nearest CERT
-- ancestor, a partner CERT abroad, or the National CERT for unrouted events); route is 'owner',
-- 'partner' or 'unrouted'; scope_path is the materialised path visibility is decided on (the
-- owner's, else the recipient's). notify = 0: kept but never sent (feed rules). dedup_hash and
-- aggregate_hash are 64-bit hashes (feeds/event.hpp); first_seen/last_seen/event_count describe
-- an aggregate (n6 style). No foreign keys: an event outlives a deleted organisation.
CREATE TABLE feed_events (
-- @sqlite
    id INTEGER PRIMARY KEY,
-- @end
-- @postgresql
    id BIGSERIAL PRIMARY KEY,
-- @end
    uuid TEXT NOT NULL,
    feed TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    line BIGINT NOT NULL DEFAULT 0,
    time_source BIGINT NOT NULL,
    observed_at BIGINT NOT NULL,
    taxonomy TEXT NOT NULL,
    type TEXT NOT NULL,
    identifier TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    source_ip TEXT NOT NULL DEFAULT '',
    source_asn BIGINT,
    source_cc TEXT NOT NULL DEFAULT '',
    organisation_id BIGINT,
    recipient_id BIGINT NOT NULL,
    route TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    notify INTEGER NOT NULL DEFAULT 1,
    dedup_hash BIGINT NOT NULL,
    aggregate_hash BIGINT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    event_count BIGINT NOT NULL DEFAULT 1,
    data TEXT NOT NULL
);
-- @postgresql
ALTER TABLE feed_events ALTER COLUMN scope_path TYPE TEXT COLLATE "C";
-- @end
CREATE INDEX feed_events_feed_time ON feed_events (feed, observed_at);
CREATE INDEX feed_events_run ON feed_events (run_id);
CREATE INDEX feed_events_owner ON feed_events (organisation_id, id);
CREATE INDEX feed_events_recipient ON feed_events (recipient_id, id);
CREATE INDEX feed_events_aggregate ON feed_events (feed, aggregate_hash) WHERE aggregate_hash IS NOT NULL;

-- A record that could not be parsed: its file, line, reason and bytes (base64, as read).
-- state: 'open', 'replayed' (parsed on a later replay) or 'dropped'.
CREATE TABLE feed_dead_letters (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    feed TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    line BIGINT NOT NULL,
    reason TEXT NOT NULL,
    raw_base64 TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    created_at BIGINT NOT NULL,
    replayed_at BIGINT
);
CREATE INDEX feed_dead_letters_feed ON feed_dead_letters (feed, state, id);
CREATE INDEX feed_dead_letters_run ON feed_dead_letters (run_id, line);

-- How often an organisation gets its digest, per taxonomy ('*': every other one).
-- interval: 'immediate', 'hourly', 'daily' or 'never'.
CREATE TABLE feed_digest_prefs (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    taxonomy TEXT NOT NULL,
    digest_interval TEXT NOT NULL,
    PRIMARY KEY (organisation_id, taxonomy)
);

-- Per recipient and interval: the last event already put into a digest, and when.
CREATE TABLE feed_digest_state (
    organisation_id BIGINT NOT NULL,
    digest_interval TEXT NOT NULL,
    last_event_id BIGINT NOT NULL DEFAULT 0,
    last_sent_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organisation_id, digest_interval)
);

-- The delivery log of digests: one row per message (reference FD-YYYY-NNNNNN), with the
-- notification (notify outbox) that carries it. status 'queued' (see the notification for
-- delivery) or 'skipped' (no contact address: reason says so).
CREATE TABLE feed_digests (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL DEFAULT '',
    organisation_id BIGINT NOT NULL,
    digest_interval TEXT NOT NULL,
    events BIGINT NOT NULL,
    first_event_id BIGINT NOT NULL,
    last_event_id BIGINT NOT NULL,
    recipients TEXT NOT NULL DEFAULT '',
    encrypted INTEGER NOT NULL DEFAULT 0,
    notification_uuid TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX feed_digests_org ON feed_digests (organisation_id, id);

-- Scheduled HTTP(S) fetches of configured feeds: validators and outcome of the last fetch.
CREATE TABLE feed_fetch_state (
    feed TEXT PRIMARY KEY,
    last_fetch_at BIGINT,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
