/**
 * `steward.plan`, the built-in workflow of plan runs: it runs a plan document's tasks in waves of their dependency
 * graph, each wave through `ctx.parallel` and each task one `ctx.act`. A failed task fails the run after its wave
 * has settled, so no task whose dependency failed starts, and the saga rolls back what the run applied, last first.
 */
import { PlanTaskFailedError } from '../errors.js';
import type { ActionDefinition, ActResult, Verification } from '../domain/action.js';
import { defineWorkflow, type WorkflowContext, type WorkflowDefinition } from '../domain/workflow.js';
import { planDocumentSchema, type PlanDocument, type PlanTask } from './plan-document.js';
import { planWaves } from './plan-graph.js';

/** The name of the built-in workflow of plan runs. */
export const PLAN_WORKFLOW = 'steward.plan';

/** The queue plan runs go to unless told otherwise; every worker that has the plan workflow serves it. */
export const PLAN_QUEUE = 'steward.plans';

/** What became of one task: its plan, and once applied its outcome and verification. */
export interface PlanTaskResult {
  action: string;
  status: 'planned' | 'applied';
  resource: string;
  plan: unknown;
  outcome?: unknown;
  verification?: Verification | null;
}

/** The output of a plan run: every task's result, by task id, in the document's order. */
export interface PlanOutput {
  name: string | null;
  tasks: Record<string, PlanTaskResult>;
}

/** Makes the `steward.plan` workflow over the registered actions (createSteward does it when actions are given). */
export function definePlanWorkflow(actions: ReadonlyMap<string, ActionDefinition>): WorkflowDefinition<PlanDocument, PlanOutput> {
  return defineWorkflow({
    name: PLAN_WORKFLOW,
    version: '1',
    input: planDocumentSchema(actions),
    queue: PLAN_QUEUE,
    compensate: 'auto',
    async run(ctx, doc): Promise<PlanOutput> {
      const results = new Map<string, PlanTaskResult>();
      for (const wave of planWaves(doc.tasks)) {
        const settled = await ctx.parallel(wave.map((task) => (branch: WorkflowContext) => runTask(branch, task, actions)));
        wave.forEach((task, i) => results.set(task.id, settled[i] as PlanTaskResult));
      }
      const tasks: Record<string, PlanTaskResult> = {};
      for (const task of doc.tasks) tasks[task.id] = results.get(task.id) as PlanTaskResult;
      return { name: doc.name ?? null, tasks };
    },
  });
}

async function runTask(ctx: WorkflowContext, task: PlanTask, actions: ReadonlyMap<string, ActionDefinition>): Promise<PlanTaskResult> {
  const action = actions.get(task.action);
  // the input schema refused unknown actions at start; a worker without this one fails the task the same way
  if (action === undefined) throw new PlanTaskFailedError(task.id, task.action, new Error(`action "${task.action}" is not registered in this worker`));
  let result: ActResult<unknown, unknown>;
  try {
    result = await ctx.act(action, task.input, { taskId: task.id });
  } catch (error) {
    // a suspension is not an Error and passes through untouched; the run's own stops (cancel, kill switch, a lost
    // lease) are read by the engine from the run's abort, not from what the workflow throws
    if (error instanceof Error) throw new PlanTaskFailedError(task.id, task.action, error);
    throw error;
  }
  if (result.status === 'planned') return { action: result.action, status: 'planned', resource: result.resource, plan: result.plan };
  return {
    action: result.action,
    status: 'applied',
    resource: result.resource,
    plan: result.plan,
    outcome: result.outcome,
    verification: result.verification,
  };
}
