-- keywarden schema 7: check leases (docs/schema.md).
-- 1 while a daemon runs this version's check: next_check_at then holds the
-- lease's end, not a chosen time. The daemon holds the instance lock, so at
-- its start every lease is a dead daemon's: those checks are due at once.
ALTER TABLE versions ADD COLUMN check_leased INTEGER NOT NULL DEFAULT 0;
