-- Intel: threat-intelligence events and indicators shared by TLP 2.0 and audience
-- (access/intel_policy.hpp), correlation by value, sightings, the STIX objects served over
-- TAXII 2.1 and the TAXII client's resume points. Timestamps are BIGINT microseconds (UTC).

-- An intel event. The creator's organisation path, CERT (id and path) and sector are copied at
-- creation so that the visibility predicate needs no join; `tags` is a JSON array of strings
-- (also in intel_event_tags for search), `incidents` a JSON array of incident ids.
CREATE TABLE intel_events (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    stix_id TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    org_path TEXT NOT NULL,
    cert_id BIGINT NOT NULL,
    cert_path TEXT NOT NULL,
    sector TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tlp TEXT NOT NULL CHECK (tlp IN ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED')),
    audience TEXT NOT NULL CHECK (audience IN ('organisation', 'cert', 'sector', 'national', 'partners')),
    confidence INTEGER NOT NULL DEFAULT 50,
    tags TEXT NOT NULL DEFAULT '[]',
    incidents TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL DEFAULT 'manual',
    indicator_count BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- @postgresql
ALTER TABLE intel_events ALTER COLUMN org_path TYPE TEXT COLLATE "C";
ALTER TABLE intel_events ALTER COLUMN cert_path TYPE TEXT COLLATE "C";
-- @end
CREATE INDEX intel_events_organisation ON intel_events (organisation_id);
CREATE INDEX intel_events_updated ON intel_events (updated_at, id);
CREATE INDEX intel_events_audience ON intel_events (audience, tlp);

-- Named recipients (TLP:RED, and AMBER/AMBER+STRICT to chosen organisations).
CREATE TABLE intel_event_recipients (
    event_id BIGINT NOT NULL REFERENCES intel_events (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    PRIMARY KEY (event_id, organisation_id)
);
-- @postgresql
ALTER TABLE intel_event_recipients ALTER COLUMN path TYPE TEXT COLLATE "C";
-- @end

CREATE TABLE intel_event_tags (
    event_id BIGINT NOT NULL REFERENCES intel_events (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX intel_event_tags_tag ON intel_event_tags (tag);

-- An indicator: its normalised value (the correlation key with its type), the original text,
-- validity, the detection flag, false-positive marking and the warning list it hit ('' none;
-- warning_override: an analyst keeps it for detection anyway).
CREATE TABLE intel_indicators (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    stix_id TEXT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES intel_events (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    original TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    detection INTEGER NOT NULL DEFAULT 1,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT,
    false_positive INTEGER NOT NULL DEFAULT 0,
    warning TEXT NOT NULL DEFAULT '',
    warning_override INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX intel_indicators_value ON intel_indicators (type, value, event_id);
CREATE INDEX intel_indicators_event ON intel_indicators (event_id, id);

-- The correlation index by value: how many events hold each (type, value). Grows with the
-- number of distinct values, never with pairs. A value in more than intel_correlation_limit
-- events stops producing links and is reported as over-correlating.
CREATE TABLE intel_values (
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (type, value)
);
CREATE INDEX intel_values_events ON intel_values (events);

-- Sightings of an indicator: who, when (first and last), how many.
CREATE TABLE intel_sightings (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    indicator_id BIGINT NOT NULL REFERENCES intel_indicators (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    count BIGINT NOT NULL DEFAULT 1,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX intel_sightings_indicator ON intel_sightings (indicator_id);

-- The STIX objects we serve over TAXII and in exports, one row per object version. Objects of an
-- event follow its visibility; rows without an event are the TLP marking-definitions (everyone)
-- and organisation identities (owner_org_id: visible with any visible event of that
-- organisation). date_added is unique and strictly increasing (intel_clock).
CREATE TABLE intel_objects (
    id {{ID}},
    event_id BIGINT REFERENCES intel_events (id) ON DELETE CASCADE,
    owner_org_id BIGINT,
    stix_id TEXT NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    version_us BIGINT NOT NULL,
    date_added BIGINT NOT NULL UNIQUE,
    content TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX intel_objects_stix ON intel_objects (stix_id, version_us);
CREATE INDEX intel_objects_event ON intel_objects (event_id);

-- The last date_added handed out; writers update it inside their transaction.
CREATE TABLE intel_clock (
    id INTEGER PRIMARY KEY,
    last_us BIGINT NOT NULL
);
INSERT INTO intel_clock (id, last_us) VALUES (1, 0);

-- TAXII status resources of POSTed envelopes (kept 7 days).
CREATE TABLE intel_taxii_status (
    uuid TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL
);

-- The TAXII client's resume point per server and collection: the last date_added seen.
CREATE TABLE intel_taxii_cursors (
    url TEXT NOT NULL,
    collection TEXT NOT NULL,
    last_added TEXT NOT NULL DEFAULT '',
    pulled BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (url, collection)
);
