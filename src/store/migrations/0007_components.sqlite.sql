-- Steward schema 7 for SQLite: operators' controls of components (pause) that every process applies to its registry,
-- and what each worker reports of its components (active provider, state, uses in flight), for drain.
CREATE TABLE component_controls (
  domain      TEXT NOT NULL,
  key         TEXT NOT NULL,
  paused      INTEGER NOT NULL CHECK (paused IN (0, 1)),
  by          TEXT,
  reason      TEXT,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (domain, key)
) WITHOUT ROWID;

CREATE TABLE component_reports (
  worker       TEXT NOT NULL,
  domain       TEXT NOT NULL,
  key          TEXT NOT NULL,
  provider     TEXT,
  state        TEXT NOT NULL,
  in_flight    INTEGER NOT NULL,
  reported_at  INTEGER NOT NULL,
  PRIMARY KEY (worker, domain, key)
) WITHOUT ROWID;
