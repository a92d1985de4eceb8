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

/**
 * The store's statements find rows through indexes, in index order (a claim walks its queue's index highest
 * priority first and stops after a few rows). With the statistics of a table that just took a burst of new runs not
 * yet analyzed, the planner would rather collect every queued run with a bitmap scan and sort them, on every claim.
 * Bitmap scans are turned off for the store's own connections; nothing else is affected.
 */
const PLANNER_OPTIONS = '-c enable_bitmapscan=off';

/** The configuration of every connection the store opens. */
export function clientConfig(settings: PostgresSettings): pg.ClientConfig {
  return {
    connectionString: settings.connectionString,
    options: [settings.serverOptions, PLANNER_OPTIONS].filter((o) => o !== undefined).join(' '),
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

/** Statement names by text, shared by every connection: `s1`, `s2`, … */
const statementNames = new Map<string, string>();
/** Texts past this many are sent unnamed: a store's statements are a fixed set far smaller than this. */
const MAX_NAMED = 500;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED) {
    name = `steward_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A connection whose statements are prepared once per connection and executed by name after that, so that the
 * server parses and plans each of the store's statements once instead of on every call.
 */
export function preparedStatements(client: pg.ClientBase): Queryable {
  const query = (text: string, values?: unknown[]) => {
    const name = statementName(text);
    return name === undefined ? client.query(text, values) : client.query({ name, text, values });
  };
  return { query } as unknown as Queryable;
}

/** Quotes an identifier for SQL text (a channel name in LISTEN, a schema in CREATE SCHEMA). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
