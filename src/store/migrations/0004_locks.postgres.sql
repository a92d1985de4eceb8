-- Steward schema 4 for PostgreSQL: resource locks. A lock is held by a run, and only while that run is running under
-- the lease it was taken with: a run whose worker died, or that paused, holds nothing, and the next taker takes it over.
CREATE TABLE resource_locks (
  resource     text PRIMARY KEY,
  run_id       text NOT NULL,
  epoch        integer NOT NULL,
  acquired_at  bigint NOT NULL
);
