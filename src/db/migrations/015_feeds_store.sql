-- Feeds: fewer index entries per stored event (src/feeds/feed_store.cpp).
-- feed_events_owner served only "organisation_id = ?" lookups (digests of an owner after a
-- watermark) and the owners with pending events ("organisation_id IS NOT NULL"): an event without
-- an owner (a foreign or unrouted address) never matches either, so it gets no entry. Both
-- queries imply organisation_id IS NOT NULL, which lets SQLite and PostgreSQL use the partial
-- index. Existing rows are indexed again as they are (nothing else is rewritten).
DROP INDEX feed_events_owner;
-- @sqlite
-- SQLite ends every index entry with the rowid (= id): (organisation_id) serves
-- "organisation_id = ? AND id > ?" like (organisation_id, id) would.
CREATE INDEX feed_events_owner ON feed_events (organisation_id) WHERE organisation_id IS NOT NULL;
-- @end
-- @postgresql
CREATE INDEX feed_events_owner ON feed_events (organisation_id, id) WHERE organisation_id IS NOT NULL;
-- @end
