-- Feeds: each block of events keeps a filter of its events' addresses (src/feeds/event_block.hpp
-- MakeAddressFilter: a Bloom filter as hexadecimal text), so that a list of events filtered by
-- address (GET /api/v1/feeds/events?ip=) decodes only the blocks that may hold it instead of
-- every block it selects. Blocks written before have '' and are decoded as before.
ALTER TABLE feed_event_blocks ADD COLUMN ip_filter TEXT NOT NULL DEFAULT '';
