/**
 * Suspending a run under its lease: it waits (for a timer, a signal, a child, a retry) holding no lease, claimable
 * again at its wake time, or at its deadline if that comes first, or at once if a cancel was asked meanwhile.
 */
import type { Lease } from '../../../domain/run.js';
import type { Suspension } from '../../store.js';
import type { Queryable } from '../connection.js';
import { fence, type FenceRow } from './fence.js';
import { upsertStep } from './upsert-step.js';
import { APPROVAL_DECIDED } from './approvals.js';

const SUSPEND = `
  UPDATE runs SET status = 'waiting', wait_kind = $2, wait_ref = $3, runnable_at = $4, lease_owner = NULL,
    lease_expires_at = NULL, updated_at = $5
  WHERE id = $1`;

/** Suspends a run whose fence this transaction holds. */
export async function suspendFenced(db: Queryable, lease: Lease, row: FenceRow, suspension: Suspension): Promise<void> {
  if (suspension.step) await upsertStep(db, lease.runId, suspension.step);
  let at = suspension.runnableAt;
  if (row.deadline_at !== null && (at === null || row.deadline_at < at)) at = row.deadline_at;
  // a cancel asked for while the run was executing must not sleep with it
  if (row.cancel_requested) at = suspension.now;
  // nor a run whose approval was decided between its request and this suspension
  if (suspension.kind === 'approval' && ((await db.query(APPROVAL_DECIDED, [lease.runId])).rowCount ?? 0) > 0) at = suspension.now;
  await db.query(SUSPEND, [lease.runId, suspension.kind, suspension.ref, at, suspension.now]);
}

/** Suspends the run (call inside a transaction). */
export async function suspendRun(db: Queryable, lease: Lease, suspension: Suspension): Promise<void> {
  await suspendFenced(db, lease, await fence(db, lease), suspension);
}
