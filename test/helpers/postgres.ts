/**
 * The PostgreSQL server of the test run (see postgres-global-setup.ts), fresh schemas on it, and a plain pool
 * beside the store for what the tests check directly in the database.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The URL of the test run's PostgreSQL database, or null when there is none. */
    postgresUrl: string | null;
    /** Why there is no PostgreSQL database, and how to provide one. */
    postgresProblem: string | null;
  }
}

/** The test run's PostgreSQL URL; throws (failing the test file) when the run has none, saying how to give it one. */
export function testPostgresUrl(): string {
  const url = inject('postgresUrl');
  if (url === null) throw new Error(inject('postgresProblem') ?? 'no PostgreSQL server for the tests');
  return url;
}

/** A schema name no other test uses. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** The URL with `schema=` set. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** A small pool on the database, outside any store; the caller ends it. */
export function adminPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}
