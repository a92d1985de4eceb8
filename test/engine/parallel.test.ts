/**
 * `ctx.parallel`: branches run side by side, each with its own block of sequence numbers, so that a replay is exact
 * whatever order their calls interleaved in; branches that wait suspend the run once all have settled.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';

describe('ctx.parallel', () => {
  it('runs branches at the same time and answers their results in order', async () => {
    let open = 0;
    let most = 0;
    const wf = defineWorkflow({
      name: 'par.basic',
      input: z.object({}),
      run: async (ctx) =>
        ctx.parallel(
          [30, 10, 20].map((ms, i) => async (branch) =>
            branch.step(`work-${i}`, async () => {
              open += 1;
              most = Math.max(most, open);
              await new Promise((resolve) => setTimeout(resolve, ms));
              open -= 1;
              return i * 10;
            }),
          ),
        ),
    });
    const steward = await useSteward({ workflows: [wf] });
    await steward.worker.start({ concurrency: 2 });
    const handle = await steward.start('par.basic', {});
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual([0, 10, 20]);
    expect(most).toBe(3);
    const steps = await steward.steps(handle.id);
    expect(steps.map((s) => [s.seq, s.name])).toEqual([
      [1, 'work-0'],
      [65, 'work-1'],
      [129, 'work-2'],
    ]);
  });

  it('suspends once every branch settled and replays each branch where it was', async () => {
    const calls = new Map<string, number>();
    const count = (name: string): void => void calls.set(name, (calls.get(name) ?? 0) + 1);
    const wf = defineWorkflow({
      name: 'par.sleepy',
      input: z.object({}),
      run: async (ctx) => {
        const results = await ctx.parallel([
          async (b) => {
            await b.step('a1', () => count('a1'));
            await b.sleep('a-nap', 150);
            await b.step('a2', () => count('a2'));
            return 'a';
          },
          async (b) => {
            await b.step('b1', () => count('b1'));
            await b.sleep('b-nap', 50);
            await b.step('b2', () => count('b2'));
            return 'b';
          },
          async (b) => {
            await b.step('c1', () => count('c1'));
            return 'c';
          },
        ]);
        await ctx.step('after', () => count('after'));
        return results;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    await steward.worker.start({ concurrency: 2 });
    const handle = await steward.start('par.sleepy', {});
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual(['a', 'b', 'c']);
    expect(Object.fromEntries(calls)).toEqual({ a1: 1, a2: 1, b1: 1, b2: 1, c1: 1, after: 1 });
    const record = await steward.run(handle.id);
    expect(record.claims).toBeGreaterThanOrEqual(2);
    const steps = await steward.steps(handle.id);
    expect(steps.find((s) => s.name === 'after')?.seq).toBe(3 * 64 + 1);
  });

  it('fails with the first failed branch after the others finished', async () => {
    const finished: string[] = [];
    const wf = defineWorkflow({
      name: 'par.fails',
      input: z.object({}),
      run: async (ctx) =>
        ctx.parallel([
          async (b) =>
            b.step('slow', async () => {
              await new Promise((resolve) => setTimeout(resolve, 50));
              finished.push('slow');
              return 1;
            }),
          async (b) =>
            b.step(
              'broken',
              () => {
                throw new Error('boom');
              },
              { maxAttempts: 1 },
            ),
        ]),
    });
    const steward = await useSteward({ workflows: [wf] });
    await steward.worker.start();
    const handle = await steward.start('par.fails', {});
    const record = await steward.wait(handle.id, { timeoutMs: 10_000 });
    expect(record.status).toBe('failed');
    expect(record.error?.message).toContain('boom');
    expect(finished).toEqual(['slow']);
  });

  it('refuses waitFor, child and nested parallel inside a branch', async () => {
    const wf = defineWorkflow({
      name: 'par.refused',
      input: z.object({ call: z.enum(['waitFor', 'child', 'parallel']) }),
      run: async (ctx, input) =>
        ctx.parallel([
          async (b) => {
            if (input.call === 'waitFor') return b.waitFor('go');
            if (input.call === 'child') return b.child('par.refused', { call: 'waitFor' });
            return b.parallel([() => 1]);
          },
        ]),
    });
    const steward = await useSteward({ workflows: [wf] });
    await steward.worker.start();
    for (const call of ['waitFor', 'child', 'parallel'] as const) {
      const handle = await steward.start('par.refused', { call });
      const record = await steward.wait(handle.id, { timeoutMs: 10_000 });
      expect(record.status).toBe('failed');
      expect(record.error?.message).toContain(`ctx.${call} cannot run inside a branch of ctx.parallel`);
    }
  });
});
