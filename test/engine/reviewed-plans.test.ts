/**
 * Reviewed plans: a plan-mode run ends `planned` with every act's plan and a plan hash; `applyPlan` applies exactly
 * that plan (the plans are replayed, not made again), refuses another hash, and a run that strays from the reviewed
 * plan is refused before the stray act applies.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';

function fixture() {
  const ledger: string[] = [];
  const world = { target: 3, stray: false };
  const scale = defineAction({
    name: 'service.scale',
    category: 'write',
    input: z.object({ service: z.string() }),
    resource: (input) => `service:${input.service}`,
    // the plan reads the world: it answers differently once the world changed
    plan: (input) => ({ service: input.service, to: world.target }),
    apply: (plan) => {
      ledger.push(`scale ${plan.service}=${plan.to}`);
      return plan.to;
    },
  });
  const note = defineAction({
    name: 'ticket.note',
    category: 'write',
    input: z.object({ text: z.string() }),
    resource: () => 'ticket:ops',
    plan: (input) => ({ text: input.text }),
    apply: (plan) => {
      ledger.push(`note ${plan.text}`);
      return true;
    },
  });
  const wf = defineWorkflow({
    name: 'ops.release',
    input: z.object({ service: z.string() }),
    run: async (ctx, input) => {
      const scaled = await ctx.act(scale, input);
      if (world.stray) await ctx.act(note, { text: 'extra' });
      await ctx.act(note, { text: `scaled ${input.service}` });
      return scaled.status;
    },
  });
  return { ledger, world, wf };
}

describe('reviewed plans', () => {
  it('a plan-mode run ends planned; applyPlan applies exactly the reviewed plans', async () => {
    const { ledger, world, wf } = fixture();
    const steward = await useSteward({ workflows: [wf], globalAutonomy: 3 });
    steward.worker.start();
    const handle = await steward.start('ops.release', { service: 'api' }, { mode: 'plan' });
    const planned = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(planned.status).toBe('planned');
    expect(planned.output).toBe('planned');
    expect(ledger).toEqual([]);

    const plan = await steward.planOf(handle.id);
    expect(plan.acts.map((a) => [a.seq, a.action, a.resource, a.plan])).toEqual([
      [1, 'service.scale', 'service:api', { service: 'api', to: 3 }],
      [6, 'ticket.note', 'ticket:ops', { text: 'scaled api' }],
    ]);
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);

    // the world moves on after the review: applying still does what was reviewed
    world.target = 9;
    const wrong = await rejectionOf(steward.applyPlan(handle.id, { expectHash: 'f'.repeat(64) }));
    expect(wrong).toMatchObject({ code: 'STEWARD_PLAN_CHANGED' });
    expect((await steward.run(handle.id)).status).toBe('planned');

    const applied = await steward.applyPlan(handle.id, { expectHash: plan.hash, by: 'User::"bob"', reason: 'CHG-1' });
    expect(applied).toEqual({ runId: handle.id, hash: plan.hash });
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(run).toMatchObject({ status: 'succeeded', mode: 'apply', output: 'applied' });
    expect(ledger).toEqual(['scale api=3', 'note scaled api']);
    expect((await steward.planOf(handle.id)).hash).toBe(plan.hash);

    const twice = await rejectionOf(steward.applyPlan(handle.id));
    expect(twice).toMatchObject({ code: 'STEWARD_VALIDATION' });
    expect(twice.message).toContain('succeeded, not planned');
    const audit = (await steward.store.readAudit({ after: 0, limit: 100 })).find((e) => e.kind === 'plan.applied');
    expect(audit).toMatchObject({ actor: 'User::"bob"', runId: handle.id, data: { hash: plan.hash, reason: 'CHG-1' } });
  });

  it('a run that strays from its reviewed plan is refused before the stray act applies', async () => {
    const { ledger, world, wf } = fixture();
    const steward = await useSteward({ workflows: [wf], globalAutonomy: 3 });
    steward.worker.start();
    const handle = await steward.start('ops.release', { service: 'api' }, { mode: 'plan' });
    await steward.wait(handle.id, { timeoutMs: 15_000 });

    world.stray = true;
    await steward.applyPlan(handle.id);
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('failed');
    expect(run.error?.code).toMatch(/STEWARD_PLAN_CHANGED|STEWARD_NON_DETERMINISM/);
    expect(ledger).toEqual(['scale api=3']);
  });

  it('at autonomy 1 the applied plan still waits for approval, of the reviewed plan', async () => {
    const { ledger, world, wf } = fixture();
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('ops.release', { service: 'api' }, { mode: 'plan', subject: 'Agent::"planner"' });
    await steward.wait(handle.id, { timeoutMs: 15_000 });
    const plan = await steward.planOf(handle.id);
    world.target = 7;
    await steward.applyPlan(handle.id, { expectHash: plan.hash });
    await expect.poll(async () => (await steward.approvals.list({ runId: handle.id })).length, { timeout: 15_000 }).toBe(1);
    const [request] = await steward.approvals.list({ runId: handle.id });
    expect(request).toMatchObject({ plan: { service: 'api', to: 3 }, planHash: plan.acts[0]!.hash });
    expect(ledger).toEqual([]);
  });
});
