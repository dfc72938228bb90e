-- Vulnerability advisories (CSAF 2.0) and imported CSAF statements.
-- Timestamps are BIGINT microseconds since the epoch (UTC).

-- An advisory belongs to the CERT organisation that created it; `content` is the advisory's JSON
-- form (vulns/advisory.hpp). `version` counts every change (ETag); `published_version` is the
-- version that was last published (0: never), so "changed since publication" is version <>
-- published_version. The rendered CSAF JSON and HTML of the last publication are kept.
CREATE TABLE advisories (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    tlp TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    tracking_id TEXT UNIQUE,
    version BIGINT NOT NULL DEFAULT 1,
    published_version BIGINT NOT NULL DEFAULT 0,
    csaf_json TEXT NOT NULL DEFAULT '',
    html TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX advisories_organisation ON advisories (organisation_id);
CREATE INDEX advisories_updated ON advisories (updated_at, id);

-- The revision history of each published advisory: 1, 2, ... (CSAF tracking.revision_history).
CREATE TABLE advisory_revisions (
    advisory_id BIGINT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    released_at BIGINT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (advisory_id, number)
);

-- Tracking-id counters per prefix and year ("PKCERT-2026-0001").
CREATE TABLE advisory_counters (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

-- Foreign CSAF documents (security advisories and VEX), one row per publisher and tracking id;
-- a newer import of the same document replaces the older one and its statements.
CREATE TABLE csaf_imports (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    publisher_namespace TEXT NOT NULL,
    publisher_name TEXT NOT NULL,
    tracking_id TEXT NOT NULL,
    tracking_version TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    tlp TEXT NOT NULL DEFAULT '',
    current_release_date BIGINT NOT NULL,
    document TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE SET NULL,
    imported_at BIGINT NOT NULL,
    UNIQUE (publisher_namespace, tracking_id)
);

-- What a foreign document says about one CVE and one product: known_affected,
-- known_not_affected, fixed or under_investigation (for the matcher).
CREATE TABLE csaf_statements (
    import_id BIGINT NOT NULL REFERENCES csaf_imports (id) ON DELETE CASCADE,
    cve TEXT NOT NULL,
    status TEXT NOT NULL,
    product_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    version_range TEXT NOT NULL DEFAULT '',
    cpe TEXT NOT NULL DEFAULT '',
    purl TEXT NOT NULL DEFAULT ''
);
CREATE INDEX csaf_statements_import ON csaf_statements (import_id);
CREATE INDEX csaf_statements_cve ON csaf_statements (cve);
