-- Steward schema 3 for SQLite: the store-wide controls (the kill switch, the global autonomy level), one row.
CREATE TABLE controls (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  kill_switch  INTEGER NOT NULL DEFAULT 0 CHECK (kill_switch IN (0, 1)),
  kill_by      TEXT,
  kill_reason  TEXT,
  kill_at      INTEGER,
  autonomy     INTEGER NOT NULL DEFAULT 1 CHECK (autonomy BETWEEN 0 AND 3),
  updated_at   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO controls (id) VALUES (1);
