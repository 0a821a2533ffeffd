-- keywarden schema 3: checks kept in the order of their primary key.
-- As a WITHOUT ROWID table, a version's checks sit together in the one
-- b-tree that the (version_id, model) key needed anyway: reading one costs a
-- lookup in it instead of one in the key's index and one in the table. A
-- list of 100,000 slots reads ~290,000 checks (docs/benchmarks.md).
-- Rebuilt by SQLite's create, copy, drop, rename procedure.
CREATE TABLE checks_clustered (
  version_id  INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  model       TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  detail      TEXT NOT NULL,
  checked_at  INTEGER NOT NULL,
  PRIMARY KEY (version_id, model)
) WITHOUT ROWID;
INSERT INTO checks_clustered (version_id, model, outcome, http_status, detail, checked_at)
  SELECT version_id, model, outcome, http_status, detail, checked_at FROM checks;
DROP TABLE checks;
ALTER TABLE checks_clustered RENAME TO checks;
