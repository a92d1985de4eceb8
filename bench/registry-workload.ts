/**
 * R1: the resolver's speed (design §8), in-process and store-independent. `resolve` is timed over a registry filled
 * the way a deployment fills it (the shipped domains, an action per key, two to five candidates from different
 * sources, some selected by config, a stack order); `explain` over one (domain, key) with 100 candidates.
 */
import { performance } from 'node:perf_hooks';
import { createRegistry, type CandidateSource, type Registry } from '../src/registry/index.js';
import { metric, percentiles, type Metric } from './stats.js';

const DOMAINS = ['store', 'policy', 'sandbox', 'llm', 'secrets', 'notifier'] as const;
const SOURCES: readonly CandidateSource[] = ['builtin', 'package', 'config', 'remote'];
const ACTION_KEYS = 200;

const RESOLVE_WARMUP = 2_000_000;
const RESOLVE_BATCH = 200_000;
const RESOLVE_BATCHES = 25;

const EXPLAIN_CANDIDATES = 100;
const EXPLAIN_WARMUP = 2_000;
const EXPLAIN_SAMPLES = 20_000;

/** The registry R1 resolves against, and the (domain, key) pairs it asks for, in a shuffled order. */
function realisticRegistry(): { registry: Registry; lookups: Array<[string, string]> } {
  const registry = createRegistry({ env: {}, stackOrder: 'config,remote,package,builtin' });
  const lookups: Array<[string, string]> = [];
  let n = 0;
  const add = (domain: string, key: string): void => {
    const count = 2 + (n % 4);
    for (let i = 0; i < count; i++) {
      registry.register({
        domain,
        key,
        provider: `${domain}-provider-${i}`,
        source: SOURCES[(n + i) % SOURCES.length] as CandidateSource,
        priority: ((n * 7 + i * 13) % 5) * 10,
        factory: () => ({}),
        capabilities: ['read'],
      });
    }
    if (n % 5 === 0) registry.select(domain, key, `${domain}-provider-1`);
    lookups.push([domain, key]);
    n++;
  };
  for (const domain of DOMAINS) for (const key of ['default', 'primary', 'fallback']) add(domain, key);
  for (let k = 0; k < ACTION_KEYS; k++) add('action', `deploy.service-${k}`);
  // a deterministic shuffle: lookups do not walk the maps in insertion order
  for (let i = lookups.length - 1; i > 0; i--) {
    const j = (i * 7_919) % (i + 1);
    [lookups[i], lookups[j]] = [lookups[j] as [string, string], lookups[i] as [string, string]];
  }
  return { registry, lookups };
}

/** Runs R1 and records its metrics. */
export function measureResolver(record: (metric: Metric) => void): void {
  const { registry, lookups } = realisticRegistry();
  const keys = lookups.length;
  let sink = 0;
  for (let i = 0; i < RESOLVE_WARMUP; i++) {
    const [domain, key] = lookups[i % keys] as [string, string];
    sink += registry.resolve(domain, key).priority;
  }
  const rates: number[] = [];
  for (let b = 0; b < RESOLVE_BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < RESOLVE_BATCH; i++) {
      const [domain, key] = lookups[i % keys] as [string, string];
      sink += registry.resolve(domain, key).priority;
    }
    rates.push((RESOLVE_BATCH * 1000) / (performance.now() - t0));
  }
  const [rate] = percentiles(rates, [50]) as [number];
  record(metric(`resolve rate (${keys} components, median of ${RESOLVE_BATCHES} batches)`, rate, 'resolves/s', { op: '>=', value: 5_000_000 }));

  const wide = createRegistry({ env: {}, stackOrder: 'config,remote' });
  for (let i = 0; i < EXPLAIN_CANDIDATES; i++) {
    wide.register({
      domain: 'llm',
      key: 'default',
      provider: `model-${i}`,
      source: SOURCES[i % SOURCES.length] as CandidateSource,
      priority: (i * 37) % 21,
      stackLevel: i % 3,
      factory: () => ({}),
    });
  }
  for (let i = 0; i < EXPLAIN_WARMUP; i++) sink += wide.explain('llm', 'default').candidates.length;
  const samples: number[] = [];
  for (let i = 0; i < EXPLAIN_SAMPLES; i++) {
    const t0 = performance.now();
    sink += wide.explain('llm', 'default').candidates.length;
    samples.push((performance.now() - t0) * 1000);
  }
  const [p50, p99] = percentiles(samples, [50, 99]) as [number, number];
  record(metric(`explain p50 (${EXPLAIN_CANDIDATES} candidates of one key)`, p50, 'µs', { op: '<=', value: 20 }));
  record(metric('explain p99', p99, 'µs'));
  if (sink === 0) throw new Error('the resolver returned nothing');
}
