/**
 * Connections to PostgreSQL: the pool the operations use and the configuration every connection shares (bigint
 * columns read as numbers, the schema's search path, TCP keepalive, a connect timeout).
 */
import pg from 'pg';
import type { PostgresSettings } from './settings.js';

/** What an operation needs of a connection: to run one statement. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

const INT8_OID = 20;

/** Epoch milliseconds, sequence numbers and counts are bigint in the database and numbers in Steward. */
function parseInt8(value: string): number {
  return Number(value);
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The configuration of every connection the store opens. */
export function clientConfig(settings: PostgresSettings): pg.ClientConfig {
  return {
    connectionString: settings.connectionString,
    options: settings.serverOptions,
    application_name: 'steward',
    keepAlive: true,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    types,
  };
}

/**
 * The pool of the store's operations. A call waits for a free connection as long as it takes (pg-pool would apply
 * the connect timeout to that wait too, and fail calls that merely queue behind others under load); opening a new
 * connection still times out. Idle connections do not keep the process alive, and an idle connection that breaks
 * (the server restarted) is dropped from the pool and reported to `onIdleError` instead of crashing the process.
 */
export function createPool(settings: PostgresSettings, onIdleError: (error: Error) => void): pg.Pool {
  const { connectionTimeoutMillis, ...config } = clientConfig(settings);
  class Client extends pg.Client {
    constructor(options?: pg.ClientConfig) {
      super({ ...options, connectionTimeoutMillis });
    }
  }
  const pool = new pg.Pool({ ...config, Client, max: settings.poolSize, idleTimeoutMillis: 30_000, allowExitOnIdle: true });
  pool.on('error', onIdleError);
  // a connection that breaks while checked out (the server restarting between two statements of a transaction) emits
  // 'error' with no pool listener attached: the operation learns of it from its next statement, so this only keeps
  // the event from crashing the process
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Quotes an identifier for SQL text (a channel name in LISTEN, a schema in CREATE SCHEMA). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
