/**
 * C1: how long an edit of the configuration file takes to swap the selected provider in a running Steward (the
 * watcher's debounce, reading and checking the file, and the swap: init, health check, activation).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createRegistry, createSteward } from '../src/index.js';
import { metric, percentiles, type Metric } from './stats.js';

const EDITS = 20;

/** Edits the file EDITS times, alternating the selected provider, and times each edit until the swap is done. */
export async function measureConfigSwap(record: (metric: Metric) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-bench-config-'));
  const file = join(dir, 'steward.config.json');
  const select = (provider: string): void => writeFileSync(file, JSON.stringify({ components: { 'llm.default': { provider } } }, null, 2));
  select('a');
  const registry = createRegistry();
  for (const provider of ['a', 'b']) registry.register({ domain: 'llm', key: 'default', provider, factory: () => ({ provider }) });
  const steward = await createSteward({
    store: `sqlite:${join(dir, 'steward.db')}`,
    registry,
    configDir: dir,
    watchConfig: true,
    logger: pino({ level: 'silent' }),
  });
  try {
    (await steward.registry.use('llm', 'default')).release();
    const samples: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const next = i % 2 === 0 ? 'b' : 'a';
      const t0 = performance.now();
      select(next);
      for (;;) {
        if (steward.registry.components().find((c) => c.domain === 'llm')?.active === next) break;
        if (performance.now() - t0 > 10_000) throw new Error(`edit ${i + 1} did not swap llm/default to ${next} within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      samples.push(performance.now() - t0);
      // let the watcher settle before the next edit, as a person editing would
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const [p50, max] = [percentiles(samples, [50])[0] as number, Math.max(...samples)];
    record(metric(`edit → swapped, p50 of ${EDITS} edits`, p50, 'ms'));
    record(metric('edit → swapped, slowest', max, 'ms', { op: '<=', value: 1_000 }));
  } finally {
    await steward.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
