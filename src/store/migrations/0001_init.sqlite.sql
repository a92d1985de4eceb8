-- Steward schema 1 for SQLite: runs, steps, signals, events, queues, schedules, and the run lifecycle as data.

CREATE TABLE runs (
  seq               INTEGER PRIMARY KEY,
  id                TEXT NOT NULL UNIQUE,
  workflow          TEXT NOT NULL,
  workflow_version  TEXT NOT NULL,
  input             TEXT NOT NULL,
  status            TEXT NOT NULL,
  mode              TEXT NOT NULL DEFAULT 'apply' CHECK (mode IN ('apply', 'plan')),
  autonomy          INTEGER,
  subject           TEXT,
  goal              TEXT,
  idempotency_key   TEXT,
  queue             TEXT NOT NULL,
  priority          INTEGER NOT NULL DEFAULT 0,
  parent_id         TEXT,
  output            TEXT,
  error             TEXT,
  wait_kind         TEXT,
  wait_ref          TEXT,
  runnable_at       INTEGER,
  timeout_ms        INTEGER,
  deadline_at       INTEGER,
  cancel_requested  INTEGER NOT NULL DEFAULT 0,
  lease_owner       TEXT,
  lease_epoch       INTEGER NOT NULL DEFAULT 0,
  lease_expires_at  INTEGER,
  claims            INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  started_at        INTEGER,
  updated_at        INTEGER NOT NULL,
  finished_at       INTEGER
);

-- Claims walk this index in priority order, FIFO within a priority. Only queued and waiting runs that a time can
-- make runnable are in it (runnable_at is null otherwise), so finished and running runs cost a claim nothing.
CREATE INDEX runs_claim ON runs (queue, priority DESC, seq) WHERE runnable_at IS NOT NULL;
-- Listing by status; also how expired leases are found (running runs are few: at most what the workers hold).
CREATE INDEX runs_status ON runs (status, seq);
CREATE UNIQUE INDEX runs_idempotency ON runs (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE steps (
  run_id       TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  name         TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'retrying', 'waiting')),
  attempts     INTEGER NOT NULL,
  result       TEXT,
  error        TEXT,
  wake_at      INTEGER,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE signals (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL,
  name          TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  consumed_seq  INTEGER
);
CREATE INDEX signals_pending ON signals (run_id, name, id) WHERE consumed_seq IS NULL;

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT,
  type        TEXT NOT NULL,
  data        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX events_run ON events (run_id, id);

CREATE TABLE queues (
  name         TEXT PRIMARY KEY,
  concurrency  INTEGER,
  max_queued   INTEGER,
  queued       INTEGER NOT NULL DEFAULT 0,
  running      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE schedules (
  name          TEXT PRIMARY KEY,
  cron          TEXT NOT NULL,
  workflow      TEXT NOT NULL,
  last_tick_at  INTEGER,
  updated_at    INTEGER NOT NULL
);

-- The run lifecycle. A status change that is not a row here is refused by the trigger below.
CREATE TABLE status_transitions (
  from_status  TEXT NOT NULL,
  to_status    TEXT NOT NULL,
  PRIMARY KEY (from_status, to_status)
) WITHOUT ROWID;

INSERT INTO status_transitions (from_status, to_status) VALUES
  ('queued', 'running'), ('queued', 'cancelled'), ('queued', 'paused'),
  ('running', 'waiting'), ('running', 'succeeded'), ('running', 'failed'), ('running', 'cancelled'),
  ('running', 'compensating'), ('running', 'paused'), ('running', 'planned'), ('running', 'queued'),
  ('waiting', 'running'), ('waiting', 'cancelled'), ('waiting', 'paused'),
  ('compensating', 'rolled_back'), ('compensating', 'failed'), ('compensating', 'cancelled'),
  ('paused', 'running'), ('paused', 'queued'), ('paused', 'cancelled'),
  ('planned', 'queued'), ('planned', 'cancelled');

CREATE TRIGGER runs_status_guard BEFORE UPDATE OF status ON runs
WHEN OLD.status <> NEW.status
  AND NOT EXISTS (SELECT 1 FROM status_transitions WHERE from_status = OLD.status AND to_status = NEW.status)
BEGIN
  SELECT RAISE(ABORT, 'STEWARD_ILLEGAL_TRANSITION');
END;

CREATE TRIGGER runs_insert_status_guard BEFORE INSERT ON runs
WHEN NEW.status NOT IN ('queued', 'planned')
BEGIN
  SELECT RAISE(ABORT, 'STEWARD_ILLEGAL_TRANSITION');
END;

CREATE TRIGGER runs_created AFTER INSERT ON runs
BEGIN
  INSERT INTO events (run_id, type, data, created_at)
  VALUES (NEW.id, 'run.created', '{"workflow":' || json_quote(NEW.workflow) || ',"status":"' || NEW.status || '","queue":' || json_quote(NEW.queue) || '}', NEW.created_at);
  INSERT INTO queues (name, queued) VALUES (NEW.queue, NEW.status = 'queued')
  ON CONFLICT (name) DO UPDATE SET queued = queued + excluded.queued;
END;

CREATE TRIGGER runs_status_changed AFTER UPDATE OF status ON runs
WHEN OLD.status <> NEW.status
BEGIN
  INSERT INTO events (run_id, type, data, created_at)
  VALUES (NEW.id, 'run.' || NEW.status, '{"from":"' || OLD.status || '","to":"' || NEW.status || '"}', NEW.updated_at);
  UPDATE queues SET
    queued  = queued  - (OLD.status = 'queued')  + (NEW.status = 'queued'),
    running = running - (OLD.status = 'running') + (NEW.status = 'running')
  WHERE name = NEW.queue AND (OLD.status IN ('queued', 'running') OR NEW.status IN ('queued', 'running'));
END;
