/** Renewing a worker's leases in one statement, and hearing which runs it lost and which someone asked to cancel. */
import type { Lease } from '../../../domain/run.js';
import type { LeaseRenewal } from '../../store.js';
import type { Queryable } from '../connection.js';

const RENEW = `
  UPDATE runs SET lease_expires_at = $1
  FROM unnest($2::text[], $3::int[]) AS lease (id, epoch)
  WHERE runs.id = lease.id AND runs.lease_owner = $4 AND runs.lease_epoch = lease.epoch AND runs.status = 'running'
  RETURNING runs.id, runs.cancel_requested`;

/** Extends the leases `owner` still holds. */
export async function renewLeases(db: Queryable, owner: string, leases: readonly Lease[], leaseMs: number, now: number): Promise<LeaseRenewal> {
  if (leases.length === 0) return { lost: [], cancelRequested: [] };
  const result = await db.query<{ id: string; cancel_requested: boolean }>(RENEW, [
    now + leaseMs,
    leases.map((l) => l.runId),
    leases.map((l) => l.epoch),
    owner,
  ]);
  const held = new Map(result.rows.map((r) => [r.id, r.cancel_requested]));
  return {
    lost: leases.filter((l) => !held.has(l.runId)).map((l) => l.runId),
    cancelRequested: leases.filter((l) => held.get(l.runId) === true).map((l) => l.runId),
  };
}
