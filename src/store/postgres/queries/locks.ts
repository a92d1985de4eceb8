/**
 * Resource locks: held by a run while it runs under the lease it took them with. Taking one that such a holder
 * still holds answers false; giving one back wakes the runs waiting for it.
 */
import { LeaseLostError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { Queryable } from '../connection.js';

const ACQUIRE = `
  WITH fenced AS (
    SELECT id FROM runs WHERE id = $2 AND lease_owner = $5 AND lease_epoch = $3 AND status = 'running'
  ), taken AS (
    INSERT INTO resource_locks (resource, run_id, epoch, acquired_at)
    SELECT $1, $2, $3, $4 FROM fenced
    ON CONFLICT (resource) DO UPDATE SET run_id = excluded.run_id, epoch = excluded.epoch, acquired_at = excluded.acquired_at
    WHERE resource_locks.run_id = excluded.run_id
       OR NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = resource_locks.run_id AND r.lease_epoch = resource_locks.epoch
                      AND r.status = 'running' AND r.lease_expires_at > $4)
    RETURNING resource
  )
  SELECT (SELECT count(*) FROM fenced)::int AS fenced, (SELECT count(*) FROM taken)::int AS taken`;

const RELEASE = `
  WITH fenced AS (
    SELECT id FROM runs WHERE id = $2 AND lease_owner = $4 AND lease_epoch = $5 AND status = 'running'
  ), released AS (
    DELETE FROM resource_locks WHERE resource = $1 AND run_id = (SELECT id FROM fenced)
  ), woken AS (
    UPDATE runs SET runnable_at = $3, updated_at = $3
    WHERE status = 'waiting' AND wait_kind = 'lock' AND wait_ref = $1 AND EXISTS (SELECT 1 FROM fenced)
  )
  SELECT count(*)::int AS fenced FROM fenced`;

/** Takes the lock for the run; `LeaseLostError` when the lease moved on. */
export async function acquireLock(db: Queryable, lease: Lease, resource: string, now: number): Promise<boolean> {
  const row = (await db.query<{ fenced: number; taken: number }>(ACQUIRE, [resource, lease.runId, lease.epoch, now, lease.owner])).rows[0];
  if (!row || row.fenced === 0) throw new LeaseLostError(lease.runId, lease.epoch);
  return row.taken > 0;
}

/** Gives the lock back and wakes its waiters; `LeaseLostError` when the lease moved on. */
export async function releaseLock(db: Queryable, lease: Lease, resource: string, now: number): Promise<void> {
  const row = (await db.query<{ fenced: number }>(RELEASE, [resource, lease.runId, now, lease.owner, lease.epoch])).rows[0];
  if (!row || row.fenced === 0) throw new LeaseLostError(lease.runId, lease.epoch);
}
