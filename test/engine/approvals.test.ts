/**
 * Approvals: at autonomy 1 a write waits for a person. The request holds the plan and its hash; the requester cannot
 * approve it; an approval needs a reason-for-access and a principal policy lets approve; an expired request is a
 * denial; an approval serves one act's plan, once.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';
import { verifyChain } from '../../src/audit/chain.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';

const REQUESTER = 'Agent::"planner"';
const APPROVER = { principal: 'User::"bob"', roles: ['approver'] };

function scaleAction(ledger: string[]) {
  return defineAction({
    name: 'service.scale',
    category: 'write',
    input: z.object({ service: z.string(), replicas: z.number().int() }),
    resource: (input) => `service:${input.service}`,
    plan: (input) => ({ service: input.service, to: input.replicas }),
    apply: (plan, ctx) => {
      ledger.push(`apply ${plan.service}=${plan.to} key=${ctx.idempotencyKey}`);
      return { replicas: plan.to };
    },
  });
}

function scaleWorkflow(ledger: string[]) {
  const action = scaleAction(ledger);
  return defineWorkflow({
    name: 'ops.scale',
    input: z.object({ service: z.string(), replicas: z.number().int(), twice: z.boolean().default(false) }),
    run: async (ctx, input) => {
      const first = await ctx.act(action, { service: input.service, replicas: input.replicas });
      if (!input.twice) return first.status;
      const second = await ctx.act(action, { service: input.service, replicas: input.replicas + 1 });
      return second.status;
    },
  });
}

async function pendingRequest(steward: Awaited<ReturnType<typeof useSteward>>, runId: string) {
  await expect.poll(async () => (await steward.run(runId)).waitKind, { timeout: 15_000 }).toBe('approval');
  const [request, ...more] = await steward.approvals.list({ runId });
  expect(more).toEqual([]);
  return request!;
}

describe('approvals', () => {
  it('a write waits at autonomy 1; the requester cannot approve; no reason is refused; then an approver applies it once', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({ workflows: [scaleWorkflow(ledger)] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 5 }, { subject: REQUESTER, goal: 'handle the load' });

    const request = await pendingRequest(steward, handle.id);
    expect(request).toMatchObject({
      status: 'pending',
      action: 'service.scale',
      category: 'write',
      resource: 'service:api',
      plan: { service: 'api', to: 5 },
      requester: REQUESTER,
      reasons: ['above-autonomy', 'no-permit'],
    });
    expect(request.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await steward.run(handle.id)).status).toBe('waiting');
    expect(ledger).toEqual([]);

    const self = await rejectionOf(steward.approvals.approve(request.id, { principal: REQUESTER, roles: ['approver'], reason: 'it is fine' }));
    expect(self).toMatchObject({ code: 'STEWARD_APPROVAL_REFUSED' });
    expect(self.message).toContain('cannot decide it');

    const noReason = await rejectionOf(steward.approvals.approve(request.id, APPROVER));
    expect(noReason).toMatchObject({ code: 'STEWARD_APPROVAL_REFUSED' });
    expect(noReason.message).toContain('reason-for-access');
    const blank = await rejectionOf(steward.approvals.approve(request.id, { ...APPROVER, reason: '   ' }));
    expect(blank.message).toContain('reason-for-access');

    const notApprover = await rejectionOf(steward.approvals.approve(request.id, { principal: 'User::"carol"', reason: 'looks right' }));
    expect(notApprover).toMatchObject({ code: 'STEWARD_POLICY_DENIED', details: { phase: 'approve' } });
    const agent = await rejectionOf(steward.approvals.approve(request.id, { principal: 'Agent::"reviewer"', roles: ['approver'], reason: 'ok' }));
    expect(agent).toMatchObject({ code: 'STEWARD_POLICY_DENIED', details: { policies: ['steward.agents-never-approve'] } });

    const wrongPlan = await rejectionOf(steward.approvals.approve(request.id, { ...APPROVER, reason: 'INC-42', planHash: '0'.repeat(64) }));
    expect(wrongPlan).toMatchObject({ code: 'STEWARD_APPROVAL_REFUSED' });
    expect(wrongPlan.message).toContain(request.planHash);
    expect((await steward.approvals.get(request.id)).status).toBe('pending');

    const approved = await steward.approvals.approve(request.id, { ...APPROVER, reason: 'INC-42: scale for the sale', planHash: request.planHash });
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'User::"bob"', reason: 'INC-42: scale for the sale' });

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
    expect(ledger).toEqual([`apply api=5 key=${handle.id}:3`]);
    expect((await steward.approvals.get(request.id)).consumedAt).not.toBeNull();
    const again = await rejectionOf(steward.approvals.approve(request.id, { ...APPROVER, reason: 'again' }));
    expect(again.message).toContain('a decision is final');

    const audit = await steward.store.readAudit({ after: 0, limit: 100 });
    const kinds = audit.map((e) => e.kind);
    expect(kinds).toEqual(['run.started', 'act.planned', 'approval.requested', 'policy.denied', 'policy.denied', 'approval.approved', 'act.applied']);
    expect(audit.find((e) => e.kind === 'approval.approved')).toMatchObject({
      actor: 'User::"bob"',
      runId: handle.id,
      data: { approvalId: request.id, planHash: request.planHash, reason: 'INC-42: scale for the sale' },
    });
    expect(audit.find((e) => e.kind === 'act.applied')?.data).toMatchObject({
      approval: { id: request.id, by: 'User::"bob"' },
      policy: { decision: 'allow', policies: ['steward.apply-approved'] },
    });
    expect(verifyChain(audit)).toMatchObject({ ok: true });
  });

  it('an approval serves its own act only: the next act of the run asks again, for its own plan', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({ workflows: [scaleWorkflow(ledger)] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 5, twice: true }, { subject: REQUESTER });

    const first = await pendingRequest(steward, handle.id);
    await steward.approvals.approve(first.id, { ...APPROVER, reason: 'INC-7' });
    await expect.poll(async () => (await steward.approvals.list({ runId: handle.id })).length, { timeout: 15_000 }).toBe(1);
    const [second] = await steward.approvals.list({ runId: handle.id });
    expect(second!.id).not.toBe(first.id);
    expect(second!.planHash).not.toBe(first.planHash);
    expect(second!.plan).toEqual({ service: 'api', to: 6 });
    expect(ledger).toEqual([`apply api=5 key=${handle.id}:3`]);

    // the first approval, reviewed for the first plan, is not accepted for the second
    const reused = await rejectionOf(steward.approvals.approve(second!.id, { ...APPROVER, reason: 'INC-7', planHash: first.planHash }));
    expect(reused).toMatchObject({ code: 'STEWARD_APPROVAL_REFUSED' });
    await steward.approvals.approve(second!.id, { ...APPROVER, reason: 'INC-7', planHash: second!.planHash });
    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
    expect(ledger).toEqual([`apply api=5 key=${handle.id}:3`, `apply api=6 key=${handle.id}:8`]);
  });

  it('an expired request denies the act, and cannot be approved afterwards', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({ workflows: [scaleWorkflow(ledger)], approvals: { timeoutMs: 400 } });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 5 }, { subject: REQUESTER });
    const request = await pendingRequest(steward, handle.id);

    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_APPROVAL_DENIED', details: { approvalId: request.id, status: 'expired' } });
    expect(ledger).toEqual([]);
    expect((await steward.approvals.get(request.id)).status).toBe('expired');
    const late = await rejectionOf(steward.approvals.approve(request.id, { ...APPROVER, reason: 'sorry, late' }));
    expect(late).toMatchObject({ code: 'STEWARD_APPROVAL_REFUSED' });
    expect(late.message).toContain('expired');
    const kinds = (await steward.store.readAudit({ after: 0, limit: 100 })).map((e) => e.kind);
    expect(kinds).toContain('approval.expired');
  });

  it('a denial fails the act with the denier and the reason, and nothing applies', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({ workflows: [scaleWorkflow(ledger)] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 50 }, { subject: REQUESTER });
    const request = await pendingRequest(steward, handle.id);

    await steward.approvals.deny(request.id, { ...APPROVER, reason: 'fifty is too many' });

    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_APPROVAL_DENIED', details: { status: 'denied', by: 'User::"bob"', reason: 'fifty is too many' } });
    expect(ledger).toEqual([]);
  });

  it('approval: always asks even at autonomy 3; a read approved without a reason applies', async () => {
    const ledger: string[] = [];
    const read = defineAction({
      name: 'secrets.read',
      category: 'read',
      approval: 'always',
      input: z.object({ name: z.string() }),
      resource: (input) => `secret:${input.name}`,
      plan: (input) => ({ name: input.name }),
      apply: (plan) => {
        ledger.push(`read ${plan.name}`);
        return 'value';
      },
    });
    const wf = defineWorkflow({ name: 'ops.read', input: z.object({ name: z.string() }), run: async (ctx, input) => (await ctx.act(read, input)).status });
    const steward = await useSteward({ workflows: [wf], globalAutonomy: 3 });
    steward.worker.start();
    const handle = await steward.start('ops.read', { name: 'db-password' }, { subject: REQUESTER });
    const request = await pendingRequest(steward, handle.id);
    expect(request.reasons).toEqual(['action-requires-approval']);
    await steward.approvals.approve(request.id, APPROVER);
    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
    expect(ledger).toEqual(['read db-password']);
  });

  it('refuses bad decisions with clear errors and loses nothing', async () => {
    const steward = await useSteward({ workflows: [scaleWorkflow([])] });
    const missing = await rejectionOf(steward.approvals.approve('apr_nope', { ...APPROVER, reason: 'x' }));
    expect(missing).toMatchObject({ code: 'STEWARD_APPROVAL_NOT_FOUND' });
    const badPrincipal = await rejectionOf(steward.approvals.approve('apr_nope', { principal: 'bob', reason: 'x' }));
    expect(badPrincipal).toMatchObject({ code: 'STEWARD_APPROVAL_REFUSED' });
    expect(badPrincipal.message).toContain('Type::"id"');
    const badOption = await rejectionOf(steward.approvals.deny('apr_nope', { principal: 'User::"bob"', reason: 'x', extra: 1 } as never));
    expect(badOption).toMatchObject({ code: 'STEWARD_VALIDATION' });
    const badFilter = await rejectionOf(steward.approvals.list({ status: 'maybe' as never }));
    expect(badFilter).toMatchObject({ code: 'STEWARD_VALIDATION' });
  });
});

describe('autonomy', () => {
  it('the global level is set, audited and capped by: a write at level 2 applies alone', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({ workflows: [scaleWorkflow(ledger)] });
    steward.worker.start();
    expect(await steward.autonomy.get()).toBe(1);
    await steward.autonomy.set(2, { by: 'User::"ops"', reason: 'calm week' });
    expect(await steward.autonomy.get()).toBe(2);
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 3 });
    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
    // a run's own level is capped by the global one, never raised by it
    const low = await steward.start('ops.scale', { service: 'web', replicas: 3 }, { autonomy: 1 });
    await expect.poll(async () => (await steward.run(low.id)).waitKind, { timeout: 15_000 }).toBe('approval');

    const error = await rejectionOf(steward.autonomy.set(4));
    expect(error).toMatchObject({ code: 'STEWARD_VALIDATION' });
    expect(error.message).toContain('0 to 3');
    const changed = (await steward.store.readAudit({ after: 0, limit: 100 })).filter((e) => e.kind === 'autonomy.changed');
    expect(changed.map((e) => [e.actor, e.data])).toEqual([['User::"ops"', { from: 1, to: 2, reason: 'calm week' }]]);
  });
});
