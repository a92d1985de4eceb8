/**
 * Many runs' lease writes in one statement: each item records a step, ends its run, or both (the run's last step
 * with its end, landing together or not at all). Every item is fenced by its lease on its own: an item whose lease
 * moved on, or whose step is final already, fails alone and the others commit. The items of one batch belong to
 * different runs (a run's writes go one at a time, see run-writes.ts).
 */
import { LeaseLostError, StepAlreadyRecordedError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { RunOutcome, StepWrite } from '../../store.js';
import type { BatchResult } from '../batcher.js';
import type { Queryable } from '../connection.js';
import { STEP_CONFLICT } from './step-values.js';
import { stepEvent } from '../../step-event.js';

/** One lease write: a step record, a run's end, or both. */
export interface LeaseWrite {
  lease: Lease;
  step: StepWrite | null;
  outcome: RunOutcome | null;
  now: number;
}

// The step event is inserted before the run's end is written (the end reads the events' ids), so that a run's events
// keep their order: its last step, then its end.
const WRITE_BATCH = `
  WITH input AS (
    SELECT * FROM unnest(
      $1::int[], $2::text[], $3::text[], $4::int[], $5::boolean[],
      $6::int[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[],
      $16::text[], $17::text[], $18::bigint[],
      $19::text[], $20::text[], $21::text[], $22::bigint[]
    ) AS i(ord, run_id, owner, epoch, has_step,
      seq, kind, name, step_status, attempts, result, step_error, wake_at, started_at, finished_at,
      event_type, event_data, event_at,
      status, output, error, now)
  ), fenced AS (
    SELECT i.ord FROM input i JOIN runs r ON r.id = i.run_id
    WHERE r.lease_owner = i.owner AND r.lease_epoch = i.epoch AND r.status = 'running'
    ORDER BY r.id
    FOR UPDATE OF r
  ), recorded AS (
    INSERT INTO steps (run_id, seq, kind, name, status, attempts, result, error, wake_at, started_at, finished_at)
    SELECT i.run_id, i.seq, i.kind, i.name, i.step_status, i.attempts, i.result, i.step_error, i.wake_at, i.started_at, i.finished_at
    FROM input i JOIN fenced f ON f.ord = i.ord
    WHERE i.has_step
    ${STEP_CONFLICT}
  ), appended AS (
    INSERT INTO events (run_id, type, data, created_at)
    SELECT i.run_id, i.event_type, i.event_data, i.event_at FROM recorded rc JOIN input i ON i.run_id = rc.run_id
    RETURNING run_id
  ), finished AS (
    UPDATE runs SET status = i.status, output = i.output, error = i.error, finished_at = i.now, updated_at = i.now,
      runnable_at = NULL, lease_owner = NULL, lease_expires_at = NULL, wait_kind = NULL, wait_ref = NULL
    FROM input i JOIN fenced f ON f.ord = i.ord
    WHERE runs.id = i.run_id AND i.status IS NOT NULL AND (NOT i.has_step OR i.run_id IN (SELECT run_id FROM appended))
    RETURNING runs.id, runs.parent_id, i.now
  ), woken AS (
    UPDATE runs AS parent SET runnable_at = finished.now, updated_at = finished.now
    FROM finished
    WHERE parent.id = finished.parent_id AND parent.status = 'waiting' AND parent.wait_kind = 'child' AND parent.wait_ref = finished.id
  )
  SELECT i.ord,
    EXISTS (SELECT 1 FROM fenced f WHERE f.ord = i.ord) AS fenced,
    EXISTS (SELECT 1 FROM recorded rc WHERE rc.run_id = i.run_id) AS recorded
  FROM input i ORDER BY i.ord`;

/** Writes the items in one statement and answers for each. */
export async function writeBatch(db: Queryable, items: readonly LeaseWrite[]): Promise<Array<BatchResult<void>>> {
  const columns: unknown[][] = Array.from({ length: 22 }, () => new Array<unknown>(items.length));
  items.forEach((item, i) => {
    const { lease, step, outcome } = item;
    const values = [
      i,
      lease.runId,
      lease.owner,
      lease.epoch,
      step !== null,
      step?.seq ?? null,
      step?.kind ?? null,
      step?.name ?? null,
      step?.status ?? null,
      step?.attempts ?? null,
      step?.resultJson ?? null,
      step?.error ? JSON.stringify(step.error) : null,
      step?.wakeAt ?? null,
      step?.startedAt ?? null,
      step?.finishedAt ?? null,
      ...(step ? stepEvent(step) : [null, null, null]),
      outcome?.status ?? null,
      outcome && 'outputJson' in outcome ? outcome.outputJson : null,
      outcome && !('outputJson' in outcome) && outcome.error !== null ? JSON.stringify(outcome.error) : null,
      outcome ? item.now : null,
    ];
    values.forEach((value, c) => (columns[c]![i] = value));
  });
  const result = await db.query<{ ord: number; fenced: boolean; recorded: boolean }>(WRITE_BATCH, columns);
  return result.rows.map((row) => {
    const item = items[row.ord]!;
    if (!row.fenced) return { ok: false, error: new LeaseLostError(item.lease.runId, item.lease.epoch) };
    if (item.step !== null && !row.recorded) return { ok: false, error: new StepAlreadyRecordedError(item.lease.runId, item.step.seq) };
    return { ok: true, value: undefined };
  });
}
