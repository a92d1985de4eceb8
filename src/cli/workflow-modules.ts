/**
 * Finding the workflows the CLI serves: the modules named by `--module` (or `STEWARD_MODULES`), or the bundled
 * examples when none is named. A module contributes every export made by `defineWorkflow`, `defineSchedule` or
 * `defineAction`, also inside arrays and inside a default-exported object.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { ActionDefinition } from '../domain/action.js';
import type { ScheduleDefinition, WorkflowDefinition } from '../domain/workflow.js';

/** What the loaded modules define. */
export interface LoadedWorkflows {
  workflows: WorkflowDefinition[];
  schedules: ScheduleDefinition[];
  /** The actions plan runs may name (`steward.plan` is registered when there is one). */
  actions: ActionDefinition[];
  /** Where they came from, for messages. */
  sources: string[];
}

/** Which modules to load. */
export interface ModuleChoice {
  /** Paths from `--module`; when empty, `STEWARD_MODULES` is read. */
  modules: readonly string[];
  /** Load the bundled examples as well (they are loaded anyway when no module is named). */
  examples: boolean;
}

const EXAMPLES = new URL('../../examples/index.js', import.meta.url);

/** Loads the chosen modules; a missing module or one that defines nothing is a `ConfigError` naming it. */
export async function loadWorkflows(choice: ModuleChoice, env: NodeJS.ProcessEnv = process.env): Promise<LoadedWorkflows> {
  const named = choice.modules.length > 0 ? [...choice.modules] : splitModules(env.STEWARD_MODULES);
  const loaded: LoadedWorkflows = { workflows: [], schedules: [], actions: [], sources: [] };
  const seen = new Set<unknown>();
  const add = (found: Found, source: string): void => {
    // the same definition often arrives twice (a named export and an array); keep it once
    for (const wf of found.workflows) {
      if (seen.has(wf)) continue;
      seen.add(wf);
      loaded.workflows.push(wf);
    }
    for (const schedule of found.schedules) {
      if (seen.has(schedule)) continue;
      seen.add(schedule);
      loaded.schedules.push(schedule);
    }
    for (const action of found.actions) {
      if (seen.has(action)) continue;
      seen.add(action);
      loaded.actions.push(action);
    }
    loaded.sources.push(source);
  };
  if (named.length === 0 || choice.examples) add(collect(await import(EXAMPLES.href)), 'the bundled examples');
  for (const path of named) add(await loadModule(path), path);
  return loaded;
}

function splitModules(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

async function loadModule(path: string): Promise<Found> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new ConfigError(`workflow module ${path} does not exist (looked for ${file}): pass the path of a JavaScript module with --module`);
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const hint =
      code === 'ERR_UNKNOWN_FILE_EXTENSION'
        ? 'Node cannot import this file type directly: compile it to .js, or run with NODE_OPTIONS="--import tsx"'
        : 'fix the error in the module';
    throw new ConfigError(`cannot load workflow module ${path}: ${(cause as Error).message}; ${hint}`, { cause });
  }
  const found = collect(namespace);
  if (found.workflows.length === 0 && found.schedules.length === 0 && found.actions.length === 0) {
    throw new ConfigError(
      `workflow module ${path} exports no workflow: export the result of defineWorkflow(...) (or an array of them) from it, or of defineAction(...) for plan runs`,
    );
  }
  return found;
}

interface Found {
  workflows: WorkflowDefinition[];
  schedules: ScheduleDefinition[];
  actions: ActionDefinition[];
}

function collect(namespace: Record<string, unknown>): Found {
  const found: Found = { workflows: [], schedules: [], actions: [] };
  const visit = (value: unknown, depth: number): void => {
    if (isKind<WorkflowDefinition>(value, 'workflow')) found.workflows.push(value);
    else if (isKind<ScheduleDefinition>(value, 'schedule')) found.schedules.push(value);
    else if (isKind<ActionDefinition>(value, 'action')) found.actions.push(value);
    else if (Array.isArray(value) && depth < 2) for (const item of value) visit(item, depth + 1);
  };
  for (const [name, value] of Object.entries(namespace)) {
    visit(value, 0);
    const isPlainObject = typeof value === 'object' && value !== null && !Array.isArray(value) && !('kind' in value);
    if (name === 'default' && isPlainObject) for (const inner of Object.values(value)) visit(inner, 1);
  }
  return found;
}

function isKind<T>(value: unknown, kind: 'workflow' | 'schedule' | 'action'): value is T {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}
