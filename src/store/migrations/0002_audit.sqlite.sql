-- Steward schema 2 for SQLite: the audit log, a hash chain (see src/store/audit-chain.ts and docs/audit.md).
-- Entries are numbered 1, 2, 3… without gaps by the one writer that appends them; each row keeps the hash of the row
-- before it and its own, so that `steward audit verify` can recompute the chain from the rows alone. data is the
-- entry's details as canonical JSON text.
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  actor      TEXT,
  run_id     TEXT,
  subject    TEXT,
  data       TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX audit_run ON audit (run_id, id) WHERE run_id IS NOT NULL;
