/**
 * H1: HTTP API throughput (design §8) for `GET /v1/runs/:id` on loopback, with authentication, route policy and the
 * per-token rate limit all on (the token's limit raised so that it does not refuse the bench). The server is
 * `buildServer` over a Steward with a few hundred finished runs; autocannon runs in a child process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineWorkflow } from '../src/index.js';
import { buildServer } from '../src/server/app.js';
import { createApiToken } from '../src/server/tokens.js';
import { runBatch, withSteward, type BenchEnv } from './harness.js';
import { metric, type Metric } from './stats.js';

const RUNS = 500;
const WARMUP_SECONDS = 3;
const SECONDS = 10;

const steps = defineWorkflow({
  name: 'bench.api',
  input: z.object({ n: z.number().int() }),
  run: async (ctx, { n }) => {
    const a = await ctx.step('one', () => n + 1);
    return ctx.step('two', () => a * 2);
  },
});

interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Measures H1 and records its metrics. */
export function measureApi(env: BenchEnv, record: (metric: Metric) => void): Promise<void> {
  return withSteward(env, 'h1', [steps], async (steward) => {
    steward.worker.start({ concurrency: 16 });
    env.stage = `running ${RUNS} workflows to read`;
    const batch = await runBatch(env, steward, steps.name, Array.from({ length: RUNS }, (_, n) => ({ n })));
    await steward.worker.stop();
    const { secret } = await createApiToken(steward.store, { principal: 'User::"bench"', roles: ['viewer'] });
    const app = await buildServer(steward, { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const url = `http://127.0.0.1:${port}/v1/runs/${batch.ids[Math.floor(RUNS / 2)]}`;
      env.stage = `warming up for ${WARMUP_SECONDS} s`;
      await load(url, secret, WARMUP_SECONDS);
      env.stage = `loading GET /v1/runs/:id for ${SECONDS} s`;
      const result = await load(url, secret, SECONDS);
      const failed = result.non2xx + result.errors + result.timeouts;
      if (failed > 0) throw new Error(`${failed} of ${result.requests} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
      // the bars are the embedded store's, which `steward up` runs on; PostgreSQL's numbers are reported only
      const embedded = env.store.kind === 'sqlite';
      record(metric('GET /v1/runs/:id requests/s (32 connections)', result.perSecond, 'req/s', embedded ? { op: '>=', value: 8_000 } : undefined));
      record(metric('GET /v1/runs/:id latency p50', result.p50, 'ms'));
      record(metric('GET /v1/runs/:id latency p99', result.p99, 'ms', embedded ? { op: '<=', value: 20 } : undefined));
    } finally {
      await app.close();
    }
  });
}

/** Runs autocannon in a child process against the URL; a child that fails says why. */
function load(url: string, token: string, seconds: number): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./api-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, url, token, String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`the load generator ended with ${signal ?? `code ${code}`}: ${err.trim().split('\n')[0] ?? ''}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch (cause) {
        reject(new Error(`the load generator printed no result: ${out.slice(0, 200)}`, { cause }));
      }
    });
  });
}
