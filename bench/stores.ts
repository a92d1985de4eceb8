/**
 * The stores a bench run measures. `--store` names each: `sqlite` (a fresh temp SQLite file per workload, the
 * default), `sqlite:PATH` (that file, as it is), or a `postgres://` URL (a fresh schema per workload, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact } from '../src/store/redact.js';
import { dropPostgresSchema } from './postgres-schema.js';

/** What a store is, for the table and the targets. */
export type StoreKind = 'sqlite' | 'postgres';

/** A store to measure. */
export interface BenchStore {
  kind: StoreKind;
  /** What the table and results.json say of it (no password). */
  description: { kind: StoreKind; url: string; durability: string };
  /** A fresh store for one Steward (`name` tells the workload), and how to remove it afterwards. */
  fresh(name: string): { url: string; remove(): Promise<void> };
}

let counter = 0;

/** Parses one `--store` value. */
export function benchStore(value: string): BenchStore {
  if (value === 'sqlite') {
    return {
      kind: 'sqlite',
      description: { kind: 'sqlite', url: 'fresh temp SQLite file per workload', durability: 'store defaults: WAL, synchronous=FULL' },
      fresh() {
        const dir = mkdtempSync(join(tmpdir(), 'steward-bench-'));
        return { url: `sqlite:${join(dir, 'bench.db')}`, remove: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    };
  }
  if (value.startsWith('sqlite:')) {
    return {
      kind: 'sqlite',
      description: { kind: 'sqlite', url: `${value} (not cleared between workloads)`, durability: 'store defaults: WAL, synchronous=FULL' },
      fresh: () => ({ url: value, remove: async () => undefined }),
    };
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    let base: URL;
    try {
      base = new URL(value);
    } catch {
      throw new Error(`--store ${redact(value)} is not a valid URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
    }
    if (base.searchParams.has('schema')) {
      throw new Error('--store: leave out schema=; the bench makes a fresh schema per workload and drops it afterwards');
    }
    return {
      kind: 'postgres',
      description: { kind: 'postgres', url: `${redact(value)} (a fresh schema per workload)`, durability: 'server defaults (fsync on)' },
      fresh(name) {
        const schema = `steward_bench_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${process.pid}_${(counter += 1)}`;
        const url = new URL(base);
        url.searchParams.set('schema', schema);
        return { url: url.toString(), remove: () => dropPostgresSchema(value, schema) };
      },
    };
  }
  throw new Error(`--store ${redact(value)}: give sqlite, sqlite:PATH or a postgres:// URL`);
}
