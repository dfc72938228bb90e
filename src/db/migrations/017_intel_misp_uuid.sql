-- Intel, MISP attribute uuids (issue #4 follow-up): intel_indicators.source_uuid is the uuid of
-- the MISP attribute an indicator was imported from (NULL for indicators created here and for
-- STIX imports). A re-import of the MISP event matches attributes by it first (a corrected value
-- under the same attribute uuid updates the indicator), and the MISP export and feed write it as
-- the attribute uuid so that a MISP instance sees the attribute it sent.
ALTER TABLE intel_indicators ADD COLUMN source_uuid TEXT;
