/** The PostgreSQL store's pool: calls queue for a connection as long as it takes; only opening one times out. */
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../../helpers/postgres.js';
import { silentLogger } from '../../helpers/steward.js';

const url = testPostgresUrl();
const schema = uniqueSchema('pool');
const admin = adminPool(url);

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe('the PostgreSQL store’s pool', () => {
  it('a call waiting for the only connection longer than the connect timeout waits instead of failing', async () => {
    const store = await PostgresStore.open(withSchema(url, schema), { logger: silentLogger, poolSize: 1, connectTimeoutMs: 100 });
    try {
      const now = Date.now();
      const { run } = await store.createRun({
        id: 'run_locked', workflow: 'wf', workflowVersion: '1', inputJson: '{}', status: 'queued', mode: 'apply', autonomy: null,
        subject: null, goal: null, idempotencyKey: null, queue: 'default', priority: 0, parentId: null, timeoutMs: null,
        runnableAt: now, createdAt: now,
      });
      // another program holds the run's row: the signal below holds the store's only connection while it waits
      const holder = await admin.connect();
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM ${schema}.runs WHERE id = $1 FOR UPDATE`, [run.id]);
      const signal = store.sendSignal(run.id, 'go', '{}', now);
      const read = store.getRun(run.id);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await holder.query('COMMIT');
      holder.release();

      await signal;
      expect((await read)?.id).toBe(run.id);
    } finally {
      await store.close();
    }
  });
});
