/** Waiting in tests without fixed sleeps: latches and polling with a deadline. */

/** A promise that the test resolves by hand. */
export interface Latch<T = void> {
  readonly promise: Promise<T>;
  readonly isSet: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Makes a latch: `await latch.promise` until someone calls `latch.resolve()`. */
export function latch<T = void>(): Latch<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  let isSet = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return {
    promise,
    get isSet() {
      return isSet;
    },
    resolve(value: T) {
      isSet = true;
      resolve(value);
    },
    reject(error: unknown) {
      isSet = true;
      reject(error);
    },
  };
}

/** Options of `waitUntil`. */
export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** Time between probes (default 10 ms). */
  intervalMs?: number;
  /** Says what was awaited, for the error when the deadline passes. */
  what?: string;
}

/**
 * Probes until it returns a truthy value (which is returned) or the deadline passes (which throws, with the last
 * value or error seen). A probe that throws is retried.
 */
export async function waitUntil<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? `${last.name}: ${last.message}` : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'} (last seen: ${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Settles with the rejection of `promise` (fails when it resolves), so a test can inspect a thrown error. */
export async function rejectionOf(promise: Promise<unknown> | (() => unknown)): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** Resolves as `promise` does, or rejects once `ms` have passed, naming what was awaited. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
