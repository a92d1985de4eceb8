-- Steward schema 6 for SQLite: the budgets of actions, shared by every worker of the store.
--
-- action_rates: one GCRA rate limiter per action. tat_us is the theoretical arrival time of the next apply, in epoch
-- microseconds (emission intervals of high rates are fractions of a millisecond).
CREATE TABLE action_rates (
  action  TEXT PRIMARY KEY,
  tat_us  INTEGER NOT NULL
) WITHOUT ROWID;

-- action_breakers: one circuit breaker per action that ever failed. While open, probe_at is when one probe may go;
-- while half-open, when the probe in flight is forgotten and another may go.
CREATE TABLE action_breakers (
  action      TEXT PRIMARY KEY,
  state       TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
  failures    INTEGER NOT NULL CHECK (failures >= 0),
  opened_at   INTEGER,
  probe_at    INTEGER,
  updated_at  INTEGER NOT NULL,
  last_error  TEXT
) WITHOUT ROWID;
