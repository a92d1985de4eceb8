/**
 * A PostgreSQL store that loses its server: operations fail with STEWARD_STORE_UNAVAILABLE while the server is
 * away and work again when it is back; the listening connection reconnects by itself, so notices resume; the outage
 * is logged once and the recovery once. These tests stop and start a cluster of their own.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Store, StoreNotice } from '../../../src/index.js';
import type { NewRun } from '../../../src/store/store.js';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../../helpers/postgres-cluster.js';
import { adminPool, withSchema } from '../../helpers/postgres.js';
import { silentLogger } from '../../helpers/steward.js';
import { rejectionOf, waitUntil } from '../../helpers/wait.js';
import { newRunOf } from '../../helpers/new-run.js';

let cluster: ThrowawayCluster;
let opened: Store[] = [];

beforeAll(async () => {
  cluster = await startThrowawayCluster();
});

afterAll(() => {
  cluster?.stop();
});

afterEach(async () => {
  if (!(await serverAnswers())) cluster.resume();
  await Promise.all(opened.map((s) => s.close()));
  opened = [];
});

async function serverAnswers(): Promise<boolean> {
  const admin = adminPool(cluster.url);
  try {
    await admin.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await admin.end();
  }
}

/** A logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; messages: () => string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return { logger, messages: () => lines.map((line) => (JSON.parse(line) as { msg: string }).msg) };
}

async function open(schema: string, logger: pino.Logger = silentLogger): Promise<PostgresStore> {
  const store = await PostgresStore.open(withSchema(cluster.url, schema), { logger, reconnectBackoff: { baseMs: 20, maxMs: 200 } });
  opened.push(store);
  return store;
}

function newRun(queue = 'default'): NewRun {
  return newRunOf({ queue });
}

function listen(store: Store): StoreNotice[] {
  const heard: StoreNotice[] = [];
  store.subscribe((notice) => heard.push(notice));
  return heard;
}

describe('a PostgreSQL store that loses its server', () => {
  it('fails operations with STEWARD_STORE_UNAVAILABLE while the server is stopped, and works again once it is back', async () => {
    const { logger, messages } = capturingLogger();
    const store = await open('outage', logger);
    const kept = newRun();
    await store.createRun(kept);
    const heard = listen(store);

    cluster.pause();
    const read = await rejectionOf(store.getRun(kept.id));
    const write = await rejectionOf(store.createRun(newRun()));
    const claim = await rejectionOf(store.claimRuns({ owner: 'w', queues: ['default'], workflows: ['wf.test'], limit: 1, leaseMs: 1000, now: Date.now() }));

    for (const error of [read, write, claim]) {
      expect(error.code).toBe('STEWARD_STORE_UNAVAILABLE');
      expect(error.message).toMatch(/^PostgreSQL store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/steward_test\?schema=outage is unreachable \(/);
      expect(error.message).not.toContain(new URL(cluster.url).password);
    }
    expect(write.message).toContain('nothing was done');

    cluster.resume();
    const back = await waitUntil(() => store.getRun(kept.id), { timeoutMs: 30_000, what: 'the store to read again' });
    expect(back.status).toBe('queued');
    // the listening connection is back: it says so with a notice for every queue the store knows
    await waitUntil(() => heard.find((n) => n.type === 'runnable' && n.queue === 'default'), { what: 'the notice of the reconnection' });
    await store.createRun(newRun('after'));
    await waitUntil(() => heard.find((n) => n.type === 'runnable' && n.queue === 'after'), { what: 'a notice of a run created afterwards' });

    const outage = messages().filter((m) => m.startsWith('PostgreSQL is unreachable'));
    const recovery = messages().filter((m) => m.startsWith('PostgreSQL is reachable again'));
    expect({ outage: outage.length, recovery: recovery.length }).toEqual({ outage: 1, recovery: 1 });
  });

  it('hears other processes again after every one of its connections was terminated', async () => {
    const store = await open('terminated');
    const other = await open('terminated');
    const heard = listen(store);
    await store.createRun(newRun());
    // the notice of that run must not stand in for the notice of the reconnection below
    await waitUntil(() => heard.find((n) => n.type === 'runnable' && n.queue === 'default'), { what: 'the notice of the first run' });
    heard.length = 0;
    const admin = adminPool(cluster.url);
    try {
      const killed = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'steward' AND pid <> pg_backend_pid()`,
      );
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [killed.rows.map((r) => r.pid)]);
    } finally {
      await admin.end();
    }

    await waitUntil(() => heard.find((n) => n.type === 'runnable' && n.queue === 'default'), { what: 'the notice of the reconnection' });
    const created = newRun('from-the-other');
    await waitUntil(() => other.createRun(created).then(
      () => true,
      () => false,
    ), { what: 'the other store to write again' });
    await waitUntil(() => heard.find((n) => n.type === 'runnable' && n.queue === 'from-the-other'), { what: 'the notice from the other store' });
    expect((await store.getRun(created.id))?.status).toBe('queued');
  });
});
