-- keywarden schema 2: rotation reminders and the expiry of retired secrets.
ALTER TABLE slots ADD COLUMN next_reminder_at INTEGER;  -- unix seconds; NULL: none scheduled
CREATE INDEX slots_next_reminder ON slots(next_reminder_at) WHERE next_reminder_at IS NOT NULL;
-- Retired versions whose secret still exists, for the grace-end sweep.
CREATE INDEX versions_retired ON versions(retired_at) WHERE state = 'retired' AND envelope IS NOT NULL;
