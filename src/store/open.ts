/** Turns a store URL into an open store: `sqlite:PATH` (the default) or `postgres://…` (also `postgresql://…`). */
import { resolve } from 'node:path';
import { StoreUrlError } from '../errors.js';
import { DEFAULT_STORE_URL } from '../config/options.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { redact } from './redact.js';

export { redact };

export { DEFAULT_STORE_URL };

/** What opening a store may be given besides its URL. */
export interface OpenStoreOptions {
  /** Where a store logs what happens to its connection (PostgreSQL outages); default: Steward's JSON logger. */
  logger?: Logger;
}

/** Opens the store a URL names. */
export async function openStore(url: string = DEFAULT_STORE_URL, options: OpenStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new StoreUrlError(url, 'no file path after "sqlite:" (write sqlite:./.steward/steward.db)');
    const store = SqliteStore.open(path, { createDirectory: resolve(path) === resolve(DEFAULT_STORE_URL.slice(7)) });
    await store.ready();
    return store;
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return PostgresStore.open(url, options.logger === undefined ? {} : { logger: options.logger });
  }
  if (!url.includes(':') || url.endsWith('.db')) {
    throw new StoreUrlError(url, `it has no scheme: write sqlite:${url} for a SQLite file`);
  }
  throw new StoreUrlError(redact(url), 'unknown scheme: use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE');
}
