/**
 * Starting a child run under the parent's lease (call inside a transaction): the child is created idempotently (a
 * replay gets the first child back), the waiting step recorded, and the parent suspended until the child ends, or
 * woken at once if the child already ended.
 */
import { TERMINAL_STATUSES, type Lease, type RunRecord } from '../../../domain/run.js';
import type { NewRun, StepWrite } from '../../store.js';
import { newRunRecord } from '../../new-run.js';
import type { Queryable } from '../connection.js';
import { toRun } from '../../rows.js';
import { fence } from './fence.js';
import { insertRun } from './insert-run.js';
import { suspendFenced } from './suspend-run.js';

const STEP_STATUS = 'SELECT status FROM steps WHERE run_id = $1 AND seq = $2';

/** Starts (or finds) the child and suspends the parent; returns the child. */
export async function startChild(db: Queryable, lease: Lease, child: NewRun, step: StepWrite): Promise<RunRecord> {
  const row = await fence(db, lease);
  const inserted = await insertRun(db, child, false);
  const run = inserted.existing === null ? newRunRecord(child) : toRun(inserted.existing);
  const existing = (await db.query<{ status: string }>(STEP_STATUS, [lease.runId, step.seq])).rows[0]?.status;
  const done = TERMINAL_STATUSES.has(run.status);
  await suspendFenced(db, lease, row, {
    kind: 'child',
    ref: run.id,
    runnableAt: done ? step.startedAt : null,
    now: step.startedAt,
    step: existing === 'waiting' ? null : step,
  });
  return run;
}
