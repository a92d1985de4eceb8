/**
 * One worker's claims go one at a time: a claim asked for while another of the same worker is under way waits for it,
 * and the claims that waited go as one, their limits added up and the runs shared out in claim order. A worker asks
 * for runs as its slots free, a few at a time; under load this makes a few large claims of many small ones, and a
 * claim's statement costs about the same for one run as for fifty. Claims that also look for dead workers' runs go
 * alone.
 */
import type { ClaimRequest } from '../store.js';
import type { ClaimedRow } from './queries/claim-runs.js';

interface Waiting {
  request: ClaimRequest;
  resolve: (rows: ClaimedRow[]) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  busy: boolean;
  waiting: Waiting[];
}

/** Serialises and merges the claims of each worker. */
export class ClaimCoalescer {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly claim: (request: ClaimRequest) => Promise<ClaimedRow[]>) {}

  run(request: ClaimRequest): Promise<ClaimedRow[]> {
    if (request.reclaimExpired !== false) return this.claim(request);
    const key = JSON.stringify([request.owner, request.queues, request.workflows, request.leaseMs]);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { busy: false, waiting: [] };
      this.lanes.set(key, lane);
    }
    const promise = new Promise<ClaimedRow[]>((resolve, reject) => lane.waiting.push({ request, resolve, reject }));
    if (!lane.busy) void this.next(key, lane);
    return promise;
  }

  private async next(key: string, lane: Lane): Promise<void> {
    const group = lane.waiting;
    if (group.length === 0) {
      this.lanes.delete(key);
      return;
    }
    lane.waiting = [];
    lane.busy = true;
    const first = group[0]!.request;
    const merged: ClaimRequest = {
      ...first,
      limit: group.reduce((sum, w) => sum + w.request.limit, 0),
      ahead: group.reduce((sum, w) => sum + (w.request.ahead ?? 0), 0),
      now: Math.max(...group.map((w) => w.request.now)),
    };
    try {
      const rows = await this.claim(merged);
      let at = 0;
      for (const waiting of group) {
        waiting.resolve(rows.slice(at, at + waiting.request.limit));
        at += waiting.request.limit;
      }
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
    } finally {
      lane.busy = false;
      void this.next(key, lane);
    }
  }
}
