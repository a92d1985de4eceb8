/**
 * `STEWARD_STACK_ORDER`: a comma-separated list of sources and provider names, earlier = higher stack level. Of a list
 * of n entries, the i-th (from 0) gives level n − i. A candidate whose provider name is listed takes that entry's
 * level; otherwise one whose source is listed takes the source's level; otherwise it keeps the `stackLevel` it was
 * registered with (0 by default, so below every listed entry unless it says otherwise).
 */
import { CANDIDATE_SOURCES, nameProblem, type CandidateSource } from './candidate.js';
import { ProviderInvalidError } from './errors.js';

/** Where a candidate's effective stack level came from. */
export type StackLevelFrom = 'provider' | 'source' | 'candidate';

/** The parsed order; `levelOf` gives a candidate's effective stack level. */
export interface StackOrder {
  readonly entries: readonly string[];
  levelOf(provider: string, source: CandidateSource, own: number): { level: number; from: StackLevelFrom };
}

/** Parses the order from a string (as in the environment) or a list; undefined or blank means no order. */
export function parseStackOrder(value: string | readonly string[] | undefined): StackOrder {
  const raw = value === undefined ? [] : typeof value === 'string' ? (value.trim() === '' ? [] : value.split(',')) : [...value];
  const entries = raw.map((entry) => entry.trim());
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    if (entry === '') {
      throw new ProviderInvalidError(`invalid STEWARD_STACK_ORDER: entry ${i + 1} is empty; write names separated by single commas, e.g. "config,remote,package,builtin"`);
    }
    const problem = nameProblem(entry);
    if (problem !== null) {
      throw new ProviderInvalidError(
        `invalid STEWARD_STACK_ORDER: entry ${i + 1} ${problem}; each entry is a source (${CANDIDATE_SOURCES.join(', ')}) or a provider name`,
      );
    }
    if (seen.has(entry)) throw new ProviderInvalidError(`invalid STEWARD_STACK_ORDER: "${entry}" is listed twice; list each source or provider once`);
    seen.add(entry);
  }
  const levels = new Map(entries.map((entry, i) => [entry, entries.length - i]));
  return Object.freeze({
    entries: Object.freeze(entries),
    levelOf(provider: string, source: CandidateSource, own: number) {
      const byProvider = levels.get(provider);
      if (byProvider !== undefined) return { level: byProvider, from: 'provider' as const };
      const bySource = levels.get(source);
      if (bySource !== undefined) return { level: bySource, from: 'source' as const };
      return { level: own, from: 'candidate' as const };
    },
  });
}
