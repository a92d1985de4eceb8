/**
 * The precedence of candidates for one (domain, key): explicit selection > priority > stack level > later
 * registration. Pure functions over ranked entries; the registry caches the winner they give.
 */
import type { Candidate } from './candidate.js';
import type { StackLevelFrom } from './stack-order.js';

/** A candidate with its effective stack level, as the resolver compares it. */
export interface RankedEntry {
  readonly candidate: Candidate;
  readonly stackLevel: number;
  readonly stackLevelFrom: StackLevelFrom;
}

/** The rule that decided between two candidates. */
export type Tier = 'selection' | 'priority' | 'stack-level' | 'registration';

/** One candidate of `explain`, ranked, with why it won or lost. */
export interface ExplainedCandidate {
  /** 1 for the winner. */
  rank: number;
  provider: string;
  source: Candidate['source'];
  priority: number;
  /** The effective stack level, and whether it came from the candidate or from `STEWARD_STACK_ORDER`. */
  stackLevel: number;
  stackLevelFrom: StackLevelFrom;
  registration: number;
  selected: boolean;
  winner: boolean;
  /** The rule that placed it: against the runner-up for the winner, against the winner for the others. */
  decidedBy: Tier | 'only-candidate';
  /** E.g. `won: higher priority than b (50 > 10)`, `lost to a: lower priority (10 < 50)`. */
  reason: string;
  capabilities: readonly string[];
  metadata: Readonly<Record<string, unknown>>;
}

/** What `explain(domain, key)` returns. */
export interface Explanation {
  domain: string;
  key: string;
  /** The provider `select` chose, or null. */
  selected: string | null;
  /** True when a provider is selected but none of that name is registered now: precedence decided instead. */
  selectionMissing: boolean;
  /** The winner's provider name, or null when nothing is registered. */
  winner: string | null;
  /** The provider of the instance in use now, or null; it differs from `winner` until a swap. */
  active: string | null;
  /** Every candidate, the winner first. */
  candidates: ExplainedCandidate[];
}

/** The tier that decides between a and b, and whether a wins it. */
export function decide(a: RankedEntry, b: RankedEntry, selected: string | null): { tier: Tier; aWins: boolean } {
  if (selected !== null) {
    const aSel = a.candidate.provider === selected;
    if (aSel !== (b.candidate.provider === selected)) return { tier: 'selection', aWins: aSel };
  }
  if (a.candidate.priority !== b.candidate.priority) return { tier: 'priority', aWins: a.candidate.priority > b.candidate.priority };
  if (a.stackLevel !== b.stackLevel) return { tier: 'stack-level', aWins: a.stackLevel > b.stackLevel };
  return { tier: 'registration', aWins: a.candidate.registration > b.candidate.registration };
}

/** Whether a goes before b. Inlined tiers: this is the resolver's hot loop. */
function beats(a: RankedEntry, b: RankedEntry, selected: string | null): boolean {
  if (selected !== null) {
    const aSel = a.candidate.provider === selected;
    if (aSel !== (b.candidate.provider === selected)) return aSel;
  }
  const ap = a.candidate.priority;
  const bp = b.candidate.priority;
  if (ap !== bp) return ap > bp;
  if (a.stackLevel !== b.stackLevel) return a.stackLevel > b.stackLevel;
  return a.candidate.registration > b.candidate.registration;
}

/** The winning entry, or undefined when there is none. */
export function pickWinner(entries: readonly RankedEntry[], selected: string | null): RankedEntry | undefined {
  let best = entries[0];
  for (let i = 1; i < entries.length; i++) {
    const entry = entries[i] as RankedEntry;
    if (beats(entry, best as RankedEntry, selected)) best = entry;
  }
  return best;
}

/** The entries, best first. */
export function rank(entries: readonly RankedEntry[], selected: string | null): RankedEntry[] {
  return [...entries].sort((a, b) => (beats(a, b, selected) ? -1 : 1));
}

function why(tier: Tier, a: RankedEntry, b: RankedEntry, selected: string | null): string {
  switch (tier) {
    case 'selection':
      return `"${selected}" is selected`;
    case 'priority':
      return `${a.candidate.priority} ${a.candidate.priority > b.candidate.priority ? '>' : '<'} ${b.candidate.priority}`;
    case 'stack-level':
      return `${a.stackLevel} ${a.stackLevel > b.stackLevel ? '>' : '<'} ${b.stackLevel}`;
    case 'registration':
      return `#${a.candidate.registration} ${a.candidate.registration > b.candidate.registration ? 'after' : 'before'} #${b.candidate.registration}`;
    default: {
      const never: never = tier;
      return never;
    }
  }
}

const WON: Record<Tier, string> = {
  selection: 'selected explicitly',
  priority: 'higher priority than',
  'stack-level': 'higher stack level than',
  registration: 'registered after',
};

const LOST: Record<Tier, string> = {
  selection: 'not selected',
  priority: 'lower priority',
  'stack-level': 'lower stack level',
  registration: 'registered earlier',
};

function label(entry: RankedEntry): string {
  return `${entry.candidate.provider} (${entry.candidate.source})`;
}

/**
 * The reason each entry won or lost. `ranked` is best first under `effective`, the selection in force (null when
 * `selected` names a provider that is not registered).
 */
export function explainRanking(
  domain: string,
  key: string,
  ranked: readonly RankedEntry[],
  selected: string | null,
  effective: string | null,
  active: string | null,
): Explanation {
  const selectionMissing = selected !== null && effective === null;
  const winner = ranked[0];
  const candidates = ranked.map((entry, i): ExplainedCandidate => {
    let decidedBy: ExplainedCandidate['decidedBy'];
    let reason: string;
    if (winner === undefined || ranked.length === 1) {
      decidedBy = 'only-candidate';
      reason = 'won: the only candidate';
    } else if (i === 0) {
      const { tier } = decide(entry, ranked[1] as RankedEntry, effective);
      decidedBy = tier;
      reason =
        tier === 'selection'
          ? `won: ${WON[tier]} (${why(tier, entry, ranked[1] as RankedEntry, effective)})`
          : `won: ${WON[tier]} ${label(ranked[1] as RankedEntry)} (${why(tier, entry, ranked[1] as RankedEntry, effective)})`;
    } else {
      const { tier } = decide(entry, winner, effective);
      decidedBy = tier;
      reason = `lost to ${label(winner)}: ${LOST[tier]} (${why(tier, entry, winner, effective)})`;
    }
    const c = entry.candidate;
    return {
      rank: i + 1,
      provider: c.provider,
      source: c.source,
      priority: c.priority,
      stackLevel: entry.stackLevel,
      stackLevelFrom: entry.stackLevelFrom,
      registration: c.registration,
      selected: effective !== null && c.provider === effective,
      winner: i === 0,
      decidedBy,
      reason,
      capabilities: c.capabilities,
      metadata: c.metadata,
    };
  });
  return { domain, key, selected, selectionMissing, winner: winner?.candidate.provider ?? null, active, candidates };
}
