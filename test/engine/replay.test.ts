/** Step checkpointing and replay: finished steps return their record instead of running again. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { waitForStatus, waitForWaitKind } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';

const noInput = z.object({});

describe('replay', () => {
  it('a step’s function runs once even though the workflow runs again after a sleep and after a signal', async () => {
    const calls = { charge: 0, receipt: 0, executions: 0 };
    const order = defineWorkflow({
      name: 'order.place',
      input: z.object({ amount: z.number() }),
      async run(ctx, input) {
        calls.executions += 1;
        const charge = await ctx.step('charge', () => {
          calls.charge += 1;
          return { chargeId: `ch_${input.amount}`, amount: input.amount };
        });
        await ctx.sleep('settle', 30);
        const approval = await ctx.waitFor<{ by: string }>('approved');
        const receipt = await ctx.step('receipt', () => {
          calls.receipt += 1;
          return `${charge.chargeId} approved by ${approval.by}`;
        });
        return { receipt };
      },
    });
    const steward = await useSteward({ workflows: [order] });
    steward.worker.start({ concurrency: 4 });

    const handle = await steward.start('order.place', { amount: 25 });
    await waitForWaitKind(steward, handle.id, 'signal');
    await steward.signal(handle.id, 'approved', { by: 'bob' });
    const output = await handle.result({ timeoutMs: 15_000 });

    expect(output).toEqual({ receipt: 'ch_25 approved by bob' });
    expect(calls.charge).toBe(1);
    expect(calls.receipt).toBe(1);
    expect(calls.executions).toBeGreaterThanOrEqual(3);
    const run = await steward.run(handle.id);
    expect(run.claims).toBe(calls.executions);
    const steps = await steward.steps(handle.id);
    expect(steps.map((s) => [s.seq, s.kind, s.name, s.status])).toEqual([
      [1, 'step', 'charge', 'completed'],
      [2, 'sleep', 'settle', 'completed'],
      [3, 'signal', 'approved', 'completed'],
      [4, 'step', 'receipt', 'completed'],
    ]);
    expect(steps[0]!.result).toEqual({ chargeId: 'ch_25', amount: 25 });
  });

  it('a step hands back its stored JSON, so the first run and a replay see the same value', async () => {
    const seen: unknown[] = [];
    const wf = defineWorkflow({
      name: 'json.shape',
      input: noInput,
      async run(ctx) {
        const value = await ctx.step('make', () => ({ when: new Date(0), missing: undefined, list: [1, undefined] }));
        seen.push(value);
        await ctx.sleep('nap', 10);
        return value;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('json.shape', {});
    await handle.result({ timeoutMs: 15_000 });

    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toEqual({ when: '1970-01-01T00:00:00.000Z', list: [1, null] });
    for (const value of seen) expect(value).toEqual(seen[0]);
  });

  it('ctx.now, ctx.uuid and ctx.random give the same values on every replay', async () => {
    const seen: Array<{ now: number; uuid: string; random: number }> = [];
    const wf = defineWorkflow({
      name: 'recorded.values',
      input: noInput,
      async run(ctx) {
        const values = { now: await ctx.now(), uuid: await ctx.uuid(), random: await ctx.random() };
        seen.push(values);
        await ctx.sleep('first-nap', 15);
        await ctx.sleep('second-nap', 15);
        return values;
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('recorded.values', {});
    const output = await handle.result({ timeoutMs: 15_000 });

    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const values of seen) expect(values).toEqual(seen[0]);
    expect(output).toEqual(seen[0]);
    expect(seen[0]!.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(seen[0]!.random).toBeGreaterThanOrEqual(0);
    expect(seen[0]!.random).toBeLessThan(1);
    const kinds = (await steward.steps(handle.id)).map((s) => s.kind);
    expect(kinds.slice(0, 3)).toEqual(['now', 'uuid', 'random']);
  });
});

describe('non-determinism', () => {
  it('a workflow whose code calls another step where the history has one fails with STEWARD_NON_DETERMINISM naming both', async () => {
    let deployedNewCode = false;
    let receiptsSent = 0;
    const wf = defineWorkflow({
      name: 'billing.run',
      input: noInput,
      async run(ctx) {
        if (!deployedNewCode) await ctx.step('charge-card', () => 'charged');
        else
          await ctx.step('send-receipt', () => {
            receiptsSent += 1;
            return 'sent';
          });
        await ctx.waitFor('continue');
        return 'done';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('billing.run', {});
    await waitForStatus(steward, handle.id, 'waiting');

    deployedNewCode = true;
    await steward.signal(handle.id, 'continue');
    const error = await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    expect(error.code).toBe('STEWARD_RUN_FAILED');
    const run = await steward.run(handle.id);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_NON_DETERMINISM');
    expect(run.error?.message).toContain('charge-card');
    expect(run.error?.message).toContain('send-receipt');
    expect(run.error?.details).toMatchObject({ seq: 1, recorded: 'step "charge-card"', called: 'step "send-receipt"' });
    expect(receiptsSent).toBe(0);
  });

  it('a workflow that now ends before the steps its history recorded fails with STEWARD_NON_DETERMINISM', async () => {
    let shortcut = false;
    const wf = defineWorkflow({
      name: 'shortcut.run',
      input: noInput,
      async run(ctx) {
        await ctx.step('first', () => 1);
        if (shortcut) return 'early';
        await ctx.waitFor('continue');
        return 'late';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('shortcut.run', {});
    await waitForStatus(steward, handle.id, 'waiting');

    shortcut = true;
    await steward.signal(handle.id, 'continue');
    await rejectionOf(handle.result({ timeoutMs: 15_000 }));

    const run = await steward.run(handle.id);
    expect(run.error?.code).toBe('STEWARD_NON_DETERMINISM');
    expect(run.output).toBeNull();
  });
});
