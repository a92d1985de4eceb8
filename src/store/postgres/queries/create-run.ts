/**
 * Creating a run, and with an eager claim, claiming it in the same transaction for the worker that asked, when the
 * run is runnable now and its queue has no concurrency limit.
 */
import type { EagerClaim, NewRun } from '../../store.js';
import type { Queryable } from '../connection.js';
import type { RunRow } from '../../rows.js';
import { appendAudit } from './audit.js';
import { insertRun } from './insert-run.js';

/** What a create did. */
export interface CreatedRun {
  /** The existing run, when the idempotency key found one. */
  existing: RunRow | null;
  /** The new run as claimed, when it was. */
  claimed: RunRow | null;
}

const CLAIM_NEW_RUN = `
  UPDATE runs SET status = 'running', lease_owner = $2, lease_epoch = lease_epoch + 1, lease_expires_at = $3,
    runnable_at = NULL, claims = claims + 1, started_at = coalesce(started_at, $4), updated_at = $4
  WHERE id = $1 AND status = 'queued'
  RETURNING *`;

/** Creates the run (call inside a transaction). */
export async function createRun(db: Queryable, run: NewRun, eager: EagerClaim | undefined): Promise<CreatedRun> {
  const inserted = await insertRun(db, run, true);
  if (inserted.existing !== null) return { existing: inserted.existing, claimed: null };
  if (run.audit !== undefined) await appendAudit(db, [run.audit]);
  if (!eager || run.status !== 'queued' || run.runnableAt > run.createdAt || inserted.concurrency !== null) {
    return { existing: null, claimed: null };
  }
  const claimed = await db.query<RunRow>(CLAIM_NEW_RUN, [run.id, eager.owner, run.createdAt + eager.leaseMs, run.createdAt]);
  return { existing: null, claimed: claimed.rows[0] ?? null };
}
