-- keywarden schema 9: gateway tokens (docs/gateway.md "Tokens"). A token's
-- text is never stored: `hash` is its keyed BLAKE2b-256 under a subkey of
-- the data key. Names are per owner, like slot names.
CREATE TABLE gateway_tokens (
  id         INTEGER PRIMARY KEY,
  owner_uid  INTEGER NOT NULL,
  name       TEXT NOT NULL,
  env        TEXT NOT NULL,
  slots      TEXT NOT NULL DEFAULT '',  -- slot names of env, comma-separated; '': all
  hash       BLOB NOT NULL,             -- 32 bytes
  created_at INTEGER NOT NULL,          -- unix seconds
  expires_at INTEGER,                   -- unix seconds; NULL: never
  UNIQUE (owner_uid, name),
  CHECK (length(hash) = 32)
);
