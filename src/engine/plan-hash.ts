/**
 * Plan hashes: what an approval and a reviewed plan are bound to. The hash of one act's plan covers the action, its
 * version, the resource and the plan as JSON; the hash of a run's plan covers each act's hash in order.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../store/audit-chain.js';

/** sha256 (hex) of the canonical JSON of one act's plan. */
export function actPlanHash(action: { name: string; version: string }, resource: string, plan: unknown): string {
  return sha256(canonicalJson({ action: action.name, version: action.version, resource, plan: plan ?? null }));
}

/** sha256 (hex) of a run's plan: every act's seq, action and plan hash, in order. */
export function runPlanHash(acts: ReadonlyArray<{ seq: number; action: string; hash: string }>): string {
  return sha256(canonicalJson(acts.map(({ seq, action, hash }) => ({ seq, action, hash }))));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
