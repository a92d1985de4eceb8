/**
 * Reviewed plans: what a plan-mode run would do (every act's plan and the run's plan hash), and applying exactly that —
 * the run goes back to its queue in apply mode and replays the reviewed plans instead of planning again.
 */
import { PlanChangedError, RunNotFoundError, ValidationError, formatIssues } from '../errors.js';
import { z } from 'zod';
import { runPlanHash } from './plan-hash.js';
import type { RunMode, RunStatus, StepRecord } from '../domain/run.js';
import type { EngineDeps } from './deps.js';

/** One act of a plan. */
export interface PlannedActSummary {
  seq: number;
  action: string;
  resource: string;
  plan: unknown;
  /** sha256 of the action, its version, the resource and the plan. */
  hash: string;
}

/** What a run plans (or planned) to do. */
export interface PlanSummary {
  runId: string;
  status: RunStatus;
  mode: RunMode;
  /** sha256 over every act's seq, action and hash, in order: what `applyPlan` checks. */
  hash: string;
  acts: PlannedActSummary[];
}

const applySchema = z
  .object({
    expectHash: z.string().regex(/^[0-9a-f]{64}$/, 'a plan hash is 64 lowercase hex digits').optional(),
    by: z.string().min(1).max(256).optional(),
    reason: z.string().max(2000).optional(),
  })
  .strict();

/** Options of `applyPlan`. */
export type ApplyPlanOptions = z.input<typeof applySchema>;

/** The plans a run recorded, in order. */
export function summarisePlan(runId: string, status: RunStatus, mode: RunMode, steps: readonly StepRecord[]): PlanSummary {
  const acts: PlannedActSummary[] = steps
    .filter((s) => s.kind === 'act.plan' && s.status === 'completed')
    .sort((a, b) => a.seq - b.seq)
    .map((s) => {
      const r = s.result as { plan: unknown; hash: string; resource: string };
      return { seq: s.seq, action: s.name, resource: r.resource, plan: r.plan, hash: r.hash };
    });
  return { runId, status, mode, hash: runPlanHash(acts), acts };
}

/** Reads a run's plan. */
export async function planOf(deps: EngineDeps, runId: string): Promise<PlanSummary> {
  const run = await deps.store.getRun(runId);
  if (run === null) throw new RunNotFoundError(runId);
  return summarisePlan(runId, run.status, run.mode, await deps.store.listSteps(runId));
}

/** Applies a planned run's reviewed plan; refused when the hash differs from the one expected or the run is not planned. */
export async function applyPlan(deps: EngineDeps, runId: string, options: ApplyPlanOptions = {}): Promise<{ runId: string; hash: string }> {
  const parsed = applySchema.safeParse(options);
  if (!parsed.success) throw new ValidationError(`invalid apply options: ${formatIssues(parsed.error.issues, 'options')}`);
  const { expectHash, by = null, reason = null } = parsed.data;
  const plan = await planOf(deps, runId);
  if (plan.status !== 'planned') {
    throw new ValidationError(
      `run ${runId} is ${plan.status}, not planned: only a plan-mode run that reached its end can be applied (start one with mode "plan", or \`steward plan FILE\`)`,
      { details: { runId, status: plan.status } },
    );
  }
  if (expectHash !== undefined && expectHash !== plan.hash) {
    throw new PlanChangedError(`the plan of run ${runId} is ${plan.hash}, not the ${expectHash} that was reviewed: review it again (\`steward plan\`)`, {
      runId,
      hash: plan.hash,
      expected: expectHash,
    });
  }
  const now = deps.clock.now();
  const result = await deps.store.applyPlan(runId, { hash: plan.hash, by, reason, now }, {
    kind: 'plan.applied',
    at: now,
    actor: by,
    runId,
    subject: null,
    data: deps.redactor.redact({ hash: plan.hash, acts: plan.acts.map((a) => ({ seq: a.seq, action: a.action, resource: a.resource, hash: a.hash })), reason }) as Record<string, unknown>,
  });
  if (!result.applied) {
    throw new ValidationError(`run ${runId} is ${result.status ?? 'gone'}, not planned: it changed while it was being applied`, { details: { runId, status: result.status } });
  }
  deps.logger.info({ runId, hash: plan.hash, by }, 'reviewed plan applied: the run applies it now');
  return { runId, hash: plan.hash };
}
