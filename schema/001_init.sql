-- keywarden schema 1. Migrations are append-only: never edit a released file.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Data keys wrapped by the master key (docs/storage-format.md).
CREATE TABLE data_keys (
  version    INTEGER PRIMARY KEY,
  wrapped    BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE slots (
  id              INTEGER PRIMARY KEY,
  env             TEXT NOT NULL,
  name            TEXT NOT NULL,
  provider        TEXT NOT NULL,
  endpoint        TEXT NOT NULL,
  models          TEXT NOT NULL,           -- JSON array of model ids
  probe           TEXT NOT NULL DEFAULT 'complete',
  rotate_every    INTEGER NOT NULL,        -- seconds
  remind_before   INTEGER NOT NULL,
  grace           INTEGER NOT NULL,
  owner_uid       INTEGER NOT NULL,
  current_version INTEGER,                 -- versions.number of a verified version
  pending_version INTEGER,                 -- versions.number of the one pending version
  created_at      INTEGER NOT NULL,
  UNIQUE (env, name),
  CHECK (probe IN ('complete', 'list')),
  -- Both pointers name a version of this slot. Deferred: a slot and its
  -- first version are inserted in one transaction, the slot first.
  FOREIGN KEY (id, current_version) REFERENCES versions(slot_id, number)
    DEFERRABLE INITIALLY DEFERRED,
  FOREIGN KEY (id, pending_version) REFERENCES versions(slot_id, number)
    DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE versions (
  id               INTEGER PRIMARY KEY,
  slot_id          INTEGER NOT NULL REFERENCES slots(id) ON DELETE CASCADE,
  number           INTEGER NOT NULL,
  uuid             TEXT NOT NULL UNIQUE,
  state            TEXT NOT NULL CHECK (state IN ('pending','verified','failed','retired','revoked')),
  envelope         BLOB,                   -- NULL once the secret is destroyed
  data_key_version INTEGER NOT NULL,
  mask             TEXT NOT NULL,
  fingerprint      TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  verified_at      INTEGER,
  retired_at       INTEGER,
  next_check_at    INTEGER,
  check_attempts   INTEGER NOT NULL DEFAULT 0,
  billed_probes    INTEGER NOT NULL DEFAULT 0,
  diagnoses        TEXT NOT NULL DEFAULT '[]',  -- JSON array of {code, message}
  UNIQUE (slot_id, number)
);
CREATE INDEX versions_next_check ON versions(next_check_at) WHERE next_check_at IS NOT NULL;
-- At most one pending version per slot.
CREATE UNIQUE INDEX versions_one_pending ON versions(slot_id) WHERE state = 'pending';

-- The latest check of each model of a version ('' is the auth probe).
CREATE TABLE checks (
  version_id  INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  model       TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  detail      TEXT NOT NULL,
  checked_at  INTEGER NOT NULL,
  PRIMARY KEY (version_id, model)
);

-- The audit trail. Refers to slots by name so it outlives them.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  uid         INTEGER NOT NULL,
  owner_uid   INTEGER,                     -- the slot's owner, for per-user views
  action      TEXT NOT NULL,
  ref         TEXT NOT NULL DEFAULT '',
  version     INTEGER,
  fingerprint TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_ref ON events(ref, at);
