/**
 * Keeping secrets out of the audit log and the logs: values under secret-looking keys become "[redacted]", and
 * registered secret values are cut out of every string they occur in. It imports nothing from Steward, so that the
 * logger can use it too.
 */

/** What a redacted value becomes. */
export const REDACTED = '[redacted]';

/**
 * Key names whose values are secret, compared in lower case with `-` and `_` removed; a key matches when it contains
 * one of them (`dbPassword`, `x-api-key`, `client_secret`, `Set-Cookie`).
 */
export const DEFAULT_SECRET_KEYS: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'privatekey',
  'credential',
  'sessionid',
]);

/** Key names that contain a secret word yet hold no secret (`maxTokens` counts tokens). */
const NOT_SECRET = new Set(['maxtokens', 'tokens', 'tokencount', 'inputtokens', 'outputtokens', 'totaltokens']);

/** The shortest secret value that may be registered: shorter ones would cut ordinary words apart. */
export const MIN_SECRET_LENGTH = 6;

/** How a redactor is set up. */
export interface RedactorOptions {
  /** Secret key words, replacing DEFAULT_SECRET_KEYS. */
  keys?: readonly string[];
  /** Secret key words added to the defaults. */
  extraKeys?: readonly string[];
  /** Secret values to cut out of strings from the start. */
  secrets?: readonly string[];
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '');
}

/** Redacts values before they are hashed, stored or logged. Give one redactor to the audit log and the logger. */
export class Redactor {
  private readonly keys: readonly string[];
  private readonly secrets = new Set<string>();
  /** The registered values, longest first, so that a secret containing another is cut out whole. */
  private ordered: string[] = [];

  constructor(options: RedactorOptions = {}) {
    this.keys = [...(options.keys ?? DEFAULT_SECRET_KEYS), ...(options.extraKeys ?? [])].map(normalizeKey);
    for (const secret of options.secrets ?? []) this.addSecret(secret);
  }

  /** Registers a secret value (a token Steward created, a credential it read) to cut out wherever it appears. */
  addSecret(value: string): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
      throw new RangeError(`a secret value to redact must be a string of at least ${MIN_SECRET_LENGTH} characters`);
    }
    if (this.secrets.has(value)) return;
    this.secrets.add(value);
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  /** Whether values under this key are secret. */
  isSecretKey(key: string): boolean {
    const k = normalizeKey(key);
    return !NOT_SECRET.has(k) && this.keys.some((word) => k.includes(word));
  }

  /** The string with every registered secret value replaced. */
  redactString(text: string): string {
    let out = text;
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /**
   * A redacted copy of a value: plain objects and arrays are copied, values under secret keys replaced, strings
   * cleaned of registered secrets; an Error becomes a plain `{ type, message, stack }` with both cleaned. Other
   * values are kept as they are.
   */
  redact<T>(value: T): T {
    return this.walk(value, new WeakSet()) as T;
  }

  private walk(value: unknown, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item, seen));
    if (value instanceof Error) {
      const out: Record<string, unknown> = { type: value.name, message: this.redactString(value.message) };
      if (value.stack !== undefined) out.stack = this.redactString(value.stack);
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) out.code = code;
      return out;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.isSecretKey(key) ? REDACTED : this.walk(item, seen);
    return out;
  }
}

/** A log record made safe to write: what pino's `formatters.log` calls (see src/observability/logger.ts). */
export function redactForLog(record: Record<string, unknown>, redactor: Redactor): Record<string, unknown> {
  return redactor.redact(record);
}
