/**
 * The PostgreSQL store gathers the calls of one turn: new runs go in one statement, many runs' step records and
 * ends in another, and one worker's waiting claims as one claim. These tests make the calls of a batch disagree
 * (a stale lease, a step recorded already, a taken idempotency key) and check that each call still gets its own
 * answer, exactly as when it is made alone.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError, openStore, StepAlreadyRecordedError, type Lease, type Store } from '../../../src/index.js';
import type { ClaimedRun, NewRun, StepWrite } from '../../../src/store/store.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../../helpers/postgres.js';
import { silentLogger } from '../../helpers/steward.js';
import { newRunOf } from '../../helpers/new-run.js';

const url = testPostgresUrl();
const LEASE_MS = 30_000;
let opened: Store[] = [];
let schemas: string[] = [];

afterEach(async () => {
  await Promise.all(opened.map((s) => s.close()));
  opened = [];
  const admin = adminPool(url);
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  schemas = [];
});

async function freshStore(): Promise<Store> {
  const schema = uniqueSchema('batch');
  schemas.push(schema);
  const store = await openStore(withSchema(url, schema), { logger: silentLogger });
  opened.push(store);
  return store;
}

const newRun = newRunOf;

function step(seq: number, result: unknown): StepWrite {
  const now = Date.now();
  return { seq, kind: 'step', name: `step-${seq}`, status: 'completed', attempts: 1, resultJson: JSON.stringify(result), error: null, wakeAt: null, startedAt: now, finishedAt: now };
}

/** The error a settled call was rejected with. */
function reason(outcome: PromiseSettledResult<unknown>): unknown {
  return outcome.status === 'rejected' ? outcome.reason : undefined;
}

function claim(store: Store, owner: string, limit: number): Promise<ClaimedRun[]> {
  return store.claimRuns({ owner, queues: ['default'], workflows: ['wf.test'], limit, leaseMs: LEASE_MS, now: Date.now(), reclaimExpired: false });
}

describe('PostgreSQL store: calls batched in one turn', () => {
  it('new runs made in one turn: unique ones created, calls sharing a key get the one run', async () => {
    const store = await freshStore();
    const key = `key-${randomUUID()}`;
    const calls = [
      ...Array.from({ length: 50 }, () => store.createRun(newRun())),
      ...Array.from({ length: 20 }, () => store.createRun(newRun({ idempotencyKey: key }))),
    ];
    const results = await Promise.all(calls);

    const keyed = results.slice(50);
    expect(results.slice(0, 50).every((r) => r.created)).toBe(true);
    expect(new Set(keyed.map((r) => r.run.id)).size).toBe(1);
    expect(keyed.filter((r) => r.created)).toHaveLength(1);
    const page = await store.listRuns({ limit: 100 });
    expect(page.runs).toHaveLength(51);
  });

  it('a run the database refuses in a batch fails alone; the others of its turn are created', async () => {
    const store = await freshStore();
    const good = Array.from({ length: 5 }, () => newRun());
    const bad = newRun({ mode: 'bogus' as NewRun['mode'] });
    const outcomes = await Promise.allSettled([...good.slice(0, 2), bad, ...good.slice(2)].map((run) => store.createRun(run)));

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    for (const run of good) expect(await store.getRun(run.id)).not.toBeNull();
    expect(await store.getRun(bad.id)).toBeNull();
  });

  it('step records and ends of one turn: a stale lease and a recorded step fail alone, the rest commit', async () => {
    const store = await freshStore();
    for (let i = 0; i < 4; i += 1) await store.createRun(newRun());
    const claimed = await claim(store, 'worker-a', 4);
    expect(claimed).toHaveLength(4);
    const [a, b, c, d] = claimed.map((cl) => cl.lease) as [Lease, Lease, Lease, Lease];
    await store.recordStep(c, step(1, 'first'));
    const now = Date.now();

    const outcomes = await Promise.allSettled([
      store.recordStep(a, step(1, 'a')),
      store.finishRun({ ...b, epoch: b.epoch + 7 }, { status: 'succeeded', outputJson: '"b"' }, now),
      store.recordStep(c, step(1, 'again')),
      store.finishRun(d, { status: 'succeeded', outputJson: '"d"' }, now),
    ]);

    expect(outcomes[0]!.status).toBe('fulfilled');
    expect(reason(outcomes[1]!)).toBeInstanceOf(LeaseLostError);
    expect(reason(outcomes[2]!)).toBeInstanceOf(StepAlreadyRecordedError);
    expect(outcomes[3]!.status).toBe('fulfilled');
    expect((await store.listSteps(a.runId)).map((s) => s.result)).toEqual(['a']);
    expect((await store.listSteps(c.runId)).map((s) => s.result)).toEqual(['first']);
    expect((await store.getRun(b.runId))?.status).toBe('running');
    expect((await store.getRun(d.runId))?.status).toBe('succeeded');
  });

  it('a run’s last step and its end, joined in one batch, keep their events in order', async () => {
    const store = await freshStore();
    for (let i = 0; i < 3; i += 1) await store.createRun(newRun());
    const claimed = await claim(store, 'worker-a', 3);
    const now = Date.now();
    await Promise.all(
      claimed.map(async ({ lease }) => {
        const recorded = store.recordStep(lease, step(1, lease.runId));
        const finished = store.finishRun(lease, { status: 'succeeded', outputJson: '1' }, now);
        await Promise.all([recorded, finished]);
      }),
    );
    for (const { lease } of claimed) {
      const types = (await store.readEvents({ after: 0, runId: lease.runId, limit: 100 })).map((e) => e.type);
      expect(types).toEqual(['run.created', 'run.running', 'step.completed', 'run.succeeded']);
    }
  });

  it('claims a worker makes while one is under way go as one, and share its runs without giving one twice', async () => {
    const store = await freshStore();
    for (let i = 0; i < 10; i += 1) await store.createRun(newRun());
    const results = await Promise.all(Array.from({ length: 6 }, () => claim(store, 'worker-a', 3)));

    const ids = results.flat().map((c) => c.run.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    for (const result of results) expect(result.length).toBeLessThanOrEqual(3);
  });

  it('a step record carrying an audit entry commits with it, beside plain records of the same turn', async () => {
    const store = await freshStore();
    for (let i = 0; i < 3; i += 1) await store.createRun(newRun());
    const [a, b, c] = (await claim(store, 'worker-a', 3)).map((cl) => cl.lease) as [Lease, Lease, Lease];
    const audit = { kind: 'act.applied', at: Date.now(), actor: 'User::"alice"', runId: b.runId, subject: 'Resource::"db:orders"', data: { action: 'db.rotate' } };

    await Promise.all([store.recordStep(a, step(1, 'a')), store.recordStep(b, { ...step(1, 'b'), kind: 'act.apply', audit }), store.recordStep(c, step(1, 'c'))]);

    expect((await store.listSteps(b.runId)).map((s) => s.result)).toEqual(['b']);
    const entries = await store.readAudit({ after: 0, limit: 10 });
    expect(entries.map((e) => [e.kind, e.runId, e.data])).toEqual([['act.applied', b.runId, { action: 'db.rotate' }]]);
    // a refused record appends no entry
    await Promise.allSettled([store.recordStep(b, { ...step(1, 'again'), kind: 'act.apply', audit })]);
    expect(await store.readAudit({ after: 0, limit: 10 })).toHaveLength(1);
  });

  it('new runs of one turn, one of them with an audit entry: all created, the entry appended once with its run', async () => {
    const store = await freshStore();
    const audited = newRun({ subject: 'User::"alice"', idempotencyKey: `key-${randomUUID()}` });
    const audit = { kind: 'run.started', at: Date.now(), actor: 'User::"alice"', runId: audited.id, subject: null, data: { workflow: 'wf.test' } };
    const results = await Promise.all([store.createRun(newRun()), store.createRun({ ...audited, audit }), store.createRun(newRun())]);
    expect(results.every((r) => r.created)).toBe(true);
    // the same key again finds the run and appends nothing
    const again = await store.createRun({ ...audited, id: `run_${randomUUID()}`, audit });
    expect(again).toMatchObject({ created: false, run: { id: audited.id } });
    expect((await store.readAudit({ after: 0, limit: 10 })).map((e) => [e.kind, e.runId])).toEqual([['run.started', audited.id]]);
  });
});
