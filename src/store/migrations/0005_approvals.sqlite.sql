-- Steward schema 5 for SQLite: approval requests. One per act (run, seq); it holds the plan it is for and its hash,
-- so an approval serves that plan only, once. Every status but 'pending' is final; an expired request is a denial.
CREATE TABLE approvals (
  id              TEXT PRIMARY KEY,
  run_id          TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  action          TEXT NOT NULL,
  action_version  TEXT NOT NULL,
  category        TEXT NOT NULL CHECK (category IN ('read', 'write', 'deploy', 'rollback')),
  resource        TEXT NOT NULL,
  network         TEXT NOT NULL,
  plan            TEXT NOT NULL,
  plan_hash       TEXT NOT NULL,
  requester       TEXT,
  reasons         TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  decided_by      TEXT,
  reason          TEXT,
  decided_at      INTEGER,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  consumed_at     INTEGER,
  UNIQUE (run_id, seq)
);
CREATE INDEX approvals_status ON approvals (status, created_at);
