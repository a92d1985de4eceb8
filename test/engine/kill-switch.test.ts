/**
 * The kill switch: while it is on no apply starts, applies in flight see their signal aborted and their runs pause;
 * turned off, the paused runs resume and their applies run again under the same idempotency keys.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';
import { allEvents } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { waitUntil } from '../helpers/wait.js';

const RUNS = 50;

describe('the kill switch', () => {
  it(`turned on while ${RUNS} applies are in flight: each sees its signal aborted within 1 s, none starts until it is off, then all complete`, async () => {
    let released = false;
    const applies: Array<{ runId: string; key: string; at: number }> = [];
    const aborts = new Map<string, number>();
    const deploy = defineAction({
      name: 'service.deploy',
      category: 'deploy',
      input: z.object({ n: z.number() }),
      resource: (input) => `service:s${input.n}`,
      budgets: { maxAttempts: 1 },
      plan: (input) => ({ n: input.n }),
      apply: async (plan, ctx) => {
        applies.push({ runId: ctx.runId, key: ctx.idempotencyKey, at: Date.now() });
        if (released) return { deployed: plan.n };
        // a long deploy that honours its signal
        await new Promise<void>((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborts.set(ctx.runId, Date.now());
            reject(ctx.signal.reason as Error);
          });
        });
        return { deployed: plan.n };
      },
    });
    const wf = defineWorkflow({
      name: 'ks.deploy',
      input: z.object({ n: z.number() }),
      run: async (ctx, input) => (await ctx.act(deploy, input)).status,
    });
    const steward = await useSteward({ globalAutonomy: 3, workflows: [wf] });
    steward.worker.start({ concurrency: 64 });
    const handles = await Promise.all(Array.from({ length: RUNS }, (_, n) => steward.start('ks.deploy', { n })));
    await waitUntil(() => applies.length === RUNS || null, { timeoutMs: 15_000, what: `${RUNS} applies in flight` });

    const switchedOnAt = Date.now();
    const on = await steward.killSwitch(true, { by: 'User::"oncall"', reason: 'bad deploy wave' });
    expect(on.killSwitch).toMatchObject({ on: true, by: 'User::"oncall"', reason: 'bad deploy wave' });

    await waitUntil(() => aborts.size === RUNS || null, { timeoutMs: 5_000, what: 'every apply to see its signal aborted' });
    const latest = Math.max(...aborts.values()) - switchedOnAt;
    expect(latest).toBeLessThan(1_000);
    await waitUntil(
      async () => {
        const page = await steward.list({ workflow: 'ks.deploy', status: 'paused', limit: 100 });
        return page.runs.length === RUNS || null;
      },
      { timeoutMs: 5_000, what: 'every run to be paused' },
    );
    // a new run, and a while with the switch on: no apply starts
    const late = await steward.start('ks.deploy', { n: RUNS });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(applies.length).toBe(RUNS);

    released = true;
    await steward.killSwitch(false, { by: 'User::"oncall"', reason: 'fixed' });
    const outputs = await Promise.all([...handles, late].map((h) => h.result({ timeoutMs: 15_000 })));
    expect(outputs.every((o) => o === 'applied')).toBe(true);

    // each run applied again under the key of its apply step, and none before the switch went off
    for (const handle of handles) {
      const keys = applies.filter((a) => a.runId === handle.id).map((a) => a.key);
      expect(keys).toEqual([`${handle.id}:3`, `${handle.id}:3`]);
    }
    const events = (await allEvents(steward)).map((e) => e.type);
    expect(events.filter((t) => t === 'run.paused')).toHaveLength(RUNS + 1);
    const audit = (await steward.store.readAudit({ after: 0, limit: 1000 })).filter((a) => a.kind.startsWith('kill_switch.'));
    expect(audit.map((a) => [a.kind, a.actor])).toEqual([
      ['kill_switch.on', 'User::"oncall"'],
      ['kill_switch.off', 'User::"oncall"'],
    ]);
  });

  it('is read by a second Steward on the same database, which pauses its own applies', async () => {
    const applied: string[] = [];
    const act = defineAction({
      name: 'svc.noop',
      category: 'write',
      input: z.object({}),
      resource: () => 'svc:one',
      plan: () => ({}),
      apply: (_plan, ctx) => {
        applied.push(ctx.runId);
        return true;
      },
    });
    const wf = defineWorkflow({ name: 'ks.other', input: z.object({}), run: async (ctx) => (await ctx.act(act, {})).status });
    const admin = await useSteward({ globalAutonomy: 3, workflows: [wf] });
    const worker = await useSteward({ globalAutonomy: 3, workflows: [wf], dbPath: admin.dbPath });
    await admin.killSwitch(true, { reason: 'maintenance' });
    await waitUntil(async () => (await worker.controls()).killSwitch.on || null, { timeoutMs: 5_000 });
    worker.worker.start();
    const handle = await worker.start('ks.other', {});
    await waitUntil(async () => ((await worker.run(handle.id)).status === 'paused' ? true : null), { timeoutMs: 5_000 });
    expect(applied).toEqual([]);

    await admin.killSwitch(false);
    expect(await handle.result({ timeoutMs: 15_000 })).toBe('applied');
    expect(applied).toEqual([handle.id]);
  });
});
