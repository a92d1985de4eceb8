/**
 * `ctx.act`: an action's input is validated, its plan stored (a plan-mode run stops there), its apply called with a
 * key that stays the same across attempts, its verify checked, and a failed verify rolls the apply back. Every phase
 * is a checkpoint of its own.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow, ValidationError, type ActionContext } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';
import { rejectionOf } from '../helpers/wait.js';

interface Call {
  phase: string;
  key: string;
  attempt: number;
  resource: string;
}

function scaleAction(calls: Call[], options: { verifyOk?: boolean; failFirstApply?: boolean; rollback?: boolean } = {}) {
  const note = (phase: string, ctx: ActionContext): void => {
    calls.push({ phase, key: ctx.idempotencyKey, attempt: ctx.attempt, resource: ctx.resource });
  };
  return defineAction({
    name: 'service.scale',
    version: '1.0.0',
    category: 'write',
    input: z.object({ service: z.string(), replicas: z.number().int().min(0) }),
    resource: (input) => `service:${input.service}`,
    budgets: { maxAttempts: 3 },
    plan: (input, ctx) => {
      note('plan', ctx);
      return { service: input.service, from: 2, to: input.replicas };
    },
    apply: (plan, ctx) => {
      note('apply', ctx);
      if (options.failFirstApply === true && ctx.attempt === 1) throw new Error('the API timed out');
      return { service: plan.service, replicas: plan.to };
    },
    verify: (outcome, ctx) => {
      note('verify', ctx);
      return { ok: options.verifyOk ?? true, replicas: outcome.replicas };
    },
    ...(options.rollback === false
      ? {}
      : {
          rollback: (_outcome: unknown, ctx: ActionContext) => {
            note('rollback', ctx);
          },
        }),
  });
}

function scaleWorkflow(action: ReturnType<typeof scaleAction>) {
  return defineWorkflow({
    name: 'ops.scale',
    input: z.object({ service: z.string(), replicas: z.unknown() }),
    run: async (ctx, input) => ctx.act(action, input),
  });
}

describe('ctx.act', () => {
  it('plans, applies with the apply step’s key, verifies, and records each phase once', async () => {
    const calls: Call[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [scaleWorkflow(scaleAction(calls))] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 5 });

    const result = await handle.result({ timeoutMs: 15_000 });

    expect(result).toEqual({
      status: 'applied',
      action: 'service.scale',
      resource: 'service:api',
      plan: { service: 'api', from: 2, to: 5 },
      outcome: { service: 'api', replicas: 5 },
      verification: { ok: true, replicas: 5 },
    });
    expect(calls.map((c) => c.phase)).toEqual(['plan', 'apply', 'verify']);
    expect(calls[1]).toMatchObject({ key: `${handle.id}:3`, resource: 'service:api' });
    const steps = await steward.steps(handle.id);
    // an act takes five sequence numbers in every mode: plan, approval, apply, verify, rollback
    expect(steps.map((s) => [s.seq, s.kind, s.name, s.status])).toEqual([
      [1, 'act.plan', 'service.scale', 'completed'],
      [3, 'act.apply', 'service.scale', 'completed'],
      [4, 'act.verify', 'service.scale', 'completed'],
    ]);
  });

  it('a plan-mode run stores the plan and applies nothing', async () => {
    const calls: Call[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [scaleWorkflow(scaleAction(calls))] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 5 }, { mode: 'plan' });

    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({
      status: 'planned',
      action: 'service.scale',
      resource: 'service:api',
      plan: { service: 'api', from: 2, to: 5 },
    });
    expect(calls.map((c) => c.phase)).toEqual(['plan']);
  });

  it('an apply that fails is retried with the same idempotency key', async () => {
    const calls: Call[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [scaleWorkflow(scaleAction(calls, { failFirstApply: true }))] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 3 });

    await handle.result({ timeoutMs: 15_000 });

    const applies = calls.filter((c) => c.phase === 'apply');
    expect(applies.map((c) => c.attempt)).toEqual([1, 2]);
    expect(new Set(applies.map((c) => c.key))).toEqual(new Set([`${handle.id}:3`]));
  });

  it('a failed verify rolls the apply back and fails the run with STEWARD_ACTION_FAILED', async () => {
    const calls: Call[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [scaleWorkflow(scaleAction(calls, { verifyOk: false }))] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: 3 });

    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_ACTION_FAILED', details: { action: 'service.scale', phase: 'verify', rolledBack: true } });
    expect(calls.map((c) => c.phase)).toEqual(['plan', 'apply', 'verify', 'rollback']);
    expect((await steward.steps(handle.id)).map((s) => s.kind)).toEqual(['act.plan', 'act.apply', 'act.verify', 'act.rollback']);
  });

  it('input failing the action’s schema fails the run with STEWARD_VALIDATION before anything is planned', async () => {
    const calls: Call[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [scaleWorkflow(scaleAction(calls))] });
    steward.worker.start();
    const handle = await steward.start('ops.scale', { service: 'api', replicas: -1 });

    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_VALIDATION');
    expect(run.error?.message).toContain('service.scale');
    expect(calls).toEqual([]);
  });

  it('defineAction refuses a definition with a bad name, category or missing apply, naming each', async () => {
    const error = await rejectionOf(() =>
      defineAction({
        name: 'Not A Name',
        category: 'nuke' as 'read',
        input: z.object({}),
        resource: () => 'x',
        plan: () => ({}),
        apply: undefined as unknown as () => unknown,
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/name/);
    expect(error.message).toMatch(/category/);
    expect(error.message).toMatch(/apply/);
  });
});

describe('saga: a run that fails after applying actions', () => {
  function step3Workflow(calls: string[], compensate: 'auto' | 'none', failThird = true) {
    const make = (name: string, fail: boolean) =>
      defineAction({
        name,
        category: 'write',
        input: z.object({ n: z.number() }),
        resource: (input) => `thing:${name}:${input.n}`,
        budgets: { maxAttempts: 1 },
        plan: (input) => ({ n: input.n }),
        apply: (plan) => {
          calls.push(`apply ${name}`);
          if (fail) throw new Error(`${name} broke`);
          return { done: plan.n };
        },
        rollback: () => {
          calls.push(`rollback ${name}`);
        },
      });
    const first = make('saga.first', false);
    const second = make('saga.second', false);
    const third = make('saga.third', failThird);
    return defineWorkflow({
      name: 'saga.three',
      input: z.object({ n: z.number() }),
      compensate,
      run: async (ctx, input) => {
        await ctx.act(first, input);
        await ctx.act(second, input);
        await ctx.act(third, input);
        return 'done';
      },
    });
  }

  it('the third of three actions fails: the first two are rolled back, last first, and the run ends rolled_back', async () => {
    const calls: string[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [step3Workflow(calls, 'auto')] });
    steward.worker.start();
    const handle = await steward.start('saga.three', { n: 1 });

    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('rolled_back');
    expect(calls).toEqual(['apply saga.first', 'apply saga.second', 'apply saga.third', 'rollback saga.second', 'rollback saga.first']);
    expect(run.error).toMatchObject({
      code: 'STEWARD_ACTION_FAILED',
      details: {
        action: 'saga.third',
        phase: 'apply',
        rollbacks: [
          { action: 'saga.second', resource: 'thing:saga.second:1', rolledBack: true },
          { action: 'saga.first', resource: 'thing:saga.first:1', rolledBack: true },
        ],
      },
    });
    const steps = await steward.steps(handle.id);
    expect(steps.filter((s) => s.kind === 'act.rollback').map((s) => [s.seq, s.name, s.status])).toEqual([
      [5, 'saga.first', 'completed'],
      [10, 'saga.second', 'completed'],
    ]);
    const audit = await steward.store.readAudit({ after: 0, limit: 100 });
    expect(audit.filter((e) => e.kind === 'act.rolled_back').map((e) => e.data.action)).toEqual(['saga.second', 'saga.first']);
    const events = (await steward.events({ after: 0, runId: handle.id, limit: 100 })).map((e) => e.type);
    expect(events.slice(-2)).toEqual(['run.compensating', 'run.rolled_back']);
  });

  it('without compensate: auto, the applied actions stay and the run ends failed', async () => {
    const calls: string[] = [];
    const steward = await useSteward({ globalAutonomy: 3, workflows: [step3Workflow(calls, 'none')] });
    steward.worker.start();
    const handle = await steward.start('saga.three', { n: 2 });

    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(calls).toEqual(['apply saga.first', 'apply saga.second', 'apply saga.third']);
  });
});

describe('the audit log of an act', () => {
  it('records each phase in the transaction of its record, with the run’s subject, secrets redacted, chain intact', async () => {
    const action = defineAction({
      name: 'db.rotate',
      category: 'write',
      input: z.object({ db: z.string() }),
      resource: (input) => `db:${input.db}`,
      plan: (input) => ({ db: input.db, password: 'hunter2-new-password' }),
      apply: (plan) => ({ rotated: plan.db }),
      verify: () => true,
    });
    const wf = defineWorkflow({ name: 'ops.rotate', input: z.object({ db: z.string() }), run: async (ctx, input) => (await ctx.act(action, input)).status });
    const steward = await useSteward({ globalAutonomy: 3, workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('ops.rotate', { db: 'orders' }, { subject: 'User::"alice"' });
    await handle.result({ timeoutMs: 15_000 });

    const chain = await steward.store.readAudit({ after: 0, limit: 100 });
    const entries = chain.filter((e) => e.runId === handle.id);

    expect(entries.map((e) => [e.kind, e.actor, e.runId, e.subject])).toEqual([
      ['run.started', 'User::"alice"', handle.id, null],
      ['act.planned', 'User::"alice"', handle.id, 'Resource::"db:orders"'],
      ['act.applied', 'User::"alice"', handle.id, 'Resource::"db:orders"'],
      ['act.verified', 'User::"alice"', handle.id, 'Resource::"db:orders"'],
    ]);
    expect(entries[2]!.data).toMatchObject({
      action: 'db.rotate',
      idempotencyKey: `${handle.id}:3`,
      outcome: { rotated: 'orders' },
      policy: { decision: 'allow', policies: ['steward.apply-write'] },
    });
    expect(JSON.stringify(entries)).not.toContain('hunter2-new-password');
    expect(entries[1]!.data).toMatchObject({ plan: { db: 'orders', password: '[redacted]' } });
    const { verifyChain } = await import('../../src/audit/chain.js');
    expect(verifyChain(chain)).toMatchObject({ ok: true, count: 5 });
  });
});

describe('the audit log of a run start', () => {
  it('a run started for a subject or a goal is audited once with its creation; a repeat of its key is not', async () => {
    const wf = defineWorkflow({ name: 'ops.noop', input: z.object({}), run: async () => 'ok' });
    const steward = await useSteward({ workflows: [wf] });
    const first = await steward.start('ops.noop', {}, { subject: 'Agent::"planner"', goal: 'tidy up', idempotencyKey: 'k-1' });
    const again = await steward.start('ops.noop', {}, { subject: 'Agent::"planner"', goal: 'tidy up', idempotencyKey: 'k-1' });
    await steward.start('ops.noop', {});

    const entries = await steward.store.readAudit({ after: 0, limit: 10 });

    expect(again.id).toBe(first.id);
    expect(entries.map((e) => [e.kind, e.actor, e.runId])).toEqual([['run.started', 'Agent::"planner"', first.id]]);
    expect(entries[0]!.data).toMatchObject({ workflow: 'ops.noop', mode: 'apply', queue: 'default', idempotencyKey: 'k-1' });
  });
});
