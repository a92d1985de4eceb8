/**
 * The conformance story of `Store.stats()`: the counts an overview shows and metrics report, the same on every
 * store. A store joins by calling `defineStatsConformance(name, factory)` beside `defineStoreConformance`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_STATUSES, type Store } from '../../src/index.js';
import type { AuditInput, NewApproval, NewRun } from '../../src/store/store.js';
import { newRunOf } from '../helpers/new-run.js';
import type { StoreFactory } from './store-conformance.js';

const LEASE_MS = 1000;

/** Runs the stats stories against the stores a factory makes. */
export function defineStatsConformance(name: string, makeStore: StoreFactory): void {
  describe(`Store conformance: ${name}: stats`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let T0: number;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      T0 = Date.now();
    });

    afterEach(async () => {
      await cleanup();
    });

    async function create(fields: Partial<NewRun> = {}): Promise<string> {
      return (await store.createRun(newRunOf(fields, T0))).run.id;
    }

    const audit = (kind: string): AuditInput => ({ kind, at: T0, actor: null, runId: null, subject: null, data: {} });

    function approval(runId: string): NewApproval {
      return {
        id: `apr_${runId}_2`,
        runId,
        seq: 2,
        action: 'service.scale',
        actionVersion: '1.0.0',
        category: 'write',
        resource: 'service:api',
        network: 'internal',
        planJson: '{}',
        planHash: 'a'.repeat(64),
        requester: null,
        reasons: ['above-autonomy'],
        createdAt: T0,
        expiresAt: T0 + 60_000,
      };
    }

    it('an empty store counts zero runs in every status, no pending approval', async () => {
      const stats = await store.stats();
      expect(Object.keys(stats.runsByStatus).sort()).toEqual([...RUN_STATUSES].sort());
      expect(Object.values(stats.runsByStatus).every((n) => n === 0)).toBe(true);
      expect(stats.approvalsPending).toBe(0);
      expect(stats.queues.every((q) => q.queued === 0 && q.running === 0)).toBe(true);
    });

    it('counts runs by status, queued and running runs by queue, and pending approvals', async () => {
      await store.configureQueues([{ name: 'idle', concurrency: 2, maxQueued: null }]);
      await create();
      await create();
      await create({ queue: 'bulk' });
      await create({ queue: 'bulk' });
      await create({ queue: 'bulk', status: 'planned' });
      // one run of default runs, and finishes; another runs and files an approval
      const [first] = await store.claimRuns({ owner: 'w', queues: ['default'], workflows: ['wf.test'], limit: 1, leaseMs: LEASE_MS, now: T0 });
      await store.finishRun(first!.lease, { status: 'succeeded', outputJson: '1' }, T0 + 1);
      const [second] = await store.claimRuns({ owner: 'w', queues: ['default'], workflows: ['wf.test'], limit: 1, leaseMs: LEASE_MS, now: T0 + 2 });
      await store.requestApproval(second!.lease, approval(second!.run.id), { requested: audit('approval.requested'), expired: audit('approval.expired') }, T0 + 2);
      const [third] = await store.claimRuns({ owner: 'w', queues: ['bulk'], workflows: ['wf.test'], limit: 1, leaseMs: LEASE_MS, now: T0 + 3 });
      await store.finishRun(third!.lease, { status: 'failed', error: { code: 'X', name: 'Error', message: 'no' } }, T0 + 4);

      const stats = await store.stats();
      expect(stats.runsByStatus).toMatchObject({ queued: 1, running: 1, succeeded: 1, failed: 1, planned: 1, cancelled: 0, waiting: 0 });
      expect(Object.values(stats.runsByStatus).reduce((a, b) => a + b, 0)).toBe(5);
      expect(stats.approvalsPending).toBe(1);
      const byQueue = new Map(stats.queues.map((q) => [q.queue, q]));
      expect(byQueue.get('default')).toEqual({ queue: 'default', queued: 0, running: 1 });
      expect(byQueue.get('bulk')).toEqual({ queue: 'bulk', queued: 1, running: 0 });
      // a configured queue is listed even with nothing in it
      expect(byQueue.get('idle')).toEqual({ queue: 'idle', queued: 0, running: 0 });
      expect(stats.queues.map((q) => q.queue)).toEqual([...stats.queues.map((q) => q.queue)].sort());
    });

    it('a decided approval no longer counts as pending', async () => {
      await create();
      const [claimed] = await store.claimRuns({ owner: 'w', queues: ['default'], workflows: ['wf.test'], limit: 1, leaseMs: LEASE_MS, now: T0 });
      const filed = await store.requestApproval(claimed!.lease, approval(claimed!.run.id), { requested: audit('approval.requested'), expired: audit('approval.expired') }, T0);
      expect((await store.stats()).approvalsPending).toBe(1);
      await store.decideApproval(filed.id, { status: 'denied', by: 'User::"bob"', reason: 'no', now: T0 + 1 }, { decided: audit('approval.decided'), expired: audit('approval.expired') });
      expect((await store.stats()).approvalsPending).toBe(0);
    });
  });
}
