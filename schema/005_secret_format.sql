-- keywarden schema 5: secrets sealed in envelope format 2, whose row
-- binding names the slot id and version number (docs/storage-format.md
-- "Upgrade to format 2"). SQL cannot rewrap a secret: the daemon does it
-- the first time it holds the data key, in one transaction, and then sets
-- secrets.format to 2. Until then the format-1 envelopes stay as they are.
-- This migration marks the database so that a keywarden older than it
-- refuses the database instead of failing every secret it reads.
INSERT OR IGNORE INTO meta (key, value) VALUES ('secrets.format', '1');
