-- The constituency tree: organisations, their contacts and network resources.
-- `path` is the materialised path of internal ids ("/1/4/17/") so that "this CERT and below" is
-- one indexed range scan: path >= '/1/4/' AND path < '/1/40'.
CREATE TABLE organisations (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES organisations (id),
    path TEXT NOT NULL,  -- compared byte-wise (see below)
    depth INTEGER NOT NULL,
    sector TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    cii INTEGER NOT NULL DEFAULT 0,
    contacts TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The range trick needs byte-wise comparison whatever the database's locale.
-- @postgresql
ALTER TABLE organisations ALTER COLUMN path TYPE TEXT COLLATE "C";
-- @end
CREATE INDEX organisations_path ON organisations (path);
CREATE INDEX organisations_parent ON organisations (parent_id);
CREATE INDEX organisations_kind ON organisations (kind);
CREATE INDEX organisations_name ON organisations (name, id);
CREATE INDEX organisations_created ON organisations (created_at, id);

-- A prefix, an ASN or a domain belongs to one organisation at most.
CREATE TABLE organisation_prefixes (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    prefix TEXT NOT NULL UNIQUE
);
CREATE INDEX organisation_prefixes_org ON organisation_prefixes (organisation_id);

CREATE TABLE organisation_asns (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    asn BIGINT NOT NULL UNIQUE
);
CREATE INDEX organisation_asns_org ON organisation_asns (organisation_id);

CREATE TABLE organisation_domains (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL UNIQUE
);
CREATE INDEX organisation_domains_org ON organisation_domains (organisation_id);
