/**
 * Opening the embedded database: checks the location, sets durability (WAL, synchronous=FULL), refuses files that
 * are not Steward databases or were written by a newer schema, and applies pending migrations in one transaction.
 * Nothing is written before every check has passed.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StoreCorruptError, StoreSchemaTooNewError, StoreUnavailableError, StewardError } from '../../errors.js';
import { loadMigrations } from '../migrations/index.js';

/** Options for opening the embedded store. */
export interface SqliteOpenOptions {
  /** Create the database's directory when missing (the default location does). */
  createDirectory?: boolean;
  /** How long a write waits for another process holding the write lock. */
  busyTimeoutMs?: number;
}

/** Opens (and migrates) a Steward SQLite database file. */
export function openSqliteDatabase(file: string, options: SqliteOpenOptions = {}): Database.Database {
  const path = resolve(file);
  const dir = dirname(path);
  if (!existsSync(dir)) {
    if (options.createDirectory) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (cause) {
        throw new StoreUnavailableError(`cannot create the database directory ${dir}: ${(cause as Error).message}`, { cause });
      }
    } else {
      throw new StoreUnavailableError(
        `the database directory ${dir} does not exist: create it (mkdir -p ${dir}) or point the store at another path`,
      );
    }
  }
  if (!statSync(dir).isDirectory()) {
    throw new StoreUnavailableError(`${dir} is not a directory: point the store at a path inside a directory`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (cause) {
    throw new StoreUnavailableError(
      `the database directory ${dir} is not writable: fix its permissions or point the store at another path`,
      { cause },
    );
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new StoreUnavailableError(`${path} is a directory, not a database file: name a file inside it (${path}/steward.db)`);
  }

  let db: Database.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (cause) {
    throw new StoreUnavailableError(`cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    checkIsStewardDatabase(db, path);
    applyConnectionSettings(db);
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StewardError) throw error;
    const code = (error as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StoreCorruptError(
        `${path} is not a SQLite database or is corrupt (${(error as Error).message}); it was left untouched: ` +
          `move it away or restore it from a backup`,
        { cause: error },
      );
    }
    if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_IOERR')) {
      throw new StoreUnavailableError(`cannot write ${path} (${(error as Error).message}): fix its permissions or pick another path`, {
        cause: error,
      });
    }
    throw new StoreUnavailableError(`cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Durability and cache settings every connection uses: WAL, fsync on every commit, a 64 MiB page cache. */
export function applyConnectionSettings(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  // checkpoint every ~40 MiB of WAL instead of 4: pages rewritten by many commits are copied back once
  db.pragma('wal_autocheckpoint = 10000');
}

function checkIsStewardDatabase(db: Database.Database, path: string): void {
  // Reading the schema is the first access to the file: a file that is not SQLite fails here, before any write.
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  if (tables.length > 0 && !tables.includes('migrations')) {
    throw new StoreCorruptError(
      `${path} is a SQLite database but not a Steward store (it has tables ${tables.slice(0, 5).join(', ')} and no migrations table); ` +
        `it was left untouched: point Steward at another file`,
    );
  }
}

function migrate(db: Database.Database, path: string): void {
  const migrations = loadMigrations('sqlite');
  const known = migrations.length;
  db.prepare('BEGIN IMMEDIATE').run();
  try {
    db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const current = (db.prepare('SELECT coalesce(max(version), 0) FROM migrations').pluck().get() as number) ?? 0;
    if (current > known) throw new StoreSchemaTooNewError(path, current, known);
    const record = db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
    db.prepare('COMMIT').run();
  } catch (error) {
    db.prepare('ROLLBACK').run();
    throw error;
  }
}
