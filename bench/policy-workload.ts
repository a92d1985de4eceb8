/**
 * P1: policy decision latency (design §8), in-process and store-independent: it runs once per bench, whatever the
 * `--store`s. Uncached decisions vary the request (resource name and autonomy) so that none repeats; cached ones
 * repeat a handful of requests that are already in the cache.
 */
import { performance } from 'node:perf_hooks';
import { PolicyEngine, type PolicyRequestInput } from '../src/index.js';
import { metric, percentiles, type Metric } from './stats.js';

const WARMUP = 2_000;
const UNCACHED_SAMPLES = 20_000;
const CACHED_SAMPLES = 200_000;
/** Cached decisions are timed in batches: one call is shorter than the timer's resolution is trustworthy. */
const CACHED_BATCH = 100;

const CATEGORIES = ['read', 'write', 'deploy', 'rollback'] as const;

function request(i: number): PolicyRequestInput {
  return {
    principal: 'Agent::"deployer"',
    action: 'apply',
    resource: { name: `service:${i}`, category: CATEGORIES[i % 4] as (typeof CATEGORIES)[number], network: 'internal' },
    context: { autonomy: i % 4, mode: 'apply', budgets: { timeoutMs: 30_000, maxAttempts: 3 } },
  };
}

/** Runs P1 and records its metrics. */
export async function measurePolicyLatency(record: (metric: Metric) => void): Promise<void> {
  const engine = PolicyEngine.load({ cacheSize: 1_000 });
  for (let i = 0; i < WARMUP; i++) engine.authorize(request(i));

  const uncached: number[] = [];
  for (let i = 0; i < UNCACHED_SAMPLES; i++) {
    const input = request(WARMUP + i);
    const t0 = performance.now();
    engine.authorize(input);
    uncached.push((performance.now() - t0) * 1000);
  }
  if (engine.cacheStats.hits !== 0) throw new Error(`uncached requests hit the cache ${engine.cacheStats.hits} times`);
  const [u50, u99] = percentiles(uncached, [50, 99]) as [number, number];
  record(metric('decision p50, preparsed, uncached', u50, 'µs', { op: '<=', value: 250 }));
  record(metric('decision p99, preparsed, uncached', u99, 'µs'));

  const hot = Array.from({ length: 16 }, (_, i) => request(i));
  for (const input of hot) engine.authorize(input);
  const hitsBefore = engine.cacheStats.hits;
  const cached: number[] = [];
  for (let b = 0; b < CACHED_SAMPLES / CACHED_BATCH; b++) {
    const t0 = performance.now();
    for (let i = 0; i < CACHED_BATCH; i++) engine.authorize(hot[i % hot.length]);
    cached.push(((performance.now() - t0) * 1000) / CACHED_BATCH);
  }
  if (engine.cacheStats.hits - hitsBefore !== CACHED_SAMPLES) throw new Error('cached requests missed the cache');
  const [c50] = percentiles(cached, [50]) as [number];
  record(metric(`decision p50, cached (mean of batches of ${CACHED_BATCH})`, c50, 'µs', { op: '<=', value: 5 }));
}
