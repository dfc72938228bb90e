-- Feeds: a leaner stored event (src/feeds/feed_store.cpp; the encoding is in feeds/event.hpp).
-- feed_events.data_format says how data is written:
--   0  the flat IntelMQ JSON of the event (every row written before this migration);
--   1  the compact encoding: the fields that differ from the row's base (base_id, a row of
--      feed_event_bases holding the fields most events of a report share: feed, classification,
--      protocol, the report's constants) plus the event's own fields, length-prefixed, no JSON.
--      raw is then kept in the column raw as the original bytes of the record (rendered as
--      base64 only when the event is written as IntelMQ JSON); NULL when it is not text (then it
--      stays a base64 field in data) or the event has none.
-- Old rows stay readable as they are: nothing is rewritten.
ALTER TABLE feed_events ADD COLUMN data_format INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feed_events ADD COLUMN base_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feed_events ADD COLUMN raw TEXT;

-- Shared fields of compact events, keyed by a 63-bit hash of their encoded text (written once,
-- never changed: the same fields always give the same id). No foreign key: written before the
-- events that use it, in the same transaction.
CREATE TABLE feed_event_bases (
    id BIGINT PRIMARY KEY,
    data TEXT NOT NULL
);

-- Who is ingesting a run now: "host:pid" and until when (renewed with every committed batch).
-- A second ingest of the same report (same feed and fingerprint) is refused while the lease is
-- held by a live process; a lease that ran out, or whose process is gone, is taken over (resume).
ALTER TABLE feed_runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_runs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;

-- feed_events is written at ingest speed: it keeps only the indexes its queries need. The one on
-- run_id served a single query (the per-recipient counts of a resumed or replayed run, at its
-- end); that query now scans the ids above feed_runs.first_event_id (the largest event id stored
-- when the run was created: every event of the run has a larger one), which the primary key
-- serves. Kept: feed_events_feed_time (dedup/aggregate state rebuild, counts and lists per feed),
-- feed_events_recipient and feed_events_owner (digests: events per organisation after a
-- watermark; lists per recipient), feed_events_aggregate (aggregate updates; aggregated feeds
-- only).
ALTER TABLE feed_runs ADD COLUMN first_event_id BIGINT NOT NULL DEFAULT 0;
DROP INDEX feed_events_run;
-- @sqlite
-- SQLite ends every index entry with the rowid (= id): (x) orders and serves "x = ? AND id > ?"
-- like (x, id) did, with the id stored once per entry instead of twice.
DROP INDEX feed_events_owner;
CREATE INDEX feed_events_owner ON feed_events (organisation_id);
DROP INDEX feed_events_recipient;
CREATE INDEX feed_events_recipient ON feed_events (recipient_id);
-- @end
