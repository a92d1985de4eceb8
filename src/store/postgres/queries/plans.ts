/**
 * Applying a reviewed plan: a `planned` run becomes an apply-mode run that keeps only its plans (and a seq-0 record
 * of the reviewed hash) and goes back to its queue, with its event and audit entry, in one transaction.
 */
import type { RunStatus } from '../../../domain/run.js';
import { toRun, type RunRow } from '../../rows.js';
import type { AuditInput, PlanApplication } from '../../store.js';
import type { Queryable } from '../connection.js';
import { appendAudit } from './audit.js';
import { lockRun } from './fence.js';
import { upsertStep } from './upsert-step.js';
import { reviewedPlanStep } from '../../reviewed-plan.js';

const DROP_UNREVIEWED = `DELETE FROM steps WHERE run_id = $1 AND kind <> 'act.plan'`;
const REQUEUE = `
  UPDATE runs SET status = 'queued', mode = 'apply', runnable_at = $2, updated_at = $2, output = NULL, error = NULL,
    finished_at = NULL, wait_kind = NULL, wait_ref = NULL
  WHERE id = $1 RETURNING *`;
const EVENT = 'INSERT INTO events (run_id, type, data, created_at) VALUES ($1, $2, $3, $4)';

/** Turns the planned run to apply mode (call inside a transaction). */
export async function applyPlan(
  db: Queryable,
  runId: string,
  review: { hash: string; by: string | null; reason: string | null; now: number },
  audit: AuditInput,
): Promise<PlanApplication> {
  const row = await lockRun(db, runId);
  if (row === null) return { applied: false, status: null };
  if (row.status !== 'planned') return { applied: false, status: row.status as RunStatus };
  await db.query(DROP_UNREVIEWED, [runId]);
  await upsertStep(db, runId, reviewedPlanStep(review));
  const run = (await db.query<RunRow>(REQUEUE, [runId, review.now])).rows[0]!;
  await db.query(EVENT, [runId, 'run.plan_applied', JSON.stringify({ hash: review.hash, by: review.by }), review.now]);
  await appendAudit(db, [audit]);
  return { applied: true, run: toRun(run) };
}
