/**
 * The store failing under a busy worker (the database unreachable, a connection lost): the worker does not exit,
 * says so in the log once rather than per call, and when the store answers again every run resumes at once (not
 * when its lease expires) and finishes, with each step recorded exactly once.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow, StoreUnavailableError, type Store } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';
import { spyOnStore } from '../helpers/store-spy.js';
import { latch, waitUntil } from '../helpers/wait.js';

/** The calls a worker makes, each made to fail while the store is "down". */
const WORKER_CALLS = ['claimRuns', 'recordStep', 'finishRun', 'suspendRun', 'renewLeases', 'releaseRun', 'nextRunnableAt'] as const;

describe('the store failing under a busy worker', () => {
  it('runs stopped by the outage resume as soon as the store answers, each step recorded once, the outage logged once', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as { level: number; msg: string });
          done();
        },
      }),
    );
    let down = false;
    const spies: Array<ReturnType<typeof spyOnStore>> = [];
    const wrap = (real: Store): Store => {
      const spy = spyOnStore(real);
      for (const method of WORKER_CALLS) {
        spy.override(method, ((inner: Store, ...args: unknown[]) => {
          if (down) return Promise.reject(new StoreUnavailableError('connection to the database lost (test)'));
          return (inner[method] as (...a: unknown[]) => unknown).apply(inner, args);
        }) as never);
      }
      spies.push(spy);
      return spy.store;
    };

    const gate = latch();
    const ran = new Map<string, number>();
    const count = (key: string): void => {
      ran.set(key, (ran.get(key) ?? 0) + 1);
    };
    const wf = defineWorkflow({
      name: 'outage.job',
      input: z.object({ i: z.number() }),
      async run(ctx, { i }) {
        const a = await ctx.step('one', () => {
          count(`${ctx.runId}:one`);
          return i;
        });
        const b = await ctx.step('two', async () => {
          count(`${ctx.runId}:two`);
          await gate.promise;
          return a + 1;
        });
        return ctx.step('three', () => {
          count(`${ctx.runId}:three`);
          return b * 2;
        });
      },
    });
    // leases far longer than the test: only the worker handing the runs back can make them resume in time
    const steward = await useSteward({ workflows: [wf], wrapStore: wrap, leaseMs: 600_000, pollIntervalMs: 50, logger });
    steward.worker.start({ concurrency: 8 });
    const handles = await Promise.all(Array.from({ length: 20 }, (_, i) => steward.start('outage.job', { i })));
    await waitUntil(() => [...ran.keys()].filter((k) => k.endsWith(':two')).length === 8 || null, { timeoutMs: 10_000 });
    // these eight recorded step one before the outage
    const pastOne = new Set([...ran.keys()].filter((k) => k.endsWith(':two')).map((k) => k.slice(0, -':two'.length)));

    down = true;
    gate.resolve();
    // the outage lasts a while: many failed claims, writes and hand-backs
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const failedCalls = spies[0]!.calls.filter((c) => !c.ok && c.code === 'STEWARD_STORE_UNAVAILABLE').length;
    down = false;

    const results = await Promise.all(handles.map((h) => h.result({ timeoutMs: 15_000 })));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 2));
    expect(failedCalls).toBeGreaterThan(5);
    expect(pastOne.size).toBe(8);
    for (const handle of handles) {
      const steps = await steward.steps(handle.id);
      expect(steps.map((s) => [s.name, s.status])).toEqual([
        ['one', 'completed'],
        ['two', 'completed'],
        ['three', 'completed'],
      ]);
      // replay never ran a recorded step again; a step whose record was lost ran again, as at-least-once allows
      if (pastOne.has(handle.id)) expect(ran.get(`${handle.id}:one`)).toBe(1);
      expect(ran.get(`${handle.id}:three`)).toBe(1);
    }
    expect(await steward.worker.status().running).toBe(true);
    const outageLines = lines.filter((l) => /the store (failed|has been failing|answers again)/.test(l.msg));
    expect(outageLines.map((l) => l.msg.replace(/ while .*|after .*/, ''))).toEqual(['the store failed', 'the store answers again ']);
  });
});
