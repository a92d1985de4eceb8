/** Checking an audit chain: every entry's hash recomputed, every link to the entry before it followed. */
import type { AuditEntry } from '../store/store.js';
import { GENESIS_HASH, hashAuditEntry } from '../store/audit-chain.js';

export { GENESIS_HASH, hashAuditEntry } from '../store/audit-chain.js';

/** Why an entry breaks the chain. */
export type ChainBreak =
  /** The entry's content does not hash to the hash it carries: it was altered after it was written. */
  | 'hash_mismatch'
  /** The entry's prevHash is not the hash of the entry before it: an entry was altered, removed or inserted before it. */
  | 'prev_link_mismatch'
  /** The entry's id does not follow the one before it: entries were removed or reordered. */
  | 'id_gap';

/** What `verifyChain` found. */
export type ChainVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; brokenId: number; reason: ChainBreak; detail: string };

/** Where a check starts: the chain's beginning, or after an entry already checked (to verify page by page). */
export interface ChainStart {
  id: number;
  hash: string;
}

/** The start of a whole chain. */
export const CHAIN_START: ChainStart = { id: 0, hash: GENESIS_HASH };

/**
 * Recomputes the chain from `start` and names the first entry that breaks it. `count` is the number of entries
 * checked (up to and including the broken one); `head` the last hash when all hold.
 */
export function verifyChain(entries: Iterable<AuditEntry>, start: ChainStart = CHAIN_START): ChainVerdict {
  let prev = start;
  let count = 0;
  for (const entry of entries) {
    count += 1;
    const broken = (reason: ChainBreak, detail: string): ChainVerdict => ({ ok: false, count, brokenId: entry.id, reason, detail });
    if (entry.id !== prev.id + 1) return broken('id_gap', `expected id ${prev.id + 1} after ${prev.id}, found ${entry.id}`);
    if (entry.prevHash !== prev.hash) {
      return broken('prev_link_mismatch', `prevHash ${entry.prevHash} is not the hash of entry ${prev.id} (${prev.hash})`);
    }
    const { hash, ...body } = entry;
    const computed = hashAuditEntry(body);
    if (computed !== hash) return broken('hash_mismatch', `its content hashes to ${computed}, but it carries ${hash}`);
    prev = { id: entry.id, hash };
  }
  return { ok: true, count, head: prev.hash };
}

/** A verdict in words: `ok: 3 entries, chain intact, head …` or `entry 2: hash mismatch (…)`. */
export function describeVerdict(verdict: ChainVerdict): string {
  if (verdict.ok) return `ok: ${verdict.count} entries, chain intact, head ${verdict.head}`;
  return `entry ${verdict.brokenId}: ${verdict.reason.replace(/_/g, ' ')} (${verdict.detail})`;
}
