/**
 * The small state file beside the artifact cache (`<cache>/manifest-state.json`): per source, the version and digest
 * last accepted (what rollback protection compares against) and the sync status the CLI shows. Written atomically:
 * a temporary file in the same directory, then a rename.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../errors.js';
import type { AcceptedVersion } from './signing.js';
import type { SyncStatus } from './sync-status.js';

/** The name of the state file inside the cache directory. */
export const STATE_FILE = 'manifest-state.json';

const epoch = z.number().int().nonnegative().nullable();
const statusSchema = z.strictObject({
  source: z.string(),
  lastAttemptAt: epoch,
  lastSuccessAt: epoch,
  version: z.number().int().positive().nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  breaker: z.enum(['closed', 'open', 'half_open']),
  nextAttemptAt: epoch,
});

const sourceStateSchema = z.strictObject({
  accepted: z
    .strictObject({ version: z.number().int().positive(), digest: z.string().regex(/^[0-9a-f]{64}$/), acceptedAt: z.number().int() })
    .nullable(),
  status: statusSchema.nullable(),
});

const stateSchema = z.strictObject({ format: z.literal(1), sources: z.record(z.string(), sourceStateSchema) });

/** What is kept about one source. */
export interface SourceState {
  accepted: (AcceptedVersion & { acceptedAt: number }) | null;
  status: SyncStatus | null;
}

/** The whole state file. */
export type ManifestState = z.infer<typeof stateSchema>;

/** Reads and replaces the state file of a cache directory. */
export class ManifestStateFile {
  readonly path: string;

  constructor(readonly cacheDir: string) {
    this.path = join(cacheDir, STATE_FILE);
  }

  /** The whole state; empty when the file does not exist yet. A file that does not parse is refused, never reset. */
  async read(): Promise<ManifestState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, sources: {} };
      throw new ConfigError(`cannot read the manifest state file ${this.path} (${(cause as Error).message})`, { cause });
    }
    let data: unknown;
    try {
      data = JSON.parse(text) as unknown;
    } catch (cause) {
      throw this.corrupt(`not JSON (${(cause as Error).message})`, cause);
    }
    const parsed = stateSchema.safeParse(data);
    if (!parsed.success) throw this.corrupt(formatIssues(parsed.error.issues, 'state'));
    return parsed.data;
  }

  /** The state of one source. */
  async source(source: string): Promise<SourceState> {
    return (await this.read()).sources[source] ?? { accepted: null, status: null };
  }

  /** Changes the state of one source, read-modify-write, and replaces the file atomically. */
  async update(source: string, change: (current: SourceState) => SourceState): Promise<SourceState> {
    const state = await this.read();
    const next = change(state.sources[source] ?? { accepted: null, status: null });
    state.sources[source] = next;
    await mkdir(this.cacheDir, { recursive: true });
    const temp = join(this.cacheDir, `.${STATE_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return next;
  }

  private corrupt(reason: string, cause?: unknown): ConfigError {
    return new ConfigError(
      `the manifest state file ${this.path} is not valid: ${reason}; it holds the rollback protection of every source — ` +
        'restore it, or remove it only if you accept that any older signed manifest may be accepted once more',
      { cause },
    );
  }
}
