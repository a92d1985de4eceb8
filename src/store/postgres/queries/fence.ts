/** The fence of a transaction's writes under a lease: locks the run's row and refuses a lease that moved on. */
import { LeaseLostError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { Queryable } from '../connection.js';

/** What writes under a lease need to know of their run. */
export interface FenceRow {
  status: string;
  lease_owner: string | null;
  lease_epoch: number;
  cancel_requested: boolean;
  deadline_at: number | null;
  parent_id: string | null;
  queue: string;
}

const LOCK_RUN = `
  SELECT status, lease_owner, lease_epoch, cancel_requested, deadline_at, parent_id, queue
  FROM runs WHERE id = $1 FOR UPDATE`;

/** Locks the run's row until the transaction ends; throws `LeaseLostError` unless `lease` is its current lease. */
export async function fence(db: Queryable, lease: Lease): Promise<FenceRow> {
  const row = (await db.query<FenceRow>(LOCK_RUN, [lease.runId])).rows[0];
  if (!row || row.lease_owner !== lease.owner || row.lease_epoch !== lease.epoch || row.status !== 'running') {
    throw new LeaseLostError(lease.runId, lease.epoch);
  }
  return row;
}

/** Locks a run's row without a lease (a client's signal or cancel); null when there is no such run. */
export async function lockRun(db: Queryable, runId: string): Promise<FenceRow | null> {
  return (await db.query<FenceRow>(LOCK_RUN, [runId])).rows[0] ?? null;
}
