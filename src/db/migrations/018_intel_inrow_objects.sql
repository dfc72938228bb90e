-- Intel, faster imports (issue #4, fourth round): the STIX object of a simple indicator imported
-- into a new event is served from its intel_indicators row instead of an intel_objects row of its
-- own: one row and five index entries per indicator instead of two rows and six entries.
-- object_added is that object's date_added (from the same intel_clock, so unique across both
-- tables), object_version_us its `modified` instant, object_version its text when it is not the
-- canonical StixTime of object_version_us (NULL otherwise), object_content its lean "~I" record
-- (intel/stix.hpp). NULL object_added: the indicator's versions are intel_objects rows as before
-- (every row written by 012-017, and every indicator once a second version of it is written:
-- that moves the in-row version to intel_objects first, so an indicator's versions are either one
-- in-row version or intel_objects rows, never both). Readers: IntelStore (TAXII pages and their
-- cursors, STIX exports, report object_refs, re-import) read both in date_added order.
ALTER TABLE intel_indicators ADD COLUMN object_added BIGINT;
ALTER TABLE intel_indicators ADD COLUMN object_version_us BIGINT;
ALTER TABLE intel_indicators ADD COLUMN object_version TEXT;
ALTER TABLE intel_indicators ADD COLUMN object_content TEXT;
-- TAXII pages (date_added order over a collection) and the lookups by STIX id (re-import, the
-- versions of an object, match[id], TAXII DELETE); only rows that hold an object are indexed.
CREATE UNIQUE INDEX intel_indicators_object_added ON intel_indicators (object_added) WHERE object_added IS NOT NULL;
CREATE INDEX intel_indicators_object_stix ON intel_indicators (stix_id) WHERE object_added IS NOT NULL;
