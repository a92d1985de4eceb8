/** Records a step outcome with its event inside a transaction that already holds the run's fence. */
import { StepAlreadyRecordedError } from '../../../errors.js';
import type { StepWrite } from '../../store.js';
import type { Queryable } from '../connection.js';
import { STEP_COLUMNS, STEP_CONFLICT, stepValues } from './step-values.js';

const UPSERT_STEP = `
  WITH recorded AS (
    INSERT INTO steps (${STEP_COLUMNS})
    VALUES ($1, $2::int, $3::text, $4::text, $5::text, $6::int, $7::text, $8::text, $9::bigint, $10::bigint, $11::bigint)
    ${STEP_CONFLICT}
  ), appended AS (
    INSERT INTO events (run_id, type, data, created_at) SELECT run_id, $12::text, $13::text, $14::bigint FROM recorded
  )
  SELECT count(*)::int AS recorded FROM recorded`;

/** Records the step; `StepAlreadyRecordedError` when it is final already. */
export async function upsertStep(db: Queryable, runId: string, step: StepWrite): Promise<void> {
  const result = await db.query<{ recorded: number }>(UPSERT_STEP, [runId, ...stepValues(step)]);
  if ((result.rows[0]?.recorded ?? 0) === 0) throw new StepAlreadyRecordedError(runId, step.seq);
}
