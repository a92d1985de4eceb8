/**
 * The settings of a PostgreSQL store, parsed once from its URL and options and frozen. Steward reads two URL
 * parameters of its own, `schema` and `pool_size`, and passes the rest of the URL to the driver unchanged.
 */
import { z } from 'zod';
import { StoreUrlError, formatIssues } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { redact } from '../redact.js';

/** A schema name Steward can put in a search path and a notification channel as is. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,54}$/;

const optionsSchema = z
  .object({
    poolSize: z.number().int().min(1).max(1000).optional(),
    schema: z.string().regex(SCHEMA_NAME, 'a schema name is 1–55 lowercase letters, digits and _, not starting with a digit').optional(),
    connectTimeoutMs: z.number().int().min(100).max(600_000).optional(),
    /** Delays between attempts to reconnect the listening connection: from `baseMs`, doubling up to `maxMs`. */
    reconnectBackoff: z.object({ baseMs: z.number().int().min(1), maxMs: z.number().int().min(1) }).strict().optional(),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && 'warn' in v && 'child' in v).optional(),
  })
  .strict();

/** Options of the PostgreSQL store beside its URL. */
export type PostgresStoreOptions = z.input<typeof optionsSchema>;

/** The resolved settings. */
export interface PostgresSettings {
  /** The URL the driver connects with: the given one without Steward's own parameters. */
  readonly connectionString: string;
  /** The given URL with its password hidden, safe to print. */
  readonly location: string;
  /** `host:port/database`, for messages. */
  readonly target: string;
  readonly host: string;
  readonly user: string;
  readonly database: string;
  /** The schema that holds Steward's tables, or null for the server's current schema of the connecting role. */
  readonly schema: string | null;
  /** `-c search_path=…` when a schema was named; other server options given in the URL are kept. */
  readonly serverOptions: string | undefined;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBackoff: { readonly baseMs: number; readonly maxMs: number };
  readonly logger: Logger | undefined;
}

/** Parses a `postgres://` or `postgresql://` URL and the store options. */
export function resolvePostgresSettings(url: string, options: PostgresStoreOptions = {}): PostgresSettings {
  const location = redact(url);
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) throw new StoreUrlError(location, formatIssues(parsedOptions.error.issues, 'options'));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreUrlError(location, 'it is not a valid URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  }
  const params = parsed.searchParams;
  const schema = options.schema ?? params.get('schema') ?? null;
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new StoreUrlError(location, `schema "${schema}" is not a plain name: use 1–55 lowercase letters, digits and _ (schema=steward)`);
  }
  const poolParam = params.get('pool_size');
  const poolSize = options.poolSize ?? (poolParam === null ? 10 : Number(poolParam));
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw new StoreUrlError(location, `pool_size=${poolParam ?? ''} is not a whole number from 1 to 1000`);
  }
  const givenOptions = params.get('options');
  params.delete('schema');
  params.delete('pool_size');
  params.delete('options');
  const serverOptions = [givenOptions, schema === null ? null : `-c search_path=${schema}`].filter((o) => o).join(' ') || undefined;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  const host = params.get('host') ?? (parsed.hostname || 'localhost');
  return Object.freeze({
    connectionString: parsed.toString(),
    location,
    target: `${host}:${parsed.port || '5432'}/${database}`,
    host,
    user: decodeURIComponent(parsed.username) || params.get('user') || process.env.PGUSER || 'the current user',
    database,
    schema,
    serverOptions,
    poolSize,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    reconnectBackoff: Object.freeze(options.reconnectBackoff ?? { baseMs: 100, maxMs: 5000 }),
    logger: options.logger,
  });
}
