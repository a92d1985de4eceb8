/**
 * Resource locks: an act holds its resource's lock from apply to verify, so two runs on one resource never apply at
 * the same time; a run that finds the lock taken waits (holding no worker) and is woken when it is given back.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';
import { allEvents } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';

interface Span {
  runId: string;
  resource: string;
  start: number;
  end: number;
}

/** The most spans of one resource open at one moment. */
function maxOverlap(spans: readonly Span[], resource: string): number {
  const edges = spans
    .filter((s) => s.resource === resource)
    .flatMap((s) => [
      { at: s.start, delta: 1 },
      { at: s.end, delta: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const edge of edges) {
    open += edge.delta;
    max = Math.max(max, open);
  }
  return max;
}

describe('resource locks', () => {
  it('two runs on one resource never apply at the same time; runs on other resources do', async () => {
    const spans: Span[] = [];
    const migrate = defineAction({
      name: 'db.migrate',
      category: 'write',
      input: z.object({ db: z.string(), n: z.number() }),
      resource: (input) => `db:${input.db}`,
      plan: (input) => input,
      apply: async (plan, ctx) => {
        const start = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 40));
        spans.push({ runId: ctx.runId, resource: ctx.resource, start, end: performance.now() });
        return plan.n;
      },
      verify: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return true;
      },
    });
    const wf = defineWorkflow({
      name: 'ops.migrate',
      input: z.object({ db: z.string(), n: z.number() }),
      run: async (ctx, input) => (await ctx.act(migrate, input)).status,
    });
    const steward = await useSteward({ globalAutonomy: 3, workflows: [wf] });
    steward.worker.start({ concurrency: 16 });

    const handles = await Promise.all([
      ...Array.from({ length: 6 }, (_, n) => steward.start('ops.migrate', { db: 'orders', n })),
      ...Array.from({ length: 3 }, (_, n) => steward.start('ops.migrate', { db: `other-${n}`, n })),
    ]);
    const outputs = await Promise.all(handles.map((h) => h.result({ timeoutMs: 20_000 })));

    expect(outputs.every((o) => o === 'applied')).toBe(true);
    expect(spans.filter((s) => s.resource === 'db:orders')).toHaveLength(6);
    expect(maxOverlap(spans, 'db:orders')).toBe(1);
    // the ones that found the lock taken waited for it, as runs that hold no worker
    const waits = (await allEvents(steward)).filter((e) => e.type === 'run.waiting');
    expect(waits.length).toBeGreaterThan(0);
    // other resources were not held up by it: their applies overlapped the orders ones
    const others = spans.filter((s) => s.resource !== 'db:orders');
    const orders = spans.filter((s) => s.resource === 'db:orders');
    expect(others.some((o) => orders.some((d) => o.start < d.end && d.start < o.end))).toBe(true);
  });
});
