/** The Store conformance suite on the PostgreSQL store, each test in a fresh schema of the test run's database. */
import { openStore } from '../../src/index.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.js';
import { silentLogger } from '../helpers/steward.js';
import { defineStoreConformance, type StoreUnderTest } from './store-conformance.js';
import { defineStatsConformance } from './store-stats.js';

const url = testPostgresUrl();

async function makePostgresStore(): Promise<StoreUnderTest> {
  const schema = uniqueSchema('conformance');
  const store = await openStore(withSchema(url, schema), { logger: silentLogger });
  // a plain pool beside the store: what any other program could do to the database
  const admin = adminPool(url);
  const others: Array<{ close(): Promise<void> }> = [];
  return {
    store,
    async openAnother() {
      const other = await openStore(withSchema(url, schema), { logger: silentLogger });
      others.push(other);
      return other;
    },
    raw: {
      async setRunStatus(runId, status) {
        await admin.query(`UPDATE ${schema}.runs SET status = $1, updated_at = updated_at + 1 WHERE id = $2`, [status, runId]);
      },
      async statusTransitions() {
        const result = await admin.query<{ from: string; to: string }>(
          `SELECT from_status AS "from", to_status AS "to" FROM ${schema}.status_transitions`,
        );
        return result.rows;
      },
    },
    async cleanup() {
      for (const other of others) await other.close();
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

defineStoreConformance('postgres', makePostgresStore);
defineStatsConformance('postgres', makePostgresStore);
