/** Removes a bench workload's PostgreSQL schema, with everything Steward made in it. */
import pg from 'pg';

/** Drops `schema` (it names only letters, digits and _: see stores.ts) on the server `url` names. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
