/**
 * Cancelling a run (call inside a transaction): a running run is flagged (its worker hears it and stops it); a
 * queued, waiting or paused run ends `cancelled` at once, and so do its unfinished children, first.
 */
import { RunNotFoundError, type SerializedError } from '../../../errors.js';
import { TERMINAL_STATUSES, type RunStatus } from '../../../domain/run.js';
import type { CancelResult } from '../../store.js';
import type { Queryable } from '../connection.js';
import { lockRun } from './fence.js';

const OPEN_CHILDREN = `
  SELECT id FROM runs WHERE parent_id = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled', 'rolled_back') ORDER BY seq`;

const FLAG = `
  WITH flagged AS (
    UPDATE runs SET cancel_requested = true, updated_at = $2 WHERE id = $1 RETURNING id
  )
  INSERT INTO events (run_id, type, data, created_at) SELECT id, 'run.cancel_requested', $3, $2 FROM flagged`;

const CANCEL = `
  WITH cancelled AS (
    UPDATE runs SET status = 'cancelled', error = $3, finished_at = $2, updated_at = $2, runnable_at = NULL,
      lease_owner = NULL, lease_expires_at = NULL, wait_kind = NULL, wait_ref = NULL
    WHERE id = $1
    RETURNING id, parent_id
  )
  UPDATE runs AS parent SET runnable_at = $2, updated_at = $2
  FROM cancelled
  WHERE parent.id = cancelled.parent_id AND parent.status = 'waiting' AND parent.wait_kind = 'child' AND parent.wait_ref = cancelled.id`;

/** Cancels the run (and its open children), or flags it when it is executing. */
export async function requestCancel(db: Queryable, runId: string, reason: SerializedError, now: number): Promise<CancelResult> {
  const row = await lockRun(db, runId);
  if (!row) throw new RunNotFoundError(runId);
  const status = row.status as RunStatus;
  if (TERMINAL_STATUSES.has(status)) return { status, alreadyEnded: true };
  const children = await db.query<{ id: string }>(OPEN_CHILDREN, [runId]);
  for (const child of children.rows) await requestCancel(db, child.id, reason, now);
  if (status === 'running' || status === 'compensating') {
    if (!row.cancel_requested) await db.query(FLAG, [runId, now, JSON.stringify({ reason: reason.message })]);
    return { status, alreadyEnded: false };
  }
  await db.query(CANCEL, [runId, now, JSON.stringify(reason)]);
  return { status: 'cancelled', alreadyEnded: false };
}
