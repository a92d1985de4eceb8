/** Per-token rate limits of the HTTP API: a token bucket per token, in memory (each server process keeps its own). */

/** How fast one token may call: `perSecond` on average, with bursts of up to `burst`. */
export interface RateLimitSettings {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** What a take answers: allowed, or refused with the seconds until one request is allowed again. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Buckets kept before the full ones (which hold nothing worth remembering) are dropped. */
const PRUNE_ABOVE = 10_000;

/** Token buckets keyed by API token id (or, for failed logins, by client address). */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number,
  ) {}

  /** Takes one request from the key's bucket. */
  take(key: string): RateDecision {
    const now = this.now();
    const tokens = this.level(key, now);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return this.refused(tokens);
    }
    if (this.buckets.size >= PRUNE_ABOVE && !this.buckets.has(key)) this.prune(now);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { ok: true };
  }

  /** Whether the key's bucket would allow a request now, without taking one. */
  check(key: string): RateDecision {
    const tokens = this.level(key, this.now());
    return tokens < 1 ? this.refused(tokens) : { ok: true };
  }

  private level(key: string, now: number): number {
    const { perSecond, burst } = this.settings;
    const bucket = this.buckets.get(key);
    return bucket === undefined ? burst : Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
  }

  private refused(tokens: number): RateDecision {
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.settings.perSecond)) };
  }

  /** Forgets the buckets that have refilled: they are the same as a bucket never used. */
  private prune(now: number): void {
    for (const key of [...this.buckets.keys()]) if (this.level(key, now) >= this.settings.burst) this.buckets.delete(key);
  }
}
