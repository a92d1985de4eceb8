-- Steward schema 2 for PostgreSQL: the audit log of 0002_audit.sqlite.sql. Many processes append at once, so the
-- chain's head is a row of its own: an append locks it (SELECT … FOR UPDATE), numbers and links its entries after it,
-- inserts them and moves the head, all in one transaction. Appends therefore commit one after another, in id order.
CREATE TABLE audit (
  id         bigint PRIMARY KEY,
  at         bigint NOT NULL,
  kind       text NOT NULL,
  actor      text,
  run_id     text,
  subject    text,
  data       text NOT NULL,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);
CREATE INDEX audit_run ON audit (run_id, id) WHERE run_id IS NOT NULL;

-- The one row: the last entry's id (0 before the first) and hash (64 zeros before the first).
CREATE TABLE audit_head (
  one      boolean PRIMARY KEY DEFAULT true CHECK (one),
  last_id  bigint NOT NULL,
  hash     text NOT NULL
);
INSERT INTO audit_head (one, last_id, hash) VALUES (true, 0, repeat('0', 64));
