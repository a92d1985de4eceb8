/**
 * The Store conformance suite: every store (SQLite now, PostgreSQL later) runs these same stories through the Store
 * interface. A store joins by calling `defineStoreConformance(name, factory)` from a `*.test.ts` file.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_STATUSES, RUN_TRANSITIONS, type Lease, type RunStatus, type Store } from '../../src/index.js';
import type { NewApproval, NewRun, StepWrite, Suspension } from '../../src/store/store.js';
import { newRunOf } from '../helpers/new-run.js';
import { rejectionOf } from '../helpers/wait.js';
import { verifyChain, GENESIS_HASH } from '../../src/audit/chain.js';
import type { AuditInput, BreakerAuditTemplate } from '../../src/store/store.js';

/** Plain database access beside the Store, so that the suite can check what the database itself enforces. */
export interface RawDatabase {
  /** Sets a run's status with one plain UPDATE, bypassing the Store (the database's own guard must refuse illegal changes). */
  setRunStatus(runId: string, status: string): Promise<void>;
  /** The rows of the database's status transition table. */
  statusTransitions(): Promise<Array<{ from: string; to: string }>>;
}

/** A fresh, empty store for one test, and how to dispose of it. */
export interface StoreUnderTest {
  store: Store;
  raw: RawDatabase;
  /** Opens a second store on the same database, as another process would; cleanup closes it. */
  openAnother(): Promise<Store>;
  cleanup(): Promise<void>;
}

/** Makes a fresh store for each test. */
export type StoreFactory = () => Promise<StoreUnderTest>;

const LEASE_MS = 1000;

/** Runs the conformance suite against the stores a factory makes. */
export function defineStoreConformance(name: string, makeStore: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let raw: RawDatabase;
    let openAnother: () => Promise<Store>;
    let cleanup: () => Promise<void>;
    /** A time base; the suite passes every "now" explicitly, so time only moves when a test says so. */
    let T0: number;

    beforeEach(async () => {
      ({ store, raw, cleanup, openAnother } = await makeStore());
      T0 = Date.now();
    });

    afterEach(async () => {
      await cleanup();
    });

    function newRun(fields: Partial<NewRun> = {}): NewRun {
      return newRunOf(fields, T0);
    }

    async function create(fields: Partial<NewRun> = {}): Promise<string> {
      const { run } = await store.createRun(newRun(fields));
      return run.id;
    }

    async function claim(owner: string, now: number, fields: { workflows?: string[]; queues?: string[]; limit?: number } = {}) {
      return store.claimRuns({
        owner,
        queues: fields.queues ?? ['default'],
        workflows: fields.workflows ?? ['wf.test'],
        limit: fields.limit ?? 10,
        leaseMs: LEASE_MS,
        now,
      });
    }

    /** Claims exactly one run (the test arranged that it is the only runnable one) and returns its lease. */
    async function claimOne(owner: string, now: number, fields: { workflows?: string[]; queues?: string[] } = {}): Promise<Lease> {
      const claimed = await claim(owner, now, { ...fields, limit: 1 });
      expect(claimed).toHaveLength(1);
      return claimed[0]!.lease;
    }

    function completedStep(seq: number, result: unknown, at: number, fields: Partial<StepWrite> = {}): StepWrite {
      return {
        seq,
        kind: 'step',
        name: `step-${seq}`,
        status: 'completed',
        attempts: 1,
        resultJson: JSON.stringify(result),
        error: null,
        wakeAt: null,
        startedAt: at,
        finishedAt: at,
        ...fields,
      };
    }

    const cancelReason = { code: 'STEWARD_RUN_CANCELLED', name: 'RunCancelledError', message: 'cancelled by the test' };

    describe('creating and reading runs', () => {
      it('a created run reads back with every field it was given', async () => {
        const given = newRun({
          workflow: 'wf.test',
          workflowVersion: '7',
          inputJson: JSON.stringify({ service: 'api', replicas: 3, tags: ['a', 'b'] }),
          mode: 'plan',
          autonomy: 2,
          subject: 'User::"alice"',
          goal: 'scale the api',
          idempotencyKey: `key-${randomUUID()}`,
          queue: 'deploys',
          priority: 5,
          timeoutMs: 60_000,
          runnableAt: T0 + 10,
        });

        const { run: created, created: isNew } = await store.createRun(given);
        const read = await store.getRun(given.id);

        expect(isNew).toBe(true);
        expect(read).toEqual(created);
        expect(read).toMatchObject({
          id: given.id,
          workflow: 'wf.test',
          workflowVersion: '7',
          input: { service: 'api', replicas: 3, tags: ['a', 'b'] },
          status: 'queued',
          mode: 'plan',
          autonomy: 2,
          subject: 'User::"alice"',
          goal: 'scale the api',
          idempotencyKey: given.idempotencyKey,
          queue: 'deploys',
          priority: 5,
          parentId: null,
          output: null,
          error: null,
          runnableAt: T0 + 10,
          timeoutMs: 60_000,
          deadlineAt: T0 + 60_000,
          cancelRequested: false,
          leaseOwner: null,
          claims: 0,
          createdAt: T0,
          startedAt: null,
          finishedAt: null,
        });
      });

      it('reading a run that does not exist gives null', async () => {
        expect(await store.getRun('run_does_not_exist')).toBeNull();
      });

      it('a second create with the same idempotency key returns the first run and creates nothing', async () => {
        const key = `order-${randomUUID()}`;
        const first = await store.createRun(newRun({ idempotencyKey: key, inputJson: '{"n":1}' }));
        const second = await store.createRun(newRun({ idempotencyKey: key, inputJson: '{"n":2}' }));

        expect(first.created).toBe(true);
        expect(second.created).toBe(false);
        expect(second.run.id).toBe(first.run.id);
        expect(second.run.input).toEqual({ n: 1 });
        const page = await store.listRuns({ limit: 10 });
        expect(page.runs.map((r) => r.id)).toEqual([first.run.id]);
      });

      it('a run cannot be created in a status other than queued or planned', async () => {
        const run = newRun({ status: 'running' as unknown as 'queued' });

        const error = await rejectionOf(store.createRun(run));

        expect(error.code).toBe('STEWARD_ILLEGAL_TRANSITION');
        expect(await store.getRun(run.id)).toBeNull();
      });
    });

    describe('queues', () => {
      it('a queue at its maxQueued refuses new runs with STEWARD_QUEUE_FULL, and accepts again once one leaves', async () => {
        await store.configureQueues([{ name: 'small', concurrency: null, maxQueued: 2 }]);
        await create({ queue: 'small' });
        await create({ queue: 'small', idempotencyKey: 'kept' });

        const refused = newRun({ queue: 'small' });
        const error = await rejectionOf(store.createRun(refused));
        expect(error.code).toBe('STEWARD_QUEUE_FULL');
        expect(error.message).toContain('small');
        expect(await store.getRun(refused.id)).toBeNull();
        expect(await store.getQueue('small')).toMatchObject({ name: 'small', maxQueued: 2, queued: 2, running: 0 });

        // asking again for a run that exists is not a new run: it is answered even when the queue is full
        const again = await store.createRun(newRun({ queue: 'small', idempotencyKey: 'kept' }));
        expect(again.created).toBe(false);

        await claimOne('worker-a', T0, { queues: ['small'] });
        expect((await store.createRun(newRun({ queue: 'small' }))).created).toBe(true);
      });

      it('getQueue counts queued and running runs, and knows no queue it never saw', async () => {
        await store.configureQueues([{ name: 'counted', concurrency: 3, maxQueued: null }]);
        await create({ queue: 'counted' });
        await create({ queue: 'counted' });
        await claimOne('worker-a', T0, { queues: ['counted'] });

        expect(await store.getQueue('counted')).toEqual({ name: 'counted', concurrency: 3, maxQueued: null, queued: 1, running: 1 });
        expect(await store.getQueue('never-seen')).toBeNull();
      });
    });

    describe('claiming runs', () => {
      it('claims the highest priority first and the oldest first within one priority', async () => {
        const low = await create({ priority: 0, createdAt: T0 });
        const highOld = await create({ priority: 5, createdAt: T0 + 1 });
        const middle = await create({ priority: 1, createdAt: T0 + 2 });
        const highNew = await create({ priority: 5, createdAt: T0 + 3 });
        const negative = await create({ priority: -3, createdAt: T0 + 4 });

        const order: string[] = [];
        for (let i = 0; i < 5; i += 1) order.push((await claimOne(`worker-${i}`, T0 + 10)).runId);

        expect(order).toEqual([highOld, highNew, middle, low, negative]);
      });

      it('one claim of many runs returns them in priority order', async () => {
        const a = await create({ priority: 1 });
        const b = await create({ priority: 9 });
        const c = await create({ priority: 1 });

        const claimed = await claim('worker-a', T0, { limit: 3 });

        expect(claimed.map((c) => c.run.id)).toEqual([b, a, c]);
      });

      it('a run created with an eager claim is running under that lease at once, and nobody else claims it', async () => {
        const given = newRun();

        const result = await store.createRun(given, { owner: 'worker-a', leaseMs: LEASE_MS });

        expect(result.created).toBe(true);
        expect(result.claimed?.lease).toEqual({ runId: given.id, owner: 'worker-a', epoch: 1 });
        expect(result.claimed?.steps).toEqual([]);
        expect(await store.getRun(given.id)).toMatchObject({ status: 'running', leaseOwner: 'worker-a', claims: 1 });
        expect(await claim('worker-b', T0 + 1)).toEqual([]);
      });

      it('an eager claim is not taken for a queue with a concurrency limit, a later run, or an existing key', async () => {
        await store.configureQueues([{ name: 'limited', concurrency: 5, maxQueued: null }]);
        const eager = { owner: 'worker-a', leaseMs: LEASE_MS };

        const limited = await store.createRun(newRun({ queue: 'limited' }), eager);
        const later = await store.createRun(newRun({ runnableAt: T0 + 60_000 }), eager);
        await store.createRun(newRun({ idempotencyKey: 'once' }));
        const again = await store.createRun(newRun({ idempotencyKey: 'once' }), eager);

        for (const result of [limited, later, again]) expect(result.claimed).toBeUndefined();
        expect((await store.getRun(limited.run.id))?.status).toBe('queued');
        expect((await store.getRun(later.run.id))?.status).toBe('queued');
        expect(again.created).toBe(false);
      });

      it('a claimed run is running under the claimer’s lease and is not claimed by anyone else', async () => {
        const id = await create();

        const [claimed] = await claim('worker-a', T0 + 5);
        const second = await claim('worker-b', T0 + 6);

        expect(claimed!.lease).toEqual({ runId: id, owner: 'worker-a', epoch: claimed!.lease.epoch });
        expect(claimed!.steps).toEqual([]);
        expect(claimed!.run).toMatchObject({ id, status: 'running', leaseOwner: 'worker-a', claims: 1, startedAt: T0 + 5 });
        expect(claimed!.run.leaseExpiresAt).toBe(T0 + 5 + LEASE_MS);
        expect(second).toEqual([]);
      });

      it('a queue’s concurrency holds across two owners', async () => {
        await store.configureQueues([{ name: 'narrow', concurrency: 2, maxQueued: null }]);
        const ids = [];
        for (let i = 0; i < 4; i += 1) ids.push(await create({ queue: 'narrow', createdAt: T0 + i }));

        const byA = await claim('worker-a', T0 + 10, { queues: ['narrow'] });
        const byB = await claim('worker-b', T0 + 10, { queues: ['narrow'] });
        expect(byA.map((c) => c.run.id)).toEqual([ids[0], ids[1]]);
        expect(byB).toEqual([]);
        expect(await store.getQueue('narrow')).toMatchObject({ running: 2, queued: 2 });

        await store.finishRun(byA[0]!.lease, { status: 'succeeded', outputJson: 'null' }, T0 + 20);
        const nextB = await claim('worker-b', T0 + 21, { queues: ['narrow'] });
        const moreA = await claim('worker-a', T0 + 21, { queues: ['narrow'] });

        expect(nextB.map((c) => c.run.id)).toEqual([ids[2]]);
        expect(moreA).toEqual([]);
      });

      it('runs of a queue with a concurrency limit are never claimed ahead; other runs are', async () => {
        await store.configureQueues([{ name: 'narrow', concurrency: 5, maxQueued: null }]);
        for (let i = 0; i < 3; i += 1) {
          await create({ queue: 'narrow', createdAt: T0 + i });
          await create({ queue: 'default', createdAt: T0 + i });
        }
        const request = { owner: 'worker-a', workflows: ['wf.test'], limit: 3, ahead: 2, leaseMs: LEASE_MS, now: T0 + 10 };

        const narrow = await store.claimRuns({ ...request, queues: ['narrow'] });
        const open = await store.claimRuns({ ...request, queues: ['default'] });

        expect(narrow).toHaveLength(1);
        expect(open).toHaveLength(3);
        expect(await store.getQueue('narrow')).toMatchObject({ running: 1, queued: 2 });
      });

      it('claims only runs of the listed workflows and queues', async () => {
        const a1 = await create({ workflow: 'wf.a' });
        const b1 = await create({ workflow: 'wf.b' });
        const a2 = await create({ workflow: 'wf.a' });
        const elsewhere = await create({ workflow: 'wf.a', queue: 'elsewhere' });

        const onlyB = await claim('worker-b', T0, { workflows: ['wf.b'] });
        const onlyA = await claim('worker-a', T0, { workflows: ['wf.a'] });
        const other = await claim('worker-c', T0, { workflows: ['wf.a'], queues: ['elsewhere'] });

        expect(onlyB.map((c) => c.run.id)).toEqual([b1]);
        expect(onlyA.map((c) => c.run.id)).toEqual([a1, a2]);
        expect(other.map((c) => c.run.id)).toEqual([elsewhere]);
      });

      it('a run is not claimed before its runnableAt, and nextRunnableAt says when it will be', async () => {
        const id = await create({ runnableAt: T0 + 5000 });

        expect(await claim('worker-a', T0 + 4999)).toEqual([]);
        expect(await store.nextRunnableAt(['default'], ['wf.test'])).toBe(T0 + 5000);
        expect((await claim('worker-a', T0 + 5000)).map((c) => c.run.id)).toEqual([id]);
      });
    });

    describe('leases and fencing', () => {
      it('writes under an old epoch or another owner are refused with STEWARD_LEASE_LOST and change nothing', async () => {
        const id = await create();
        const other = await create();
        const lease = await claimOne('worker-a', T0);
        const eventsBefore = await store.readEvents({ after: 0, runId: id, limit: 1000 });
        const before = await store.getRun(id);
        const forged: Lease[] = [
          { ...lease, epoch: lease.epoch + 1 },
          { ...lease, epoch: lease.epoch - 1 },
          { ...lease, owner: 'worker-b' },
        ];

        for (const bad of forged) {
          const attempts: Array<Promise<unknown>> = [
            store.recordStep(bad, completedStep(1, 'zombie', T0 + 1)),
            store.finishRun(bad, { status: 'succeeded', outputJson: '"zombie"' }, T0 + 1),
            store.finishRun(bad, { status: 'failed', error: { code: 'X', name: 'Error', message: 'zombie' } }, T0 + 1),
            store.suspendRun(bad, { kind: 'timer', ref: 'nap', runnableAt: T0 + 100, step: null, now: T0 + 1 }),
            store.releaseRun(bad, T0 + 1),
            store.consumeSignal(bad, { seq: 1, name: 'go', deadline: null, startedAt: T0 + 1, now: T0 + 1 }),
            store.startChild(bad, newRun({ parentId: id, idempotencyKey: `${id}:1` }), {
              ...completedStep(1, { childId: 'x' }, T0 + 1),
              kind: 'child',
              status: 'waiting',
              finishedAt: null,
            }),
          ];
          for (const attempt of attempts) expect((await rejectionOf(attempt)).code).toBe('STEWARD_LEASE_LOST');
        }

        expect(await store.getRun(id)).toEqual(before);
        expect(await store.listSteps(id)).toEqual([]);
        expect((await store.listRuns({ parentId: id, limit: 10 })).runs).toEqual([]);
        expect(await store.readEvents({ after: 0, runId: id, limit: 1000 })).toEqual(eventsBefore);
        expect((await store.getRun(other))?.status).toBe('queued');
      });

      it('the real lease still writes after the forged ones were refused', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await rejectionOf(store.recordStep({ ...lease, owner: 'worker-b' }, completedStep(1, 'zombie', T0 + 1)));

        await store.recordStep(lease, completedStep(1, 'real', T0 + 2));
        await store.finishRun(lease, { status: 'succeeded', outputJson: '"done"' }, T0 + 3);

        expect((await store.listSteps(id)).map((s) => s.result)).toEqual(['real']);
        expect(await store.getRun(id)).toMatchObject({ status: 'succeeded', output: 'done' });
      });

      it('a resource lock: one holder at a time, waiters woken when it is given back, a dead holder’s lock free', async () => {
        const a = await create();
        const b = await create();
        const [leaseA, leaseB] = (await claim('worker-a', T0, { limit: 2 })).map((c) => c.lease) as [Lease, Lease];
        expect(leaseA.runId).toBe(a);

        expect(await store.acquireLock(leaseA, 'db:orders', T0 + 1)).toBe(true);
        expect(await store.acquireLock(leaseA, 'db:orders', T0 + 1)).toBe(true);
        expect(await store.acquireLock(leaseB, 'db:orders', T0 + 2)).toBe(false);
        expect(await store.acquireLock(leaseB, 'db:other', T0 + 2)).toBe(true);
        await store.releaseLock(leaseB, 'db:other', T0 + 2);
        await store.suspendRun(leaseB, { kind: 'lock', ref: 'db:orders', runnableAt: T0 + 60_000, now: T0 + 3, step: null });

        await store.releaseLock(leaseA, 'db:orders', T0 + 4);
        expect(await store.getRun(b)).toMatchObject({ status: 'waiting', waitKind: 'lock' });
        const [again] = await claim('worker-b', T0 + 5);
        expect(again?.run.id).toBe(b);
        expect(await store.acquireLock(again!.lease, 'db:orders', T0 + 5)).toBe(true);

        // the holder's lease expires: its lock is free for the next taker
        const c = await create({ runnableAt: T0 + 5 });
        const [leaseC] = (await claim('worker-c', T0 + 6)).map((cl) => cl.lease) as [Lease];
        expect(leaseC.runId).toBe(c);
        expect(await store.acquireLock(leaseC, 'db:orders', T0 + 7)).toBe(false);
        expect(await store.acquireLock(leaseC, 'db:orders', T0 + 5 + LEASE_MS + 1)).toBe(true);
        await rejectionOf(store.acquireLock({ ...leaseC, epoch: leaseC.epoch + 1 }, 'db:x', T0 + 8));
      });

      it('the kill switch: a run paused while it is on waits, and goes back to its queue when it is turned off', async () => {
        expect((await store.getControls()).killSwitch.on).toBe(false);
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        const on = await store.setKillSwitch(true, { by: 'User::"oncall"', reason: 'incident', now: T0 + 1 }, null);
        expect(on).toMatchObject({ killSwitch: { on: true, by: 'User::"oncall"', reason: 'incident', at: T0 + 1 }, autonomy: 1 });

        await store.pauseRun(lease, T0 + 2);
        expect(await store.getRun(id)).toMatchObject({ status: 'paused' });
        expect(await claim('worker-b', T0 + 3)).toEqual([]);
        await rejectionOf(store.pauseRun(lease, T0 + 3));

        await store.setKillSwitch(false, { by: 'User::"oncall"', reason: 'resolved', now: T0 + 4 }, null);
        expect((await store.getControls()).killSwitch.on).toBe(false);
        expect(await store.getRun(id)).toMatchObject({ status: 'queued' });
        expect((await claim('worker-b', T0 + 5)).map((c) => c.run.id)).toEqual([id]);
      });

      it('a run paused after the kill switch went off again goes straight back to its queue', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.setKillSwitch(true, { by: null, reason: null, now: T0 + 1 }, null);
        await store.setKillSwitch(false, { by: null, reason: null, now: T0 + 2 }, null);

        await store.pauseRun(lease, T0 + 3);

        expect(await store.getRun(id)).toMatchObject({ status: 'queued' });
      });

      it('a run ended rolled_back passes through compensating, with both events, under its lease only', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        const error = { code: 'STEWARD_ACTION_FAILED', name: 'ActionFailedError', message: 'the third action broke' };
        await rejectionOf(store.finishRun({ ...lease, epoch: lease.epoch + 1 }, { status: 'rolled_back', error }, T0 + 1));
        expect((await store.getRun(id))?.status).toBe('running');

        // the last rollback's record and the end, made together as a worker makes them
        await Promise.all([
          store.recordStep(lease, completedStep(1, 'undone', T0 + 2, { kind: 'act.rollback', name: 'svc.deploy' })),
          store.finishRun(lease, { status: 'rolled_back', error }, T0 + 3),
        ]);

        expect(await store.getRun(id)).toMatchObject({ status: 'rolled_back', error: { code: 'STEWARD_ACTION_FAILED' } });
        const types = (await store.readEvents({ after: 0, runId: id, limit: 100 })).map((e) => e.type);
        expect(types.slice(-3)).toEqual(['step.completed', 'run.compensating', 'run.rolled_back']);
      });

      it('an expired lease is reclaimed by another owner with a higher epoch, and the old owner is fenced off', async () => {
        const id = await create();
        const leaseA = await claimOne('worker-a', T0);
        await store.recordStep(leaseA, completedStep(1, 'from A', T0 + 100));

        expect(await claim('worker-b', T0 + 500)).toEqual([]);
        expect(await store.renewLeases('worker-a', [leaseA], LEASE_MS, T0 + 900)).toEqual({ lost: [], cancelRequested: [] });
        expect(await claim('worker-b', T0 + 1500)).toEqual([]);
        const reclaimed = await claim('worker-b', T0 + 1900);

        expect(reclaimed).toHaveLength(1);
        const leaseB = reclaimed[0]!.lease;
        expect(leaseB.owner).toBe('worker-b');
        expect(leaseB.epoch).toBeGreaterThan(leaseA.epoch);
        expect(reclaimed[0]!.run).toMatchObject({ status: 'running', leaseOwner: 'worker-b', claims: 2 });
        expect(reclaimed[0]!.steps.map((s) => [s.seq, s.result])).toEqual([[1, 'from A']]);
        expect(await store.getQueue('default')).toMatchObject({ running: 1, queued: 0 });

        expect((await rejectionOf(store.recordStep(leaseA, completedStep(2, 'zombie', T0 + 2000)))).code).toBe('STEWARD_LEASE_LOST');
        expect((await rejectionOf(store.finishRun(leaseA, { status: 'succeeded', outputJson: '"A"' }, T0 + 2000)))?.code).toBe(
          'STEWARD_LEASE_LOST',
        );
        expect(await store.renewLeases('worker-a', [leaseA], LEASE_MS, T0 + 2000)).toEqual({ lost: [id], cancelRequested: [] });

        await store.recordStep(leaseB, completedStep(2, 'from B', T0 + 2001));
        await store.finishRun(leaseB, { status: 'succeeded', outputJson: '"B"' }, T0 + 2002);
        expect((await store.listSteps(id)).map((s) => s.result)).toEqual(['from A', 'from B']);
        expect(await store.getRun(id)).toMatchObject({ status: 'succeeded', output: 'B' });
        const types = (await store.readEvents({ after: 0, runId: id, limit: 1000 })).map((e) => e.type);
        expect(types).toContain('run.reclaimed');
      });

      it('a released run goes back to its queue and the next claim fences the old lease', async () => {
        const id = await create();
        const leaseA = await claimOne('worker-a', T0);

        await store.releaseRun(leaseA, T0 + 10);
        expect(await store.getRun(id)).toMatchObject({ status: 'queued', leaseOwner: null });
        const leaseB = await claimOne('worker-b', T0 + 11);

        expect(leaseB.epoch).toBeGreaterThan(leaseA.epoch);
        expect((await rejectionOf(store.recordStep(leaseA, completedStep(1, 'A', T0 + 12)))).code).toBe('STEWARD_LEASE_LOST');
      });
    });

    describe('steps', () => {
      it('a completed step is recorded exactly once; a second record is refused with STEWARD_STEP_ALREADY_RECORDED', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.recordStep(lease, completedStep(1, 'first', T0 + 1));

        const again = await rejectionOf(store.recordStep(lease, completedStep(1, 'second', T0 + 2)));

        expect(again.code).toBe('STEWARD_STEP_ALREADY_RECORDED');
        const steps = await store.listSteps(id);
        expect(steps).toHaveLength(1);
        expect(steps[0]).toMatchObject({ runId: id, seq: 1, kind: 'step', name: 'step-1', status: 'completed', attempts: 1, result: 'first' });
        const completions = (await store.readEvents({ after: 0, runId: id, limit: 100 })).filter((e) => e.type === 'step.completed');
        expect(completions).toHaveLength(1);
      });

      it('a step recorded and its run finished in one breath both land, each exactly once', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);

        await Promise.all([
          store.recordStep(lease, completedStep(1, 'last', T0 + 1)),
          store.finishRun(lease, { status: 'succeeded', outputJson: '"done"' }, T0 + 2),
        ]);

        expect(await store.listSteps(id)).toMatchObject([{ seq: 1, status: 'completed', result: 'last' }]);
        expect(await store.getRun(id)).toMatchObject({ status: 'succeeded', output: 'done' });
        const types = (await store.readEvents({ after: 0, runId: id, limit: 100 })).map((e) => e.type);
        expect(types.filter((t) => t === 'step.completed')).toHaveLength(1);
        expect(types.filter((t) => t === 'run.succeeded')).toHaveLength(1);
      });

      it('a step recorded together with its run’s end is still refused when it was already recorded', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.recordStep(lease, completedStep(1, 'first', T0 + 1));

        const [step, finish] = await Promise.allSettled([
          store.recordStep(lease, completedStep(1, 'again', T0 + 2)),
          store.finishRun(lease, { status: 'succeeded', outputJson: '"done"' }, T0 + 3),
        ]);

        expect(step.status).toBe('rejected');
        expect(((step as PromiseRejectedResult).reason as { code: string }).code).toBe('STEWARD_STEP_ALREADY_RECORDED');
        expect(await store.listSteps(id)).toMatchObject([{ seq: 1, result: 'first' }]);
        // whether the finish landed is the store's to decide; the run's status must agree with what it answered
        expect((await store.getRun(id))?.status).toBe(finish.status === 'fulfilled' ? 'succeeded' : 'running');
      });

      it('a failed step is final too', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        const error = { code: 'STEWARD_NON_RETRYABLE', name: 'NonRetryableError', message: 'no' };
        await store.recordStep(lease, completedStep(1, null, T0 + 1, { status: 'failed', resultJson: null, error }));

        const again = await rejectionOf(store.recordStep(lease, completedStep(1, 'late success', T0 + 2)));

        expect(again.code).toBe('STEWARD_STEP_ALREADY_RECORDED');
        expect(await store.listSteps(id)).toMatchObject([{ seq: 1, status: 'failed', error, result: null }]);
      });

      it('a retrying step keeps its attempts and may later complete', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        const error = { code: 'STEWARD_WORKFLOW_ERROR', name: 'Error', message: 'flaky' };
        await store.suspendRun(lease, {
          kind: 'retry',
          ref: '1',
          runnableAt: T0 + 50,
          now: T0 + 1,
          step: completedStep(1, null, T0 + 1, { status: 'retrying', resultJson: null, error, wakeAt: T0 + 50, finishedAt: null }),
        });
        expect(await store.listSteps(id)).toMatchObject([{ seq: 1, status: 'retrying', attempts: 1, error }]);
        expect(await claim('worker-b', T0 + 49)).toEqual([]);

        const again = await claimOne('worker-b', T0 + 50);
        await store.recordStep(again, completedStep(1, 'ok', T0 + 51, { attempts: 2, startedAt: T0 + 1 }));

        expect(await store.listSteps(id)).toMatchObject([{ seq: 1, status: 'completed', attempts: 2, result: 'ok', error: null }]);
      });
    });

    describe('timers', () => {
      it('a suspended run holds no lease and is claimable again only at its runnableAt', async () => {
        const id = await create();
        const leaseA = await claimOne('worker-a', T0);
        await store.recordStep(leaseA, completedStep(1, 'before sleeping', T0 + 1));

        await store.suspendRun(leaseA, {
          kind: 'timer',
          ref: 'nap',
          runnableAt: T0 + 1000,
          now: T0 + 2,
          step: { seq: 2, kind: 'sleep', name: 'nap', status: 'waiting', attempts: 1, resultJson: null, error: null, wakeAt: T0 + 1000, startedAt: T0 + 2, finishedAt: null },
        });

        expect(await store.getRun(id)).toMatchObject({ status: 'waiting', waitKind: 'timer', waitRef: 'nap', runnableAt: T0 + 1000, leaseOwner: null });
        expect(await store.getQueue('default')).toMatchObject({ running: 0 });
        expect(await store.nextRunnableAt(['default'], ['wf.test'])).toBe(T0 + 1000);
        expect(await claim('worker-b', T0 + 999)).toEqual([]);
        expect((await rejectionOf(store.recordStep(leaseA, completedStep(3, 'x', T0 + 3)))).code).toBe('STEWARD_LEASE_LOST');

        const woken = await claim('worker-b', T0 + 1000);
        expect(woken).toHaveLength(1);
        expect(woken[0]!.lease.epoch).toBeGreaterThan(leaseA.epoch);
        expect(woken[0]!.run).toMatchObject({ status: 'running', claims: 2, waitKind: null, waitRef: null });
        expect(await store.getRun(id)).toMatchObject({ status: 'running', waitKind: null, waitRef: null });
        expect(woken[0]!.steps.map((s) => [s.seq, s.kind, s.status])).toEqual([
          [1, 'step', 'completed'],
          [2, 'sleep', 'waiting'],
        ]);
        expect(woken[0]!.steps[1]!.wakeAt).toBe(T0 + 1000);
      });
    });

    describe('signals', () => {
      const wait = (seq: number, name: string, now: number, deadline: number | null = null) => ({
        seq,
        name,
        deadline,
        startedAt: now,
        now,
      });

      it('a signal sent before the wait is buffered and taken by the wait, once', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.sendSignal(id, 'approve', JSON.stringify({ by: 'bob' }), T0 + 1);

        const first = await store.consumeSignal(lease, wait(1, 'approve', T0 + 2));
        const second = await store.consumeSignal(lease, wait(2, 'approve', T0 + 3));

        expect(first).toEqual({ kind: 'received', payload: { by: 'bob' } });
        expect(second).toEqual({ kind: 'suspended' });
        expect(await store.listSteps(id)).toMatchObject([
          { seq: 1, kind: 'signal', name: 'approve', status: 'completed', result: { by: 'bob' } },
          { seq: 2, kind: 'signal', name: 'approve', status: 'waiting' },
        ]);
      });

      it('two buffered signals of one name are taken in the order they were sent', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.sendSignal(id, 'item', '1', T0 + 1);
        await store.sendSignal(id, 'item', '2', T0 + 2);

        expect(await store.consumeSignal(lease, wait(1, 'item', T0 + 3))).toEqual({ kind: 'received', payload: 1 });
        expect(await store.consumeSignal(lease, wait(2, 'item', T0 + 4))).toEqual({ kind: 'received', payload: 2 });
      });

      it('a wait with no signal suspends the run until the signal of that name arrives', async () => {
        const id = await create();
        const leaseA = await claimOne('worker-a', T0);

        expect(await store.consumeSignal(leaseA, wait(1, 'approve', T0 + 1))).toEqual({ kind: 'suspended' });
        expect(await store.getRun(id)).toMatchObject({ status: 'waiting', waitKind: 'signal', waitRef: 'approve', leaseOwner: null });
        expect(await claim('worker-b', T0 + 3_600_000)).toEqual([]);

        await store.sendSignal(id, 'something-else', '{}', T0 + 10);
        expect(await claim('worker-b', T0 + 3_600_000)).toEqual([]);

        await store.sendSignal(id, 'approve', JSON.stringify({ ok: true }), T0 + 20);
        const leaseB = await claimOne('worker-b', T0 + 20);
        const outcome = await store.consumeSignal(leaseB, { seq: 1, name: 'approve', deadline: null, startedAt: T0 + 1, now: T0 + 21 });

        expect(outcome).toEqual({ kind: 'received', payload: { ok: true } });
        expect(await store.listSteps(id)).toMatchObject([{ seq: 1, kind: 'signal', status: 'completed', result: { ok: true } }]);
      });

      it('a wait past its deadline times out, and the run wakes at the deadline to see it', async () => {
        const id = await create();
        const leaseA = await claimOne('worker-a', T0);

        expect(await store.consumeSignal(leaseA, wait(1, 'approve', T0, T0 + 100))).toEqual({ kind: 'suspended' });
        expect(await store.getRun(id)).toMatchObject({ status: 'waiting', runnableAt: T0 + 100 });
        expect(await claim('worker-b', T0 + 99)).toEqual([]);
        const leaseB = await claimOne('worker-b', T0 + 100);
        const outcome = await store.consumeSignal(leaseB, { seq: 1, name: 'approve', deadline: T0 + 100, startedAt: T0, now: T0 + 100 });

        expect(outcome).toEqual({ kind: 'timed_out' });
      });

      it('a signal to a run that does not exist or has ended is refused', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.finishRun(lease, { status: 'succeeded', outputJson: 'null' }, T0 + 1);

        expect((await rejectionOf(store.sendSignal('run_missing', 'go', '{}', T0 + 2))).code).toBe('STEWARD_RUN_NOT_FOUND');
        expect((await rejectionOf(store.sendSignal(id, 'go', '{}', T0 + 2))).code).toBe('STEWARD_RUN_FINISHED');
      });
    });

    describe('children', () => {
      function childStep(seq: number, childId: string, at: number): StepWrite {
        return {
          seq,
          kind: 'child',
          name: 'wf.child',
          status: 'waiting',
          attempts: 1,
          resultJson: JSON.stringify({ childId }),
          error: null,
          wakeAt: null,
          startedAt: at,
          finishedAt: null,
        };
      }

      it('starting a child suspends the parent until the child finishes, then the parent is claimable', async () => {
        const parent = await create({ workflow: 'wf.parent' });
        const leaseA = await claimOne('worker-a', T0, { workflows: ['wf.parent'] });
        const child = newRun({ workflow: 'wf.child', parentId: parent, idempotencyKey: `${parent}:1`, inputJson: '{"n":2}' });

        const started = await store.startChild(leaseA, child, childStep(1, child.id, T0 + 1));

        expect(started).toMatchObject({ id: child.id, parentId: parent, status: 'queued', input: { n: 2 } });
        expect(await store.getRun(parent)).toMatchObject({ status: 'waiting', waitKind: 'child', waitRef: child.id, leaseOwner: null });
        expect((await store.listRuns({ parentId: parent, limit: 10 })).runs.map((r) => r.id)).toEqual([child.id]);
        expect(await claim('worker-b', T0 + 3_600_000, { workflows: ['wf.parent'] })).toEqual([]);

        const childLease = await claimOne('worker-b', T0 + 10, { workflows: ['wf.child'] });
        await store.finishRun(childLease, { status: 'succeeded', outputJson: '{"doubled":4}' }, T0 + 11);

        const woken = await claim('worker-c', T0 + 12, { workflows: ['wf.parent'] });
        expect(woken.map((c) => c.run.id)).toEqual([parent]);
        expect(woken[0]!.steps).toMatchObject([{ seq: 1, kind: 'child', status: 'waiting', result: { childId: child.id } }]);
        expect(await store.getRun(child.id)).toMatchObject({ status: 'succeeded', output: { doubled: 4 } });
      });

      it('a failed child wakes the parent too', async () => {
        const parent = await create({ workflow: 'wf.parent' });
        const leaseA = await claimOne('worker-a', T0, { workflows: ['wf.parent'] });
        const child = newRun({ workflow: 'wf.child', parentId: parent, idempotencyKey: `${parent}:1` });
        await store.startChild(leaseA, child, childStep(1, child.id, T0 + 1));
        const childLease = await claimOne('worker-b', T0 + 10, { workflows: ['wf.child'] });

        await store.finishRun(childLease, { status: 'failed', error: { code: 'X', name: 'Error', message: 'child broke' } }, T0 + 11);

        expect((await claim('worker-c', T0 + 12, { workflows: ['wf.parent'] })).map((c) => c.run.id)).toEqual([parent]);
      });

      it('starting the same child twice (a replay) returns the first child instead of a second', async () => {
        const parent = await create({ workflow: 'wf.parent' });
        const leaseA = await claimOne('worker-a', T0, { workflows: ['wf.parent'] });
        const child = newRun({ workflow: 'wf.child', parentId: parent, idempotencyKey: `${parent}:1` });
        await store.startChild(leaseA, child, childStep(1, child.id, T0 + 1));
        const childLease = await claimOne('worker-b', T0 + 10, { workflows: ['wf.child'] });
        await store.finishRun(childLease, { status: 'succeeded', outputJson: '1' }, T0 + 11);
        const leaseC = await claimOne('worker-c', T0 + 12, { workflows: ['wf.parent'] });
        const replayed = newRun({ workflow: 'wf.child', parentId: parent, idempotencyKey: `${parent}:1` });
        const again = await store.startChild(leaseC, replayed, childStep(1, replayed.id, T0 + 13));

        expect(again.id).toBe(child.id);
        expect(again.status).toBe('succeeded');
        expect((await store.listRuns({ parentId: parent, limit: 10 })).runs.map((r) => r.id)).toEqual([child.id]);
      });
    });

    describe('cancelling', () => {
      it('a queued run is cancelled at once and is never claimed', async () => {
        const id = await create();

        const result = await store.requestCancel(id, cancelReason, T0 + 1);

        expect(result).toEqual({ status: 'cancelled', alreadyEnded: false });
        expect(await store.getRun(id)).toMatchObject({ status: 'cancelled', error: { message: 'cancelled by the test' }, finishedAt: T0 + 1 });
        expect(await claim('worker-a', T0 + 2)).toEqual([]);
        expect(await store.getQueue('default')).toMatchObject({ queued: 0, running: 0 });
      });

      it('a running run is flagged and its worker hears it when renewing its leases', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);

        const result = await store.requestCancel(id, cancelReason, T0 + 1);
        const renewal = await store.renewLeases('worker-a', [lease], LEASE_MS, T0 + 2);

        expect(result).toEqual({ status: 'running', alreadyEnded: false });
        expect(await store.getRun(id)).toMatchObject({ status: 'running', cancelRequested: true });
        expect(renewal).toEqual({ lost: [], cancelRequested: [id] });
        const types = (await store.readEvents({ after: 0, runId: id, limit: 100 })).map((e) => e.type);
        expect(types).toContain('run.cancel_requested');

        await store.finishRun(lease, { status: 'cancelled', error: cancelReason }, T0 + 3);
        expect((await store.getRun(id))?.status).toBe('cancelled');
      });

      it('a waiting run is cancelled at once, and so are its unfinished children', async () => {
        const parent = await create({ workflow: 'wf.parent' });
        const lease = await claimOne('worker-a', T0, { workflows: ['wf.parent'] });
        const child = newRun({ workflow: 'wf.child', parentId: parent, idempotencyKey: `${parent}:1` });
        await store.startChild(lease, child, {
          seq: 1,
          kind: 'child',
          name: 'wf.child',
          status: 'waiting',
          attempts: 1,
          resultJson: JSON.stringify({ childId: child.id }),
          error: null,
          wakeAt: null,
          startedAt: T0 + 1,
          finishedAt: null,
        });

        const result = await store.requestCancel(parent, cancelReason, T0 + 2);

        expect(result).toEqual({ status: 'cancelled', alreadyEnded: false });
        expect((await store.getRun(parent))?.status).toBe('cancelled');
        expect((await store.getRun(child.id))?.status).toBe('cancelled');
      });

      it('cancelling an ended run changes nothing, and an unknown run is an error', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.finishRun(lease, { status: 'succeeded', outputJson: '"kept"' }, T0 + 1);

        expect(await store.requestCancel(id, cancelReason, T0 + 2)).toEqual({ status: 'succeeded', alreadyEnded: true });
        expect(await store.getRun(id)).toMatchObject({ status: 'succeeded', output: 'kept' });
        expect((await rejectionOf(store.requestCancel('run_missing', cancelReason, T0 + 2))).code).toBe('STEWARD_RUN_NOT_FOUND');
      });
    });

    describe('the run lifecycle is enforced by the store', () => {
      it('a run cannot be finished twice: the second finish is refused and the first outcome stays', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.finishRun(lease, { status: 'succeeded', outputJson: '"first"' }, T0 + 1);

        const again = await rejectionOf(store.finishRun(lease, { status: 'failed', error: { code: 'X', name: 'Error', message: 'late' } }, T0 + 2));

        expect(['STEWARD_LEASE_LOST', 'STEWARD_ILLEGAL_TRANSITION']).toContain(again.code);
        expect(await store.getRun(id)).toMatchObject({ status: 'succeeded', output: 'first', error: null, finishedAt: T0 + 1 });
      });

      it('the database refuses a plain UPDATE from succeeded back to running', async () => {
        const id = await create();
        const lease = await claimOne('worker-a', T0);
        await store.finishRun(lease, { status: 'succeeded', outputJson: '"done"' }, T0 + 1);

        const error = await rejectionOf(raw.setRunStatus(id, 'running'));

        expect(error.message).toContain('STEWARD_ILLEGAL_TRANSITION');
        expect(await store.getRun(id)).toMatchObject({ status: 'succeeded', output: 'done' });
      });

      it('the database allows exactly the transitions of RUN_TRANSITIONS', async () => {
        // reach every status from `queued` along legal edges, then try every edge out of it
        const pathTo = new Map<RunStatus, RunStatus[]>([['queued', []]]);
        const frontier: RunStatus[] = ['queued'];
        while (frontier.length > 0) {
          const from = frontier.shift()!;
          for (const to of RUN_TRANSITIONS[from]) {
            if (!pathTo.has(to)) {
              pathTo.set(to, [...pathTo.get(from)!, to]);
              frontier.push(to);
            }
          }
        }
        expect([...pathTo.keys()].sort()).toEqual([...RUN_STATUSES].sort());

        const refusedWrongly: string[] = [];
        const allowedWrongly: string[] = [];
        for (const from of RUN_STATUSES) {
          for (const to of RUN_STATUSES) {
            if (from === to) continue;
            const id = await create();
            for (const step of pathTo.get(from)!) await raw.setRunStatus(id, step);
            const legal = RUN_TRANSITIONS[from].includes(to);
            const outcome = await raw.setRunStatus(id, to).then(
              () => 'allowed',
              (error: Error) => (error.message.includes('STEWARD_ILLEGAL_TRANSITION') ? 'refused' : `error: ${error.message}`),
            );
            if (legal && outcome !== 'allowed') refusedWrongly.push(`${from} → ${to} (${outcome})`);
            if (!legal && outcome !== 'refused') allowedWrongly.push(`${from} → ${to} (${outcome})`);
          }
        }

        expect(refusedWrongly).toEqual([]);
        expect(allowedWrongly).toEqual([]);
      });

      it('the status transition table in the database equals RUN_TRANSITIONS', async () => {
        const inDatabase = (await raw.statusTransitions()).map((t) => `${t.from} → ${t.to}`).sort();
        const inCode = Object.entries(RUN_TRANSITIONS)
          .flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`))
          .sort();

        expect(inDatabase).toEqual(inCode);
      });
    });

    describe('events', () => {
      it('lastEventId is 0 on an empty store, then the id of the newest event', async () => {
        expect(await store.lastEventId()).toBe(0);
        await create();
        await create();
        const events = await store.readEvents({ after: 0, limit: 100 });
        expect(events.length).toBeGreaterThan(0);
        expect(await store.lastEventId()).toBe(events[events.length - 1]!.id);
      });

      it('every state change of a run appends an event for that run', async () => {
        const id = await create();
        const leaseA = await claimOne('worker-a', T0);
        await store.recordStep(leaseA, completedStep(1, 'a', T0 + 1));
        await store.suspendRun(leaseA, {
          kind: 'timer',
          ref: 'nap',
          runnableAt: T0 + 100,
          now: T0 + 2,
          step: { seq: 2, kind: 'sleep', name: 'nap', status: 'waiting', attempts: 1, resultJson: null, error: null, wakeAt: T0 + 100, startedAt: T0 + 2, finishedAt: null },
        });
        await store.sendSignal(id, 'note', '{}', T0 + 3);
        const leaseB = await claimOne('worker-b', T0 + 100);
        await store.recordStep(leaseB, { ...completedStep(2, null, T0 + 101), kind: 'sleep', name: 'nap' });
        await store.requestCancel(id, cancelReason, T0 + 102);
        await store.finishRun(leaseB, { status: 'succeeded', outputJson: '"ok"' }, T0 + 103);

        const events = await store.readEvents({ after: 0, runId: id, limit: 1000 });
        const types = events.map((e) => e.type);

        expect(events.every((e) => e.runId === id)).toBe(true);
        expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
        expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
        expect(types[0]).toBe('run.created');
        expect(types[types.length - 1]).toBe('run.succeeded');
        expect([...types].sort()).toEqual(
          [
            'run.created',
            'run.running',
            'step.completed',
            'step.waiting',
            'run.waiting',
            'signal.received',
            'run.running',
            'step.completed',
            'run.cancel_requested',
            'run.succeeded',
          ].sort(),
        );
      });

      it('reading by cursor returns every event once, with no gaps, across pages', async () => {
        const ids = [await create(), await create(), await create()];
        for (let i = 0; i < ids.length; i += 1) {
          const lease = await claimOne(`worker-${i}`, T0 + i);
          await store.recordStep(lease, completedStep(1, i, T0 + i));
          await store.finishRun(lease, { status: 'succeeded', outputJson: String(i) }, T0 + i);
        }
        const all = await store.readEvents({ after: 0, limit: 10_000 });

        const paged = [];
        let after = 0;
        for (;;) {
          const page = await store.readEvents({ after, limit: 2 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(2);
          paged.push(...page);
          after = page[page.length - 1]!.id;
        }

        expect(paged).toEqual(all);
        expect(all.length).toBeGreaterThanOrEqual(ids.length * 4);
        const later = await store.readEvents({ after: all[4]!.id, limit: 10_000 });
        expect(later).toEqual(all.slice(5));
      });

      it('reading one run’s events leaves the other runs’ out', async () => {
        const a = await create();
        const b = await create();
        const leaseA = await claimOne('worker-a', T0);
        const leaseB = await claimOne('worker-b', T0);
        await store.recordStep(leaseB, completedStep(1, 'b', T0 + 1));
        await store.recordStep(leaseA, completedStep(1, 'a', T0 + 1));

        const ofA = await store.readEvents({ after: 0, runId: a, limit: 100 });
        const ofB = await store.readEvents({ after: 0, runId: b, limit: 100 });

        expect(ofA.length).toBeGreaterThanOrEqual(3);
        expect(ofA.every((e) => e.runId === a)).toBe(true);
        expect(ofB.every((e) => e.runId === b)).toBe(true);
        const firstOfA = ofA[0]!.id;
        expect(await store.readEvents({ after: firstOfA, runId: a, limit: 100 })).toEqual(ofA.slice(1));
      });
    });

    describe('listing runs', () => {
      it('pages through every run once, newest first, with no duplicates or gaps', async () => {
        const created: string[] = [];
        for (let i = 0; i < 23; i += 1) created.push(await create({ createdAt: T0 + i }));

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listRuns({ limit: 5, ...(cursor ? { cursor } : {}) });
          expect(page.runs.length).toBeLessThanOrEqual(5);
          seen.push(...page.runs.map((r) => r.id));
          cursor = page.nextCursor ?? undefined;
          pages += 1;
          // runs created while paging are newer than the cursor and must not disturb it
          if (pages === 2) await create({ createdAt: T0 + 100 });
        } while (cursor);

        expect(pages).toBe(5);
        expect(seen).toEqual([...created].reverse());
      });

      it('filters by status, workflow and queue, and pages within the filter', async () => {
        const a: string[] = [];
        const b: string[] = [];
        for (let i = 0; i < 12; i += 1) {
          const workflow = i % 3 === 0 ? 'wf.b' : 'wf.a';
          const id = await create({ workflow, queue: i % 2 === 0 ? 'even' : 'odd', createdAt: T0 + i });
          (workflow === 'wf.a' ? a : b).push(id);
        }
        const cancelled = [a[0]!, a[3]!];
        for (const id of cancelled) await store.requestCancel(id, cancelReason, T0 + 50);

        async function all(filter: Omit<Parameters<Store['listRuns']>[0], 'limit' | 'cursor'>): Promise<string[]> {
          const ids: string[] = [];
          let cursor: string | null = null;
          do {
            const page = await store.listRuns({ ...filter, limit: 3, ...(cursor ? { cursor } : {}) });
            ids.push(...page.runs.map((r) => r.id));
            cursor = page.nextCursor;
          } while (cursor);
          return ids;
        }

        expect(await all({ workflow: 'wf.a' })).toEqual([...a].reverse());
        expect(await all({ workflow: 'wf.b' })).toEqual([...b].reverse());
        expect((await all({ status: 'cancelled' })).sort()).toEqual([...cancelled].sort());
        expect((await all({ status: ['cancelled', 'queued'] })).length).toBe(12);
        expect((await all({ status: 'queued', workflow: 'wf.a' })).length).toBe(a.length - 2);
        const even = await all({ queue: 'even' });
        expect(even.length).toBe(6);
        for (const id of even) expect((await store.getRun(id))?.queue).toBe('even');
        expect(await all({ status: 'running' })).toEqual([]);
      });

      it('a cursor the store did not issue is refused', async () => {
        await create();

        const error = await rejectionOf(store.listRuns({ limit: 5, cursor: 'not-a-cursor' }));

        expect(error.code).toBe('STEWARD_VALIDATION');
      });
    });

    describe('schedules', () => {
      it('a schedule tick is claimed once, and only a newer tick is claimed after it', async () => {
        expect(await store.lastScheduleTick('nightly')).toBeNull();

        expect(await store.claimScheduleTick('nightly', '0 0 * * *', 'wf.test', T0, T0)).toBe(true);
        expect(await store.claimScheduleTick('nightly', '0 0 * * *', 'wf.test', T0, T0 + 1)).toBe(false);
        expect(await store.claimScheduleTick('nightly', '0 0 * * *', 'wf.test', T0 - 1000, T0 + 1)).toBe(false);
        expect(await store.claimScheduleTick('nightly', '0 0 * * *', 'wf.test', T0 + 1000, T0 + 2)).toBe(true);

        expect(await store.lastScheduleTick('nightly')).toBe(T0 + 1000);
      });
    });

    describe('audit', () => {
      function entry(kind: string, data: Record<string, unknown> = {}): AuditInput {
        return { kind, at: T0, actor: 'User::"alice"', runId: null, subject: 'service::"api"', data };
      }

      it('appends entries in order, numbered from 1, the first linked to 64 zeros', async () => {
        const appended = await store.appendAudit([entry('run.started', { goal: 'deploy' }), entry('plan.stored')]);
        expect(appended.map((e) => [e.id, e.kind])).toEqual([
          [1, 'run.started'],
          [2, 'plan.stored'],
        ]);
        expect(appended[0]!.prevHash).toBe(GENESIS_HASH);
        expect(appended[1]!.prevHash).toBe(appended[0]!.hash);
        expect(await store.readAudit({ after: 0, limit: 10 })).toEqual(appended);
      });

      it('continues the chain across calls and reads by cursor', async () => {
        await store.appendAudit([entry('a')]);
        await store.appendAudit([entry('b'), entry('c')]);
        const all = await store.readAudit({ after: 0, limit: 10 });
        expect(verifyChain(all)).toEqual({ ok: true, count: 3, head: all[2]!.hash });
        expect((await store.readAudit({ after: 1, limit: 1 })).map((e) => e.kind)).toEqual(['b']);
      });

      it('refuses an entry that is not JSON and appends none of its call', async () => {
        const error = await rejectionOf(store.appendAudit([entry('ok'), entry('bad', { n: Number.NaN })]));
        expect(error.code).toBe('STEWARD_VALIDATION');
        expect(await store.readAudit({ after: 0, limit: 10 })).toEqual([]);
      });

      it('concurrent appends from two stores on one database form one valid chain', async () => {
        const other = await openAnother();
        const writes: Array<Promise<unknown>> = [];
        for (let i = 0; i < 20; i += 1) {
          writes.push(store.appendAudit([entry('from.first', { i }), entry('from.first', { i, part: 2 })]));
          writes.push(other.appendAudit([entry('from.second', { i })]));
        }
        await Promise.all(writes);
        const all = await store.readAudit({ after: 0, limit: 100 });
        expect(all).toHaveLength(60);
        expect(verifyChain(all)).toMatchObject({ ok: true, count: 60 });
        // each call's entries stay together
        const firsts = all.filter((e) => e.kind === 'from.first');
        for (let i = 0; i < firsts.length; i += 2) expect(firsts[i + 1]!.id).toBe(firsts[i]!.id + 1);
      });
    });
    describe('approvals and reviewed plans', () => {
      const audit = (kind: string, at: number): AuditInput => ({ kind, at, actor: null, runId: null, subject: null, data: {} });
      const audits = (at: number) => ({ requested: audit('approval.requested', at), expired: audit('approval.expired', at) });

      function request(runId: string, seq: number, at: number, fields: Partial<NewApproval> = {}): NewApproval {
        return {
          id: `apr_${runId}_${seq}`,
          runId,
          seq,
          action: 'service.scale',
          actionVersion: '1.0.0',
          category: 'write',
          resource: 'service:api',
          network: 'internal',
          planJson: JSON.stringify({ to: 5 }),
          planHash: 'a'.repeat(64),
          requester: 'Agent::"planner"',
          reasons: ['above-autonomy'],
          createdAt: at,
          expiresAt: at + 1000,
          ...fields,
        };
      }

      function waitingFor(id: string, seq: number, at: number): Suspension {
        return {
          kind: 'approval',
          ref: id,
          runnableAt: at + 1000,
          now: at,
          step: { seq, kind: 'act.approval', name: 'service.scale', status: 'waiting', attempts: 1, resultJson: JSON.stringify({ approvalId: id }), error: null, wakeAt: at + 1000, startedAt: at, finishedAt: null },
        };
      }

      it('a request is filed once per act, with its audit entry; a decision wakes the waiting run and is final', async () => {
        const runId = await create();
        const lease = await claimOne('worker-a', T0);
        const filed = await store.requestApproval(lease, request(runId, 2, T0), audits(T0), T0);
        expect(filed).toMatchObject({ id: `apr_${runId}_2`, status: 'pending', plan: { to: 5 }, reasons: ['above-autonomy'], network: 'internal', consumedAt: null });
        // the same act asking again (a replay, another id) finds the stored request
        expect(await store.requestApproval(lease, { ...request(runId, 2, T0 + 1), id: 'apr_other' }, audits(T0 + 1), T0 + 1)).toMatchObject({ id: `apr_${runId}_2` });
        await store.suspendRun(lease, waitingFor(filed.id, 2, T0 + 1));
        expect(await store.getRun(runId)).toMatchObject({ status: 'waiting', waitKind: 'approval', runnableAt: T0 + 1001 });
        expect((await store.listApprovals({ status: ['pending'], limit: 10 })).map((a) => a.id)).toEqual([filed.id]);

        const decided = await store.decideApproval(filed.id, { status: 'approved', by: 'User::"bob"', reason: 'INC-1', now: T0 + 10 }, { decided: audit('approval.approved', T0 + 10), expired: audit('approval.expired', T0 + 10) });
        expect(decided).toMatchObject({ outcome: 'decided', approval: { status: 'approved', decidedBy: 'User::"bob"', reason: 'INC-1', decidedAt: T0 + 10 } });
        expect(await store.getRun(runId)).toMatchObject({ status: 'waiting', runnableAt: T0 + 10 });
        const again = await store.decideApproval(filed.id, { status: 'denied', by: 'User::"eve"', reason: 'no', now: T0 + 11 }, { decided: audit('approval.denied', T0 + 11), expired: audit('approval.expired', T0 + 11) });
        expect(again).toMatchObject({ outcome: 'already_decided', approval: { status: 'approved', decidedBy: 'User::"bob"' } });

        // the resumed act takes the approval, once
        const resumed = await claimOne('worker-b', T0 + 20);
        expect(await store.requestApproval(resumed, request(runId, 2, T0 + 20), audits(T0 + 20), T0 + 20)).toMatchObject({ status: 'approved', consumedAt: T0 + 20 });
        expect(await store.requestApproval(resumed, request(runId, 2, T0 + 21), audits(T0 + 21), T0 + 21)).toMatchObject({ consumedAt: T0 + 20 });
        const kinds = (await store.readAudit({ after: 0, limit: 10 })).map((e) => e.kind);
        expect(kinds).toEqual(['approval.requested', 'approval.approved']);
        const events = (await store.readEvents({ after: 0, runId, limit: 100 })).map((e) => e.type);
        expect(events).toEqual(expect.arrayContaining(['approval.requested', 'approval.decided']));
        await rejectionOf(store.requestApproval(lease, request(runId, 3, T0 + 22), audits(T0 + 22), T0 + 22));
        const missing = await rejectionOf(store.decideApproval('apr_missing', { status: 'approved', by: 'User::"bob"', reason: null, now: T0 }, { decided: audit('x', T0), expired: audit('y', T0) }));
        expect(missing.code).toBe('STEWARD_APPROVAL_NOT_FOUND');
      });

      it('a request past its expiry expires into a denial, whether the run or a decider finds it first', async () => {
        const runId = await create();
        const lease = await claimOne('worker-a', T0);
        const filed = await store.requestApproval(lease, request(runId, 2, T0), audits(T0), T0);
        await store.suspendRun(lease, waitingFor(filed.id, 2, T0));
        const late = await store.decideApproval(filed.id, { status: 'approved', by: 'User::"bob"', reason: 'late', now: T0 + 1000 }, { decided: audit('approval.approved', T0 + 1000), expired: audit('approval.expired', T0 + 1000) });
        expect(late).toMatchObject({ outcome: 'expired', approval: { status: 'expired', decidedBy: null } });
        expect(await store.getRun(runId)).toMatchObject({ runnableAt: T0 + 1000 });

        const other = await create();
        const second = await claimOne('worker-a', T0 + 1001);
        expect(second.runId).toBe(runId);
        const otherLease = await claimOne('worker-c', T0 + 1002);
        expect(otherLease.runId).toBe(other);
        const own = await store.requestApproval(otherLease, request(other, 2, T0), audits(T0), T0 + 1002);
        expect(own).toMatchObject({ status: 'expired' });
        expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => e.kind)).toEqual(['approval.requested', 'approval.expired', 'approval.requested', 'approval.expired']);
      });

      it('a decision that lands between the request and the suspension does not let the run sleep', async () => {
        const runId = await create();
        const lease = await claimOne('worker-a', T0);
        const filed = await store.requestApproval(lease, request(runId, 2, T0), audits(T0), T0);
        await store.decideApproval(filed.id, { status: 'denied', by: 'User::"bob"', reason: 'no', now: T0 + 1 }, { decided: audit('approval.denied', T0 + 1), expired: audit('approval.expired', T0 + 1) });
        await store.suspendRun(lease, waitingFor(filed.id, 2, T0 + 2));
        expect(await store.getRun(runId)).toMatchObject({ status: 'waiting', runnableAt: T0 + 2 });
      });

      it('applyPlan turns a planned run to apply mode, keeping only its plans and the reviewed hash', async () => {
        const runId = await create({ mode: 'plan' });
        const lease = await claimOne('worker-a', T0);
        await store.recordStep(lease, completedStep(1, { plan: { to: 5 }, hash: 'b'.repeat(64), resource: 'service:api' }, T0, { kind: 'act.plan', name: 'service.scale' }));
        await store.recordStep(lease, completedStep(6, 'looked', T0));
        await store.finishRun(lease, { status: 'planned', outputJson: '"planned"' }, T0 + 1);
        expect(await store.getRun(runId)).toMatchObject({ status: 'planned', output: 'planned', finishedAt: T0 + 1 });

        const applied = await store.applyPlan(runId, { hash: 'c'.repeat(64), by: 'User::"bob"', reason: 'CHG-1', now: T0 + 2 }, audit('plan.applied', T0 + 2));
        expect(applied).toMatchObject({ applied: true, run: { status: 'queued', mode: 'apply', output: null, finishedAt: null } });
        const steps = await store.listSteps(runId);
        expect(steps.map((s) => [s.seq, s.kind, s.status])).toEqual([
          [0, 'plan.reviewed', 'completed'],
          [1, 'act.plan', 'completed'],
        ]);
        expect(steps[0]!.result).toEqual({ hash: 'c'.repeat(64), by: 'User::"bob"', reason: 'CHG-1' });
        expect(await store.applyPlan(runId, { hash: 'c'.repeat(64), by: null, reason: null, now: T0 + 3 }, audit('plan.applied', T0 + 3))).toEqual({ applied: false, status: 'queued' });
        expect(await store.applyPlan('run_missing', { hash: 'c'.repeat(64), by: null, reason: null, now: T0 + 3 }, audit('plan.applied', T0 + 3))).toEqual({ applied: false, status: null });
        expect((await claim('worker-b', T0 + 4)).map((c) => c.run.id)).toEqual([runId]);
        expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => e.kind)).toEqual(['plan.applied']);
      });

      it('the global autonomy level is set with its audit entry and read by every store of the database', async () => {
        const controls = await store.setAutonomy(3, { by: 'User::"ops"', reason: 'calm', now: T0 }, audit('autonomy.changed', T0));
        expect(controls.autonomy).toBe(3);
        const other = await openAnother();
        expect((await other.getControls()).autonomy).toBe(3);
        expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => e.kind)).toEqual(['autonomy.changed']);
        await rejectionOf(store.setAutonomy(4, { by: null, reason: null, now: T0 + 1 }, null));
        expect((await store.getControls()).autonomy).toBe(3);
      });

      it('a change of the kill switch, the autonomy level or a component control is a store-wide event for live streams', async () => {
        const after = await store.lastEventId();
        await store.setKillSwitch(true, { by: 'User::"oncall"', reason: 'incident', now: T0 }, null);
        await store.setAutonomy(2, { by: 'User::"ops"', reason: null, now: T0 + 1 }, null);
        await store.setComponentPaused('llm', 'default', true, { by: 'User::"ops"', reason: 'rotate', now: T0 + 2 }, null);
        await store.setComponentPaused('llm', 'default', false, { by: null, reason: null, now: T0 + 3 }, null);
        await store.setKillSwitch(false, { by: 'User::"oncall"', reason: 'resolved', now: T0 + 4 }, null);
        const events = await store.readEvents({ after, limit: 100 });
        expect(events.map((e) => [e.runId, e.type, e.data, e.at])).toEqual([
          [null, 'kill_switch.on', { by: 'User::"oncall"', reason: 'incident' }, T0],
          [null, 'autonomy.changed', { level: 2, by: 'User::"ops"', reason: null }, T0 + 1],
          [null, 'component.paused', { domain: 'llm', key: 'default', by: 'User::"ops"', reason: 'rotate' }, T0 + 2],
          [null, 'component.resumed', { domain: 'llm', key: 'default', by: null, reason: null }, T0 + 3],
          [null, 'kill_switch.off', { by: 'User::"oncall"', reason: 'resolved' }, T0 + 4],
        ]);
      });
    });

    describe('component controls and reports', () => {
      it('a control is set with its audit entry and read by every store of the database; reports are replaced per worker', async () => {
        const audit: AuditInput = { kind: 'component.paused', at: T0, actor: 'User::"ops"', runId: null, subject: null, data: { domain: 'llm', key: 'default' } };
        const paused = await store.setComponentPaused('llm', 'default', true, { by: 'User::"ops"', reason: 'rotate', now: T0 }, audit);
        expect(paused).toEqual({ domain: 'llm', key: 'default', paused: true, by: 'User::"ops"', reason: 'rotate', updatedAt: T0 });
        const other = await openAnother();
        expect(await other.listComponentControls()).toEqual([paused]);
        await other.setComponentPaused('llm', 'default', false, { by: null, reason: null, now: T0 + 1 }, null);
        expect((await store.listComponentControls()).map((c) => c.paused)).toEqual([false]);
        expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => e.kind)).toEqual(['component.paused']);

        await store.reportComponents('w1', [
          { domain: 'llm', key: 'default', provider: 'a', state: 'ready', inFlight: 2 },
          { domain: 'store', key: 'default', provider: 'sqlite', state: 'ready', inFlight: 0 },
        ], T0 + 10);
        await other.reportComponents('w2', [{ domain: 'llm', key: 'default', provider: 'b', state: 'paused', inFlight: 0 }], T0 + 20);
        await store.reportComponents('w1', [{ domain: 'llm', key: 'default', provider: 'a', state: 'paused', inFlight: 0 }], T0 + 30);
        expect((await store.listComponentReports(T0)).map((r) => [r.worker, r.domain, r.state, r.inFlight, r.reportedAt])).toEqual([
          ['w1', 'llm', 'paused', 0, T0 + 30],
          ['w2', 'llm', 'paused', 0, T0 + 20],
        ]);
        expect((await store.listComponentReports(T0 + 25)).map((r) => r.worker)).toEqual(['w1']);
        await store.reportComponents('w1', [], T0 + 40);
        expect((await store.listComponentReports(T0)).map((r) => r.worker)).toEqual(['w2']);
      });
    });

    describe('action budgets', () => {
      const breaker = { failures: 3, coolDownMs: 10_000 };
      const opened: BreakerAuditTemplate = { at: 0, actor: null, runId: 'run_x', subject: null, data: { note: 'from the test' } };

      async function fail(action: string, now: number, error = 'connection refused') {
        return store.breakerRecord(action, false, breaker, now, error, { ...opened, at: now });
      }

      async function succeed(action: string, now: number) {
        return store.breakerRecord(action, true, breaker, now, null, { ...opened, at: now });
      }

      it('a rate limit lets exactly `rate` takes through at once, then refuses until one has refilled', async () => {
        const takes = [];
        for (let i = 0; i < 7; i += 1) takes.push(await store.takeRateToken('service.deploy', 6, T0));

        expect(takes.slice(0, 6)).toEqual(Array.from({ length: 6 }, () => ({ ok: true })));
        // 6 a minute: one token every 10 s
        expect(takes[6]).toEqual({ ok: false, retryAt: T0 + 10_000 });
        expect(await store.takeRateToken('service.deploy', 6, T0 + 9_999)).toEqual({ ok: false, retryAt: T0 + 10_000 });
        expect(await store.takeRateToken('service.deploy', 6, T0 + 10_000)).toEqual({ ok: true });
        expect(await store.takeRateToken('service.deploy', 6, T0 + 10_001)).toEqual({ ok: false, retryAt: T0 + 20_000 });
        // another action has a budget of its own
        expect(await store.takeRateToken('service.restart', 6, T0)).toEqual({ ok: true });
      });

      it('a rested rate limit refills to a full burst, never more', async () => {
        for (let i = 0; i < 3; i += 1) expect(await store.takeRateToken('dns.update', 3, T0)).toEqual({ ok: true });
        const later = T0 + 10 * 60_000;
        const takes = [];
        for (let i = 0; i < 4; i += 1) takes.push(await store.takeRateToken('dns.update', 3, later));

        expect(takes.map((t) => t.ok)).toEqual([true, true, true, false]);
        expect(takes[3]).toEqual({ ok: false, retryAt: later + 20_000 });
      });

      it('a rate that does not divide a minute still lets exactly `rate` through at once', async () => {
        const takes = [];
        for (let i = 0; i < 8; i += 1) takes.push((await store.takeRateToken('mail.send', 7, T0)).ok);
        expect(takes).toEqual([true, true, true, true, true, true, true, false]);
      });

      it('two stores on one database share one rate budget', async () => {
        const other = await openAnother();
        const takes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).takeRateToken('service.deploy', 10, T0)),
        );

        expect(takes.filter((t) => t.ok)).toHaveLength(10);
        expect(takes.filter((t) => !t.ok)).toHaveLength(10);
        expect(await other.takeRateToken('service.deploy', 10, T0 + 5_999)).toMatchObject({ ok: false });
        expect(await store.takeRateToken('service.deploy', 10, T0 + 6_000)).toEqual({ ok: true });
      });

      it('a breaker admits while closed, and opens at the Nth failure in a row; a success in between resets the count', async () => {
        expect(await store.breakerAdmit('service.deploy', breaker, T0)).toEqual({ admitted: true, probe: false });
        await fail('service.deploy', T0 + 1);
        await fail('service.deploy', T0 + 2);
        expect(await succeed('service.deploy', T0 + 3)).toMatchObject({ state: 'closed', failures: 0 });
        await fail('service.deploy', T0 + 4);
        const second = await fail('service.deploy', T0 + 5);
        expect(second).toMatchObject({ state: 'closed', failures: 2, lastError: 'connection refused' });

        const third = await fail('service.deploy', T0 + 6, 'HTTP 503');

        expect(third).toEqual({
          action: 'service.deploy',
          state: 'open',
          failures: 3,
          openedAt: T0 + 6,
          probeAt: T0 + 6 + 10_000,
          updatedAt: T0 + 6,
          lastError: 'HTTP 503',
        });
        expect(await store.getBreaker('service.deploy')).toEqual(third);
        expect(await store.breakerAdmit('service.other', breaker, T0 + 7)).toEqual({ admitted: true, probe: false });
      });

      it('an open breaker refuses until openedAt + coolDown, then admits exactly one probe', async () => {
        for (let i = 1; i <= 3; i += 1) await fail('service.deploy', T0 + i);

        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 4)).toEqual({ admitted: false, retryAt: T0 + 3 + 10_000, state: 'open' });
        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 10_002)).toEqual({ admitted: false, retryAt: T0 + 10_003, state: 'open' });

        const other = await openAnother();
        const asks = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).breakerAdmit('service.deploy', breaker, T0 + 10_003)),
        );

        expect(asks.filter((a) => a.admitted)).toEqual([{ admitted: true, probe: true }]);
        for (const refused of asks.filter((a) => !a.admitted)) {
          expect(refused).toEqual({ admitted: false, retryAt: T0 + 10_003 + 10_000, state: 'half_open' });
        }
        expect(await store.getBreaker('service.deploy')).toMatchObject({ state: 'half_open', probeAt: T0 + 20_003 });
      });

      it('a probe that never reports back is forgotten after another cool-down, and a new probe goes', async () => {
        for (let i = 1; i <= 3; i += 1) await fail('service.deploy', T0 + i);
        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 10_003)).toEqual({ admitted: true, probe: true });

        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 20_002)).toMatchObject({ admitted: false, state: 'half_open' });
        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 20_003)).toEqual({ admitted: true, probe: true });
        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 20_004)).toEqual({ admitted: false, retryAt: T0 + 30_003, state: 'half_open' });
      });

      it('a successful probe closes the breaker; a failed probe opens it again for another cool-down', async () => {
        for (let i = 1; i <= 3; i += 1) await fail('a.flaky', T0 + i);
        for (let i = 1; i <= 3; i += 1) await fail('b.flaky', T0 + i);
        await store.breakerAdmit('a.flaky', breaker, T0 + 10_003);
        await store.breakerAdmit('b.flaky', breaker, T0 + 10_003);

        const closed = await succeed('a.flaky', T0 + 10_100);
        const reopened = await fail('b.flaky', T0 + 10_100, 'still down');

        expect(closed).toEqual({
          action: 'a.flaky', state: 'closed', failures: 0, openedAt: null, probeAt: null, updatedAt: T0 + 10_100, lastError: 'connection refused',
        });
        expect(await store.breakerAdmit('a.flaky', breaker, T0 + 10_101)).toEqual({ admitted: true, probe: false });
        expect(reopened).toMatchObject({ state: 'open', failures: 4, openedAt: T0 + 10_100, probeAt: T0 + 20_100, lastError: 'still down' });
        expect(await store.breakerAdmit('b.flaky', breaker, T0 + 20_099)).toEqual({ admitted: false, retryAt: T0 + 20_100, state: 'open' });
        expect(await store.breakerAdmit('b.flaky', breaker, T0 + 20_100)).toEqual({ admitted: true, probe: true });
      });

      it('opening and closing are audited and evented in the chain; failures that change nothing are not', async () => {
        await store.appendAudit([{ kind: 'run.started', at: T0, actor: null, runId: null, subject: null, data: {} }]);
        for (let i = 1; i <= 4; i += 1) await fail('service.deploy', T0 + i, i === 3 ? 'token=abc HTTP 503' : 'down');
        await store.breakerAdmit('service.deploy', breaker, T0 + 10_003);
        await fail('service.deploy', T0 + 10_004);
        await store.breakerAdmit('service.deploy', breaker, T0 + 20_004);
        await succeed('service.deploy', T0 + 20_005);
        await succeed('service.deploy', T0 + 20_006);

        const audit = await store.readAudit({ after: 0, limit: 100 });
        expect(audit.map((e) => e.kind)).toEqual(['run.started', 'breaker.opened', 'breaker.closed']);
        expect(audit[1]).toMatchObject({
          at: T0 + 3,
          actor: null,
          runId: 'run_x',
          data: { note: 'from the test', action: 'service.deploy', from: 'closed', to: 'open', failures: 3, error: 'token=abc HTTP 503', probeAt: T0 + 10_003 },
        });
        expect(audit[2]).toMatchObject({ at: T0 + 20_005, data: { action: 'service.deploy', from: 'half_open', to: 'closed', failures: 0 } });
        expect(verifyChain(audit)).toMatchObject({ ok: true, count: 3 });

        const events = (await store.readEvents({ after: 0, limit: 100 })).filter((e) => e.type.startsWith('breaker.'));
        expect(events.map((e) => [e.type, e.runId, e.at])).toEqual([
          ['breaker.opened', null, T0 + 3],
          ['breaker.closed', null, T0 + 20_005],
        ]);
        expect(events[0]!.data).toEqual({ action: 'service.deploy', from: 'closed', to: 'open', failures: 3, probeAt: T0 + 10_003 });
      });

      it('a breaker change without an audit template is still evented, and nothing is audited', async () => {
        for (let i = 1; i <= 3; i += 1) await store.breakerRecord('service.deploy', false, breaker, T0 + i, 'down', null);

        expect(await store.readAudit({ after: 0, limit: 10 })).toEqual([]);
        expect((await store.readEvents({ after: 0, limit: 10 })).map((e) => e.type)).toEqual(['breaker.opened']);
      });

      it('an audit template that is not JSON fails the record and changes nothing', async () => {
        await fail('service.deploy', T0 + 1);
        await fail('service.deploy', T0 + 2);
        const bad = { ...opened, data: { n: Number.NaN } };

        const error = await rejectionOf(store.breakerRecord('service.deploy', false, breaker, T0 + 3, 'down', bad));

        expect(error.code).toBe('STEWARD_VALIDATION');
        expect(await store.getBreaker('service.deploy')).toMatchObject({ state: 'closed', failures: 2 });
        expect(await store.readAudit({ after: 0, limit: 10 })).toEqual([]);
      });

      it('two stores recording failures at once count every one of them', async () => {
        const other = await openAnother();
        const many = { failures: 1000, coolDownMs: 10_000 };
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).breakerRecord('service.deploy', false, many, T0 + i, 'down', null)),
        );
        expect(await store.getBreaker('service.deploy')).toMatchObject({ state: 'closed', failures: 20 });
      });

      it('an operator resets a breaker by hand: it closes, forgets its failures, and the reset is audited', async () => {
        for (let i = 1; i <= 3; i += 1) await fail('service.deploy', T0 + i);
        await fail('service.restart', T0 + 4);
        const change = { by: 'User::"oncall"', reason: 'target fixed', now: T0 + 5 };
        const audit: AuditInput = { kind: 'breaker.reset', at: T0 + 5, actor: 'User::"oncall"', runId: null, subject: null, data: { reason: 'target fixed' } };

        const reset = await store.resetBreaker('service.deploy', change, audit);
        const quiet = await store.resetBreaker('service.restart', change, audit);
        const unknown = await store.resetBreaker('service.unknown', change, audit);

        expect(reset).toEqual({
          action: 'service.deploy', state: 'closed', failures: 0, openedAt: null, probeAt: null, updatedAt: T0 + 5, lastError: 'connection refused',
        });
        expect(quiet).toMatchObject({ state: 'closed', failures: 0 });
        expect(unknown).toBeNull();
        expect(await store.breakerAdmit('service.deploy', breaker, T0 + 6)).toEqual({ admitted: true, probe: false });
        const entries = await store.readAudit({ after: 0, limit: 10 });
        expect(entries.map((e) => [e.kind, e.actor, e.data])).toEqual([
          ['breaker.opened', null, expect.objectContaining({ action: 'service.deploy' })],
          ['breaker.reset', 'User::"oncall"', { reason: 'target fixed', action: 'service.deploy', from: 'open', failures: 3 }],
          ['breaker.reset', 'User::"oncall"', { reason: 'target fixed', action: 'service.restart', from: 'closed', failures: 1 }],
        ]);
        expect(verifyChain(entries)).toMatchObject({ ok: true, count: 3 });
        const events = (await store.readEvents({ after: 0, limit: 10 })).map((e) => [e.type, e.data]);
        expect(events).toEqual([
          ['breaker.opened', expect.objectContaining({ action: 'service.deploy' })],
          ['breaker.closed', { action: 'service.deploy', from: 'open', to: 'closed', failures: 0, by: 'User::"oncall"' }],
        ]);
      });

      it('listBreakers names every action that ever failed, by name, with its state; a success alone records nothing', async () => {
        expect(await store.listBreakers()).toEqual([]);
        await succeed('a.fine', T0);
        for (let i = 1; i <= 3; i += 1) await fail('c.down', T0 + i);
        await fail('b.flaky', T0 + 4);

        const listed = await store.listBreakers();

        expect(listed.map((b) => [b.action, b.state, b.failures])).toEqual([
          ['b.flaky', 'closed', 1],
          ['c.down', 'open', 3],
        ]);
        expect(await store.getBreaker('a.fine')).toBeNull();
      });
    });

    describe('API tokens', () => {
      const alice = { id: 'tok_1', name: 'ci', tokenHash: 'a'.repeat(64), principal: 'User::"alice"', roles: ['viewer', 'operator'], createdBy: 'User::"root"' };
      const created = (at: number): AuditInput => ({ kind: 'token.created', at, actor: 'User::"root"', runId: null, subject: 'User::"alice"', data: { tokenId: 'tok_1' } });

      it('a created token is found by its hash with its principal and roles, and listed oldest first', async () => {
        await store.createToken({ ...alice, createdAt: T0 }, created(T0));
        await store.createToken({ ...alice, id: 'tok_2', name: 'bot', tokenHash: 'b'.repeat(64), roles: [], createdAt: T0 + 1 }, null);

        expect(await store.findTokenByHash('a'.repeat(64))).toEqual({ ...alice, createdAt: T0, lastUsedAt: null, revokedAt: null });
        expect(await store.findTokenByHash('c'.repeat(64))).toBeNull();
        expect((await store.listTokens()).map((t) => [t.id, t.roles])).toEqual([['tok_1', ['viewer', 'operator']], ['tok_2', []]]);
        expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => e.kind)).toEqual(['token.created']);
      });

      it('two tokens with the same hash are refused', async () => {
        await store.createToken({ ...alice, createdAt: T0 }, null);
        await expect(store.createToken({ ...alice, id: 'tok_2', createdAt: T0 }, null)).rejects.toThrow();
        expect(await store.listTokens()).toHaveLength(1);
      });

      it('a revoked token stays revoked at its first revocation, audited once; an unknown id answers null', async () => {
        await store.createToken({ ...alice, createdAt: T0 }, null);
        const audit = (at: number): AuditInput => ({ kind: 'token.revoked', at, actor: 'User::"root"', runId: null, subject: null, data: { tokenId: 'tok_1' } });

        const first = await store.revokeToken('tok_1', { by: 'User::"root"', reason: 'leaked', now: T0 + 5 }, audit(T0 + 5));
        const again = await store.revokeToken('tok_1', { by: 'User::"root"', reason: null, now: T0 + 9 }, audit(T0 + 9));

        expect(first?.revokedAt).toBe(T0 + 5);
        expect(again?.revokedAt).toBe(T0 + 5);
        expect(await store.revokeToken('tok_9', { by: null, reason: null, now: T0 }, null)).toBeNull();
        expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => [e.kind, e.at])).toEqual([['token.revoked', T0 + 5]]);
        expect((await store.findTokenByHash('a'.repeat(64)))?.revokedAt).toBe(T0 + 5);
      });

      it('a used token records when it was last used', async () => {
        await store.createToken({ ...alice, createdAt: T0 }, null);
        await store.touchToken('tok_1', T0 + 42);
        expect((await store.findTokenByHash('a'.repeat(64)))?.lastUsedAt).toBe(T0 + 42);
      });
    });
  });
}
