/** Fencing through the engine: a worker whose lease was taken over cannot write anything to the run any more. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { allEvents } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { spyOnStore, type StoreSpy } from '../helpers/store-spy.js';
import { latch, waitUntil, withDeadline } from '../helpers/wait.js';

const RUN_WRITES = new Set(['recordStep', 'finishRun', 'suspendRun', 'consumeSignal', 'startChild', 'releaseRun']);

describe('zombie workers', () => {
  it('a worker whose lease expired and was taken over has every later write refused; the run is the new owner’s', async () => {
    const zombieInStep = latch();
    const wakeZombie = latch();
    const transfer = (worker: 'A' | 'B') =>
      defineWorkflow({
        name: 'funds.transfer',
        input: z.object({ amount: z.number() }),
        async run(ctx, input) {
          const debit = await ctx.step('debit', async () => {
            if (worker === 'A') {
              zombieInStep.resolve();
              await wakeZombie.promise;
            }
            return `debited ${input.amount} by ${worker}`;
          });
          const credit = await ctx.step('credit', () => `credited ${input.amount} by ${worker}`);
          return { debit, credit, by: worker };
        },
      });
    let spyA!: StoreSpy;
    // worker A cannot renew its leases (a network partition, a long GC pause): its lease runs out while its step runs
    const a = await useSteward({
      workflows: [transfer('A')],
      leaseMs: 300,
      workerId: 'worker-A',
      wrapStore: (store) => {
        spyA = spyOnStore(store);
        spyA.override('renewLeases', () => Promise.reject(new Error('partitioned from the database')));
        return spyA.store;
      },
    });
    a.worker.start({ concurrency: 1 });
    const handle = await a.start('funds.transfer', { amount: 100 });
    await zombieInStep.promise;
    const claimedByA = await a.run(handle.id);
    await waitUntil(() => claimedByA.leaseExpiresAt! < Date.now(), { what: 'worker A’s lease to expire' });

    const b = await useSteward({ workflows: [transfer('B')], leaseMs: 300, workerId: 'worker-B', dbPath: a.dbPath });
    b.worker.start();
    const finishedByB = await b.wait(handle.id, { timeoutMs: 15_000 });
    expect(finishedByB).toMatchObject({ status: 'succeeded', output: { debit: 'debited 100 by B', credit: 'credited 100 by B', by: 'B' } });
    expect(finishedByB.leaseEpoch).toBeGreaterThan(claimedByA.leaseEpoch);
    const eventsBefore = await allEvents(b, handle.id);
    const seen = spyA.calls.length;

    wakeZombie.resolve();
    await a.worker.idle();

    const zombieWrites = spyA.calls.slice(seen).filter((c) => RUN_WRITES.has(c.method));
    expect(zombieWrites.length).toBeGreaterThan(0);
    expect(zombieWrites.map((c) => [c.method, c.ok, c.code])).toEqual(zombieWrites.map((c) => [c.method, false, 'STEWARD_LEASE_LOST']));
    const run = await b.run(handle.id);
    expect(run).toEqual(finishedByB);
    expect((await b.steps(handle.id)).map((s) => [s.name, s.result])).toEqual([
      ['debit', 'debited 100 by B'],
      ['credit', 'credited 100 by B'],
    ]);
    expect(await allEvents(b, handle.id)).toEqual(eventsBefore);
  });
});

describe('lease loss seen by the heartbeat', () => {
  // A worker whose lease lapsed (heartbeat failing, event loop blocked longer than leaseMs) may claim its own run again
  // (in a free slot, or ahead of time at concurrency 1); its older execution of that run must then be stopped too,
  // not left running unseen beside the new one.
  it.each([1, 4])(
    'a worker (concurrency %i) that learns at its heartbeat that its lease moved on aborts every execution of the run and writes nothing',
    async (concurrency) => {
      const inStep = latch();
      /** One entry per time worker A started the step: whether and why its signal was aborted. */
      const executionsInA: Array<{ abortedWith: string | null }> = [];
      const job = (worker: 'A' | 'B') =>
        defineWorkflow({
          name: 'heartbeat.job',
          input: z.object({}),
          async run(ctx) {
            return ctx.step('work', (step) => {
              if (worker === 'B') return 'done by B';
              const execution = { abortedWith: null as string | null };
              executionsInA.push(execution);
              inStep.resolve();
              return new Promise<string>((resolve) =>
                step.signal.addEventListener('abort', () => {
                  execution.abortedWith = (step.signal.reason as { code?: string }).code ?? 'unknown';
                  resolve('done by A, too late');
                }),
              );
            });
          },
        });
      let spyA!: StoreSpy;
      let partitioned = true;
      const a = await useSteward({
        workflows: [job('A')],
        leaseMs: 300,
        wrapStore: (store) => {
          spyA = spyOnStore(store);
          spyA.override('renewLeases', (real, ...args) =>
            partitioned ? Promise.reject(new Error('partitioned from the database')) : real.renewLeases(...args),
          );
          return spyA.store;
        },
      });
      a.worker.start({ concurrency });
      const handle = await a.start('heartbeat.job', {});
      await inStep.promise;
      const claimedByA = await a.run(handle.id);
      await waitUntil(() => claimedByA.leaseExpiresAt! < Date.now(), { what: 'worker A’s lease to expire' });
      const b = await useSteward({ workflows: [job('B')], leaseMs: 300, dbPath: a.dbPath });
      b.worker.start();
      const finishedByB = await b.wait(handle.id, { timeoutMs: 15_000 });
      expect(finishedByB).toMatchObject({ status: 'succeeded', output: 'done by B' });
      const seen = spyA.calls.length;

      partitioned = false;
      await waitUntil(() => executionsInA.every((e) => e.abortedWith !== null), {
        timeoutMs: 5_000,
        what: `every execution of the run in worker A to be aborted (${JSON.stringify(executionsInA)})`,
      });
      await withDeadline(a.worker.idle(), 5_000, 'worker A to be idle');

      expect(executionsInA.map((e) => e.abortedWith)).toEqual(executionsInA.map(() => 'STEWARD_LEASE_LOST'));
      expect(spyA.calls.slice(seen).filter((c) => RUN_WRITES.has(c.method))).toEqual([]);
      expect(await b.run(handle.id)).toEqual(finishedByB);
    },
  );
});
