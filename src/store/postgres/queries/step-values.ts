/**
 * How a step outcome is written: the upsert that records it at most once as final (a retrying or waiting step may be
 * overwritten by the same step; a completed or failed one never), and the event that goes with it.
 */
import type { StepWrite } from '../../store.js';
import { stepEvent } from '../../step-event.js';

/**
 * The upsert's clauses after `INSERT INTO steps (…) <source>`: a step already completed or failed, or recorded
 * under another kind or name, is left as it is and returns no row.
 */
export const STEP_CONFLICT = `
  ON CONFLICT (run_id, seq) DO UPDATE SET
    status = excluded.status, attempts = excluded.attempts, result = excluded.result, error = excluded.error,
    wake_at = excluded.wake_at, finished_at = excluded.finished_at
  WHERE steps.status IN ('retrying', 'waiting') AND steps.kind = excluded.kind AND steps.name = excluded.name
  RETURNING run_id`;

/** The columns of the upsert, in the order of `stepValues`. */
export const STEP_COLUMNS = 'run_id, seq, kind, name, status, attempts, result, error, wake_at, started_at, finished_at';

/**
 * The parameters of a step record: the step's ten values after the run id (seq, kind, name, status, attempts, result,
 * error, wake_at, started_at, finished_at), then its event's type, data and time.
 */
export function stepValues(step: StepWrite): unknown[] {
  return [
    step.seq,
    step.kind,
    step.name,
    step.status,
    step.attempts,
    step.resultJson,
    step.error === null ? null : JSON.stringify(step.error),
    step.wakeAt,
    step.startedAt,
    step.finishedAt,
    ...stepEvent(step),
  ];
}

