/**
 * Several PostgreSQL stores on one schema, as workers in several processes have: what one commits, the others hear
 * (LISTEN/NOTIFY); claims never hand one run to two stores; a queue's concurrency holds across all of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Lease, type Store, type StoreNotice } from '../../../src/index.js';
import type { ClaimedRun } from '../../../src/store/store.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../../helpers/postgres.js';
import { silentLogger } from '../../helpers/steward.js';
import { waitUntil } from '../../helpers/wait.js';
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

/** `count` stores on one fresh schema. */
async function storesOnOneSchema(count: number): Promise<Store[]> {
  const schema = uniqueSchema('many');
  schemas.push(schema);
  const first = await openStore(withSchema(url, schema), { logger: silentLogger });
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => openStore(withSchema(url, schema), { logger: silentLogger })));
  opened.push(first, ...rest);
  return [first, ...rest];
}

const newRun = newRunOf;

function claim(store: Store, owner: string, queue: string, limit: number): Promise<ClaimedRun[]> {
  return store.claimRuns({ owner, queues: [queue], workflows: ['wf.test'], limit, leaseMs: LEASE_MS, now: Date.now() });
}

/** Collects what a store's subscribers hear. */
function listen(store: Store): StoreNotice[] {
  const heard: StoreNotice[] = [];
  store.subscribe((notice) => heard.push(notice));
  return heard;
}

describe('many PostgreSQL stores on one schema', () => {
  it('a store hears the runs another store creates, ends and asks to cancel', async () => {
    const [writer, reader] = await storesOnOneSchema(2);
    const heard = listen(reader!);

    const created = newRun({ queue: 'emails', priority: 7 });
    await writer!.createRun(created);
    await waitUntil(() => heard.find((n) => n.type === 'runnable' && n.queue === 'emails'), { what: 'the runnable notice' });
    expect(heard).toContainEqual({ type: 'runnable', queue: 'emails', at: created.runnableAt, priority: 7 });
    expect(heard).toContainEqual({ type: 'events' });

    const [running] = await claim(writer!, 'worker-a', 'emails', 1);
    const other = newRun();
    await writer!.createRun(other);
    const [second] = await claim(writer!, 'worker-a', 'default', 1);
    await writer!.requestCancel(other.id, { code: 'STEWARD_RUN_CANCELLED', name: 'RunCancelledError', message: 'stop' }, Date.now());
    await writer!.finishRun(running!.lease, { status: 'succeeded', outputJson: '1' }, Date.now());

    await waitUntil(() => heard.find((n) => n.type === 'finished' && n.runId === created.id), { what: 'the finished notice' });
    expect(heard).toContainEqual({ type: 'finished', runId: created.id, status: 'succeeded' });
    expect(heard).toContainEqual({ type: 'cancel_requested', runId: second!.run.id });
  });

  it('stores on other schemas of the same database hear nothing of it', async () => {
    const [writer] = await storesOnOneSchema(1);
    const [elsewhere] = await storesOnOneSchema(1);
    const [witness] = await storesOnOneSchema(1);
    const heardElsewhere = listen(elsewhere!);
    const heardByWitness = listen(witness!);

    await writer!.createRun(newRun());
    // the witness's own run, created after the writer's, shows that notifications sent before it have arrived
    await witness!.createRun(newRun({ queue: 'witness' }));
    await waitUntil(() => heardByWitness.find((n) => n.type === 'runnable' && n.queue === 'witness'), { what: 'the witness notice' });

    expect(heardElsewhere).toEqual([]);
    expect(heardByWitness.filter((n) => n.type === 'runnable').map((n) => (n as { queue: string }).queue)).toEqual(['witness']);
  });

  it('eight stores claiming at once never take the same run, and take them all', async () => {
    const stores = await storesOnOneSchema(8);
    const ids = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const run = newRun();
      ids.add(run.id);
      await stores[0]!.createRun(run);
    }

    const claimedBy = await Promise.all(
      stores.map(async (store, i) => {
        const mine: string[] = [];
        for (;;) {
          const batch = await claim(store, `worker-${i}`, 'default', 7);
          if (batch.length === 0) return mine;
          mine.push(...batch.map((c) => c.run.id));
        }
      }),
    );

    const all = claimedBy.flat();
    expect(all).toHaveLength(200);
    expect(new Set(all)).toEqual(ids);
    expect(claimedBy.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
  });

  it('a queue’s concurrency holds across ten stores claiming at the same moment', async () => {
    const stores = await storesOnOneSchema(10);
    await stores[0]!.configureQueues([{ name: 'narrow', concurrency: 3, maxQueued: null }]);
    for (let i = 0; i < 30; i += 1) await stores[0]!.createRun(newRun({ queue: 'narrow' }));

    const firstRound = (await Promise.all(stores.map((s, i) => claim(s, `worker-${i}`, 'narrow', 5)))).flat();
    expect(firstRound).toHaveLength(3);
    expect(await stores[0]!.getQueue('narrow')).toMatchObject({ running: 3, queued: 27 });

    const done: Lease[] = firstRound.slice(0, 2).map((c) => c.lease);
    await Promise.all(done.map((lease) => stores[0]!.finishRun(lease, { status: 'succeeded', outputJson: 'null' }, Date.now())));
    const secondRound = (await Promise.all(stores.map((s, i) => claim(s, `worker-${i}`, 'narrow', 5)))).flat();

    expect(secondRound).toHaveLength(2);
    expect(await stores[0]!.getQueue('narrow')).toMatchObject({ running: 3, queued: 25 });
  });

  it('a reader following events by cursor while six stores write at once gets every event once, in order', async () => {
    const stores = await storesOnOneSchema(7);
    const reader = stores[6]!;
    const writers = stores.slice(0, 6);
    const seen: number[] = [];
    let claimedRuns = 0;
    let writing = true;
    const follow = (async () => {
      let after = 0;
      for (;;) {
        const done = !writing;
        const page = await reader.readEvents({ after, limit: 50 });
        for (const event of page) {
          expect(event.id).toBeGreaterThan(after);
          seen.push(event.id);
          after = event.id;
        }
        if (done && page.length === 0) return;
      }
    })();

    await Promise.all(
      writers.map(async (store, w) => {
        for (let i = 0; i < 8; i += 1) {
          await store.createRun(newRun());
          // another store may hold the only runnable runs at this moment (SKIP LOCKED): then this one records none
          const [claimed] = await claim(store, `worker-${w}`, 'default', 1);
          if (!claimed) continue;
          claimedRuns += 1;
          for (let seq = 1; seq <= 4; seq += 1) {
            await store.recordStep(claimed.lease, {
              seq, kind: 'step', name: `s${seq}`, status: 'completed', attempts: 1, resultJson: '1', error: null,
              wakeAt: null, startedAt: Date.now(), finishedAt: Date.now(),
            });
          }
          await store.finishRun(claimed.lease, { status: 'succeeded', outputJson: 'null' }, Date.now());
        }
      }),
    );
    writing = false;
    await follow;

    const all: number[] = [];
    for (let after = 0; ; ) {
      const page = await reader.readEvents({ after, limit: 1000 });
      if (page.length === 0) break;
      all.push(...page.map((e) => e.id));
      after = page[page.length - 1]!.id;
    }
    // each run: created; and when claimed, running, four steps and succeeded
    expect(claimedRuns).toBeGreaterThan(6 * 8 * 0.5);
    expect(all.length).toBe(6 * 8 + claimedRuns * 6);
    expect(seen).toEqual(all);
  });

  it('a queue’s maxQueued holds across stores creating at the same moment', async () => {
    const stores = await storesOnOneSchema(6);
    await stores[0]!.configureQueues([{ name: 'small', concurrency: null, maxQueued: 5 }]);

    const outcomes = await Promise.allSettled(stores.flatMap((store) => [1, 2, 3].map(() => store.createRun(newRun({ queue: 'small' })))));

    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => ((o as PromiseRejectedResult).reason as { code: string }).code);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toEqual(Array.from({ length: 13 }, () => 'STEWARD_QUEUE_FULL'));
    expect(await stores[0]!.getQueue('small')).toMatchObject({ queued: 5 });
  });
});
