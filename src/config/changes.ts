/**
 * What changed in the component selections between two configurations, and carrying those changes out on the
 * registry: select the new provider (or none), then swap the component to it.
 */
import type { ComponentSelection, FileConfig } from './file-schema.js';
import { splitComponentKey } from './file-schema.js';

/** One component whose selection differs: added, changed (provider or settings) or removed. */
export interface ConfigChange {
  readonly kind: 'added' | 'changed' | 'removed';
  readonly domain: string;
  readonly key: string;
  readonly from: ComponentSelection | null;
  readonly to: ComponentSelection | null;
}

/** What `applyConfigChanges` needs of the registry. */
export interface SelectionTarget {
  /** Makes `provider` the explicit selection of a component; null drops the selection (precedence decides again). */
  select(domain: string, key: string, provider: string | null, settings?: Readonly<Record<string, unknown>>): void;
  /** Moves the component to the provider it now resolves to. */
  swap(domain: string, key: string): Promise<unknown>;
}

/** How applying went: the changes carried out, and those that failed with their error (the registry rolled those back). */
export interface ApplyReport {
  readonly applied: readonly ConfigChange[];
  readonly failed: readonly { readonly change: ConfigChange; readonly error: unknown }[];
}

/** The component selections that differ between two configurations, in key order. */
export function diffComponents(previous: FileConfig, next: FileConfig): ConfigChange[] {
  const names = [...new Set([...Object.keys(previous.components), ...Object.keys(next.components)])].sort();
  const changes: ConfigChange[] = [];
  for (const name of names) {
    const from = previous.components[name] ?? null;
    const to = next.components[name] ?? null;
    const parts = splitComponentKey(name);
    if (parts === null || sameSelection(from, to)) continue;
    const kind = from === null ? 'added' : to === null ? 'removed' : 'changed';
    changes.push(Object.freeze({ kind, domain: parts.domain, key: parts.key, from, to }));
  }
  return changes;
}

/**
 * Carries the changes out one at a time: `select`, then `swap`. A change that fails is reported with its error and the
 * others still go ahead; this never rejects.
 */
export async function applyConfigChanges(changes: readonly ConfigChange[], target: SelectionTarget): Promise<ApplyReport> {
  const applied: ConfigChange[] = [];
  const failed: { change: ConfigChange; error: unknown }[] = [];
  for (const change of changes) {
    try {
      target.select(change.domain, change.key, change.to?.provider ?? null, change.to?.settings ?? {});
      await target.swap(change.domain, change.key);
      applied.push(change);
    } catch (error) {
      failed.push({ change, error });
    }
  }
  return { applied, failed };
}

function sameSelection(a: ComponentSelection | null, b: ComponentSelection | null): boolean {
  if (a === null || b === null) return a === b;
  return a.provider === b.provider && canonicalJson(a.settings ?? null) === canonicalJson(b.settings ?? null);
}

/** JSON with object keys sorted, so two equal values give the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner) || inner instanceof Date) return inner;
    return Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
