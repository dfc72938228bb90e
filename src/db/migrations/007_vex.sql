-- Findings settled by imported CSAF VEX statements.
-- `state_source` says who decided a finding's state: 'match' (matching: open, or resolved when it
-- no longer matches), 'vex' (not_applicable because an imported CSAF statement says the asset is
-- known_not_affected or fixed, re-decided on every matching run) or 'manual' (a person, whose
-- verdict matching and VEX leave alone). Existing verdicts of a person are kept as manual.
ALTER TABLE findings ADD COLUMN state_source TEXT NOT NULL DEFAULT 'match';
UPDATE findings SET state_source = 'manual' WHERE state_by <> '' OR state = 'not_applicable';
