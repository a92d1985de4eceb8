/** Canonical JSON: keys sorted at every depth, so equal data always gives the same text (a cache key, never a lossy one). */
import type { PolicyRequest } from './request.js';

/** Serialises plain JSON data with object keys in sorted order; properties that are `undefined` are left out, as JSON does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Keys of `T` that a literal must list, each exactly once: a new field of the request cannot be left out of its key. */
type Exhaustive<T> = { [K in keyof Required<T>]: unknown };

/**
 * The canonical JSON of a checked policy request, built for its known shape (the generic `canonicalJson` sorts keys at
 * run time and costs more than a cached decision may). The literals below list keys in sorted order, and
 * `Exhaustive` makes the compiler refuse a request field that is not part of the key; a test compares both forms.
 */
export function requestKeyJson(request: PolicyRequest): string {
  const { principal, resource, context } = request;
  const { budgets } = context;
  const sortedBudgets: Exhaustive<typeof budgets> = {
    maxAttempts: budgets.maxAttempts,
    ratePerMinute: budgets.ratePerMinute,
    timeoutMs: budgets.timeoutMs,
  };
  const sortedContext: Exhaustive<typeof context> = {
    approved: context.approved,
    autonomy: context.autonomy,
    budgets: sortedBudgets,
    mode: context.mode,
    reason: context.reason,
  };
  const sorted: Exhaustive<typeof request> = {
    action: request.action,
    context: sortedContext,
    principal: { id: principal.id, roles: principal.roles, type: principal.type } satisfies Exhaustive<typeof principal>,
    resource: { category: resource.category, name: resource.name, network: resource.network } satisfies Exhaustive<typeof resource>,
  };
  return JSON.stringify(sorted);
}
