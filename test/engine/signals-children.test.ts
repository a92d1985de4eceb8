/** Signals (waitFor) and child workflows. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ChildFailedError, defineWorkflow, NonRetryableError, WaitTimeoutError } from '../../src/index.js';
import { waitForWaitKind } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';

const noInput = z.object({});

describe('signals', () => {
  it('waitFor returns the payload of the signal it waited for', async () => {
    const wf = defineWorkflow({
      name: 'await.approval',
      input: noInput,
      async run(ctx) {
        const decision = await ctx.waitFor<{ approved: boolean; by: string }>('decision', { timeoutMs: 60_000 });
        return decision.approved ? `approved by ${decision.by}` : 'denied';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('await.approval', {});
    await waitForWaitKind(steward, handle.id, 'signal');

    await steward.signal(handle.id, 'decision', { approved: true, by: 'carol' });

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('approved by carol');
  });

  it('a signal sent before the workflow waits for it is kept and delivered once', async () => {
    const wf = defineWorkflow({
      name: 'early.signal',
      input: noInput,
      async run(ctx) {
        const first = await ctx.waitFor<number>('tick');
        const second = await ctx.waitFor<number>('tick', { timeoutMs: 50 }).catch((error: { code?: string }) => error.code);
        return { first, second };
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    const handle = await steward.start('early.signal', {});

    await steward.signal(handle.id, 'tick', 1);
    steward.worker.start();

    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({ first: 1, second: 'STEWARD_WAIT_TIMEOUT' });
  });

  it('waitFor with a timeout throws a WaitTimeoutError that the workflow can catch', async () => {
    const wf = defineWorkflow({
      name: 'approval.or.default',
      input: noInput,
      async run(ctx) {
        try {
          await ctx.waitFor('approval', { timeoutMs: 50 });
          return { outcome: 'approved' };
        } catch (error) {
          return {
            outcome: 'timed out',
            isWaitTimeout: error instanceof WaitTimeoutError,
            code: (error as WaitTimeoutError).code,
            message: (error as Error).message,
          };
        }
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('approval.or.default', {});

    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({
      outcome: 'timed out',
      isWaitTimeout: true,
      code: 'STEWARD_WAIT_TIMEOUT',
      message: expect.stringContaining('approval') as unknown,
    });
    expect(await steward.steps(handle.id)).toMatchObject([{ kind: 'signal', name: 'approval', status: 'failed', error: { code: 'STEWARD_WAIT_TIMEOUT' } }]);
  });

  it('a caught WaitTimeoutError is still a WaitTimeoutError when the run replays', async () => {
    // a replay must throw the class the first execution threw, or a workflow that catches by class takes another path
    const wf = defineWorkflow({
      name: 'timeout.then.sleep',
      input: noInput,
      async run(ctx) {
        let outcome: string;
        try {
          await ctx.waitFor('approval', { timeoutMs: 30 });
          outcome = 'approved';
        } catch (error) {
          if (!(error instanceof WaitTimeoutError)) throw error;
          outcome = 'timed out';
        }
        await ctx.sleep('cool-down', 10);
        return outcome;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('timeout.then.sleep', {});
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', output: 'timed out' });
  });

  it('a signal to a run that does not exist or has ended is refused with a clear code', async () => {
    const wf = defineWorkflow({ name: 'ends.fast', input: noInput, run: async () => 'done' });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('ends.fast', {});
    await handle.result({ timeoutMs: 15_000 });

    expect((await rejectionOf(steward.signal('run_does_not_exist', 'go'))).code).toBe('STEWARD_RUN_NOT_FOUND');
    expect((await rejectionOf(steward.signal(handle.id, 'go'))).code).toBe('STEWARD_RUN_FINISHED');
  });
});

describe('child workflows', () => {
  const double = defineWorkflow({
    name: 'math.double',
    input: z.object({ n: z.number() }),
    async run(ctx, input) {
      return ctx.step('double', () => input.n * 2);
    },
  });
  const explode = defineWorkflow({
    name: 'math.explode',
    input: z.object({ n: z.number() }),
    async run(ctx, input) {
      await ctx.step('explode', () => {
        throw new NonRetryableError(`cannot handle ${input.n}`);
      });
    },
  });

  it('a parent waits durably for its child and gets its output', async () => {
    const parent = defineWorkflow({
      name: 'math.parent',
      input: z.object({ n: z.number() }),
      async run(ctx, input) {
        const doubled = await ctx.child(double, { n: input.n });
        const again = await ctx.child('math.double', { n: doubled });
        return { doubled, again };
      },
    });
    const steward = await useSteward({ workflows: [parent, double] });
    steward.worker.start();

    const handle = await steward.start('math.parent', { n: 5 });

    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({ doubled: 10, again: 20 });
    const steps = await steward.steps(handle.id);
    expect(steps.map((s) => [s.kind, s.name, s.status])).toEqual([
      ['child', 'math.double', 'completed'],
      ['child', 'math.double', 'completed'],
    ]);
    const childIds = (await steward.events()).filter((e) => e.type === 'run.created' && e.runId !== handle.id).map((e) => e.runId!);
    expect(childIds).toHaveLength(2);
    for (const id of childIds) expect(await steward.run(id)).toMatchObject({ parentId: handle.id, status: 'succeeded' });
  });

  it('a failed child fails its parent with STEWARD_CHILD_FAILED, naming the child and its error', async () => {
    const parent = defineWorkflow({
      name: 'math.parent.fails',
      input: noInput,
      async run(ctx) {
        return ctx.child(explode, { n: 13 });
      },
    });
    const steward = await useSteward({ workflows: [parent, explode] });
    steward.worker.start();

    const handle = await steward.start('math.parent.fails', {});
    await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    const run = await steward.run(handle.id);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_CHILD_FAILED');
    const childId = run.error?.details?.childId as string;
    expect(run.error?.details).toMatchObject({ status: 'failed', error: { code: 'STEWARD_STEP_FAILED' } });
    expect(run.error?.message).toContain('cannot handle 13');
    expect(await steward.run(childId)).toMatchObject({ parentId: handle.id, status: 'failed' });
  });

  it('a parent can catch its child’s failure as a ChildFailedError', async () => {
    const parent = defineWorkflow({
      name: 'math.parent.catches',
      input: noInput,
      async run(ctx) {
        try {
          return await ctx.child('math.explode', { n: 7 });
        } catch (error) {
          return { caught: error instanceof ChildFailedError, code: (error as ChildFailedError).code };
        }
      },
    });
    const steward = await useSteward({ workflows: [parent, explode] });
    steward.worker.start();

    const handle = await steward.start('math.parent.catches', {});

    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({ caught: true, code: 'STEWARD_CHILD_FAILED' });
  });

  it('a caught ChildFailedError is still a ChildFailedError when the parent replays', async () => {
    const parent = defineWorkflow({
      name: 'math.parent.replays',
      input: noInput,
      async run(ctx) {
        let outcome: string;
        try {
          await ctx.child('math.explode', { n: 9 });
          outcome = 'ok';
        } catch (error) {
          if (!(error instanceof ChildFailedError)) throw error;
          outcome = 'child failed';
        }
        await ctx.sleep('cool-down', 10);
        return outcome;
      },
    });
    const steward = await useSteward({ workflows: [parent, explode] });
    steward.worker.start();

    const handle = await steward.start('math.parent.replays', {});
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', output: 'child failed' });
  });

  it('cancelling a parent cancels the child it waits for', async () => {
    const waiter = defineWorkflow({
      name: 'child.waits',
      input: noInput,
      async run(ctx) {
        await ctx.waitFor('never');
      },
    });
    const parent = defineWorkflow({
      name: 'parent.of.waiter',
      input: noInput,
      async run(ctx) {
        await ctx.child(waiter, {});
      },
    });
    const steward = await useSteward({ workflows: [parent, waiter] });
    steward.worker.start();
    const handle = await steward.start('parent.of.waiter', {});
    const waitingParent = await waitForWaitKind(steward, handle.id, 'child');

    await steward.cancel(handle.id);

    expect((await steward.run(handle.id)).status).toBe('cancelled');
    expect((await steward.run(waitingParent.waitRef!)).status).toBe('cancelled');
  });
});
