-- Feeds: events stored in blocks (src/feeds/event_block.hpp, src/feeds/feed_store.cpp).
-- A non-aggregated feed's batch is stored as one feed_event_blocks row per recipient (and route
-- and notify flag) holding all those events, instead of one feed_events row per event with three
-- index entries each. Aggregated feeds (whose stored events are updated in place) keep writing
-- feed_events rows. Rows written before this migration stay readable as they are: every reader
-- reads both tables (nothing is rewritten).
--
-- Event ids: a block holds the events id .. id + n - 1 (n <= 65536); feed_event_ids hands out
-- ranges of ids to blocks and feed_events rows alike, in the writing transaction (its row is
-- locked until commit on PostgreSQL, so ids are also in commit order there).
-- Columns: what the block's events share (feed, run, observed_at, recipient, route, notify, the
-- compact base) and what filters skip blocks by: time_min/time_max (time.source), scope_min/
-- scope_max (the smallest and largest scope_path), classes ("|taxonomy|type|...|": every
-- taxonomy and type of its events), owners (the distinct owner organisation ids of its events,
-- comma separated), observation (the time.observation most of its events share: not repeated in
-- each event), dedup (the events' dedup hashes, 16 hexadecimal digits each, in event order:
-- the dedup state is rebuilt from them without reading data). data: the events
-- (event_block.hpp).
CREATE TABLE feed_event_blocks (
-- @sqlite
    id INTEGER PRIMARY KEY,
-- @end
-- @postgresql
    id BIGINT PRIMARY KEY,
-- @end
    n INTEGER NOT NULL,
    feed TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    observed_at BIGINT NOT NULL,
    recipient_id BIGINT NOT NULL,
    route TEXT NOT NULL,
    notify INTEGER NOT NULL,
    time_min BIGINT NOT NULL,
    time_max BIGINT NOT NULL,
    scope_min TEXT NOT NULL,
    scope_max TEXT NOT NULL,
    classes TEXT NOT NULL,
    base_id BIGINT NOT NULL DEFAULT 0,
    owners TEXT NOT NULL DEFAULT '',
    observation TEXT NOT NULL DEFAULT '',
    dedup TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL
);
-- @postgresql
ALTER TABLE feed_event_blocks ALTER COLUMN scope_min TYPE TEXT COLLATE "C";
ALTER TABLE feed_event_blocks ALTER COLUMN scope_max TYPE TEXT COLLATE "C";
-- @end
-- Dedup state rebuild, counts and lists per feed.
CREATE INDEX feed_event_blocks_feed ON feed_event_blocks (feed, observed_at);
-- Digests and lists per recipient (SQLite appends the rowid = id to every entry).
-- @sqlite
CREATE INDEX feed_event_blocks_recipient ON feed_event_blocks (recipient_id);
-- @end
-- @postgresql
CREATE INDEX feed_event_blocks_recipient ON feed_event_blocks (recipient_id, id);
-- @end

-- The owners of the events of notifiable blocks (one entry per block and owner): an owner's
-- digest finds its blocks here (the digest cycle finds new owners in feed_event_blocks.owners).
CREATE TABLE feed_event_block_owners (
    organisation_id BIGINT NOT NULL,
    block_id BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, block_id)
)
-- @sqlite
WITHOUT ROWID
-- @end
;

-- The next event id to hand out (one row, id 1).
CREATE TABLE feed_event_ids (
    id INTEGER PRIMARY KEY,
    next_id BIGINT NOT NULL
);
INSERT INTO feed_event_ids (id, next_id) VALUES (1, (SELECT COALESCE(MAX(id), 0) + 1 FROM feed_events));
