-- Vulnerability management: each organisation's asset inventory and the findings of matching
-- it against CVE records. Timestamps are BIGINT microseconds (UTC); booleans 0/1 integers.

-- An asset is a product an organisation runs, named by a CPE 2.3, a purl, or vendor + product
-- + version (any combination). `version_row` is the row version behind ETag/If-Match (`version`
-- is the product's). `location` says where it runs.
CREATE TABLE assets (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    cpe TEXT NOT NULL DEFAULT '',
    purl TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    version_scheme TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    criticality TEXT NOT NULL DEFAULT 'medium'
        CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version_row BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX assets_organisation ON assets (organisation_id, name, id);
CREATE INDEX assets_name ON assets (name, id);
CREATE INDEX assets_created ON assets (created_at, id);

-- The normalised product keys of each asset ("v:openssl:openssl", "p:maven/org.apache/log4j-core"),
-- written by the asset store: "which assets might a new CVE record concern?" is an index lookup.
CREATE TABLE asset_keys (
    asset_id BIGINT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    product_key TEXT NOT NULL,
    PRIMARY KEY (product_key, asset_id)
);
CREATE INDEX asset_keys_asset ON asset_keys (asset_id);

-- One finding per asset and CVE. `status` is what matching decided (affected, or unknown when a
-- comparison could not be decided), `source` which data decided it (CNA container, an ADP
-- container, NVD configurations) and `reason` the record field and range. `state` is the
-- constituent's view: open, not_applicable (with state_reason and state_by) or resolved (no
-- longer matches). `priority` is documented in vulns/matcher.hpp.
CREATE TABLE findings (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    asset_id BIGINT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    cve_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('affected', 'unknown')),
    source TEXT NOT NULL CHECK (source IN ('cna', 'adp', 'nvd')),
    reason TEXT NOT NULL DEFAULT '',
    priority DOUBLE PRECISION NOT NULL DEFAULT 0,
    cvss DOUBLE PRECISION,
    epss DOUBLE PRECISION,
    kev INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'not_applicable', 'resolved')),
    state_reason TEXT NOT NULL DEFAULT '',
    state_by TEXT NOT NULL DEFAULT '',
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    UNIQUE (asset_id, cve_id)
);
CREATE INDEX findings_cve ON findings (cve_id);
CREATE INDEX findings_priority ON findings (priority, id);
CREATE INDEX findings_state ON findings (state, asset_id);
