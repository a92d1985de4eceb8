/** Cancelling runs: queued, sleeping, and in the middle of a step. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { waitForEnd, waitForWaitKind } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { latch, rejectionOf } from '../helpers/wait.js';

const noInput = z.object({});

describe('cancel', () => {
  it('cancelling a run aborts its in-flight step’s signal and the run ends cancelled', async () => {
    const stepStarted = latch();
    const abortReasons: unknown[] = [];
    let afterStep = 0;
    const wf = defineWorkflow({
      name: 'long.job',
      input: noInput,
      async run(ctx) {
        await ctx.step('work', (step) => {
          stepStarted.resolve();
          return new Promise((resolve) => {
            step.signal.addEventListener('abort', () => {
              abortReasons.push((step.signal.reason as { code?: string }).code);
              resolve('stopped');
            });
          });
        });
        afterStep += 1;
        await ctx.step('next', () => 'should not run');
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('long.job', {});
    await stepStarted.promise;

    const cancel = await steward.cancel(handle.id, { reason: 'operator changed their mind' });
    const error = await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    expect(cancel).toEqual({ status: 'running', alreadyEnded: false });
    expect(error.code).toBe('STEWARD_RUN_CANCELLED');
    expect(abortReasons).toEqual(['STEWARD_RUN_CANCELLED']);
    const run = await steward.run(handle.id);
    expect(run.status).toBe('cancelled');
    expect(run.error?.code).toBe('STEWARD_RUN_CANCELLED');
    expect((await steward.steps(handle.id)).map((s) => s.name)).not.toContain('next');
    expect(afterStep).toBe(0);
  });

  it('a queued run is cancelled at once and its workflow never runs', async () => {
    const ran: string[] = [];
    const wf = defineWorkflow({
      name: 'queued.job',
      input: z.object({ label: z.string() }),
      async run(_ctx, input) {
        ran.push(input.label);
        return input.label;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    const doomed = await steward.start('queued.job', { label: 'doomed' });

    const cancel = await steward.cancel(doomed.id);
    steward.worker.start();
    const later = await steward.start('queued.job', { label: 'later' });
    await later.result({ timeoutMs: 15_000 });

    expect(cancel).toEqual({ status: 'cancelled', alreadyEnded: false });
    expect((await steward.run(doomed.id)).status).toBe('cancelled');
    expect(ran).toEqual(['later']);
  });

  it('a sleeping run is cancelled at once and never wakes', async () => {
    let woke = 0;
    const wf = defineWorkflow({
      name: 'sleepy.job',
      input: noInput,
      async run(ctx) {
        await ctx.sleep('nap', 150);
        woke += 1;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('sleepy.job', {});
    await waitForWaitKind(steward, handle.id, 'timer');

    const cancel = await steward.cancel(handle.id);
    // a second run that sleeps as long, started after the cancel, shows that the sleep's time has passed
    const witness = await steward.start('sleepy.job', {});
    await witness.result({ timeoutMs: 15_000 });

    expect(cancel).toEqual({ status: 'cancelled', alreadyEnded: false });
    expect((await steward.run(handle.id)).status).toBe('cancelled');
    expect(woke).toBe(1);
  });

  it('a cancel sent through another Steward on the same database reaches the worker through its heartbeat', async () => {
    const stepStarted = latch();
    const wf = defineWorkflow({
      name: 'remote.cancel',
      input: noInput,
      async run(ctx) {
        await ctx.step('work', (step) => {
          stepStarted.resolve();
          return new Promise((resolve) => step.signal.addEventListener('abort', () => resolve('stopped')));
        });
      },
    });
    const worker = await useSteward({ workflows: [wf], leaseMs: 300 });
    const client = await useSteward({ workflows: [wf], dbPath: worker.dbPath });
    worker.worker.start();
    const handle = await client.start('remote.cancel', {});
    await stepStarted.promise;

    await client.cancel(handle.id);
    const run = await waitForEnd(client, handle.id);

    expect(run.status).toBe('cancelled');
  });

  it('cancelling an ended run changes nothing', async () => {
    const wf = defineWorkflow({ name: 'quick.job', input: noInput, run: async () => 'done' });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('quick.job', {});
    await handle.result({ timeoutMs: 15_000 });

    expect(await steward.cancel(handle.id)).toEqual({ status: 'succeeded', alreadyEnded: true });
    expect(await steward.run(handle.id)).toMatchObject({ status: 'succeeded', output: 'done' });
  });
});

describe('cancel while the worker is busy', () => {
  // a run the worker claimed ahead of a free slot (prefetch) is `running` in the store: cancel must still end it at once
  it('a run waiting behind a busy run is cancelled at once, without waiting for the busy run to end', async () => {
    const gate = latch();
    const busy = latch();
    const ran: string[] = [];
    const wf = defineWorkflow({
      name: 'busy.cancel.job',
      input: z.object({ label: z.string() }),
      async run(ctx, input) {
        await ctx.step('work', async () => {
          ran.push(input.label);
          if (input.label === 'blocker') {
            busy.resolve();
            await gate.promise;
          }
        });
        return input.label;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start({ concurrency: 1 });
    const blocker = await steward.start('busy.cancel.job', { label: 'blocker' });
    await busy.promise;
    const waiting = await steward.start('busy.cancel.job', { label: 'waiting' });

    try {
      await steward.cancel(waiting.id);
      const run = await waitForEnd(steward, waiting.id, 5_000);

      expect(run.status).toBe('cancelled');
      expect((await steward.run(blocker.id)).status).toBe('running');
    } finally {
      gate.resolve();
    }
    await blocker.result({ timeoutMs: 15_000 });
    expect(ran).toEqual(['blocker']);
  });
});
