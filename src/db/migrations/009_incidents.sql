-- Incident response: incidents, their classifications, tags, deadlines, tasks, observables,
-- timeline, attachments, links, members of confidential incidents, custom field definitions,
-- reference counters and the full-text index (SQLite FTS5 / PostgreSQL tsvector).
-- Timestamps are BIGINT microseconds since the epoch (UTC); booleans are 0/1 integers.

-- `organisation_id` is the organisation the incident is about (the reporting or affected
-- constituent) and `org_path` its materialised path; `handling_org_id`/`handling_path` the CERT
-- handling it. Visibility: either path in the caller's subtree, or a share (table shares,
-- object_type 'incident'); confidential incidents only for their members (incident_members).
-- classification: JSON [{"class","type"}]; tags, affected: JSON arrays; custom_fields: object.
-- next_due_at: the earliest unmet deadline (NULL when none), for the due-soon and overdue queues.
CREATE TABLE incidents (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    classification TEXT NOT NULL DEFAULT '[]',
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    severity_rank INTEGER NOT NULL,
    impact TEXT NOT NULL DEFAULT '',
    tlp TEXT NOT NULL,
    pap TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    custom_fields TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    org_path TEXT NOT NULL,
    handling_org_id BIGINT NOT NULL REFERENCES organisations (id),
    handling_path TEXT NOT NULL,
    sector TEXT NOT NULL DEFAULT '',
    regime TEXT NOT NULL DEFAULT '',
    reporter_name TEXT NOT NULL DEFAULT '',
    reporter_email TEXT NOT NULL DEFAULT '',
    reporter_phone TEXT NOT NULL DEFAULT '',
    affected TEXT NOT NULL DEFAULT '[]',
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    confidential INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'api',
    occurred_at BIGINT,
    detected_at BIGINT,
    aware_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT,
    next_due_at BIGINT,
    merged_into BIGINT REFERENCES incidents (id),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- A bit per classification class (incidents::ClassBit): the class filter read from the index.
    class_mask BIGINT NOT NULL DEFAULT 0
);
-- @postgresql
ALTER TABLE incidents ALTER COLUMN org_path TYPE TEXT COLLATE "C";
ALTER TABLE incidents ALTER COLUMN handling_path TYPE TEXT COLLATE "C";
ALTER TABLE incidents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', reference || ' ' || title || ' ' || description || ' ' || tags)) STORED;
CREATE INDEX incidents_search ON incidents USING GIN (search);
-- @end
CREATE INDEX incidents_created ON incidents (created_at, id);
CREATE INDEX incidents_org_path ON incidents (org_path, created_at);
CREATE INDEX incidents_handling_path ON incidents (handling_path, created_at);
CREATE INDEX incidents_severity ON incidents (severity_rank, created_at);
CREATE INDEX incidents_assignee ON incidents (assignee_id, created_at);
CREATE INDEX incidents_next_due ON incidents (next_due_at);
CREATE INDEX incidents_handling_org ON incidents (handling_org_id, status);
-- Covers the common list filters (class_mask: the classification), the visibility ranges, the sort
-- key and the id (PostgreSQL has no implicit rowid): counts and page ids come from the index alone
-- (an index-only scan on PostgreSQL).
CREATE INDEX incidents_filter ON incidents (status, severity_rank, confidential, class_mask, org_path, handling_path, created_at, id);

-- One row per classification (filtering), duplicating incidents.classification.
CREATE TABLE incident_classes (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    class TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, class, type)
);
CREATE INDEX incident_classes_class ON incident_classes (class, type, incident_id);

CREATE TABLE incident_tags (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (incident_id, tag)
);
CREATE INDEX incident_tags_tag ON incident_tags (tag, incident_id);

-- Reporting deadlines of an incident (incidents/regimes.hpp); met_at NULL while pending.
CREATE TABLE incident_deadlines (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    met_at BIGINT,
    reminded_at BIGINT,
    overdue_notified_at BIGINT,
    PRIMARY KEY (incident_id, kind)
);
CREATE INDEX incident_deadlines_due ON incident_deadlines (due_at);

CREATE TABLE incident_tasks (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    due_at BIGINT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
    log TEXT NOT NULL DEFAULT '[]',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);

CREATE TABLE incident_observables (
    id {{ID}},
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    tlp TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (incident_id, type, value)
);
CREATE INDEX incident_observables_value ON incident_observables (type, value, incident_id);

-- Every event and comment of an incident, oldest first. data: JSON details of the event.
CREATE TABLE incident_timeline (
    id {{ID}},
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_id BIGINT,
    text TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id);

-- Evidence files, stored under <data dir>/incidents/attachments/<sha256>.
CREATE TABLE incident_attachments (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX incident_attachments_incident ON incident_attachments (incident_id, id);

-- Links between incidents (stored once, a < b).
CREATE TABLE incident_links (
    a_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    b_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (a_id, b_id)
);
CREATE INDEX incident_links_b ON incident_links (b_id);

-- The named users who may see a confidential incident.
CREATE TABLE incident_members (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_members_user ON incident_members (user_id);

-- Custom fields a CERT defines for its incidents.
CREATE TABLE incident_field_definitions (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (organisation_id, name)
);

-- Reference counters per year ("INC-2026-000123").
CREATE TABLE incident_counters (
    year INTEGER PRIMARY KEY,
    last_number BIGINT NOT NULL
);

-- @sqlite
CREATE VIRTUAL TABLE incidents_fts USING fts5(
    reference, title, description, tags, content='incidents', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts (rowid, reference, title, description, tags)
    VALUES (new.id, new.reference, new.title, new.description, new.tags);
END;
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, reference, title, description, tags)
    VALUES ('delete', old.id, old.reference, old.title, old.description, old.tags);
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title, description, tags ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, reference, title, description, tags)
    VALUES ('delete', old.id, old.reference, old.title, old.description, old.tags);
    INSERT INTO incidents_fts (rowid, reference, title, description, tags)
    VALUES (new.id, new.reference, new.title, new.description, new.tags);
END;
-- @end
