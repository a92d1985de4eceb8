/** Checks that values can be stored as JSON, and how big they are. */

/** The outcome of encoding a value for storage. */
export type EncodeResult = { ok: true; json: string; bytes: number } | { ok: false; reason: string };

/**
 * Encodes a value as JSON, refusing what JSON would silently change (functions, symbols, bigints, cycles,
 * non-finite numbers, class instances other than Date) so that a replay sees exactly what the first run saw.
 */
export function encodeJson(value: unknown): EncodeResult {
  const problem = findProblem(value, '$', new Set());
  if (problem) return { ok: false, reason: problem };
  const json = value === undefined ? 'null' : JSON.stringify(value);
  return { ok: true, json, bytes: Buffer.byteLength(json) };
}

function findProblem(value: unknown, path: string, seen: Set<object>): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${String(value)}`;
    case 'bigint':
      return `${path} is a bigint`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'object': {
      if (value === null || value instanceof Date) return null;
      if (seen.has(value)) return `${path} is a circular reference`;
      const proto: unknown = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
        return `${path} is an instance of ${name}`;
      }
      seen.add(value);
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key, child] of entries) {
        const found = findProblem(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, seen);
        if (found) return found;
      }
      seen.delete(value);
      return null;
    }
  }
}

/** Decodes stored JSON; a SQL NULL is `undefined`-free `null`. */
export function decodeJson(json: string | null): unknown {
  return json === null ? null : (JSON.parse(json) as unknown);
}
