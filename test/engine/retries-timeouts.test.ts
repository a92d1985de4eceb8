/** Retries with persisted attempts, step and run timeouts. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow, NonRetryableError, StepFailedError, type StepContext } from '../../src/index.js';
import { allEvents } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';

const noInput = z.object({});
const quickRetry = { baseMs: 1 };

/** A step function that never finishes on its own: it settles only when its signal aborts, noting the reason. */
function waitForAbort(reasons: Array<string | undefined>) {
  return (step: StepContext) =>
    new Promise<string>((resolve) => {
      step.signal.addEventListener('abort', () => {
        reasons.push((step.signal.reason as { code?: string } | undefined)?.code);
        resolve('finished after the abort');
      });
    });
}

describe('retries', () => {
  it('a failing step is retried with its attempts persisted, and the third attempt’s result is the step’s', async () => {
    const attempts: number[] = [];
    const keys: string[] = [];
    const wf = defineWorkflow({
      name: 'flaky.fetch',
      input: noInput,
      async run(ctx) {
        return ctx.step(
          'fetch',
          (step) => {
            attempts.push(step.attempt);
            keys.push(step.idempotencyKey);
            if (step.attempt < 3) throw new Error(`upstream 503 on attempt ${step.attempt}`);
            return { body: 'ok' };
          },
          { retry: quickRetry },
        );
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('flaky.fetch', {});
    const output = await handle.result({ timeoutMs: 15_000 });

    expect(output).toEqual({ body: 'ok' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(new Set(keys)).toEqual(new Set([`${handle.id}:1`]));
    const [step] = await steward.steps(handle.id);
    expect(step).toMatchObject({ seq: 1, name: 'fetch', status: 'completed', attempts: 3, result: { body: 'ok' } });
    const types = (await allEvents(steward, handle.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'step.retrying')).toHaveLength(2);
    // each retry waited as a stored time, not in a sleeping worker: the run was claimed again for each attempt
    expect((await steward.run(handle.id)).claims).toBe(3);
  });

  it('a step that keeps failing uses up maxAttempts and fails the run with the last error kept', async () => {
    let calls = 0;
    const wf = defineWorkflow({
      name: 'always.broken',
      input: noInput,
      async run(ctx) {
        await ctx.step(
          'broken',
          () => {
            calls += 1;
            throw new Error(`still broken (${calls})`);
          },
          { maxAttempts: 2, retry: quickRetry },
        );
        return 'unreachable';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('always.broken', {});
    const error = await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    expect(error.code).toBe('STEWARD_RUN_FAILED');
    expect(calls).toBe(2);
    const run = await steward.run(handle.id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_STEP_FAILED', details: { step: 'broken', attempts: 2, error: { message: 'still broken (2)' } } });
    expect(await steward.steps(handle.id)).toMatchObject([{ seq: 1, status: 'failed', attempts: 2, error: { message: 'still broken (2)' } }]);
  });

  it('a NonRetryableError is not retried', async () => {
    let calls = 0;
    const wf = defineWorkflow({
      name: 'card.declined',
      input: noInput,
      async run(ctx) {
        await ctx.step(
          'charge',
          () => {
            calls += 1;
            throw new NonRetryableError('card declined');
          },
          { maxAttempts: 5, retry: quickRetry },
        );
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('card.declined', {});
    await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    expect(calls).toBe(1);
    const run = await steward.run(handle.id);
    expect(run.error).toMatchObject({
      code: 'STEWARD_STEP_FAILED',
      details: { attempts: 1, error: { code: 'STEWARD_NON_RETRYABLE', message: 'card declined' } },
    });
    expect(await steward.steps(handle.id)).toMatchObject([{ status: 'failed', attempts: 1 }]);
  });

  it('a workflow may catch a failed step and go on, and a replay fails the step the same way without running it', async () => {
    let calls = 0;
    const wf = defineWorkflow({
      name: 'with.fallback',
      input: noInput,
      async run(ctx) {
        let source: string;
        try {
          source = await ctx.step(
            'primary',
            () => {
              calls += 1;
              throw new NonRetryableError('primary is down');
            },
          );
        } catch (error) {
          if (!(error instanceof StepFailedError)) throw error;
          source = 'fallback';
        }
        await ctx.sleep('pause', 10);
        return source;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('with.fallback', {});

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('fallback');
    expect(calls).toBe(1);
    expect((await steward.run(handle.id)).claims).toBeGreaterThanOrEqual(2);
  });
});

describe('timeouts', () => {
  it('a step attempt over its timeoutMs has its signal aborted and counts as a failed attempt', async () => {
    const reasons: Array<string | undefined> = [];
    const wf = defineWorkflow({
      name: 'slow.step',
      input: noInput,
      async run(ctx) {
        return ctx.step('slow', waitForAbort(reasons), { timeoutMs: 30, maxAttempts: 2, retry: quickRetry });
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('slow.step', {});
    await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    expect(reasons).toEqual(['STEWARD_STEP_TIMEOUT', 'STEWARD_STEP_TIMEOUT']);
    const run = await steward.run(handle.id);
    expect(run.error).toMatchObject({ code: 'STEWARD_STEP_FAILED', details: { attempts: 2, error: { code: 'STEWARD_STEP_TIMEOUT' } } });
    expect(await steward.steps(handle.id)).toMatchObject([{ status: 'failed', attempts: 2, error: { code: 'STEWARD_STEP_TIMEOUT' } }]);
  });

  it('a step that times out once and then answers in time succeeds on its second attempt', async () => {
    const reasons: Array<string | undefined> = [];
    const wf = defineWorkflow({
      name: 'slow.then.fast',
      input: noInput,
      async run(ctx) {
        return ctx.step('call', (step) => (step.attempt === 1 ? waitForAbort(reasons)(step) : 'fast answer'), {
          timeoutMs: 30,
          retry: quickRetry,
        });
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('slow.then.fast', {});

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('fast answer');
    expect(reasons).toEqual(['STEWARD_STEP_TIMEOUT']);
    expect(await steward.steps(handle.id)).toMatchObject([{ status: 'completed', attempts: 2 }]);
  });

  it('a run over its timeoutMs fails with STEWARD_RUN_TIMEOUT and its in-flight step is aborted', async () => {
    const reasons: Array<string | undefined> = [];
    const wf = defineWorkflow({
      name: 'too.long',
      input: noInput,
      async run(ctx) {
        await ctx.step('forever', waitForAbort(reasons), { timeoutMs: 60_000 });
        return 'unreachable';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('too.long', {}, { timeoutMs: 200 });
    const error = await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    expect(error.code).toBe('STEWARD_RUN_FAILED');
    expect(reasons).toEqual(['STEWARD_RUN_TIMEOUT']);
    const run = await steward.run(handle.id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_RUN_TIMEOUT', details: { runId: handle.id, timeoutMs: 200 } });
  });

  it('a run that sleeps past its timeoutMs fails with STEWARD_RUN_TIMEOUT at the deadline, not after the sleep', async () => {
    let afterSleep = 0;
    const wf = defineWorkflow({
      name: 'sleeps.too.long',
      input: noInput,
      timeoutMs: 150,
      async run(ctx) {
        await ctx.sleep('a-day', 24 * 3600 * 1000);
        afterSleep += 1;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('sleeps.too.long', {});
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_RUN_TIMEOUT');
    expect(afterSleep).toBe(0);
  });

  it('a run that waits for a signal past its timeoutMs fails with STEWARD_RUN_TIMEOUT', async () => {
    const wf = defineWorkflow({
      name: 'waits.too.long',
      input: noInput,
      async run(ctx) {
        await ctx.waitFor('never-sent');
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('waits.too.long', {}, { timeoutMs: 150 });
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_RUN_TIMEOUT');
  });
});
