/**
 * `steward plan FILE` and `steward apply RUN`: preview a plan file's tasks in a plan-mode run (planned by a worker
 * in this process), then apply exactly the plans that were reviewed.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { ConfigError, ResultTimeoutError, RunCancelledError, RunFailedError } from '../errors.js';
import { isTerminal, type RunRecord } from '../domain/run.js';
import type { Steward } from '../engine/steward.js';
import { parsePlanText } from '../plan/plan-file.js';
import { PLAN_WORKFLOW } from '../plan/plan-workflow.js';
import { redact } from '../store/open.js';
import { UsageError } from './cli-errors.js';
import { parseInteger } from './option-values.js';
import { printJson, printLine, printNote } from './output.js';
import { formatOutcomes, formatReview, reviewedTasks, taskOutcomes, wavesOf } from './plan-format.js';
import { globalsOf, withSteward, type GlobalOptions } from './steward-session.js';
import { loadWorkflows, type LoadedWorkflows } from './workflow-modules.js';

/** How often the waiting commands look at the run. */
const POLL_MS = 200;
/** How long `steward plan` waits for the plans unless told otherwise. */
const DEFAULT_PLAN_TIMEOUT_MS = 300_000;

interface PlanFlags {
  subject?: string;
  goal?: string;
  json?: boolean;
  timeout?: string;
}

interface ApplyFlags {
  expectHash?: string;
  by?: string;
  reason?: string;
  wait?: boolean;
  json?: boolean;
}

/** Adds `plan` and `apply` to the program. */
export function registerPlanCommands(program: Command): void {
  program
    .command('plan')
    .description('check a YAML/JSON plan file, plan its tasks in a plan-mode run, and print each plan and the plan hash for review')
    .argument('<file>', 'the plan file (.yaml, .yml or .json)')
    .option('--subject <principal>', 'who asks, as a Cedar entity, e.g. User::"alice"')
    .option('--goal <text>', "why (default: the file's goal)")
    .option('--timeout <ms>', `give up waiting for the plans after this long (default ${DEFAULT_PLAN_TIMEOUT_MS})`)
    .option('--json', 'print { runId, status, name, hash, tasks, apply } as JSON')
    .action((file: string, flags: PlanFlags, cmd: Command) => planFile(globalsOf(cmd), file, flags));

  program
    .command('apply')
    .description('apply a planned plan run: exactly the plans that were reviewed, or nothing')
    .argument('<run>', 'the id of the planned run (printed by steward plan)')
    .option('--expect-hash <hash>', 'refuse unless the plans still hash to this (printed by steward plan)')
    .option('--by <principal>', 'who applies it (recorded in the audit log), e.g. User::"alice"')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--wait', 'run a worker here until the run ends, and print what became of each task (exit code 1 unless it succeeded)')
    .option('--json', 'print the result as JSON')
    .action((runId: string, flags: ApplyFlags, cmd: Command) => applyRun(globalsOf(cmd), runId, flags));
}

async function planFile(globals: GlobalOptions, file: string, flags: PlanFlags): Promise<void> {
  const timeoutMs = parseInteger('--timeout', flags.timeout, 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_PLAN_TIMEOUT_MS;
  const text = readPlanFile(file);
  const loaded = await loadActions(globals);
  await withSteward(globals, { logLevel: 'error', workflows: loaded, pollIntervalMs: POLL_MS }, async (steward) => {
    // checked before anything is stored or any worker starts
    const doc = parsePlanText(text, { source: file, actions: steward.config.actions });
    const queue = steward.config.workflows.get(PLAN_WORKFLOW)?.queue;
    steward.worker.start({ ...(queue === undefined ? {} : { queues: [queue] }) });
    const handle = await steward.startPlan(doc, {
      mode: 'plan',
      source: file,
      ...(flags.subject === undefined ? {} : { subject: flags.subject }),
      ...(flags.goal === undefined ? {} : { goal: flags.goal }),
    });
    printNote(`plan run ${handle.id} started: planning ${doc.tasks.length} task(s) of ${file}…`);
    const run = await waitForRun(steward, handle.id, timeoutMs, (r) => r.status === 'planned' || isTerminal(r.status));
    if (run.status !== 'planned' && run.status !== 'succeeded') throwFor(run);
    const summary = await steward.planOf(run.id);
    const tasks = reviewedTasks(run, summary.acts);
    const next = `steward apply ${run.id} --expect-hash ${summary.hash}${commonFlags(globals)}`;
    if (flags.json) {
      printJson({ runId: run.id, status: run.status, name: doc.name ?? null, hash: summary.hash, waves: wavesOf(run).map((w) => w.map((t) => t.id)), tasks, apply: next });
      return;
    }
    printLine(formatReview(run, tasks, summary.hash));
    printLine(`\nReview the plans above, then apply exactly them with:\n  ${next}`);
  });
}

async function applyRun(globals: GlobalOptions, runId: string, flags: ApplyFlags): Promise<void> {
  // the worker of --wait needs the actions; without it the modules are loaded only so the plan workflow is known
  const loaded = flags.wait ? await loadActions(globals) : await loadWorkflows({ modules: globals.module, examples: false });
  await withSteward(globals, { logLevel: 'error', workflows: loaded, pollIntervalMs: POLL_MS }, async (steward) => {
    const applied = await steward.applyPlan(runId, {
      ...(flags.expectHash === undefined ? {} : { expectHash: flags.expectHash }),
      ...(flags.by === undefined ? {} : { by: flags.by }),
      ...(flags.reason === undefined ? {} : { reason: flags.reason }),
    });
    if (!flags.wait) {
      const run = await steward.run(applied.runId);
      if (flags.json) printJson({ ...applied, status: run.status });
      else {
        printLine(`applying plan run ${applied.runId} (plan hash ${applied.hash})`);
        printNote(`a worker serving queue "${run.queue}" applies it; follow it with: steward run logs ${applied.runId} --follow`);
      }
      return;
    }
    const queued = await steward.run(applied.runId);
    steward.worker.start({ queues: [queued.queue] });
    printNote(`applying plan run ${applied.runId} (plan hash ${applied.hash}); a worker runs here until it ends…`);
    const run = await waitForRun(steward, applied.runId, Number.POSITIVE_INFINITY, (r) => isTerminal(r.status));
    if (run.workflow !== PLAN_WORKFLOW) {
      // a code workflow run in plan mode: its output is its own, not a plan file's tasks
      if (flags.json) printJson({ ...applied, status: run.status, output: run.output, error: run.error });
      else printLine(`run ${run.id} ${run.status}${run.status === 'succeeded' ? `: ${JSON.stringify(run.output)}` : ''}`);
      if (run.status !== 'succeeded') throwFor(run);
      return;
    }
    const outcomes = taskOutcomes(run, await steward.steps(run.id), steward.config.actions);
    if (flags.json) printJson({ ...applied, status: run.status, tasks: outcomes, error: run.error });
    else printLine(formatOutcomes(run, outcomes));
    if (run.status !== 'succeeded') throwFor(run);
  });
}

function readPlanFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read plan file ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}): check the path`, { cause });
  }
}

/** The modules' workflows and actions; a plan needs at least one action. */
async function loadActions(globals: GlobalOptions): Promise<LoadedWorkflows> {
  const loaded = await loadWorkflows({ modules: globals.module, examples: false });
  if (loaded.actions.length === 0) {
    throw new ConfigError(
      `${loaded.sources.join(' and ')} define no action, so no plan can run: pass --module PATH of a module that exports actions made by defineAction`,
    );
  }
  return loaded;
}

/** Polls the run until `done` says so, printing progress on standard error; a `ResultTimeoutError` after `timeoutMs`. */
async function waitForRun(steward: Steward, id: string, timeoutMs: number, done: (run: RunRecord) => boolean): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  let said = '';
  for (;;) {
    const run = await steward.run(id);
    if (done(run)) return run;
    const progress = await describeProgress(steward, run);
    if (progress !== said) printNote(progress);
    said = progress;
    if (Date.now() >= deadline) throw new ResultTimeoutError(id, run.status, timeoutMs);
    await delay(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

async function describeProgress(steward: Steward, run: RunRecord): Promise<string> {
  const steps = await steward.steps(run.id);
  const total = (run.input as { tasks?: unknown[] } | null)?.tasks?.length ?? 0;
  const count = (kind: string): number => steps.filter((s) => s.kind === kind && s.status === 'completed').length;
  const waiting = run.waitKind ? ` (waiting for ${run.waitKind}${run.waitRef ? ` ${run.waitRef}` : ''})` : '';
  const work = run.mode === 'plan' ? `${count('act.plan')} of ${total} task(s) planned` : `${count('act.apply')} of ${total} task(s) applied`;
  return `run ${run.id} ${run.status}${waiting}: ${work}`;
}

/** The flags that point the next command at the same store and modules. */
function commonFlags(globals: GlobalOptions): string {
  const store = globals.store === undefined ? '' : ` --store '${redact(globals.store)}'`;
  return `${store}${globals.module.map((m) => ` --module ${m}`).join('')}`;
}

function throwFor(run: RunRecord): never {
  if (run.status === 'cancelled') throw new RunCancelledError(run.id);
  throw new RunFailedError(run.id, run.error);
}
