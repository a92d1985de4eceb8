/** `steward worker` (and `steward dev`): execute runs until SIGINT or SIGTERM, then stop gracefully. */
import type { Command } from 'commander';
import { UsageError } from './cli-errors.js';
import { parseInteger, parseList } from './option-values.js';
import { printLine, printNote } from './output.js';
import { redact } from '../store/open.js';
import { globalsOf, openSteward, resolveStoreUrl, workerConcurrency, type GlobalOptions } from './steward-session.js';
import { loadWorkflows } from './workflow-modules.js';
import { startTracing } from '../observability/tracing.js';

interface WorkerFlags {
  concurrency?: string;
  queues?: string;
  examples?: boolean;
}

/** Adds `worker` and `dev` to the program. */
export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('execute runs from the store until stopped with Ctrl+C (SIGINT) or SIGTERM')
    .option('--concurrency <n>', 'runs executing at once in this worker (default: workers.concurrency of the configuration file, else 16)')
    .option('--queues <names>', 'comma-separated queues to serve (default: "default" and every queue the workflows name)')
    .option('--examples', 'load the bundled examples too, and print how to try them')
    .action((flags: WorkerFlags, cmd: Command) => runWorker(globalsOf(cmd), flags));

  program
    .command('dev')
    .description('a worker with the bundled examples on the embedded store (what `npm start` runs); same as worker --examples')
    .option('--concurrency <n>', 'runs executing at once in this worker (default: workers.concurrency of the configuration file, else 16)')
    .action((flags: WorkerFlags, cmd: Command) => runWorker(globalsOf(cmd), { ...flags, examples: true }));
}

async function runWorker(globals: GlobalOptions, flags: WorkerFlags): Promise<void> {
  const concurrency = parseInteger('--concurrency', flags.concurrency, 1, 10_000);
  const queues = parseList(flags.queues);
  if (queues !== undefined && queues.length === 0) throw new UsageError('--queues needs at least one queue name, e.g. --queues default,emails');
  const loaded = await loadWorkflows({ modules: globals.module, examples: flags.examples === true });
  // spans go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set; nothing is traced otherwise
  const tracing = startTracing();
  let steward: Awaited<ReturnType<typeof openSteward>>;
  try {
    steward = await openSteward(globals, { logLevel: 'info', workflows: loaded, watchConfig: true });
  } catch (error) {
    await tracing.shutdown();
    throw error;
  }
  try {
    const configured = await workerConcurrency(concurrency);
    steward.worker.start({ ...(configured === undefined ? {} : { concurrency: configured }), ...(queues === undefined ? {} : { queues }) });
  } catch (error) {
    await steward.close();
    await tracing.shutdown();
    throw error;
  }
  const status = steward.worker.status();
  // printed: a password in the URL stays hidden
  const store = redact(resolveStoreUrl(globals));
  printLine(
    `steward worker ${status.id} started on ${store}: workflows ${[...steward.config.workflows.keys()].join(', ')}; ` +
      (loaded.actions.length > 0 ? `actions ${loaded.actions.map((a) => a.name).join(', ')}; ` : '') +
      `queues ${status.queues.join(', ')}; concurrency ${status.concurrency}. Stop it with Ctrl+C.`,
  );
  if (flags.examples) printLine(exampleInstructions(globals.store === undefined ? '' : ` --store '${store}'`));
  if (tracing.enabled) printNote(`tracing: spans go to ${tracing.url}`);
  const signal = await untilStopRequested();
  printNote(`${signal}: stopping; in-flight runs get up to 10 s to reach a resting point (press Ctrl+C again to stop at once)`);
  await steward.close();
  // the spans of the last runs are flushed before the process ends
  await tracing.shutdown();
}

/** What to type in another terminal to try the bundled release workflow. */
function exampleInstructions(storeFlag: string): string {
  return [
    'Try it from another terminal:',
    `  1. npx steward run start release --input '{"service":"web","version":"1.2.3"}'${storeFlag}   # prints the run id`,
    `  2. npx steward run logs <id> --follow${storeFlag}   # the release bakes for 2 s, then waits for approval`,
    `  3. npx steward run signal <id> approve --payload '{"by":"you"}'${storeFlag}   # approve it; step 2 ends when the run does`,
  ].join('\n');
}

/** A repeat of the stop signal within this long is the same request delivered twice, and is ignored. */
const REPEATED_SIGNAL_MS = 1_000;

/** Keeps the process alive until SIGINT or SIGTERM; a second signal (a second later or more) exits at once. */
export function untilStopRequested(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    // the worker's own timers do not hold the process open
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let first: { signal: NodeJS.Signals; at: number } | null = null;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (first !== null) {
        // the same signal again at once is one request sent twice (`timeout` and some supervisors signal both the
        // process and its group), not a person pressing Ctrl+C a second time
        if (signal === first.signal && Date.now() - first.at < REPEATED_SIGNAL_MS) return;
        printNote('stopped at once; runs still in flight resume on another worker when their leases expire');
        process.exit(1);
      }
      first = { signal, at: Date.now() };
      clearInterval(keepAlive);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
