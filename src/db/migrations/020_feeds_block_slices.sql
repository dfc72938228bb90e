-- Feeds: where an owner's events lie in a block (src/feeds/pipeline.cpp BlockBuilder,
-- src/feeds/feed_store.cpp EventsFor). Blocks now hold the events of many input chunks, ordered
-- by owner: each owner's events one after another, the first of them written on its own (no
-- value repeated from the event before it), so a reader may start there. An owner's entry says
-- where: first_event (its first event's position in the block: its id is the block's id +
-- first_event), data_at (the byte offset of that event in feed_event_blocks.data) and events (how
-- many). An owner's digest reads only its slice of the block. Entries written before this
-- migration have data_at = -1: the whole block is read, as before.
ALTER TABLE feed_event_block_owners ADD COLUMN first_event INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feed_event_block_owners ADD COLUMN data_at BIGINT NOT NULL DEFAULT -1;
ALTER TABLE feed_event_block_owners ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
