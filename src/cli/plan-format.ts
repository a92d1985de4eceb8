/** How plan runs read in a terminal: each task's plan for review, and what became of each task once applied. */
import type { ActionDefinition } from '../domain/action.js';
import type { RunRecord, StepRecord } from '../domain/run.js';
import { PARALLEL_SLOTS } from '../engine/context.js';
import type { PlanDocument, PlanTask } from '../plan/plan-document.js';
import { planWaves } from '../plan/plan-graph.js';
import type { PlanTaskResult } from '../plan/plan-workflow.js';
import { formatError } from './run-format.js';
import { formatTable } from './table.js';

/** One task as shown for review. */
export interface ReviewedTask {
  id: string;
  wave: number;
  action: string;
  resource: string;
  plan: unknown;
  /** The hash of the act's plan, when the run's plan summary has it. */
  hash: string | null;
}

/** What became of one task of an applied plan run. */
export interface TaskOutcome {
  id: string;
  action: string;
  resource: string | null;
  status: 'applied' | 'rolled back' | 'rollback failed' | 'failed' | 'planned' | 'not started';
}

/** The plan document a `steward.plan` run was started with, and its tasks in waves. */
export function wavesOf(run: RunRecord): PlanTask[][] {
  return planWaves((run.input as PlanDocument).tasks);
}

/** The tasks of a planned run in wave order, with their plans (from the run's output) and the acts' hashes. */
export function reviewedTasks(run: RunRecord, acts: ReadonlyArray<{ seq: number; action: string; hash: string }>): ReviewedTask[] {
  const results = (run.output as { tasks?: Record<string, PlanTaskResult> } | null)?.tasks ?? {};
  const ordered = [...acts].sort((a, b) => a.seq - b.seq);
  const waves = wavesOf(run);
  const flat = waves.flatMap((wave, w) => wave.map((task) => ({ task, wave: w + 1 })));
  // one act per task, in wave order: the acts line up with the tasks when the counts and the actions agree
  const aligned = ordered.length === flat.length && flat.every(({ task }, i) => ordered[i]?.action === task.action);
  return flat.map(({ task, wave }, i) => {
    const result = results[task.id];
    return {
      id: task.id,
      wave,
      action: task.action,
      resource: result?.resource ?? '?',
      plan: result?.plan ?? null,
      hash: aligned ? (ordered[i]?.hash ?? null) : null,
    };
  });
}

/** The review text: each wave, each task's action, resource and plan as indented JSON, and the plan hash. */
export function formatReview(run: RunRecord, tasks: readonly ReviewedTask[], hash: string): string {
  const name = (run.input as PlanDocument).name;
  const waves = Math.max(0, ...tasks.map((t) => t.wave));
  const lines = [`plan run ${run.id}${name ? ` (${name})` : ''}: ${tasks.length} task(s) in ${waves} wave(s), status ${run.status}`];
  for (let wave = 1; wave <= waves; wave += 1) {
    const inWave = tasks.filter((t) => t.wave === wave);
    lines.push('', `wave ${wave}${inWave.length > 1 ? ` (${inWave.length} tasks side by side)` : ''}`);
    for (const task of inWave) {
      lines.push(`  task ${task.id}: ${task.action} on ${task.resource}`);
      lines.push(indent(JSON.stringify(task.plan, null, 2) ?? 'null', 4));
    }
  }
  lines.push('', `plan hash ${hash}`);
  return lines.join('\n');
}

/** What became of each task, read from the run's steps and, after a rollback, from its error. */
export function taskOutcomes(run: RunRecord, steps: readonly StepRecord[], actions: ReadonlyMap<string, ActionDefinition>): TaskOutcome[] {
  const rollbacks = [...(((run.error?.details?.rollbacks as unknown) ?? []) as Array<{ action: string; resource: string; rolledBack: boolean }>)];
  const outcomes: TaskOutcome[] = [];
  let base = 0;
  for (const wave of wavesOf(run)) {
    wave.forEach((task, i) => {
      const start = base + i * PARALLEL_SLOTS;
      const own = steps.filter((s) => s.seq > start && s.seq <= start + PARALLEL_SLOTS);
      const resource = resourceOf(actions, task);
      outcomes.push({ id: task.id, action: task.action, resource, status: statusOf(own) });
    });
    base += wave.length * PARALLEL_SLOTS;
  }
  // the saga's rollbacks name the action and resource of each act it undid
  for (const outcome of outcomes) {
    if (outcome.status !== 'applied') continue;
    const at = rollbacks.findIndex((r) => r.action === outcome.action && r.resource === outcome.resource);
    if (at < 0) continue;
    outcome.status = rollbacks[at]?.rolledBack ? 'rolled back' : 'rollback failed';
    rollbacks.splice(at, 1);
  }
  return outcomes;
}

function statusOf(steps: readonly StepRecord[]): TaskOutcome['status'] {
  const has = (kind: StepRecord['kind'], status: StepRecord['status']): boolean => steps.some((s) => s.kind === kind && s.status === status);
  if (has('act.rollback', 'completed')) return 'rolled back';
  if (has('act.apply', 'failed') || has('act.verify', 'failed') || has('act.plan', 'failed')) return 'failed';
  if (has('act.apply', 'completed')) {
    const verify = steps.find((s) => s.kind === 'act.verify');
    if (verify === undefined) return 'applied';
    const report = verify.result as { ok?: unknown } | boolean | null;
    return verify.status === 'completed' && (report === true || (typeof report === 'object' && report?.ok === true)) ? 'applied' : 'failed';
  }
  if (steps.length > 0) return 'planned';
  return 'not started';
}

/** The resource a task acts on, as its action names it; null when this process does not have the action. */
function resourceOf(actions: ReadonlyMap<string, ActionDefinition>, task: PlanTask): string | null {
  const action = actions.get(task.action);
  const input = action?.input.safeParse(task.input);
  if (!action || !input?.success) return null;
  try {
    return action.resource(input.data);
  } catch {
    return null;
  }
}

/** The outcome of an applied plan run: one row per task, and the run's error when it did not succeed. */
export function formatOutcomes(run: RunRecord, outcomes: readonly TaskOutcome[]): string {
  const table = formatTable(
    ['TASK', 'ACTION', 'RESOURCE', 'STATUS'],
    outcomes.map((o) => [o.id, o.action, o.resource ?? '-', o.status]),
  );
  const head = `plan run ${run.id} ${run.status}`;
  return run.error ? `${head}: ${formatError(run.error)}\n\n${table}` : `${head}\n\n${table}`;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
