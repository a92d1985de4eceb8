/** `steward run …`: start runs, list and show them, follow their events, signal and cancel them. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { isTerminal, RUN_STATUSES, type RunRecord } from '../domain/run.js';
import { ErrorCodes, RunCancelledError, RunFailedError, StewardError } from '../errors.js';
import type { StartOptions, Steward } from '../engine/steward.js';
import { parseChoices, parseInteger, parseJsonOption } from './option-values.js';
import { printJson, printLine, printNote } from './output.js';
import { formatEvent, formatRunDetail, formatRunTable } from './run-format.js';
import { globalsOf, withSteward, type GlobalOptions } from './steward-session.js';
import { loadWorkflows, type LoadedWorkflows } from './workflow-modules.js';

/** How often `--follow` and `--wait` look for news from the worker's process. */
const POLL_MS = 200;
/** Events read per query while catching up. */
const EVENT_PAGE = 500;
/** Runs per page of `run list` unless --limit says otherwise. */
const DEFAULT_LIMIT = '20';

interface StartFlags {
  input?: string;
  idempotencyKey?: string;
  queue?: string;
  priority?: string;
  timeoutMs?: string;
  mode?: string;
  subject?: string;
  goal?: string;
  autonomy?: string;
  wait?: boolean;
  json?: boolean;
}

interface ListFlags {
  status?: string;
  workflow?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

/** Adds the `run` command group to the program. */
export function registerRunCommands(program: Command): void {
  const run = program.command('run').description('start, list, inspect, follow, signal and cancel runs');

  run
    .command('start')
    .description('start a run of a workflow and print its id')
    .argument('<workflow>', 'the workflow name')
    .option('--input <json>', 'the input as JSON, or @file.json to read it from a file (default {})')
    .option('--idempotency-key <key>', 'return the existing run when one was started with this key')
    .option('--queue <name>', 'the queue to run on (default: the workflow’s queue, else "default")')
    .option('--priority <n>', 'higher runs first within a queue (-1000 to 1000)')
    .option('--timeout-ms <ms>', 'fail the run if it has not ended after this long')
    .option('--mode <mode>', 'apply (the default), or plan: every act stops at its plan and the run ends planned, for `steward apply`')
    .option('--subject <principal>', 'on whose behalf, as a principal: User::"alice", Agent::"planner" (the policies see it)')
    .option('--goal <text>', 'what the run is for, kept with it and in the audit log')
    .option('--autonomy <level>', "the run's autonomy level, 0 to 3 (capped by the global level)")
    .option('--wait', 'wait until the run ends and print its output (exit code 1 unless it succeeded, or is planned in plan mode)')
    .option('--json', 'print the run record as JSON')
    .action((workflow: string, flags: StartFlags, cmd: Command) => startRun(globalsOf(cmd), workflow, flags));

  run
    .command('list')
    .description('list runs, newest first')
    .option('--status <statuses>', `only these statuses, comma-separated (${RUN_STATUSES.join(', ')})`)
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--limit <n>', 'runs per page (1 to 1000)', DEFAULT_LIMIT)
    .option('--cursor <cursor>', 'the next-page cursor printed by the previous page')
    .option('--json', 'print { runs, nextCursor } as JSON')
    .action((flags: ListFlags, cmd: Command) => listRuns(globalsOf(cmd), flags));

  run
    .command('show')
    .description('show a run and its steps')
    .argument('<id>', 'the run id')
    .option('--json', 'print { run, steps } as JSON')
    .action((id: string, flags: { json?: boolean }, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'warn' }, async (steward) => {
        const [record, steps] = [await steward.run(id), await steward.steps(id)];
        if (flags.json) printJson({ run: record, steps });
        else printLine(formatRunDetail(record, steps));
      }),
    );

  run
    .command('cancel')
    .description('cancel a run (a running one stops at its next step)')
    .argument('<id>', 'the run id')
    .option('--reason <text>', 'why, kept with the run')
    .option('--json', 'print the outcome as JSON')
    .action((id: string, flags: { reason?: string; json?: boolean }, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'warn' }, async (steward) => {
        const result = await steward.cancel(id, flags.reason === undefined ? {} : { reason: flags.reason });
        if (flags.json) printJson({ id, ...result });
        else if (result.alreadyEnded) printLine(`run ${id} had already ended (${result.status}); nothing changed`);
        else if (result.status === 'cancelled') printLine(`cancelled run ${id}`);
        else printLine(`cancel requested: run ${id} is ${result.status} and stops at its next step`);
      }),
    );

  run
    .command('signal')
    .description('send a signal to a run (what ctx.waitFor(NAME) receives)')
    .argument('<id>', 'the run id')
    .argument('<name>', 'the signal name')
    .option('--payload <json>', 'the payload as JSON, or @file.json (default null)')
    .action((id: string, name: string, flags: { payload?: string }, cmd: Command) => {
      const payload = parseJsonOption('--payload', flags.payload);
      return withSteward(globalsOf(cmd), { logLevel: 'warn' }, async (steward) => {
        await steward.signal(id, name, payload ?? null);
        printLine(`sent signal "${name}" to run ${id}`);
      });
    });

  run
    .command('logs')
    .description("print a run's events in order")
    .argument('<id>', 'the run id')
    .option('--follow', 'keep printing new events until the run has ended')
    .option('--json', 'print one JSON event per line')
    .action((id: string, flags: { follow?: boolean; json?: boolean }, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'warn' }, (steward) => printEvents(steward, id, flags)),
    );
}

async function startRun(globals: GlobalOptions, workflow: string, flags: StartFlags): Promise<void> {
  const input = parseJsonOption('--input', flags.input);
  const priority = parseInteger('--priority', flags.priority, -1000, 1000);
  const timeoutMs = parseInteger('--timeout-ms', flags.timeoutMs, 1, Number.MAX_SAFE_INTEGER);
  const autonomy = parseInteger('--autonomy', flags.autonomy, 0, 3);
  const [mode] = parseChoices('--mode', flags.mode, ['apply', 'plan'] as const) ?? [];
  const options: StartOptions = {
    ...(mode === undefined ? {} : { mode }),
    ...(flags.subject === undefined ? {} : { subject: flags.subject }),
    ...(flags.goal === undefined ? {} : { goal: flags.goal }),
    ...(autonomy === undefined ? {} : { autonomy }),
    ...(flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey }),
    ...(flags.queue === undefined ? {} : { queue: flags.queue }),
    ...(priority === undefined ? {} : { priority }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  const workflows = await loadWorkflows({ modules: globals.module, examples: false });
  if (!workflows.workflows.some((w) => w.name === workflow)) throw unknownWorkflow(workflow, workflows);
  await withSteward(globals, { logLevel: 'warn', workflows, pollIntervalMs: POLL_MS }, async (steward) => {
    const handle = await steward.start(workflow, input === undefined ? {} : input, options);
    if (!handle.created) printNote(`a run with idempotency key "${flags.idempotencyKey}" exists already; this is it`);
    if (!flags.wait) {
      if (flags.json) printJson(await handle.record());
      else printLine(handle.id);
      return;
    }
    printNote(`run ${handle.id} started; waiting for it to end (a worker must be running: steward worker)`);
    const ended = await steward.wait(handle.id);
    if (flags.json) printJson(ended);
    else if (ended.status === 'succeeded' || ended.status === 'planned') printJson(ended.output);
    if (ended.status === 'planned') {
      const plan = await steward.planOf(handle.id);
      printNote(`planned: ${plan.acts.length} act(s), plan hash ${plan.hash}; review them with \`steward run show ${handle.id}\`, then apply exactly that plan with \`steward apply ${handle.id} --expect-hash ${plan.hash}\``);
      return;
    }
    throwUnlessSucceeded(ended);
  });
}

function unknownWorkflow(name: string, loaded: LoadedWorkflows): StewardError {
  const known = loaded.workflows.map((w) => w.name).join(', ');
  return new StewardError(
    ErrorCodes.UNKNOWN_WORKFLOW,
    `unknown workflow "${name}": ${loaded.sources.join(' and ')} define ${known}; check the name, or load the module that defines it with --module PATH`,
    { details: { workflow: name } },
  );
}

function throwUnlessSucceeded(run: RunRecord): void {
  if (run.status === 'succeeded') return;
  if (run.status === 'cancelled') throw new RunCancelledError(run.id);
  throw new RunFailedError(run.id, run.error);
}

async function listRuns(globals: GlobalOptions, flags: ListFlags): Promise<void> {
  const status = parseChoices('--status', flags.status, RUN_STATUSES);
  const limit = parseInteger('--limit', flags.limit, 1, 1000);
  await withSteward(globals, { logLevel: 'warn' }, async (steward) => {
    const page = await steward.list({
      ...(status === undefined ? {} : { status }),
      ...(flags.workflow === undefined ? {} : { workflow: flags.workflow }),
      ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (flags.json) return printJson(page);
    printLine(page.runs.length === 0 ? 'no runs' : formatRunTable(page.runs));
    if (page.nextCursor) printLine(`\nnext page: steward run list${listFlagsText(flags)} --cursor ${page.nextCursor}`);
  });
}

/** The filters of a listing, as flags to repeat for its next page. */
function listFlagsText(flags: ListFlags): string {
  const parts: string[] = [];
  if (flags.status !== undefined) parts.push(`--status ${flags.status}`);
  if (flags.workflow !== undefined) parts.push(`--workflow ${flags.workflow}`);
  if (flags.limit !== undefined && flags.limit !== DEFAULT_LIMIT) parts.push(`--limit ${flags.limit}`);
  return parts.map((p) => ` ${p}`).join('');
}

async function printEvents(steward: Steward, id: string, flags: { follow?: boolean; json?: boolean }): Promise<void> {
  let after = 0;
  for (;;) {
    // read the status before the events: every event of an ended run is written by the time it reads as ended
    const ended = isTerminal((await steward.run(id)).status);
    for (;;) {
      const events = await steward.events({ runId: id, after, limit: EVENT_PAGE });
      for (const event of events) printLine(flags.json ? JSON.stringify(event) : formatEvent(event));
      after = events[events.length - 1]?.id ?? after;
      if (events.length < EVENT_PAGE) break;
    }
    if (!flags.follow || ended) return;
    await delay(POLL_MS);
  }
}
