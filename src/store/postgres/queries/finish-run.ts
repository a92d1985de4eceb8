/**
 * Ending a run under its lease, in one statement: the run takes its final status (the status trigger appends the
 * event and notifies), and a parent waiting for it as a child becomes claimable. The same statement can first record
 * the run's last step, so that the two land together or not at all.
 */
import { LeaseLostError, StepAlreadyRecordedError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { RunOutcome, StepWrite } from '../../store.js';
import type { Queryable } from '../connection.js';
import { STEP_COLUMNS, STEP_CONFLICT, stepValues } from './step-values.js';

const FINISH_RUN = `
  WITH finished AS (
    UPDATE runs SET status = $4, output = $5, error = $6, finished_at = $7, updated_at = $7, runnable_at = NULL,
      lease_owner = NULL, lease_expires_at = NULL, wait_kind = NULL, wait_ref = NULL
    WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3 AND status = 'running'
    RETURNING id, parent_id
  ), woken AS (
    UPDATE runs AS parent SET runnable_at = $7, updated_at = $7
    FROM finished
    WHERE parent.id = finished.parent_id AND parent.status = 'waiting' AND parent.wait_kind = 'child' AND parent.wait_ref = finished.id
  )
  SELECT count(*)::int AS finished FROM finished`;

const RECORD_STEP_AND_FINISH = `
  WITH fenced AS (
    SELECT id FROM runs WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3 AND status = 'running' FOR UPDATE
  ), recorded AS (
    INSERT INTO steps (${STEP_COLUMNS})
    SELECT id, $8::int, $9::text, $10::text, $11::text, $12::int, $13::text, $14::text, $15::bigint, $16::bigint, $17::bigint FROM fenced
    ${STEP_CONFLICT}
  ), appended AS (
    INSERT INTO events (run_id, type, data, created_at) SELECT run_id, $18::text, $19::text, $20::bigint FROM recorded
  ), finished AS (
    UPDATE runs SET status = $4, output = $5, error = $6, finished_at = $7, updated_at = $7, runnable_at = NULL,
      lease_owner = NULL, lease_expires_at = NULL, wait_kind = NULL, wait_ref = NULL
    FROM recorded
    WHERE runs.id = recorded.run_id AND runs.lease_owner = $2 AND runs.lease_epoch = $3 AND runs.status = 'running'
    RETURNING runs.id, runs.parent_id
  ), woken AS (
    UPDATE runs AS parent SET runnable_at = $7, updated_at = $7
    FROM finished
    WHERE parent.id = finished.parent_id AND parent.status = 'waiting' AND parent.wait_kind = 'child' AND parent.wait_ref = finished.id
  )
  SELECT (SELECT count(*) FROM fenced)::int AS fenced, (SELECT count(*) FROM recorded)::int AS recorded`;

/** The first half of ending a run rolled back: the lifecycle reaches rolled_back only through compensating. */
const MARK_COMPENSATING = `
  UPDATE runs SET status = 'compensating', updated_at = $4
  WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3 AND status = 'running'`;

const FINISH_COMPENSATED = FINISH_RUN.replace("AND status = 'running'", "AND status = 'compensating'");

/**
 * Ends a run whose actions were rolled back (call inside a transaction): running → compensating → rolled_back, each
 * change with its event; `LeaseLostError` when the lease moved on.
 */
export async function finishRolledBack(db: Queryable, lease: Lease, outcome: RunOutcome, now: number): Promise<void> {
  const marked = await db.query(MARK_COMPENSATING, [lease.runId, lease.owner, lease.epoch, now]);
  if ((marked.rowCount ?? 0) === 0) throw new LeaseLostError(lease.runId, lease.epoch);
  await db.query(FINISH_COMPENSATED, [lease.runId, lease.owner, lease.epoch, ...outcomeValues(outcome, now)]);
}

/** The outcome's status, output, error and time: parameters $4 to $7 of both statements. */
function outcomeValues(outcome: RunOutcome, now: number): unknown[] {
  const output = 'outputJson' in outcome ? outcome.outputJson : null;
  const error = 'outputJson' in outcome || outcome.error === null ? null : JSON.stringify(outcome.error);
  return [outcome.status, output, error, now];
}

/** Ends the run; `LeaseLostError` when the lease moved on (or the run already ended). */
export async function finishRun(db: Queryable, lease: Lease, outcome: RunOutcome, now: number): Promise<void> {
  const result = await db.query<{ finished: number }>(FINISH_RUN, [lease.runId, lease.owner, lease.epoch, ...outcomeValues(outcome, now)]);
  if ((result.rows[0]?.finished ?? 0) === 0) throw new LeaseLostError(lease.runId, lease.epoch);
}

/** Records the run's last step and ends the run, both or neither. */
export async function recordStepAndFinish(db: Queryable, lease: Lease, step: StepWrite, outcome: RunOutcome, now: number): Promise<void> {
  const result = await db.query<{ fenced: number; recorded: number }>(RECORD_STEP_AND_FINISH, [
    lease.runId,
    lease.owner,
    lease.epoch,
    ...outcomeValues(outcome, now),
    ...stepValues(step),
  ]);
  const row = result.rows[0];
  if (!row || row.fenced === 0) throw new LeaseLostError(lease.runId, lease.epoch);
  if (row.recorded === 0) throw new StepAlreadyRecordedError(lease.runId, step.seq);
}
