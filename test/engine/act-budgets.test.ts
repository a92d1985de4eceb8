/**
 * Budgets on the act path: an open circuit breaker refuses the apply at once (nothing applied, audited, replayed the
 * same way); a spent rate budget makes runs wait, holding no worker, until the next apply may start.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';

describe('budgets in ctx.act', () => {
  it('failed applies open the breaker; the next act is refused without calling apply', async () => {
    let applies = 0;
    const flaky = defineAction({
      name: 'api.call',
      category: 'write',
      input: z.object({ n: z.number() }),
      resource: (input) => `api:${input.n}`,
      budgets: { maxAttempts: 1, breaker: { failures: 2, coolDownMs: 60_000 } },
      plan: (input) => input,
      apply: () => {
        applies += 1;
        throw new Error('the API answered 503');
      },
    });
    const wf = defineWorkflow({ name: 'ops.call', input: z.object({ n: z.number() }), run: async (ctx, input) => (await ctx.act(flaky, input)).status });
    const steward = await useSteward({ workflows: [wf], globalAutonomy: 3 });
    steward.worker.start();

    for (const n of [1, 2]) {
      const run = await steward.wait((await steward.start('ops.call', { n })).id, { timeoutMs: 15_000 });
      expect(run.error?.code).toBe('STEWARD_ACTION_FAILED');
    }
    expect(applies).toBe(2);

    const refused = await steward.start('ops.call', { n: 3 });
    const run = await steward.wait(refused.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_CIRCUIT_OPEN', details: { action: 'api.call' } });
    expect(applies).toBe(2);
    const steps = await steward.steps(refused.id);
    expect(steps.map((s) => [s.kind, s.status, s.attempts])).toEqual([
      ['act.plan', 'completed', 1],
      ['act.apply', 'failed', 0],
    ]);
    const kinds = (await steward.store.readAudit({ after: 0, limit: 100 })).map((e) => e.kind);
    expect(kinds.filter((k) => k.startsWith('breaker.') || k === 'act.apply_refused')).toEqual(['breaker.opened', 'act.apply_refused']);
    expect(await steward.store.getBreaker('api.call')).toMatchObject({ state: 'open', failures: 2 });
  });

  it('runs over an action’s rate wait for the next apply instead of failing', async () => {
    const starts: number[] = [];
    const read = defineAction({
      name: 'quota.read',
      category: 'read',
      input: z.object({ n: z.number() }),
      resource: () => 'quota',
      budgets: { ratePerMinute: 120 },
      plan: (input) => input,
      apply: (plan) => {
        starts.push(performance.now());
        return plan.n;
      },
    });
    const wf = defineWorkflow({ name: 'ops.read', input: z.object({ n: z.number() }), run: async (ctx, input) => (await ctx.act(read, input)).status });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start({ concurrency: 16 });

    const handles = await Promise.all(Array.from({ length: 122 }, (_, n) => steward.start('ops.read', { n })));
    const runs = await Promise.all(handles.map((h) => steward.wait(h.id, { timeoutMs: 30_000 })));

    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(starts).toHaveLength(122);
    // a burst of 120, then one every 500 ms: the last apply starts at least 500 ms after the first
    starts.sort((a, b) => a - b);
    expect(starts[121]! - starts[0]!).toBeGreaterThanOrEqual(450);
  });
});
