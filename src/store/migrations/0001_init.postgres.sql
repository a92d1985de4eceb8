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

-- Event ids come from this sequence, in order, after the announcement of the trigger events_announce below.
CREATE SEQUENCE events_id_seq;

CREATE TABLE events (
  id          bigint PRIMARY KEY DEFAULT nextval('events_id_seq'),
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

-- Triggers work per statement over transition tables, not per row: a batch of a thousand new runs, or the step
-- records and ends of many runs, costs each trigger one call. Only the insert guard is per row, and its WHEN clause
-- keeps the function from being called for a run created as it should be.
CREATE FUNCTION runs_insert_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  RAISE EXCEPTION 'STEWARD_ILLEGAL_TRANSITION: a run cannot be created with status %', NEW.status;
END $$;

CREATE TRIGGER runs_insert_status_guard BEFORE INSERT ON runs
FOR EACH ROW WHEN (NEW.status NOT IN ('queued', 'planned')) EXECUTE FUNCTION runs_insert_guard();

CREATE FUNCTION runs_created() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO events (run_id, type, data, created_at)
  SELECT id, 'run.created', json_build_object('workflow', workflow, 'status', status, 'queue', queue)::text, created_at
  FROM inserted ORDER BY seq;
  -- one wake-up per queue: the earliest time and the highest priority among its new runs
  PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'r', min(runnable_at), max(priority), queue))
  FROM inserted WHERE runnable_at IS NOT NULL GROUP BY queue;
  RETURN NULL;
END $$;

CREATE TRIGGER runs_created AFTER INSERT ON runs REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION runs_created();

-- Refuses a statement that moves any run along a change the lifecycle does not allow (the whole statement fails),
-- appends an event per status change, and notifies: each run that ended, each run asked to cancel, and one
-- wake-up per queue whose runs became claimable at a new time.
CREATE FUNCTION runs_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.id, o.status AS from_status, n.status AS to_status INTO bad
  FROM after_rows n JOIN before_rows o USING (seq)
  WHERE o.status <> n.status
    AND NOT EXISTS (SELECT 1 FROM status_transitions t WHERE t.from_status = o.status AND t.to_status = n.status)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'STEWARD_ILLEGAL_TRANSITION: run % cannot go from % to %', bad.id, bad.from_status, bad.to_status;
  END IF;
  INSERT INTO events (run_id, type, data, created_at)
  SELECT n.id, 'run.' || n.status, json_build_object('from', o.status, 'to', n.status)::text, n.updated_at
  FROM after_rows n JOIN before_rows o USING (seq)
  WHERE o.status <> n.status
  ORDER BY n.seq;
  PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'f', n.status, n.id))
  FROM after_rows n JOIN before_rows o USING (seq)
  WHERE o.status <> n.status AND n.status IN ('succeeded', 'failed', 'cancelled', 'rolled_back');
  PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'r', min(n.runnable_at), max(n.priority), n.queue))
  FROM after_rows n JOIN before_rows o USING (seq)
  WHERE n.runnable_at IS NOT NULL AND n.runnable_at IS DISTINCT FROM o.runnable_at
  GROUP BY n.queue;
  PERFORM pg_notify('steward:' || TG_TABLE_SCHEMA, concat_ws(' ', 'c', n.id))
  FROM after_rows n JOIN before_rows o USING (seq)
  WHERE n.cancel_requested AND NOT o.cancel_requested;
  RETURN NULL;
END $$;

CREATE TRIGGER runs_changed AFTER UPDATE ON runs REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
FOR EACH STATEMENT EXECUTE FUNCTION runs_changed();

-- Readers follow events by cursor (id > last), so an event must never become visible below an id a reader has
-- passed. Ids are taken when events are written, and transactions commit in another order; so before a transaction
-- takes its first event id, it announces the last id taken so far with a transaction-scoped shared advisory lock
-- (keyed by this sequence and the id's low 32 bits). Every id it takes is above its announcement, and the
-- announcement lasts until it commits or rolls back. events_horizon() gives the highest id below which no event
-- can appear any more; readers read up to it. The announcement is made before each statement that inserts events,
-- before any of its rows takes an id (the column's default).
CREATE FUNCTION events_announce() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  taken bigint;
BEGIN
  IF current_setting('steward.events_announced', true) IS DISTINCT FROM 'yes' THEN
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO taken FROM events_id_seq;
    PERFORM pg_advisory_xact_lock_shared('events_id_seq'::regclass::oid::int, taken::bit(32)::int);
    PERFORM set_config('steward.events_announced', 'yes', true);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER events_announce BEFORE INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION events_announce();

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

CREATE TRIGGER events_appended AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION events_appended();
