/** Fresh temporary directories and database paths, removed when the test that made them finishes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A new empty directory under the system temp dir, removed after the current test. */
export function useTempDir(prefix = 'steward-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The path of a database file that does not exist yet, in a fresh directory removed after the current test. */
export function useDbPath(name = 'steward.db'): string {
  return join(useTempDir(), name);
}

/** A new empty directory that the caller removes (for suites that manage their own lifetimes). */
export function makeTempDir(prefix = 'steward-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
