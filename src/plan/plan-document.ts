/**
 * The plan document: a list of tasks `{ id, action, input, dependsOn? }`, checked as a whole — its shape, unique
 * ids, dependencies that name tasks of the plan and form no cycle, actions that are registered and inputs those
 * actions accept. One schema serves the file parser and `steward.start('steward.plan', …)` alike.
 */
import { z } from 'zod';
import type { ActionDefinition } from '../domain/action.js';
import { findCycles } from './plan-graph.js';

/** What a task id looks like. */
export const TASK_ID = /^[a-z0-9][a-z0-9_-]*$/i;

/** The most tasks one plan may hold. */
export const MAX_PLAN_TASKS = 500;

/** One task: run `action` with `input` once every task in `dependsOn` has applied. */
export interface PlanTask {
  id: string;
  action: string;
  input: Record<string, unknown>;
  dependsOn?: string[];
}

/** A plan document, as written in YAML or JSON. */
export interface PlanDocument {
  version?: 1;
  name?: string;
  goal?: string;
  tasks: PlanTask[];
}

/** A problem of a document at a JSON path (`['tasks', 2, 'dependsOn', 0]`). */
export interface DocumentIssue {
  path: PropertyKey[];
  message: string;
}

const text = (what: string, max: number): z.ZodString =>
  z.string({ error: (issue) => (issue.input === undefined ? `${what} is missing` : `${what} must be text`) }).max(max, `${what} is at most ${max} characters`);

const taskSchema = z
  .object({
    id: text('the task id', 128).regex(TASK_ID, 'a task id is letters, digits, "_" and "-", starting with a letter or digit, like "deploy-web"'),
    action: text('the action name', 256).min(1, 'the action name is empty: name a registered action'),
    input: z.record(z.string(), z.unknown(), {
      error: (issue) =>
        issue.input === undefined ? 'input is missing: give the action its input as a mapping (use {} for none)' : "input must be a mapping of the action's input fields",
    }),
    dependsOn: z
      .array(text('a dependency', 128), { error: 'dependsOn must be a list of task ids, like [build, migrate]' })
      .optional(),
  })
  .strict();

/** The shape of a plan document, without the checks that need the registered actions. */
export const planShapeSchema = z
  .object({
    version: z.literal(1, { error: 'the only plan format version is 1: write "version: 1" or leave it out' }).optional(),
    name: text('the plan name', 200).optional(),
    goal: text('the goal', 4096).optional(),
    tasks: z
      .array(taskSchema, { error: (issue) => (issue.input === undefined ? 'tasks is missing: list the tasks under "tasks"' : 'tasks must be a list') })
      .min(1, 'a plan needs at least one task: add one under "tasks"')
      .max(MAX_PLAN_TASKS, `a plan has at most ${MAX_PLAN_TASKS} tasks: split it into several plans`),
  })
  .strict();

/** The schema of a plan document whose tasks name the given actions: the input schema of `steward.plan`. */
export function planDocumentSchema(actions: ReadonlyMap<string, ActionDefinition>): z.ZodType<PlanDocument> {
  return planShapeSchema.superRefine((doc, ctx) => {
    for (const issue of checkPlanDocument(doc, actions)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }) as z.ZodType<PlanDocument>;
}

/** The problems of a well-shaped document: ids, dependencies, cycles, actions and their inputs. Empty when none. */
export function checkPlanDocument(doc: PlanDocument, actions: ReadonlyMap<string, ActionDefinition>): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const firstIndex = new Map<string, number>();
  doc.tasks.forEach((task, i) => {
    const first = firstIndex.get(task.id);
    if (first === undefined) firstIndex.set(task.id, i);
    else issues.push({ path: ['tasks', i, 'id'], message: `task id "${task.id}" is already the id of tasks[${first}]: give each task a unique id` });
  });
  const ids = [...firstIndex.keys()];
  doc.tasks.forEach((task, i) => {
    const seen = new Set<string>();
    (task.dependsOn ?? []).forEach((dep, j) => {
      const path = ['tasks', i, 'dependsOn', j];
      if (dep === task.id) issues.push({ path, message: `task "${task.id}" depends on itself: remove "${dep}" from its dependsOn` });
      else if (!firstIndex.has(dep)) {
        issues.push({ path, message: `task "${task.id}" depends on "${dep}", which is not a task of this plan: use one of ${listIds(ids, task.id)}, or remove it` });
      } else if (seen.has(dep)) issues.push({ path, message: `task "${task.id}" names "${dep}" twice in dependsOn: remove one` });
      seen.add(dep);
    });
  });
  for (const cycle of findCycles(doc.tasks)) {
    const [from, to] = cycle;
    const index = firstIndex.get(from ?? '') ?? 0;
    const depIndex = (doc.tasks[index]?.dependsOn ?? []).indexOf(to ?? '');
    issues.push({
      path: ['tasks', index, 'dependsOn', Math.max(depIndex, 0)],
      message: `tasks depend on each other in a cycle: ${cycle.join(' → ')} (each waits for the next, so none could start); remove one of these dependencies`,
    });
  }
  doc.tasks.forEach((task, i) => {
    const action = actions.get(task.action);
    if (action === undefined) {
      const known = [...actions.keys()].sort();
      issues.push({
        path: ['tasks', i, 'action'],
        message:
          `task "${task.id}" names action "${task.action}", which is not registered: ` +
          (known.length > 0 ? `use one of ${known.join(', ')}` : 'no action is registered') +
          ', or register it (createSteward({ actions }), or --module PATH on the command line)',
      });
      return;
    }
    const parsed = action.input.safeParse(task.input);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      issues.push({
        path: ['tasks', i, 'input', ...issue.path],
        message: `task "${task.id}": action "${action.name}" refuses this input: ${issue.message}`,
      });
    }
  });
  return issues;
}

function listIds(ids: readonly string[], except: string): string {
  const others = ids.filter((id) => id !== except);
  if (others.length === 0) return 'no other task (the plan has only this one)';
  const shown = others.slice(0, 20).join(', ');
  return others.length > 20 ? `${shown}, …` : shown;
}

/** A JSON path as text: `tasks[2].dependsOn[0]`; empty for the document itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}
