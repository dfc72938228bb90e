-- Digests (src/feeds/digest.cpp) read only what is new: the digest cycle (every
-- feeds_digest_poll_seconds) used to find its recipients by reading every stored event.
-- feed_digest_pending: the organisations that may have notifiable events no digest holds yet
-- (a recipient or owner of an event scanned below); an organisation leaves it when its events
-- after the smallest of its digest watermarks are all digested.
CREATE TABLE feed_digest_pending (
    organisation_id BIGINT PRIMARY KEY
);
-- The events up to last_event_id have had their recipients and owners added to
-- feed_digest_pending (one row, id 1). It stays below the first event of every run still being
-- ingested: on PostgreSQL a run's uncommitted events hold ids below events committed later.
CREATE TABLE feed_digest_scan (
    id INTEGER PRIMARY KEY,
    last_event_id BIGINT NOT NULL
);
INSERT INTO feed_digest_scan (id, last_event_id) VALUES (1, 0);
