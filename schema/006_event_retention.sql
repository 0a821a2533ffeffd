-- keywarden schema 6: event retention (config `events`, docs/schema.md).
-- NULL: one event. N: N served secrets (get, export or exec) of one action,
-- slot, version, uid and UTC day, folded into one row whose `at` is the
-- start of that day.
ALTER TABLE events ADD COLUMN count INTEGER;
-- The single served-secret events, oldest first, for the aggregation.
CREATE INDEX events_served ON events(at)
  WHERE count IS NULL AND action IN ('get', 'export', 'exec');
