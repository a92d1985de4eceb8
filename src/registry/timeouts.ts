/** Waiting for a provider's own code (factory, health check) with a bound, and telling it when we stop waiting. */

/** How a bounded wait ended. */
export type Settled<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/**
 * Calls `fn` with an AbortSignal and waits up to `ms` for it. A synchronous throw counts as an error. On timeout the
 * signal is aborted and `onLate` gets the value if it arrives afterwards (so a late instance can be disposed).
 */
export function settleWithin<T>(
  fn: (signal: AbortSignal) => T | Promise<T>,
  ms: number,
  onLate?: (value: T) => void,
): Promise<Settled<T>> {
  const controller = new AbortController();
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(fn(controller.signal));
  } catch (error) {
    return Promise.resolve({ kind: 'error', error });
  }
  return new Promise((resolve) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      controller.abort(new Error(`timed out after ${ms} ms`));
      resolve({ kind: 'timeout' });
    }, ms);
    pending.then(
      (value) => {
        if (done) return onLate?.(value);
        done = true;
        clearTimeout(timer);
        resolve({ kind: 'value', value });
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ kind: 'error', error });
      },
    );
  });
}

/** A thrown value as one line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
