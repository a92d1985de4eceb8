-- Steward schema 6 for PostgreSQL: the budgets of actions of 0005_budgets.sqlite.sql, shared by every process.
--
-- action_rates: one GCRA rate limiter per action. tat_us is the theoretical arrival time of the next apply, in epoch
-- microseconds (emission intervals of high rates are fractions of a millisecond). A take is one upsert on the row.
CREATE TABLE action_rates (
  action  text PRIMARY KEY,
  tat_us  bigint NOT NULL
);

-- action_breakers: one circuit breaker per action that ever failed; changes lock the row (SELECT … FOR UPDATE).
-- While open, probe_at is when one probe may go; while half-open, when the probe in flight is forgotten.
CREATE TABLE action_breakers (
  action      text PRIMARY KEY,
  state       text NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
  failures    integer NOT NULL CHECK (failures >= 0),
  opened_at   bigint,
  probe_at    bigint,
  updated_at  bigint NOT NULL,
  last_error  text
);
