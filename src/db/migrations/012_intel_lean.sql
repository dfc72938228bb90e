-- Intel, leaner and idempotent imports (issue #4):
-- * intel_objects.content may hold a lean record instead of the JSON text: "~I..." for a simple
--   imported indicator and "~R..." for the report of an event, whose object_refs are streamed from
--   the event's objects when served (intel/stix.hpp, RenderLeanIndicator/RenderLeanReport). Rows
--   written before hold JSON and are served as they are.
-- * intel_indicators.original is '' when it equals value (imports): read as value.
-- * intel_events.source_ref: the STIX id of the report (or the MISP event uuid) an event was
--   imported from, so that importing the same bundle again updates that event instead of
--   creating a second one; source_version: the MISP event timestamp (seconds) last imported.
ALTER TABLE intel_events ADD COLUMN source_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE intel_events ADD COLUMN source_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX intel_events_source_ref ON intel_events (organisation_id, source_ref);
-- The objects of an event in date_added order (exports and report refs page through them); it
-- replaces the index on event_id alone.
CREATE INDEX intel_objects_event_added ON intel_objects (event_id, date_added);
DROP INDEX intel_objects_event;
-- The "latest version" lookups of TAXII pages, exports and appends (stix_id, then event_id and
-- deleted of each version) are answered from this index alone, without reading the object row
-- (its content is large); same leading columns as before, so the same plans otherwise.
DROP INDEX intel_objects_stix;
CREATE INDEX intel_objects_stix ON intel_objects (stix_id, version_us, event_id, deleted);
