/** Queues: a concurrency limit shared by every worker, priorities, and backpressure. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { createdRunIds } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { spyOnStore, type StoreSpy } from '../helpers/store-spy.js';
import { latch, rejectionOf, waitUntil } from '../helpers/wait.js';

interface LedgerEntry {
  type: 'start' | 'end';
  runId: string;
  worker: string;
}

/** The most runs that were between their start and their end at once. */
function maxConcurrent(ledger: readonly LedgerEntry[]): number {
  let now = 0;
  let max = 0;
  for (const entry of ledger) {
    now += entry.type === 'start' ? 1 : -1;
    max = Math.max(max, now);
  }
  return max;
}

describe('queues', () => {
  it('a queue’s concurrency limit holds across two workers on one database', async () => {
    const ledger: LedgerEntry[] = [];
    const gate = latch();
    const limitedJob = (worker: string) =>
      defineWorkflow({
        name: 'limited.job',
        input: z.object({ i: z.number() }),
        queue: 'narrow',
        async run(ctx, input) {
          return ctx.step('hold', async () => {
            ledger.push({ type: 'start', runId: ctx.runId, worker });
            await gate.promise;
            await new Promise((resolve) => setImmediate(resolve));
            ledger.push({ type: 'end', runId: ctx.runId, worker });
            return input.i;
          });
        },
      });
    const queues = { narrow: { concurrency: 2 } };
    const a = await useSteward({ workflows: [limitedJob('A')], queues, workerId: 'worker-A' });
    let spyB: StoreSpy | undefined;
    const b = await useSteward({
      dbPath: a.dbPath,
      workflows: [limitedJob('B')],
      queues,
      workerId: 'worker-B',
      wrapStore: (store) => (spyB = spyOnStore(store)).store,
    });
    const handles = [];
    for (let i = 0; i < 8; i += 1) handles.push(await a.start('limited.job', { i }));
    const starts = () => ledger.filter((e) => e.type === 'start');

    a.worker.start({ concurrency: 1 });
    await waitUntil(() => starts().length === 1, { what: 'worker A to start one run' });
    b.worker.start({ concurrency: 4 });
    await waitUntil(() => starts().length === 2, { what: 'worker B to start one run' });
    const claimsBefore = spyB!.calls.filter((c) => c.method === 'claimRuns' && c.ok).length;
    await waitUntil(() => spyB!.calls.filter((c) => c.method === 'claimRuns' && c.ok).length >= claimsBefore + 3, {
      what: 'worker B to try claiming three more times',
    });

    expect(starts().map((e) => e.worker).sort()).toEqual(['A', 'B']);
    expect(await a.store.getQueue('narrow')).toMatchObject({ running: 2, queued: 6 });

    gate.resolve();
    const outputs = await Promise.all(handles.map((h) => h.result({ timeoutMs: 30_000 })));

    expect(outputs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(maxConcurrent(ledger)).toBe(2);
    expect(new Set(starts().map((e) => e.runId)).size).toBe(8);
    expect(await a.store.getQueue('narrow')).toMatchObject({ running: 0, queued: 0 });
  });

  it('runs start in priority order, oldest first within a priority', async () => {
    const order: string[] = [];
    const wf = defineWorkflow({
      name: 'prioritised.job',
      input: z.object({ label: z.string() }),
      async run(ctx, input) {
        await ctx.step('note', () => order.push(input.label));
        return input.label;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    const handles = [];
    for (const [label, priority] of [
      ['low', 0],
      ['urgent-1', 10],
      ['normal', 5],
      ['urgent-2', 10],
      ['background', -1],
    ] as const) {
      handles.push(await steward.start('prioritised.job', { label }, { priority }));
    }

    steward.worker.start({ concurrency: 1 });
    await Promise.all(handles.map((h) => h.result({ timeoutMs: 15_000 })));

    expect(order).toEqual(['urgent-1', 'urgent-2', 'normal', 'low', 'background']);
  });

  it('start on a queue at its maxQueued is refused with STEWARD_QUEUE_FULL and nothing is lost', async () => {
    const wf = defineWorkflow({
      name: 'intake.job',
      input: z.object({ n: z.number() }),
      queue: 'intake',
      async run(_ctx, input) {
        return input.n;
      },
    });
    const steward = await useSteward({ workflows: [wf], queues: { intake: { maxQueued: 2 } } });
    const first = await steward.start('intake.job', { n: 1 }, { idempotencyKey: 'intake-1' });
    const second = await steward.start('intake.job', { n: 2 });

    const refused = await rejectionOf(steward.start('intake.job', { n: 3 }));
    const retried = await steward.start('intake.job', { n: 1 }, { idempotencyKey: 'intake-1' });
    const elsewhere = await steward.start('intake.job', { n: 4 }, { queue: 'overflow' });

    expect(refused.code).toBe('STEWARD_QUEUE_FULL');
    expect(refused.message).toContain('intake');
    expect(refused.details).toMatchObject({ queue: 'intake', maxQueued: 2 });
    expect(retried).toMatchObject({ id: first.id, created: false });
    expect(await createdRunIds(steward, 'intake.job')).toEqual([first.id, second.id, elsewhere.id]);

    steward.worker.start({ queues: ['intake'] });
    expect(await first.result({ timeoutMs: 15_000 })).toBe(1);
    expect(await second.result({ timeoutMs: 15_000 })).toBe(2);
    const third = await steward.start('intake.job', { n: 3 });
    expect(await third.result({ timeoutMs: 15_000 })).toBe(3);
  });
});

describe('queues while a worker is busy', () => {
  // workers claim runs ahead of free slots (prefetch): the runs they hold must not keep a later, higher-priority run waiting
  it('a higher-priority run started while the worker is busy runs before lower-priority runs started earlier', async () => {
    const gate = latch();
    const busy = latch();
    const order: string[] = [];
    const wf = defineWorkflow({
      name: 'busy.queue.job',
      input: z.object({ label: z.string() }),
      async run(ctx, input) {
        await ctx.step('work', async () => {
          if (input.label === 'blocker') {
            busy.resolve();
            await gate.promise;
          }
          order.push(input.label);
        });
        return input.label;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start({ concurrency: 1 });
    const blocker = await steward.start('busy.queue.job', { label: 'blocker' });
    await busy.promise;

    const handles = [blocker];
    for (const label of ['low-1', 'low-2', 'low-3']) handles.push(await steward.start('busy.queue.job', { label }, { priority: 0 }));
    handles.push(await steward.start('busy.queue.job', { label: 'urgent' }, { priority: 10 }));
    gate.resolve();
    await Promise.all(handles.map((h) => h.result({ timeoutMs: 15_000 })));

    expect(order).toEqual(['blocker', 'urgent', 'low-1', 'low-2', 'low-3']);
  });
});

describe('runs held ahead of free slots', () => {
  it('a worker busy with long runs holds one run ahead, leaving the rest of the queue to other workers', async () => {
    const gate = latch();
    let startedSteps = 0;
    const wf = defineWorkflow({
      name: 'long.job',
      input: z.object({ i: z.number() }),
      async run(ctx) {
        await ctx.step('work', async () => {
          startedSteps += 1;
          await gate.promise;
        });
        return 'done';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start({ concurrency: 2 });
    const handles = [];
    for (let i = 0; i < 20; i += 1) handles.push(await steward.start('long.job', { i }));
    await waitUntil(() => startedSteps === 2 || null, { timeoutMs: 5_000 });
    // a few polls and wake-ups later, the worker still holds no more than its slots plus one
    await new Promise((resolve) => setTimeout(resolve, 300));

    const page = await steward.list({ workflow: 'long.job', limit: 100 });
    const running = page.runs.filter((run) => run.status === 'running').length;
    expect(startedSteps).toBe(2);
    expect(running).toBeLessThanOrEqual(3);
    expect(page.runs.filter((run) => run.status === 'queued').length).toBeGreaterThanOrEqual(17);

    gate.resolve();
    await Promise.all(handles.map((h) => h.result({ timeoutMs: 15_000 })));
  });
});
