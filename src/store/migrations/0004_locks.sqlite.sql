-- Steward schema 4 for SQLite: resource locks. A lock is held by a run, and only while that run is running under the
-- lease it was taken with: a run whose worker died, or that paused, holds nothing, and the next taker takes it over.
CREATE TABLE resource_locks (
  resource     TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL,
  epoch        INTEGER NOT NULL,
  acquired_at  INTEGER NOT NULL
) WITHOUT ROWID;
