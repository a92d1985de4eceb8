/**
 * When a notice reaches a store's listeners, relative to its claims. A notification arrives on its own connection,
 * independently of the answers to claims; a worker that hears "a run became claimable" while its claim is in flight
 * counts on that claim, and if the claim ran before the run committed, nothing claims the run until the next poll.
 * So notices that arrive while claims are in flight wait for the answers of those claims, and are told after the
 * claimers have taken them in (the SQLite store gives the same order: it answers calls before telling notices).
 */
import type { StoreNotice } from '../store.js';
import { collapseNotices } from './notices.js';

interface HeldBurst {
  notices: StoreNotice[];
  /** The claims in flight when the burst arrived; it is told once they have all been answered. */
  awaiting: Set<number>;
}

/** Orders notices after the claims that were in flight when they arrived. */
export class NoticeGate {
  private readonly claims = new Set<number>();
  private nextClaim = 1;
  private held: HeldBurst[] = [];

  constructor(private readonly tell: (notices: readonly StoreNotice[]) => void) {}

  /** Tells the notices now, or holds them for the claims in flight. */
  deliver(notices: readonly StoreNotice[]): void {
    if (this.claims.size === 0) this.tell(notices);
    else this.held.push({ notices: [...notices], awaiting: new Set(this.claims) });
  }

  /** Marks a claim as in flight; returns what `claimAnswered` takes. */
  claimStarted(): number {
    const claim = this.nextClaim++;
    this.claims.add(claim);
    return claim;
  }

  /** Marks a claim as answered. Bursts that waited only for it are told after the claimer has taken its answer in. */
  claimAnswered(claim: number): void {
    this.claims.delete(claim);
    const ready: StoreNotice[] = [];
    this.held = this.held.filter((burst) => {
      burst.awaiting.delete(claim);
      if (burst.awaiting.size > 0) return true;
      ready.push(...burst.notices);
      return false;
    });
    // the claimer's continuation runs first (a microtask); the notices come after it, in order
    if (ready.length > 0) setImmediate(() => this.tell(collapseNotices(ready)));
  }
}
