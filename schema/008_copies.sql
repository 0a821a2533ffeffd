-- keywarden schema 8: copies of exported keys (docs/copies.md). One row per
-- file that holds a slot's key because keywarden wrote it there (or
-- imported it from there): never the secret, only where it is, which
-- version it was and that version's keyed fingerprint. A copy goes with its
-- slot (keywarden rm).
CREATE TABLE copies (
  id          INTEGER PRIMARY KEY,
  slot_id     INTEGER NOT NULL REFERENCES slots(id) ON DELETE CASCADE,
  uid         INTEGER NOT NULL,            -- who recorded it: the files are read as this user
  target      TEXT NOT NULL,               -- the export target (cline, dotenv, ...)
  path        TEXT NOT NULL,               -- absolute
  field       TEXT NOT NULL,               -- where in the file: dotenv:NAME or json:/pointer
  model       TEXT NOT NULL DEFAULT '',    -- the model the export selected
  version     INTEGER NOT NULL,            -- versions.number written there
  fingerprint TEXT NOT NULL,               -- that version's keyed fingerprint
  recorded_at INTEGER NOT NULL,
  UNIQUE (slot_id, path, field)
);
CREATE INDEX copies_uid ON copies(uid);
-- key.identify finds a version by its keyed fingerprint.
CREATE INDEX versions_fingerprint ON versions(fingerprint);
