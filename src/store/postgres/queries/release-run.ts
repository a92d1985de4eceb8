/** Giving a running run back to its queue (a stopping worker), in one statement fenced by the lease. */
import { LeaseLostError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { Queryable } from '../connection.js';

const RELEASE = `
  UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, runnable_at = $4, updated_at = $4
  WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3 AND status = 'running'`;

/** Releases the run; `LeaseLostError` when the lease moved on. */
export async function releaseRun(db: Queryable, lease: Lease, now: number): Promise<void> {
  const result = await db.query(RELEASE, [lease.runId, lease.owner, lease.epoch, now]);
  if (result.rowCount === 0) throw new LeaseLostError(lease.runId, lease.epoch);
}
