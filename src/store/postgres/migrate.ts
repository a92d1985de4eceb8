/**
 * Opening a PostgreSQL schema for Steward: under a transaction-scoped advisory lock (so that many processes opening
 * at once apply each migration once), creates a named schema when missing, refuses a schema that holds other tables
 * or was written by a newer Steward, and applies the pending numbered migrations in the same transaction.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { StoreCorruptError, StoreSchemaTooNewError, StoreUrlError } from '../../errors.js';
import { loadMigrations } from '../migrations/index.js';
import { quoteIdentifier } from './connection.js';
import type { PostgresSettings } from './settings.js';

/** The advisory lock key of a schema's migrations: 64 bits of a hash of its name. */
function migrationLockKey(schema: string): string {
  return createHash('sha256').update(`steward migrations ${schema}`).digest().readBigInt64BE(0).toString();
}

/** Applies pending migrations and returns the schema the store's tables live in. */
export async function migrate(client: pg.ClientBase, settings: PostgresSettings, now: () => number = Date.now): Promise<string> {
  const migrations = loadMigrations('postgres');
  await client.query('BEGIN');
  try {
    const schema = settings.schema ?? (await currentSchema(client, settings));
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    const names = tables.rows.map((t) => t.name);
    if (names.length > 0 && !names.includes('migrations')) {
      throw new StoreCorruptError(
        `schema "${schema}" of ${settings.location} holds tables (${names.slice(0, 5).join(', ')}) but is not a Steward store ` +
          `(no migrations table); nothing was changed: give Steward a schema of its own with ?schema=steward`,
      );
    }
    // a role without CREATE on the schema can open a schema that is up to date
    if (!names.includes('migrations')) {
      await client.query('CREATE TABLE migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    }
    const found = await client.query<{ version: number }>('SELECT coalesce(max(version), 0)::int AS version FROM migrations');
    const current = found.rows[0]?.version ?? 0;
    if (current > migrations.length) throw new StoreSchemaTooNewError(`${settings.location} (schema ${schema})`, current, migrations.length);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, now()]);
    }
    await client.query('COMMIT');
    return schema;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The schema unqualified names resolve to for this connection, which must be a plain name (it names the channel). */
async function currentSchema(client: pg.ClientBase, settings: PostgresSettings): Promise<string> {
  const result = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = result.rows[0]?.schema ?? null;
  if (schema === null || !/^[a-z_][a-z0-9_]{0,54}$/.test(schema)) {
    throw new StoreUrlError(
      settings.location,
      `${schema === null ? 'the login has no current schema' : `its current schema "${schema}" is not a plain lowercase name`}: ` +
        `name the schema for Steward's tables with ?schema=steward`,
    );
  }
  return schema;
}
