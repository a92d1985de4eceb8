-- Steward schema 5 for PostgreSQL: approval requests. One per act (run, seq); it holds the plan it is for and its
-- hash, so an approval serves that plan only, once. Every status but 'pending' is final; an expired request is a denial.
CREATE TABLE approvals (
  id              text PRIMARY KEY,
  run_id          text NOT NULL,
  seq             integer NOT NULL,
  action          text NOT NULL,
  action_version  text NOT NULL,
  category        text NOT NULL CHECK (category IN ('read', 'write', 'deploy', 'rollback')),
  resource        text NOT NULL,
  network         text NOT NULL,
  plan            text NOT NULL,
  plan_hash       text NOT NULL,
  requester       text,
  reasons         text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  decided_by      text,
  reason          text,
  decided_at      bigint,
  created_at      bigint NOT NULL,
  expires_at      bigint NOT NULL,
  consumed_at     bigint,
  UNIQUE (run_id, seq)
);
CREATE INDEX approvals_status ON approvals (status, created_at);
