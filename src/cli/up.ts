/**
 * `steward up`: the HTTP API, a worker and the console in one process, on the embedded store unless told otherwise
 * (what `npm start` runs). On a store without an admin token it makes one and prints it once (or stores
 * `STEWARD_ADMIN_TOKEN`), and with the bundled examples it starts one example plan run, so the console has something
 * to show on a fresh clone.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Steward } from '../engine/steward.js';
import { startTracing } from '../observability/tracing.js';
import { buildServer } from '../server/app.js';
import { ensureAdminToken, type AdminTokenBootstrap } from '../server/tokens.js';
import { redact } from '../store/open.js';
import { UsageError } from './cli-errors.js';
import { parseInteger, parseList } from './option-values.js';
import { printLine, printNote } from './output.js';
import { globalsOf, openSteward, resolveStoreUrl, workerConcurrency, type GlobalOptions } from './steward-session.js';
import { untilStopRequested } from './worker.js';
import { loadWorkflows } from './workflow-modules.js';

interface UpFlags {
  host?: string;
  port?: string;
  concurrency?: string;
  examples?: boolean;
  trustProxy?: string;
}

/**
 * The example plan `steward up` starts once per store, in plan mode, so that its preview is there to look at. An agent
 * proposes it: the admin of a fresh store may then apply it and approve its write and deploy (a requester may not
 * approve its own request).
 */
const EXAMPLE_PLAN = new URL('../../examples/deploy-plan.yaml', import.meta.url);
const EXAMPLE_RUN_KEY = 'steward-up:example-plan';
const EXAMPLE_SUBJECT = 'Agent::"example-agent"';

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host is a name or an IP address, e.g. 127.0.0.1 or 0.0.0.0');

/** Adds `up` to the program. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('serve the HTTP API, the console and a worker in one process (what `npm start` runs), until Ctrl+C')
    .option('--host <host>', 'the address to listen on (default: STEWARD_HOST, else 127.0.0.1: this machine only)')
    .option('--port <port>', 'the port to listen on (default: STEWARD_PORT, else 8080; 0 picks a free one)')
    .option('--concurrency <n>', 'runs executing at once in the worker (default: workers.concurrency of the configuration file, else 16)')
    .option('--trust-proxy <addresses>', 'comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (default: STEWARD_TRUST_PROXY, else none)')
    .option('--no-examples', 'serve only the workflows of --module (not the bundled examples beside them), and do not start the example run')
    .action((flags: UpFlags, cmd: Command) => up(globalsOf(cmd), flags));
}

async function up(globals: GlobalOptions, flags: UpFlags, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const host = parseHost(flags.host ?? env.STEWARD_HOST ?? '127.0.0.1', flags.host === undefined && env.STEWARD_HOST !== undefined ? 'STEWARD_HOST' : '--host');
  const port = parseInteger(flags.port === undefined && env.STEWARD_PORT !== undefined ? 'STEWARD_PORT' : '--port', flags.port ?? env.STEWARD_PORT, 0, 65_535) ?? 8080;
  const concurrency = parseInteger('--concurrency', flags.concurrency, 1, 10_000);
  const examples = flags.examples !== false;
  const trustProxy = parseList(flags.trustProxy ?? env.STEWARD_TRUST_PROXY);
  if (trustProxy !== undefined && trustProxy.length === 0) {
    throw new UsageError(`${flags.trustProxy === undefined ? 'STEWARD_TRUST_PROXY' : '--trust-proxy'} names no address: give e.g. 10.0.0.0/8,127.0.0.1`);
  }
  const loaded = await loadWorkflows({ modules: globals.module, examples });
  // spans go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set; nothing is traced otherwise
  const tracing = startTracing(env);
  let steward: Steward;
  try {
    steward = await openSteward(globals, { logLevel: 'info', workflows: loaded, watchConfig: true });
  } catch (error) {
    await tracing.shutdown();
    throw error;
  }
  let url: string;
  let close: () => Promise<void>;
  try {
    const admin = await ensureAdminToken(steward.store, env);
    const configured = await workerConcurrency(concurrency);
    steward.worker.start(configured === undefined ? {} : { concurrency: configured });
    const app = await buildServer(steward, { requireWorker: true, ...(trustProxy === undefined ? {} : { trustProxy }), console: true });
    try {
      await app.listen({ host, port });
    } catch (error) {
      await app.close();
      throw listenError(error, host, port);
    }
    const address = app.server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`;
    close = () => app.close();
    const example = examples && loaded.actions.length > 0 ? await startExampleRun(steward) : null;
    printLine(
      [
        `Steward is up on ${redact(resolveStoreUrl(globals))}: worker ${steward.worker.status().id}, ` +
          `workflows ${[...steward.config.workflows.keys()].join(', ')}.`,
        `  console  ${url}`,
        `  API      ${url}v1/  (OpenAPI at ${url}docs)`,
        ...adminLines(admin),
        ...(example === null ? [] : [`  example  run ${example} is a plan of examples/deploy-plan.yaml proposed by ${EXAMPLE_SUBJECT}: open it in the console, apply it and approve it`]),
        ...(tracing.enabled ? [`  tracing  spans go to ${tracing.url}`] : []),
        'Stop it with Ctrl+C.',
      ].join('\n'),
    );
  } catch (error) {
    await steward.close();
    await tracing.shutdown();
    throw error;
  }
  const signal = await untilStopRequested();
  printNote(`${signal}: stopping; open requests finish, in-flight runs get up to 10 s to reach a resting point (press Ctrl+C again to stop at once)`);
  await close();
  await steward.close();
  // the spans of the last runs are flushed before the process ends
  await tracing.shutdown();
}

function parseHost(value: string, flag: string): string {
  const parsed = hostSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${flag} "${value}" is not a host: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** What to tell the person at the terminal about logging in. */
function adminLines(admin: AdminTokenBootstrap): string[] {
  switch (admin.kind) {
    case 'created':
      return [
        `  token    ${admin.secret}`,
        `           an admin token (${admin.token.principal}, ${admin.token.id}) made on this first start and shown only now: keep it;`,
        '           log in to the console with it, and make others with `steward tokens create`',
      ];
    case 'from-env':
      return [`  token    STEWARD_ADMIN_TOKEN (${admin.token.id}, ${admin.token.principal}${admin.created ? ', stored now' : ''})`];
    case 'existing':
      return [
        `  token    this store has ${admin.admins} admin token${admin.admins === 1 ? '' : 's'} already; log in with one, or make another:`,
        '           steward tokens create --principal \'User::"you"\' --role admin',
      ];
  }
}

/** Starts the example plan in plan mode once per store (a second start finds the first run). */
async function startExampleRun(steward: Steward): Promise<string> {
  const text = readFileSync(EXAMPLE_PLAN, 'utf8');
  const handle = await steward.startPlan(text, {
    mode: 'plan',
    source: 'examples/deploy-plan.yaml',
    subject: EXAMPLE_SUBJECT,
    idempotencyKey: EXAMPLE_RUN_KEY,
  });
  return handle.id;
}

/** A listen failure said in terms of the flags that mend it. */
function listenError(error: unknown, host: string, port: number): Error {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'EADDRINUSE') return new ConfigError(`port ${port} on ${host} is in use by another program: pass --port <n> (or set STEWARD_PORT), or stop the other program`, { cause: error });
  if (code === 'EACCES') return new ConfigError(`this user may not listen on port ${port}: use a port above 1023 with --port <n>`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ConfigError(`${host} is not an address of this machine: pass --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)`, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
