/** The workloads of `npm run bench`, each on a fresh store with the durability the store ships with. */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../src/index.js';
import { runBatch, verifySucceeded, withSteward, type BenchEnv } from './harness.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { metric, percentiles, perSecond, type Metric, type Target } from './stats.js';
import { measureConfigSwap } from './config-workload.js';
import type { StoreKind } from './stores.js';
import { measureResolver } from './registry-workload.js';
import { measureApi } from './api-workload.js';

const CONCURRENCY = 16;
const W1_RUNS = 10_000;
const W2_LATENCY_RUNS = 200;
const W2_WARMUP_RUNS = 20;
const W2_BATCH_RUNS = 1_000;

/** The bars of design §8, by store: the embedded store on one machine, PostgreSQL for many. */
const TARGETS: Record<StoreKind, { w1Throughput: Target; w2P50: Target; w2Throughput: Target | undefined }> = {
  sqlite: { w1Throughput: { op: '>=', value: 10_000 }, w2P50: { op: '<=', value: 3 }, w2Throughput: { op: '>=', value: 3_000 } },
  postgres: { w1Throughput: { op: '>=', value: 5_000 }, w2P50: { op: '<=', value: 10 }, w2Throughput: undefined },
};

/** A named measurement. It records each metric as soon as it has it, so an error after measuring keeps the numbers. */
export interface Workload {
  id: string;
  title: string;
  /** Measures no store: run once per bench, on the first `--store` only. */
  storeIndependent?: boolean;
  run(env: BenchEnv, record: (metric: Metric) => void): Promise<void>;
}

const noop = defineWorkflow({
  name: 'bench.noop',
  input: z.object({}),
  run: async (ctx) => ctx.step('noop', () => 1),
});

/** Three steps, each fed by the one before: (n + 1) * 2 + 3. */
const chain = defineWorkflow({
  name: 'bench.chain',
  input: z.object({ n: z.number().int() }),
  run: async (ctx, { n }) => {
    const a = await ctx.step('add', () => n + 1);
    const b = await ctx.step('double', () => a * 2);
    return ctx.step('offset', () => b + 3);
  },
});

const chainOutput = (n: number): number => (n + 1) * 2 + 3;

const w1: Workload = {
  id: 'W1',
  title: `${W1_RUNS.toLocaleString('en-US')} no-op one-step workflows, worker concurrency ${CONCURRENCY}`,
  run: (env, record) =>
    withSteward(env, 'w1', [noop], async (steward) => {
      steward.worker.start({ concurrency: CONCURRENCY });
      const batch = await runBatch(env, steward, noop.name, Array.from({ length: W1_RUNS }, () => ({})));
      await verifySucceeded(steward, noop.name, batch.ids, (run) => (run.output === 1 ? null : `output ${JSON.stringify(run.output)}`));
      record(metric('throughput (first start → last finish)', perSecond(W1_RUNS, batch.finishedMs), 'jobs/s', TARGETS[env.store.kind].w1Throughput));
      record(metric(`start rate (${W1_RUNS.toLocaleString('en-US')} concurrent starts)`, perSecond(W1_RUNS, batch.startedMs), 'starts/s'));
    }),
};

const w2: Workload = {
  id: 'W2',
  title: `3-step workflow: ${W2_LATENCY_RUNS} sequential runs for latency, ${W2_BATCH_RUNS.toLocaleString('en-US')} at once for throughput`,
  run: async (env, record) => {
    await withSteward(env, 'w2_latency', [chain], async (steward) => {
      env.progress.begin('W2 latency');
      steward.worker.start({ concurrency: CONCURRENCY });
      const samples: number[] = [];
      const ticker = env.progress.every(() => `run ${samples.length}/${W2_LATENCY_RUNS} (after ${W2_WARMUP_RUNS} warm-up)`);
      try {
        for (let i = 0; i < W2_WARMUP_RUNS + W2_LATENCY_RUNS; i++) {
          const t0 = performance.now();
          const output = await (await steward.start<number>(chain.name, { n: i })).result();
          const ms = performance.now() - t0;
          if (output !== chainOutput(i)) throw new Error(`run ${i} of ${chain.name} returned ${JSON.stringify(output)}, expected ${chainOutput(i)}`);
          if (i >= W2_WARMUP_RUNS) samples.push(ms);
        }
      } finally {
        ticker.stop();
      }
      const [p50, p95, p99] = percentiles(samples, [50, 95, 99]) as [number, number, number];
      record(metric('latency p50 (start → result)', p50, 'ms', TARGETS[env.store.kind].w2P50));
      record(metric('latency p95', p95, 'ms'));
      record(metric('latency p99', p99, 'ms'));
    });
    await withSteward(env, 'w2_throughput', [chain], async (steward) => {
      env.progress.begin('W2 throughput');
      steward.worker.start({ concurrency: CONCURRENCY });
      const inputs = Array.from({ length: W2_BATCH_RUNS }, (_, n) => ({ n }));
      const batch = await runBatch(env, steward, chain.name, inputs);
      await verifySucceeded(steward, chain.name, batch.ids, (run) => {
        const n = (run.input as { n: number }).n;
        return run.output === chainOutput(n) ? null : `output ${JSON.stringify(run.output)} for n=${n}`;
      });
      const rate = perSecond(W2_BATCH_RUNS, batch.finishedMs);
      record(metric(`throughput (${W2_BATCH_RUNS.toLocaleString('en-US')} at once)`, rate, 'workflows/s', TARGETS[env.store.kind].w2Throughput));
    });
  },
};

const A1_RUNS = 300;
const A1_WARMUP_RUNS = 30;

/** A read that does nothing: what ctx.act adds over a step is all that is measured. */
const noopRead = defineAction({
  name: 'bench.noop-read',
  category: 'read',
  input: z.object({}),
  resource: () => 'bench:noop',
  plan: () => ({}),
  apply: () => 1,
});

const oneStep = defineWorkflow({ name: 'bench.one-step', input: z.object({}), run: async (ctx) => ctx.step('noop', () => 1) });
const oneAct = defineWorkflow({ name: 'bench.one-act', input: z.object({}), run: async (ctx) => {
  const result = await ctx.act(noopRead, {});
  return result.status === 'applied' ? result.outcome : null;
} });

const a1: Workload = {
  id: 'A1',
  title: `ctx.act overhead: a no-op read action at autonomy 3 against a plain step, ${A1_RUNS} sequential runs of each, interleaved`,
  run: (env, record) =>
    withSteward(env, 'a1', [oneStep, oneAct], async (steward) => {
      await steward.autonomy.set(3, { by: 'Service::"bench"' });
      steward.worker.start({ concurrency: CONCURRENCY });
      const step: number[] = [];
      const act: number[] = [];
      const ticker = env.progress.every(() => `pair ${act.length}/${A1_RUNS} (after ${A1_WARMUP_RUNS} warm-up)`);
      const time = async (workflow: string): Promise<number> => {
        const t0 = performance.now();
        const output = await (await steward.start(workflow, {})).result();
        if (output !== 1) throw new Error(`${workflow} returned ${JSON.stringify(output)}, expected 1`);
        return performance.now() - t0;
      };
      try {
        for (let i = 0; i < A1_WARMUP_RUNS + A1_RUNS; i++) {
          const s = await time(oneStep.name);
          const a = await time(oneAct.name);
          if (i >= A1_WARMUP_RUNS) {
            step.push(s);
            act.push(a);
          }
        }
      } finally {
        ticker.stop();
      }
      const [stepP50] = percentiles(step, [50]) as [number];
      const [actP50, actP95] = percentiles(act, [50, 95]) as [number, number];
      record(metric('one plain step p50 (start → result)', stepP50, 'ms'));
      record(metric('one no-op act p50 (start → result)', actP50, 'ms'));
      record(metric('one no-op act p95', actP95, 'ms'));
      // the bar is the embedded store's; on PostgreSQL each act adds a write and a read of round trips to the server
      record(metric('act overhead over a step (p50)', actP50 - stepP50, 'ms', env.store.kind === 'sqlite' ? { op: '<=', value: 2 } : undefined));
    }),
};

const p1: Workload = {
  id: 'P1',
  title: 'policy decision latency: default policies, preparsed, uncached and cached (no store; runs once)',
  storeIndependent: true,
  run: (_env, record) => measureInChild(record),
};

/** Runs P1 in a child process and records the metrics it prints; a child that dies says how. */
function measureInChild(record: (metric: Metric) => void): Promise<void> {
  const script = fileURLToPath(new URL('./policy-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      let newline: number;
      while ((newline = out.indexOf('\n')) >= 0) {
        record(JSON.parse(out.slice(0, newline)) as Metric);
        out = out.slice(newline + 1);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        const first = err.split('\n').filter((line) => line.trim() && !line.startsWith('#')).slice(0, 2).join(' / ');
        const fatal = err.includes('Fatal error') ? `a fatal V8 error in the policy evaluator (docs/policy.md): ${first}` : first;
        reject(new Error(`the P1 process ended with ${signal ?? `code ${code}`}: ${fatal}`));
      }
    });
  });
}

const r1: Workload = {
  id: 'R1',
  title: 'provider resolver: resolve rate over a realistic registry, explain latency over 100 candidates (no store; runs once)',
  storeIndependent: true,
  run: async (_env, record) => measureResolver(record),
};

const c1: Workload = {
  id: 'C1',
  title: 'configuration file edit → the selected provider swapped in a running Steward (no store work; runs once)',
  storeIndependent: true,
  run: (_env, record) => measureConfigSwap(record),
};

const h1: Workload = {
  id: 'H1',
  title: 'HTTP API: GET /v1/runs/:id on loopback with token, policy and rate limit, autocannon with 32 connections for 10 s',
  run: (env, record) => measureApi(env, record),
};

/** Every workload, in the order they run. */
export const WORKLOADS: readonly Workload[] = [w1, w2, a1, p1, r1, c1, h1];
