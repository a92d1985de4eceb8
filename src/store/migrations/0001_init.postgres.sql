-- Steward schema 1 for PostgreSQL: the tables and rules of 0001_init.sqlite.sql, plus the NOTIFY wake-ups.
-- Times are epoch milliseconds in bigint columns. JSON is kept as text, byte for byte as it was written, so that a
-- replay reads back exactly what was recorded. Trigger functions keep the search_path they were created with, so
-- they find this schema's tables whatever the path of the session that fires them.
--
-- Notifications go to the channel 'steward:<schema>' and are sent when their transaction commits:
--   r <runnable_at> <priority> <queue>   a run of the queue becomes claimable at that time
--   f <status> <run id>                   a run ended
--   c <run id>                            someone asked to cancel a running run
--   e                                     events were appended

-- Updates that change no indexed column (lease renewals) stay on the row's page.
CREATE TABLE runs (
  seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                text NOT NULL UNIQUE,
  workflow          text NOT NULL,
  workflow_version  text NOT NULL,
  input             text NOT NULL,
  status            text NOT NULL,
  mode              text NOT NULL DEFAULT 'apply' CHECK (mode IN ('apply', 'plan')),
  autonomy          integer,
  subject           text,
  goal              text,
  idempotency_key   text,
  queue             text NOT NULL,
  priority          integer NOT NULL DEFAULT 0,
  parent_id         text,
  output            text,
  error             text,
  wait_kind         text,
  wait_ref          text,
  runnable_at       bigint,
  timeout_ms        bigint,
  deadline_at       bigint,
  cancel_requested  boolean NOT NULL DEFAULT false,
  lease_owner       text,
  lease_epoch       integer NOT NULL DEFAULT 0,
  lease_expires_at  bigint,
  claims            integer NOT NULL DEFAULT 0,
  created_at        bigint NOT NULL,
  started_at        bigint,
  updated_at        bigint NOT NULL,
  finished_at       bigint
) WITH (fillfactor = 80);

-- Claims walk this index in priority order, FIFO within a priority; only runs a time can make runnable are in it.
CREATE INDEX runs_claim ON runs (queue, priority DESC, seq) WHERE runnable_at IS NOT NULL;
-- Listing by status; also how running runs are counted and expired leases found (running runs are few).
CREATE INDEX runs_status ON runs (status, seq);
CREATE UNIQUE INDEX runs_idempotency ON runs (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE steps (
  run_id       text NOT NULL,
  seq          integer NOT NULL,
  kind         text NOT NULL,
  name         text NOT NULL,
  status       text NOT NULL CHECK (status IN ('completed', 'failed', 'retrying', 'waiting')),
  attempts     integer NOT NULL,
  result       text,
  error        text,
  wake_at      bigint,
  started_at   bigint NOT NULL,
  finished_at  bigint,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE signals (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id        text NOT NULL,
  name          text NOT NULL,
  payload       text NOT NULL,
  created_at    bigint NOT NULL,
  consumed_seq  integer
);
CREATE INDEX signals_pending ON signals (run_id, name, id) WHERE consumed_seq IS NULL;

-- Event ids are numbered by the trigger events_numbered below, from this sequence (one number at a time, in order).
CREATE SEQUENCE events_id_seq;

CREATE TABLE events (
  id          bigint PRIMARY KEY,
  run_id      text,
  type        text NOT NULL,
  data        text NOT NULL,
  created_at  bigint NOT NULL
);
CREATE INDEX events_run ON events (run_id, id);

-- A queue's limits. Its counts are counted from runs when asked, so that writes never queue up on a counter row.
CREATE TABLE queues (
  name         text PRIMARY KEY,
  concurrency  integer,
  max_queued   integer
);

CREATE TABLE schedules (
  name          text PRIMARY KEY,
  cron          text NOT NULL,
  workflow      text NOT NULL,
  last_tick_at  bigint,
  updated_at    bigint NOT NULL
);

-- The run lifecycle. A status change that is not a row here is refused by the trigger below.
CREATE TABLE status_transitions (
  from_status  text NOT NULL,
  to_status    text NOT NULL,
  PRIMARY KEY (from_status, to_status)
);

INSERT INTO status_transitions (from_status, to_status) VALUES
  ('queued', 'running'), ('queued', 'cancelled'), ('queued', 'paused'),
  ('running', 'waiting'), ('running', 'succeeded'), ('running', 'failed'), ('running', 'cancelled'),
  ('running', 'compensating'), ('running', 'paused'), ('running', 'planned'), ('running', 'queued'),
  ('waiting', 'running'), ('waiting', 'cancelled'), ('waiting', 'paused'),
  ('compensating', 'rolled_back'), ('compensating', 'failed'), ('compensating', 'cancelled'),
  ('paused', 'running'), ('paused', 'queued'), ('paused', 'cancelled'),
  ('planned', 'queued'), ('planned', 'cancelled');

CREATE FUNCTION runs_guard_status() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    RAISE EXCEPTION 'STEWARD_ILLEGAL_TRANSITION: a run cannot be created with status %', NEW.status;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM status_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
    RAISE EXCEPTION 'STEWARD_ILLEGAL_TRANSITION: run % cannot go from % to %', NEW.id, OLD.status, NEW.status;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER runs_insert_status_guard BEFORE INSERT ON runs
FOR EACH ROW WHEN (NEW.status NOT IN ('queued', 'planned')) EXECUTE FUNCTION runs_guard_status();

CREATE TRIGGER runs_status_guard BEFORE UPDATE OF status ON runs
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION runs_guard_status();

CREATE FUNCTION runs_created() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO events (run_id, type, data, created_at)
  VALUES (NEW.id, 'run.created', json_build_object('workflow', NEW.workflow, 'status', NEW.status, 'queue', NEW.queue)::text, NEW.created_at);
  IF NEW.runnable_at IS NOT NULL THEN
    PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'r', NEW.runnable_at, NEW.priority, NEW.queue));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER runs_created AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION runs_created();

CREATE FUNCTION runs_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF OLD.status <> NEW.status THEN
    INSERT INTO events (run_id, type, data, created_at)
    VALUES (NEW.id, 'run.' || NEW.status, json_build_object('from', OLD.status, 'to', NEW.status)::text, NEW.updated_at);
    IF NEW.status IN ('succeeded', 'failed', 'cancelled', 'rolled_back') THEN
      PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'f', NEW.status, NEW.id));
    END IF;
  END IF;
  IF NEW.runnable_at IS NOT NULL AND NEW.runnable_at IS DISTINCT FROM OLD.runnable_at THEN
    PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'r', NEW.runnable_at, NEW.priority, NEW.queue));
  END IF;
  IF NEW.cancel_requested AND NOT OLD.cancel_requested THEN
    PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'c', NEW.id));
  END IF;
  RETURN NULL;
END $$;

-- Only changes someone listens for reach the function: a lease renewal does not.
CREATE TRIGGER runs_changed AFTER UPDATE ON runs FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.runnable_at IS DISTINCT FROM NEW.runnable_at
      OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested)
EXECUTE FUNCTION runs_changed();

-- Readers follow events by cursor (id > last), so an event must never become visible below an id a reader has
-- passed. Ids are taken when events are written, and transactions commit in another order; so before a transaction
-- takes its first event id, it announces the last id taken so far with a transaction-scoped shared advisory lock
-- (keyed by this sequence and the id's low 32 bits). Every id it takes is above its announcement, and the
-- announcement lasts until it commits or rolls back. events_horizon() gives the highest id below which no event
-- can appear any more; readers read up to it.
CREATE FUNCTION events_numbered() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  taken bigint;
BEGIN
  IF current_setting('steward.events_announced', true) IS DISTINCT FROM 'yes' THEN
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO taken FROM events_id_seq;
    PERFORM pg_advisory_xact_lock_shared('events_id_seq'::regclass::oid::int, taken::bit(32)::int);
    PERFORM set_config('steward.events_announced', 'yes', true);
  END IF;
  NEW.id := nextval('events_id_seq');
  RETURN NEW;
END $$;

CREATE TRIGGER events_numbered BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_numbered();

-- The highest event id at or below which every event is committed or will never exist: the last id taken, or
-- below it, the lowest announcement of a transaction still open. Read it in a statement of its own, before the
-- statement that reads the events.
CREATE FUNCTION events_horizon() RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  taken bigint;
  oldest bigint;
BEGIN
  SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO taken FROM events_id_seq;
  -- an announcement keeps the low 32 bits of an id taken at most 2^32 ids ago: rebuild the id from them
  SELECT min(CASE WHEN low <= taken % 4294967296 THEN taken - taken % 4294967296 + low ELSE taken - taken % 4294967296 - 4294967296 + low END)
  INTO oldest
  FROM (
    SELECT objid::bigint AS low FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 2 AND classid = 'events_id_seq'::regclass::oid
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  ) AS announced;
  RETURN least(taken, oldest);
END $$;

CREATE FUNCTION events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, 'e');
  RETURN NULL;
END $$;

CREATE TRIGGER events_appended AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_appended();
