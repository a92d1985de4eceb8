/**
 * The engine on PostgreSQL, with a worker in one Steward and the caller in another on the same schema, as in two
 * processes. Both poll only once a minute and renew leases once every 20 s, so each story below can only finish in
 * time if the other side hears of the change through the store's notifications: a new run, a timer, a signal, a
 * child's end, a cancel, a run's end.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { createSteward, defineAction, defineWorkflow, type Steward } from '../../src/index.js';
import { waitForStatus, waitForWaitKind } from '../helpers/runs.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.js';
import { silentLogger } from '../helpers/steward.js';

const url = testPostgresUrl();
const noInput = z.object({});

const greet = defineWorkflow({
  name: 'pg.greet',
  input: z.object({ name: z.string() }),
  async run(ctx, input) {
    return ctx.step('greet', () => `Hello, ${input.name}!`);
  },
});

const nap = defineWorkflow({
  name: 'pg.nap',
  input: noInput,
  async run(ctx) {
    await ctx.sleep('nap', 300);
    return ctx.step('after', () => 'rested');
  },
});

const approval = defineWorkflow({
  name: 'pg.approval',
  input: noInput,
  async run(ctx) {
    const decision = await ctx.waitFor<{ by: string }>('decision');
    return `approved by ${decision.by}`;
  },
});

const parent = defineWorkflow({
  name: 'pg.parent',
  input: noInput,
  async run(ctx) {
    const greeting = await ctx.child(greet, { name: 'child' });
    return { greeting };
  },
});

const stuck = defineWorkflow({
  name: 'pg.stuck',
  input: noInput,
  async run(ctx) {
    return ctx.step('block', (step) => new Promise((_, reject) => step.signal.addEventListener('abort', () => reject(step.signal.reason))));
  },
});

const scaled: string[] = [];

const scale = defineAction({
  name: 'pg.scale',
  category: 'write',
  input: z.object({ service: z.string(), to: z.number() }),
  resource: (input) => `service:${input.service}`,
  plan: (input) => input,
  apply: (plan) => {
    scaled.push(`${plan.service}=${plan.to}`);
    return plan.to;
  },
});

const scaleUp = defineWorkflow({
  name: 'pg.scale-up',
  input: z.object({ service: z.string(), to: z.number() }),
  async run(ctx, input) {
    return (await ctx.act(scale, input)).status;
  },
});

const workflows = [greet, nap, approval, parent, stuck, scaleUp];

/** A worker Steward and a caller Steward on one fresh schema; both closed (and the schema dropped) after the test. */
async function twoProcesses(): Promise<{ worker: Steward; caller: Steward }> {
  const schema = uniqueSchema('engine');
  const store = withSchema(url, schema);
  const options = { store, workflows, logger: silentLogger, pollIntervalMs: 60_000, leaseMs: 60_000 };
  const worker = await createSteward(options);
  const caller = await createSteward(options);
  onTestFinished(async () => {
    await caller.close({ graceMs: 100 });
    await worker.close({ graceMs: 100 });
    const admin = adminPool(url);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  worker.worker.start({ concurrency: 4 });
  return { worker, caller };
}

describe('the engine on PostgreSQL across two processes', () => {
  it('a run started by the caller is executed by the worker, and the caller hears it end', async () => {
    const { caller } = await twoProcesses();

    const handle = await caller.start('pg.greet', { name: 'Ada' });

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('Hello, Ada!');
  });

  it('a sleeping run wakes when its timer comes due', async () => {
    const { caller } = await twoProcesses();

    const handle = await caller.start('pg.nap', {});

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('rested');
    expect((await caller.steps(handle.id)).map((s) => [s.kind, s.status])).toEqual([
      ['sleep', 'completed'],
      ['step', 'completed'],
    ]);
  });

  it('a signal sent by the caller wakes the run waiting for it on the worker', async () => {
    const { caller } = await twoProcesses();
    const handle = await caller.start('pg.approval', {});
    await waitForWaitKind(caller, handle.id, 'signal');

    await caller.signal(handle.id, 'decision', { by: 'carol' });

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('approved by carol');
  });

  it('a parent waiting for its child wakes when the child ends', async () => {
    const { caller } = await twoProcesses();

    const handle = await caller.start('pg.parent', {});

    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({ greeting: 'Hello, child!' });
  });

  it('a cancel asked by the caller stops the step executing on the worker', async () => {
    const { caller } = await twoProcesses();
    const handle = await caller.start('pg.stuck', {});
    await waitForStatus(caller, handle.id, 'running');

    const result = await caller.cancel(handle.id, { reason: 'enough' });

    expect(result).toEqual({ status: 'running', alreadyEnded: false });
    const ended = await caller.wait(handle.id, { timeoutMs: 15_000 });
    expect(ended.status).toBe('cancelled');
  });

  it('a write waits for approval; an approval given by the caller wakes it on the worker, which applies it once', async () => {
    const { caller } = await twoProcesses();
    const handle = await caller.start('pg.scale-up', { service: 'api', to: 4 }, { subject: 'Agent::"planner"' });
    await waitForWaitKind(caller, handle.id, 'approval');
    const [request] = await caller.approvals.list({ runId: handle.id });

    await caller.approvals.approve(request!.id, { principal: 'User::"ops"', roles: ['approver'], reason: 'CHG-9', planHash: request!.planHash });

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
    expect(scaled.filter((s) => s === 'api=4')).toEqual(['api=4']);
  });

  it('the autonomy level set by the caller holds for the worker: at 2 a write applies alone', async () => {
    const { caller } = await twoProcesses();
    await caller.autonomy.set(2, { by: 'User::"ops"' });

    const handle = await caller.start('pg.scale-up', { service: 'web', to: 2 });

    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
  });
});
