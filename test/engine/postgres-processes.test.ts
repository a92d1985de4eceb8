/**
 * The engine on PostgreSQL, with a worker in one Steward and the caller in another on the same schema, as in two
 * processes. Both poll only once a minute and renew leases once every 20 s, so each story below can only finish in
 * time if the other side hears of the change through the store's notifications: a new run, a timer, a signal, a
 * child's end, a cancel, a run's end.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { createSteward, defineWorkflow, type Steward } from '../../src/index.js';
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

const workflows = [greet, nap, approval, parent, stuck];

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
});
