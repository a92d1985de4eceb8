/**
 * A store outage as the worker lives through it: the first failure is logged at once, a reminder at most every
 * `remindEveryMs` while it lasts, and the recovery once, instead of a line per failed call. It also paces retries
 * with full-jitter backoff, so that many workers coming back do not hit the database in one wave.
 */
import { backoffDelay } from '../domain/backoff.js';
import type { Logger } from '../observability/logger.js';

/** Retry waits: from 100 ms, doubling, never over the poll interval the worker would wait anyway. */
const RETRY_BASE_MS = 100;

/** Tracks whether the store answers and says so in the log now and then. */
export class StoreOutage {
  private since: number | null = null;
  private lastLoggedAt = 0;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly random: () => number,
    private readonly maxRetryMs: number,
    private readonly remindEveryMs = 30_000,
  ) {}

  /** Whether the last call to the store failed for want of the store. */
  get ongoing(): boolean {
    return this.since !== null;
  }

  /** Records a failed call (`doing`: what the worker was doing) and returns how long to wait before retrying. */
  failed(error: unknown, doing: string): number {
    const now = this.now();
    this.failures += 1;
    if (this.since === null) {
      this.since = now;
      this.lastLoggedAt = now;
      this.logger.warn({ err: error }, `the store failed while ${doing}; retrying with backoff until it answers`);
    } else if (now - this.lastLoggedAt >= this.remindEveryMs) {
      this.lastLoggedAt = now;
      const seconds = Math.round((now - this.since) / 1000);
      this.logger.warn({ err: error, failures: this.failures, seconds }, `the store has been failing for ${seconds} s; still retrying`);
    }
    return Math.max(1, backoffDelay({ maxAttempts: Infinity, baseMs: RETRY_BASE_MS, factor: 2, capMs: this.maxRetryMs }, this.failures, this.random));
  }

  /** Records a call that succeeded; logs the recovery when it ends an outage. */
  recovered(): void {
    if (this.since === null) return;
    const seconds = Math.round((this.now() - this.since) / 100) / 10;
    this.logger.info({ failures: this.failures, seconds }, `the store answers again after ${seconds} s`);
    this.since = null;
    this.failures = 0;
  }
}
