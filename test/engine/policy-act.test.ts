/**
 * Policy on the act path: every plan and apply is decided by the Cedar policies, with the run's subject as principal
 * and its autonomy level in the context. A denied act has no side effect and leaves an audit entry naming the policy
 * that decided; a bad policy file stops start-up with a message naming the file and the policy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSteward, defineAction, defineWorkflow } from '../../src/index.js';
import { verifyChain } from '../../src/audit/chain.js';
import { silentLogger, useSteward } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';

/** A write action whose every phase is written to a ledger. */
function ledgerAction(ledger: string[], category: 'read' | 'write' | 'deploy' = 'write') {
  return defineAction({
    name: 'db.migrate',
    category,
    input: z.object({ db: z.string() }),
    resource: (input) => `db:${input.db}`,
    plan: (input) => {
      ledger.push(`plan ${input.db}`);
      return { db: input.db, to: 42 };
    },
    apply: (plan) => {
      ledger.push(`apply ${plan.db}`);
      return { migrated: plan.db };
    },
  });
}

function workflowOf(action: ReturnType<typeof ledgerAction>) {
  return defineWorkflow({
    name: 'ops.migrate',
    input: z.object({ db: z.string() }),
    run: async (ctx, input) => ctx.act(action, input),
  });
}

function policyFile(text: string): string {
  const dir = useTempDir('steward-policy-');
  const file = join(dir, 'ops.cedar');
  writeFileSync(file, text);
  return file;
}

const NO_PROD = `
@id("ops.no-prod-migrations")
forbid (principal, action == Action::"apply", resource)
when { resource.name like "db:prod*" };
`;

describe('policy on the act path', () => {
  it('a denied action has no side effect, and its audit entry names the deciding policy', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({
      globalAutonomy: 3,
      workflows: [workflowOf(ledgerAction(ledger))],
      policy: { files: [policyFile(NO_PROD)] },
    });
    steward.worker.start();

    const denied = await steward.start('ops.migrate', { db: 'prod-eu' }, { subject: 'Agent::"planner"' });
    const run = await steward.wait(denied.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({
      code: 'STEWARD_POLICY_DENIED',
      details: { action: 'db.migrate', phase: 'apply', resource: 'db:prod-eu', policies: ['ops.no-prod-migrations'] },
    });
    expect(run.error?.message).toContain('"ops.no-prod-migrations"');
    expect(ledger).toEqual(['plan prod-eu']);
    const steps = await steward.steps(denied.id);
    expect(steps.map((s) => [s.kind, s.status, s.attempts])).toEqual([
      ['act.plan', 'completed', 1],
      ['act.apply', 'failed', 0],
    ]);
    const audit = await steward.store.readAudit({ after: 0, limit: 100 });
    const denial = audit.find((e) => e.kind === 'policy.denied');
    expect(denial).toMatchObject({
      actor: 'Agent::"planner"',
      runId: denied.id,
      subject: 'Resource::"db:prod-eu"',
      data: { action: 'db.migrate', phase: 'apply', policies: ['ops.no-prod-migrations'] },
    });
    expect(verifyChain(audit)).toMatchObject({ ok: true });

    // the same action elsewhere is allowed, and its applied entry names the permit that allowed it
    const allowed = await steward.start('ops.migrate', { db: 'staging' }, { subject: 'Agent::"planner"' });
    expect((await steward.wait(allowed.id, { timeoutMs: 15_000 })).status).toBe('succeeded');
    expect(ledger).toEqual(['plan prod-eu', 'plan staging', 'apply staging']);
    const applied = (await steward.store.readAudit({ after: 0, limit: 100 })).find((e) => e.kind === 'act.applied');
    expect(applied?.data).toMatchObject({ policy: { decision: 'allow', policies: ['steward.apply-write'] } });
  });

  it('a policy that forbids planning stops the act before its plan runs', async () => {
    const ledger: string[] = [];
    const steward = await useSteward({
      workflows: [workflowOf(ledgerAction(ledger))],
      policy: { files: [policyFile('@id("ops.agents-plan-nothing")\nforbid (principal is Agent, action == Action::"plan", resource);\n')] },
    });
    steward.worker.start();
    const handle = await steward.start('ops.migrate', { db: 'orders' }, { subject: 'Agent::"planner"', mode: 'plan' });
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEWARD_POLICY_DENIED', details: { phase: 'plan', policies: ['ops.agents-plan-nothing'] } });
    expect(ledger).toEqual([]);
    const audit = await steward.store.readAudit({ after: 0, limit: 100 });
    expect(audit.filter((e) => e.kind === 'policy.denied').map((e) => e.data.policies)).toEqual([['ops.agents-plan-nothing']]);
  });

  it('an action that never asks for approval is denied when its category is above the autonomy level', async () => {
    const ledger: string[] = [];
    const action = defineAction({ ...ledgerAction(ledger), approval: 'never' });
    const steward = await useSteward({ workflows: [workflowOf(action)] });
    steward.worker.start();
    const handle = await steward.start('ops.migrate', { db: 'orders' });
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_POLICY_DENIED');
    expect(run.error?.message).toContain('never asks for it');
    expect(ledger).toEqual(['plan orders']);
  });

  it('a read applies alone at the default autonomy level; a run cannot raise its level above the global one', async () => {
    const reads: string[] = [];
    const writes: string[] = [];
    const read = defineAction({ ...ledgerAction(reads, 'read'), name: 'db.inspect' });
    const write = ledgerAction(writes);
    const wf = defineWorkflow({
      name: 'ops.both',
      input: z.object({ db: z.string() }),
      run: async (ctx, input) => {
        await ctx.act(read, input);
        return ctx.act(write, input);
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const handle = await steward.start('ops.both', { db: 'orders' }, { autonomy: 3 });
    await expect.poll(async () => (await steward.run(handle.id)).waitKind, { timeout: 15_000 }).toBe('approval');
    expect(reads).toEqual(['plan orders', 'apply orders']);
    expect(writes).toEqual(['plan orders']);
    const [request] = await steward.approvals.list();
    expect(request).toMatchObject({ action: 'db.migrate', category: 'write', reasons: ['above-autonomy', 'no-permit'] });
  });

  it('start-up fails on a policy with a syntax error or a schema violation, naming the file and the policy', async () => {
    const broken = policyFile('@id("ops.broken")\npermit (principal, action == Action::"apply", resource) when { context.autonomy >= };\n');
    const syntax = await rejectionOf(createSteward({ store: `sqlite:${join(useTempDir(), 's.db')}`, logger: silentLogger, policy: { files: [broken] } }));
    expect(syntax).toMatchObject({ code: 'STEWARD_POLICY_INVALID' });
    expect(syntax.message).toContain(broken);

    const wrongType = policyFile('@id("ops.wrong-type")\npermit (principal, action == Action::"apply", resource) when { resource.category > 2 };\n');
    const schema = await rejectionOf(createSteward({ store: `sqlite:${join(useTempDir(), 's.db')}`, logger: silentLogger, policy: { files: [wrongType] } }));
    expect(schema).toMatchObject({ code: 'STEWARD_POLICY_INVALID' });
    expect(schema.message).toContain(wrongType);
    expect(schema.message).toContain('ops.wrong-type');
  });

  it('refuses a subject that is not a principal', async () => {
    const steward = await useSteward({ workflows: [workflowOf(ledgerAction([]))] });
    const error = await rejectionOf(steward.start('ops.migrate', { db: 'orders' }, { subject: 'alice' }));
    expect(error).toMatchObject({ code: 'STEWARD_VALIDATION' });
    expect(error.message).toContain('User::"alice"');
  });
});
