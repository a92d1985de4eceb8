/**
 * The sync status of one manifest source, and how an attempt moves it: success schedules the next refresh; failure
 * backs off exponentially with jitter, and after N consecutive failures opens a circuit breaker that half-opens after a
 * cool-down, letting one probe attempt through (which closes it on success and reopens it on failure).
 */

/** Where a source's circuit breaker stands. */
export type SyncBreakerState = 'closed' | 'open' | 'half_open';

/** What the last sync attempts of a source came to; kept in memory and in the state file. Times are epoch ms. */
export interface SyncStatus {
  source: string;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  /** The version last accepted from this source. */
  version: number | null;
  /** The error of the last attempt, or null when it succeeded. */
  error: { code: string; message: string } | null;
  consecutiveFailures: number;
  breaker: SyncBreakerState;
  /** When the next attempt is due (a refresh, a retry, or the probe of an open breaker). */
  nextAttemptAt: number | null;
}

/** When attempts are made. */
export interface SyncSchedule {
  /** Between successful syncs. */
  intervalMs: number;
  /** The first retry waits about `baseMs`, doubling per failure up to `capMs`, with jitter. */
  backoff: { baseMs: number; capMs: number };
  /** The breaker opens after `failureThreshold` consecutive failures and half-opens `coolDownMs` later. */
  breaker: { failureThreshold: number; coolDownMs: number };
}

/** The default schedule: refresh every 5 minutes; retries from 1 s to 5 min; the breaker opens after 5 failures for 15 min. */
export const DEFAULT_SYNC_SCHEDULE: Readonly<SyncSchedule> = Object.freeze({
  intervalMs: 300_000,
  backoff: Object.freeze({ baseMs: 1000, capMs: 300_000 }),
  breaker: Object.freeze({ failureThreshold: 5, coolDownMs: 900_000 }),
});

/** The status of a source never attempted. */
export function initialSyncStatus(source: string): SyncStatus {
  return {
    source,
    lastAttemptAt: null,
    lastSuccessAt: null,
    version: null,
    error: null,
    consecutiveFailures: 0,
    breaker: 'closed',
    nextAttemptAt: null,
  };
}

/** The status as an attempt starts: an open breaker whose cool-down is over lets this one attempt through as its probe. */
export function statusAtAttempt(prev: SyncStatus, at: number): SyncStatus {
  const breaker = prev.breaker === 'open' ? 'half_open' : prev.breaker;
  return { ...prev, lastAttemptAt: at, breaker };
}

/** The status after a successful attempt: the breaker closes and the next refresh is an interval away. */
export function statusAfterSuccess(prev: SyncStatus, at: number, version: number, schedule: SyncSchedule): SyncStatus {
  return {
    ...prev,
    lastAttemptAt: at,
    lastSuccessAt: at,
    version,
    error: null,
    consecutiveFailures: 0,
    breaker: 'closed',
    nextAttemptAt: at + schedule.intervalMs,
  };
}

/** The status after a failed attempt: back off, or open the breaker after too many failures or a failed probe. */
export function statusAfterFailure(
  prev: SyncStatus,
  at: number,
  error: { code: string; message: string },
  schedule: SyncSchedule,
  random: () => number,
): SyncStatus {
  const failures = prev.consecutiveFailures + 1;
  const opens = prev.breaker !== 'closed' || failures >= schedule.breaker.failureThreshold;
  return {
    ...prev,
    lastAttemptAt: at,
    error,
    consecutiveFailures: failures,
    breaker: opens ? 'open' : 'closed',
    nextAttemptAt: at + (opens ? schedule.breaker.coolDownMs : retryDelay(schedule.backoff, failures, random)),
  };
}

/** Exponential backoff with jitter: a draw in [ceiling/2, ceiling), where ceiling = min(cap, base·2^(failures−1)). */
export function retryDelay(backoff: SyncSchedule['backoff'], failures: number, random: () => number): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
