/**
 * What operators ask of one component: that it exists (else a clear not-found naming the known ones), and its health,
 * either the last known outcome or, probed, an instance made here and checked now.
 */
import { ErrorCodes, StewardError } from '../errors.js';
import type { Candidate } from './candidate.js';
import type { HealthReport } from './lifecycle.js';
import type { Registry } from './registry.js';

/** The candidates of a component; `STEWARD_PROVIDER_NOT_FOUND` naming the registered components when it has none. */
export function assertComponent(registry: Registry, domain: string, key: string): readonly Candidate[] {
  const candidates = registry.candidates(domain, key);
  if (candidates.length > 0) return candidates;
  const known = registry.components().map((c) => `${c.domain}/${c.key}`);
  throw new StewardError(
    ErrorCodes.PROVIDER_NOT_FOUND,
    `no provider is registered for ${domain}/${key}: ` +
      (known.length === 0 ? 'no component is registered at all' : `the components are ${known.join(', ')} (steward components list)`),
    { details: { domain, key, components: known } },
  );
}

/** Bounds of a probe: on making the instance and on its health check. */
export interface ProbeBounds {
  initTimeoutMs?: number;
  healthTimeoutMs?: number;
}

/** A health report; `stage` says where making the instance failed (a probe of an inactive component). */
export type ProbedHealth = HealthReport & { stage?: string };

/**
 * The health of a component. Without `probe`, the last known outcome. With it, an inactive (or failed) component's
 * winner is made here first (its health check runs as it is made) and the check runs now; a failure is answered as a
 * report with `healthy: false` and the stage and reason, not thrown.
 */
export async function componentHealth(registry: Registry, domain: string, key: string, probe: boolean, bounds: ProbeBounds = {}): Promise<ProbedHealth> {
  assertComponent(registry, domain, key);
  if (!probe) return registry.health(domain, key);
  const state = registry.state(domain, key);
  if (state === 'inactive' || state === 'failed') {
    try {
      await registry.swap(domain, key, undefined, bounds);
    } catch (error) {
      const report = await registry.health(domain, key);
      const last = registry.history(domain, key).at(-1);
      const provider = last?.to ?? registry.resolve(domain, key).provider;
      const reason = last === undefined ? (error instanceof Error ? error.message : String(error)) : (last.reason ?? report.reason ?? 'failed');
      return { ...report, provider, healthy: false, probed: true, reason, stage: last?.stage ?? 'swap' };
    }
  }
  return registry.health(domain, key, { probe: true, ...(bounds.healthTimeoutMs === undefined ? {} : { timeoutMs: bounds.healthTimeoutMs }) });
}
