/** Retry policy: how many attempts, and how long to wait between them. */

/** How a step or action is retried. */
export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  factor: number;
  capMs: number;
}

/** The retry policy of design §2: 3 attempts, base 1 s, factor 2, cap 60 s. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ maxAttempts: 3, baseMs: 1000, factor: 2, capMs: 60_000 });

/**
 * The wait before the next attempt after `attempt` failed, with full jitter:
 * a uniform draw in [0, min(cap, base · factor^(attempt−1))).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
