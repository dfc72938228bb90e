-- Vulns: the state of each configured download source (vulns/feed_fetch.hpp), keyed by the
-- source's configured name. etag/last_modified are the validators of the last 200 answer, sent
-- back as If-None-Match/If-Modified-Since; last_success_at is when the last successful fetch
-- started (the NVD API's lastModStartDate of the next one). Timestamps are BIGINT microseconds
-- since the epoch (UTC); last_status is the last HTTP status (0: no answer).
CREATE TABLE vuln_sources (
    name TEXT PRIMARY KEY,
    last_fetch_at BIGINT,
    last_success_at BIGINT,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
