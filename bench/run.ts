/**
 * `npm run bench`: runs the workloads, prints a table of their numbers against the targets (design.md §8) and
 * writes bench/results.json. A missed target is reported, not fatal; a workload that errors makes the exit code 1.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchEnv } from './harness.js';
import { Progress } from './progress.js';
import type { Metric } from './stats.js';
import { benchStore, type BenchStore, type StoreKind } from './stores.js';
import { WORKLOADS, type Workload } from './workloads.js';

const USAGE = `usage: npm run bench -- [--store STORE]... [--only W1,W2]

  --store STORE  run every workload on this store; repeat it to measure several stores in one table
                 sqlite           a fresh temp SQLite file per workload (the default)
                 sqlite:PATH      that file, as it is (it should be empty; it is not cleared)
                 postgres://...   a fresh schema per workload in that database, dropped afterwards
                                  (the role needs CREATE on the database)
  --only IDS     run only these workloads (${WORKLOADS.map((w) => w.id).join(', ')})`;

/** What one workload produced on one store. */
interface WorkloadOutcome {
  id: string;
  store: StoreKind;
  title: string;
  metrics: Metric[];
  error: string | null;
}

function parseCli(): { stores: BenchStore[]; workloads: readonly Workload[] } {
  const { values } = parseArgs({
    options: { store: { type: 'string', multiple: true }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const stores = (values.store ?? ['sqlite']).map(benchStore);
  if (values.only === undefined) return { stores, workloads: WORKLOADS };
  const ids = values.only.split(',').map((id) => id.trim().toUpperCase()).filter((id) => id.length > 0);
  const unknown = ids.filter((id) => !WORKLOADS.some((w) => w.id === id));
  if (ids.length === 0 || unknown.length > 0) {
    throw new Error(`--only names unknown workloads (${unknown.join(', ') || 'none given'}): pick from ${WORKLOADS.map((w) => w.id).join(', ')}`);
  }
  return { stores, workloads: WORKLOADS.filter((w) => ids.includes(w.id)) };
}

function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: unit === 'ms' || unit === 'µs' ? 2 : 0 });
}

function renderTable(outcomes: readonly WorkloadOutcome[]): string {
  const rows: string[][] = [['store', 'workload', 'metric', 'value', 'unit', 'target', 'result']];
  for (const o of outcomes) {
    for (const m of o.metrics) {
      const target = m.target === null ? '' : `${m.target.op === '>=' ? '≥' : '≤'} ${formatNumber(m.target.value, m.unit)}`;
      rows.push([o.store, o.id, m.name, formatNumber(m.value, m.unit), m.unit, target, m.pass === null ? '' : m.pass ? 'pass' : 'FAIL']);
    }
    if (o.error !== null) rows.push([o.store, o.id, 'ERROR (below)', '', '', '', 'error']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const errors = outcomes.filter((o) => o.error !== null).map((o) => `\n${o.id} on ${o.store} failed: ${o.error}`);
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ...errors].join('\n');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The repository root: the nearest folder above this file that holds a package.json (works from bench/ and dist/bench/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (no package.json above the bench)');
    dir = parent;
  }
  return dir;
}

/** A workload that takes longer than this is stuck, not slow. */
const WORKLOAD_LIMIT_MS = 10 * 60_000;

/** A workload ended from outside: its own stack says nothing. */
class WorkloadStopped extends Error {}

/** Ends the workload in progress with an error (its time limit, or an event loop that emptied under it). */
let stopWorkload: ((error: Error) => void) | undefined;

/** Runs a workload until it settles or is stopped; the limit's timer is unref'd so that it never hides an emptied loop. */
function guarded<T>(env: BenchEnv, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_, reject) => {
    stopWorkload = (error) => reject(new WorkloadStopped(`${error.message}, while ${env.stage}`));
    timer = setTimeout(() => stopWorkload?.(new Error(`did not finish within ${WORKLOAD_LIMIT_MS / 60_000} minutes`)), WORKLOAD_LIMIT_MS);
    timer.unref();
  });
  return Promise.race([work, stopped]).finally(() => {
    clearTimeout(timer);
    stopWorkload = undefined;
  });
}

// An awaited promise that nothing can settle any more lets the event loop empty: fail that workload and go on,
// rather than exit 0 with no report.
process.on('beforeExit', () => {
  if (stopWorkload !== undefined) {
    stopWorkload(new Error('the event loop emptied: the engine left a promise that can never settle'));
  } else {
    process.stderr.write('bench: the event loop emptied before the report was written\n');
    process.exitCode = 1;
  }
});

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli();
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const { stores, workloads } = cli;
  // other work on the machine skews every number: say how busy it was
  const loadAtStart = loadavg()[0] ?? 0;
  process.stderr.write(`[bench] load average (1 min) at start: ${loadAtStart.toFixed(2)} on ${availableParallelism()} cpus\n`);
  const outcomes: WorkloadOutcome[] = [];
  for (const store of stores) {
    const env: BenchEnv = { store, progress: new Progress(), stage: 'starting' };
    for (const workload of workloads) {
      if (workload.storeIndependent === true && store !== stores[0]) continue;
      env.progress.begin(`${workload.id} on ${store.kind}: ${workload.title}`);
      const outcome: WorkloadOutcome = { id: workload.id, store: store.kind, title: workload.title, metrics: [], error: null };
      try {
        await guarded(env, workload.run(env, (metric) => outcome.metrics.push(metric)));
        env.progress.line('done');
      } catch (error) {
        outcome.error = error instanceof Error ? error.message : String(error);
        env.progress.line(`failed: ${outcome.error}`);
        if (error instanceof Error && !(error instanceof WorkloadStopped)) process.stderr.write(`${error.stack ?? ''}\n`);
      }
      outcomes.push(outcome);
    }
  }
  process.stdout.write(`\n${renderTable(outcomes)}\n`);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage: { atStart: round2(loadAtStart), atEnd: round2(loadavg()[0] ?? 0) },
    stores: stores.map((store) => store.description),
    ok: outcomes.every((o) => o.error === null),
    workloads: outcomes,
  };
  const file = join(repositoryRoot(), 'bench', 'results.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  process.stderr.write(`[bench] wrote ${file}\n`);
  return results.ok ? 0 : 1;
}

main().then(
  // exit now: a workload stopped by its time limit may still hold the event loop open
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
