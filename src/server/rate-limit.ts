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

/** Token buckets keyed by API token id. */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number,
  ) {}

  /** Takes one request from the key's bucket. */
  take(key: string): RateDecision {
    const now = this.now();
    const { perSecond, burst } = this.settings;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { ok: true };
  }
}
