/** Starting a plan run from a document or its YAML/JSON text: checked first, then started as a `steward.plan` run. */
import { ConfigError } from '../errors.js';
import type { ActionDefinition } from '../domain/action.js';
import type { RunMode } from '../domain/run.js';
import type { PlanDocument } from './plan-document.js';
import { checkPlanObject, parsePlanText, type PlanFormat } from './plan-file.js';
import { PLAN_WORKFLOW } from './plan-workflow.js';

/** Options of `steward.startPlan`. */
export interface StartPlanOptions {
  /** `plan` (the default) stops every task at its plan, for review; `apply` applies the tasks at once. */
  mode?: RunMode;
  /** The text's format, when a text is given; by default `source`'s extension says, else YAML. */
  format?: PlanFormat;
  /** What the plan is called in error messages, e.g. its file name. */
  source?: string;
  /** Who asks, as a Cedar entity such as `User::"alice"`. */
  subject?: string;
  /** Why; the document's own `goal` unless given. */
  goal?: string;
  /** A second start with this key returns the first run. */
  idempotencyKey?: string;
  queue?: string;
  priority?: number;
  autonomy?: number;
  timeoutMs?: number;
}

/** What starting a plan run needs from the Steward. */
export interface PlanStarter<H> {
  actions: ReadonlyMap<string, ActionDefinition>;
  start(workflow: string, input: unknown, options: Omit<StartPlanOptions, 'format' | 'source'>): Promise<H>;
}

/** Checks the plan (a `PlanInvalidError` lists every problem) and starts its run. */
export async function startPlanRun<H>(plan: PlanDocument | string, options: StartPlanOptions, starter: PlanStarter<H>): Promise<H> {
  if (starter.actions.size === 0) {
    throw new ConfigError('no action is registered, so no plan can run: pass the actions to createSteward({ actions: [...] })');
  }
  const { format, source, ...rest } = options;
  const doc =
    typeof plan === 'string'
      ? parsePlanText(plan, { actions: starter.actions, ...(source === undefined ? {} : { source }), ...(format === undefined ? {} : { format }) })
      : checkPlanObject(plan, { actions: starter.actions, ...(source === undefined ? {} : { source }) });
  const goal = rest.goal ?? doc.goal;
  return starter.start(PLAN_WORKFLOW, doc, { ...rest, mode: rest.mode ?? 'plan', ...(goal === undefined ? {} : { goal }) });
}
