/** Records a step outcome under a lease, with its event, in one statement: the run's row is locked for it. */
import { LeaseLostError, StepAlreadyRecordedError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { StepWrite } from '../../store.js';
import type { Queryable } from '../connection.js';
import { STEP_COLUMNS, STEP_CONFLICT, stepValues } from './step-values.js';

const RECORD_STEP = `
  WITH fenced AS (
    SELECT id FROM runs WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3 AND status = 'running' FOR UPDATE
  ), recorded AS (
    INSERT INTO steps (${STEP_COLUMNS})
    SELECT id, $4::int, $5::text, $6::text, $7::text, $8::int, $9::text, $10::text, $11::bigint, $12::bigint, $13::bigint FROM fenced
    ${STEP_CONFLICT}
  ), appended AS (
    INSERT INTO events (run_id, type, data, created_at) SELECT run_id, $14::text, $15::text, $16::bigint FROM recorded
  )
  SELECT (SELECT count(*) FROM fenced)::int AS fenced, (SELECT count(*) FROM recorded)::int AS recorded`;

/** Records the step; `LeaseLostError` when the lease moved on, `StepAlreadyRecordedError` when the step is final. */
export async function recordStep(db: Queryable, lease: Lease, step: StepWrite): Promise<void> {
  const result = await db.query<{ fenced: number; recorded: number }>(RECORD_STEP, [lease.runId, lease.owner, lease.epoch, ...stepValues(step)]);
  const row = result.rows[0];
  if (!row || row.fenced === 0) throw new LeaseLostError(lease.runId, lease.epoch);
  if (row.recorded === 0) throw new StepAlreadyRecordedError(lease.runId, step.seq);
}
