/** Steward instances for engine tests: a fresh database file, a silent logger, small timings, closed after the test. */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { createSteward, openStore, type Clock, type IdSource, type Steward, type StewardOptions, type Store } from '../../src/index.js';
import { useDbPath } from './temp-dir.js';

/** A logger that says nothing, so test output stays readable. */
export const silentLogger = pino({ level: 'silent' });

/** Options of `useSteward`: every createSteward option, plus where the database is and how to wrap its store. */
export type TestStewardOptions = Omit<StewardOptions, 'store'> & {
  /** The database file; a fresh one in a temp dir unless given (pass the same path to share a database). */
  dbPath?: string;
  /** Wraps the opened store (to watch or break its calls); the helper closes the inner store after the test. */
  wrapStore?: (store: Store) => Store;
  /** Sets the store's global autonomy level first (3: every category applies without approval). */
  globalAutonomy?: number;
};

/** Creates a Steward for the current test and closes it (and its store) when the test ends. */
export async function useSteward(options: TestStewardOptions = {}): Promise<Steward & { dbPath: string }> {
  const { dbPath = useDbPath(), wrapStore, globalAutonomy, ...rest } = options;
  let inner: Store | undefined;
  let store: string | Store = `sqlite:${dbPath}`;
  if (wrapStore) {
    inner = await openStore(`sqlite:${dbPath}`);
    store = wrapStore(inner);
  }
  const steward = await createSteward({ logger: silentLogger, pollIntervalMs: 20, ...rest, store });
  onTestFinished(async () => {
    await steward.close({ graceMs: 100 }).catch(() => undefined);
    await inner?.close().catch(() => undefined);
  });
  if (globalAutonomy !== undefined) await steward.autonomy.set(globalAutonomy, { by: 'User::"test"' });
  return Object.assign(steward, { dbPath });
}

/** A clock that runs `offsetMs` ahead of the wall clock: a Steward started "later" without waiting. */
export function clockAhead(offsetMs: number): Clock {
  return { now: () => Date.now() + offsetMs };
}

/** Ids as usual, with a fixed `random()` (so that retry backoffs are predictable). */
export function idsWithRandom(value: number): IdSource {
  return {
    runId: () => `run_${Date.now().toString(16).padStart(12, '0')}${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    uuid: () => randomUUID(),
    random: () => value,
  };
}
