/** The Store conformance suite on the embedded SQLite store, each test on a fresh database file. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openStore } from '../../src/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { defineStoreConformance, type StoreUnderTest } from './store-conformance.js';
import { defineStatsConformance } from './store-stats.js';

async function makeSqliteStore(): Promise<StoreUnderTest> {
  const { dir, remove } = makeTempDir('steward-conformance-');
  const file = join(dir, 'steward.db');
  const store = await openStore(`sqlite:${file}`);
  let db: Database.Database | undefined;
  // a second, plain connection to the same file: what any other program could do to the database
  const connection = (): Database.Database => (db ??= new Database(file, { timeout: 5000 }));
  const others: Array<{ close(): Promise<void> }> = [];
  return {
    store,
    async openAnother() {
      const other = await openStore(`sqlite:${file}`);
      others.push(other);
      return other;
    },
    raw: {
      async setRunStatus(runId, status) {
        connection().prepare('UPDATE runs SET status = ?, updated_at = updated_at + 1 WHERE id = ?').run(status, runId);
      },
      async statusTransitions() {
        return connection()
          .prepare('SELECT from_status AS "from", to_status AS "to" FROM status_transitions')
          .all() as Array<{ from: string; to: string }>;
      },
    },
    async cleanup() {
      db?.close();
      for (const other of others) await other.close();
      await store.close();
      remove();
    },
  };
}

defineStoreConformance('sqlite', makeSqliteStore);
defineStatsConformance('sqlite', makeSqliteStore);
