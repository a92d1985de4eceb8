/** One page of the audit log, oldest first, optionally of one run or one kind, with the cursor of the next page. */
import type { AuditEntry, Store } from '../store/store.js';

/** Which entries a page holds. */
export interface AuditPageQuery {
  /** Entries with an id above this one. */
  after: number;
  /** At most this many entries. */
  limit: number;
  runId?: string;
  kind?: string;
}

/** A page: its entries, and where the next one starts (null at the end of the log). */
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

/** Entries read from the store at a time while filtering. */
const SCAN = 1000;

/**
 * Reads a page. With a filter, the log is scanned in batches until the page is full or the log ends; the cursor is
 * then the last entry read, so the next page goes on from there.
 */
export async function readAuditPage(store: Store, query: AuditPageQuery): Promise<AuditPage> {
  const fits = (entry: AuditEntry): boolean => (query.runId === undefined || entry.runId === query.runId) && (query.kind === undefined || entry.kind === query.kind);
  const entries: AuditEntry[] = [];
  let cursor = query.after;
  for (;;) {
    const want = query.runId === undefined && query.kind === undefined ? query.limit - entries.length : SCAN;
    const batch = await store.readAudit({ after: cursor, limit: want });
    for (const entry of batch) {
      cursor = entry.id;
      if (!fits(entry)) continue;
      entries.push(entry);
      if (entries.length === query.limit) {
        // a full page: there may be more after it (an empty next page says there is not)
        const more = (await store.readAudit({ after: cursor, limit: 1 })).length > 0;
        return { entries, nextCursor: more ? String(cursor) : null };
      }
    }
    if (batch.length < want) return { entries, nextCursor: null };
  }
}
