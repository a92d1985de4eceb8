/** Durable state across restarts: a Steward that stops and another that starts later carry on where it stopped. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { waitForStatus, waitForWaitKind } from '../helpers/runs.js';
import { clockAhead, idsWithRandom, useSteward } from '../helpers/steward.js';
import { latch } from '../helpers/wait.js';

const HOUR = 3600 * 1000;

describe('restarts', () => {
  it('a run asleep when its Steward closes resumes after the wake time in a new Steward, without repeating earlier steps', async () => {
    const calls = { before: 0, after: 0 };
    const reminder = defineWorkflow({
      name: 'reminder.send',
      input: z.object({ to: z.string() }),
      async run(ctx, input) {
        const draft = await ctx.step('draft', () => {
          calls.before += 1;
          return `Hi ${input.to}, a reminder.`;
        });
        await ctx.sleep('wait-a-day', 24 * HOUR);
        return ctx.step('send', () => {
          calls.after += 1;
          return `sent: ${draft}`;
        });
      },
    });
    const first = await useSteward({ workflows: [reminder] });
    first.worker.start();
    const handle = await first.start('reminder.send', { to: 'dana' });
    await waitForWaitKind(first, handle.id, 'timer');
    await first.close();

    // a day and a minute later
    const later = await useSteward({ workflows: [reminder], dbPath: first.dbPath, clock: clockAhead(24 * HOUR + 60_000) });
    later.worker.start();
    const run = await later.wait(handle.id, { timeoutMs: 15_000 });

    expect(run).toMatchObject({ status: 'succeeded', output: 'sent: Hi dana, a reminder.' });
    expect(calls).toEqual({ before: 1, after: 1 });
  });

  it('a run asleep is not woken early by a new Steward before its wake time', async () => {
    const reminder = defineWorkflow({
      name: 'reminder.early',
      input: z.object({}),
      async run(ctx) {
        await ctx.sleep('wait-an-hour', HOUR);
        return 'woke';
      },
    });
    const steward = await useSteward({ workflows: [reminder] });
    steward.worker.start();
    const handle = await steward.start('reminder.early', {});
    const waiting = await waitForWaitKind(steward, handle.id, 'timer');

    expect(waiting.runnableAt).toBeGreaterThanOrEqual(waiting.createdAt + HOUR);
    expect(await steward.store.nextRunnableAt(['default'], ['reminder.early'])).toBe(waiting.runnableAt);
  });

  it('a step’s attempts are persisted: after a restart its next attempt is numbered 2', async () => {
    const attempts: number[] = [];
    const flaky = defineWorkflow({
      name: 'flaky.across.restart',
      input: z.object({}),
      async run(ctx) {
        return ctx.step(
          'call',
          (step) => {
            attempts.push(step.attempt);
            if (step.attempt === 1) throw new Error('first attempt fails');
            return `attempt ${step.attempt} worked`;
          },
          { retry: { baseMs: 2 * HOUR, capMs: 2 * HOUR } },
        );
      },
    });
    // random() = 0.5 puts the first retry an hour after the failure
    const first = await useSteward({ workflows: [flaky], ids: idsWithRandom(0.5) });
    first.worker.start();
    const handle = await first.start('flaky.across.restart', {});
    const retrying = await waitForWaitKind(first, handle.id, 'retry');
    await first.close();
    expect(retrying.runnableAt! - retrying.updatedAt).toBe(HOUR);

    const later = await useSteward({ workflows: [flaky], dbPath: first.dbPath, clock: clockAhead(HOUR + 60_000) });
    later.worker.start();
    const run = await later.wait(handle.id, { timeoutMs: 15_000 });

    expect(run).toMatchObject({ status: 'succeeded', output: 'attempt 2 worked' });
    expect(attempts).toEqual([1, 2]);
    expect(await later.steps(handle.id)).toMatchObject([{ status: 'completed', attempts: 2 }]);
  });

  it('stopping a worker gives its in-flight run back to the queue, and another worker finishes it', async () => {
    const inStep = latch();
    const abortReasons: Array<string | undefined> = [];
    const job = (worker: string) =>
      defineWorkflow({
        name: 'handover.job',
        input: z.object({}),
        async run(ctx) {
          const first = await ctx.step('first', () => `first by ${worker}`);
          const second = await ctx.step('second', (step) => {
            if (worker === 'B') return `second by ${worker}`;
            inStep.resolve();
            return new Promise<string>((resolve) =>
              step.signal.addEventListener('abort', () => {
                abortReasons.push((step.signal.reason as { code?: string }).code);
                resolve('second by A, too late');
              }),
            );
          });
          return [first, second];
        },
      });
    const a = await useSteward({ workflows: [job('A')] });
    a.worker.start();
    const handle = await a.start('handover.job', {});
    await inStep.promise;

    await a.worker.stop({ graceMs: 50 });
    const requeued = await a.run(handle.id);
    const b = await useSteward({ workflows: [job('B')], dbPath: a.dbPath });
    b.worker.start();
    const run = await waitForStatus(b, handle.id, ['succeeded', 'failed', 'cancelled']);

    expect(requeued).toMatchObject({ status: 'queued', leaseOwner: null });
    expect(abortReasons).toEqual(['STEWARD_LEASE_LOST']);
    expect(run).toMatchObject({ status: 'succeeded', output: ['first by A', 'second by B'] });
  });
});
