-- keywarden schema 4: slot names are per owner. Two users may both have
-- dev/openrouter, and no user can take a name before its owner or learn
-- that another user holds it. UNIQUE (env, name) becomes
-- UNIQUE (env, name, owner_uid): the same rule as (owner_uid, env, name),
-- with env and name first so that the one index still gives a list its
-- env then name order (then the owner's uid, for a list of every owner).
-- Rebuilt by SQLite's create, copy, drop, rename procedure (migrations run
-- with foreign keys off, so dropping the old table removes no version);
-- ids are kept, so every version still points at its slot.
CREATE TABLE slots_per_owner (
  id               INTEGER PRIMARY KEY,
  env              TEXT NOT NULL,
  name             TEXT NOT NULL,
  provider         TEXT NOT NULL,
  endpoint         TEXT NOT NULL,
  models           TEXT NOT NULL,           -- JSON array of model ids
  probe            TEXT NOT NULL DEFAULT 'complete',
  rotate_every     INTEGER NOT NULL,        -- seconds
  remind_before    INTEGER NOT NULL,
  grace            INTEGER NOT NULL,
  owner_uid        INTEGER NOT NULL,
  current_version  INTEGER,                 -- versions.number of a verified version
  pending_version  INTEGER,                 -- versions.number of the one pending version
  created_at       INTEGER NOT NULL,
  next_reminder_at INTEGER,                 -- unix seconds; NULL: none scheduled
  UNIQUE (env, name, owner_uid),
  CHECK (probe IN ('complete', 'list')),
  FOREIGN KEY (id, current_version) REFERENCES versions(slot_id, number)
    DEFERRABLE INITIALLY DEFERRED,
  FOREIGN KEY (id, pending_version) REFERENCES versions(slot_id, number)
    DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO slots_per_owner (id, env, name, provider, endpoint, models, probe, rotate_every,
                             remind_before, grace, owner_uid, current_version, pending_version,
                             created_at, next_reminder_at)
  SELECT id, env, name, provider, endpoint, models, probe, rotate_every, remind_before, grace,
         owner_uid, current_version, pending_version, created_at, next_reminder_at
  FROM slots;
DROP TABLE slots;
ALTER TABLE slots_per_owner RENAME TO slots;
CREATE INDEX slots_next_reminder ON slots(next_reminder_at) WHERE next_reminder_at IS NOT NULL;
