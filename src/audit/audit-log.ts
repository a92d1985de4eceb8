/**
 * The audit log as the rest of Steward uses it: entries are redacted, stamped with the clock and appended through the
 * Store, which chains them in its transaction; the whole chain can be read back page by page and verified.
 */
import type { Clock } from '../domain/clock.js';
import type { AuditEntry, AuditInput, Store } from '../store/store.js';
import { CHAIN_START, verifyChain, type ChainStart, type ChainVerdict } from './chain.js';
import { Redactor } from './redactor.js';

/** An entry to record; `at` defaults to the clock, the Cedar fields to null, `data` to `{}`. */
export interface AuditRecord {
  kind: string;
  at?: number;
  actor?: string | null;
  runId?: string | null;
  subject?: string | null;
  data?: Record<string, unknown>;
}

/** What an audit log needs. */
export interface AuditLogOptions {
  store: Store;
  /** The redactor shared with the logger; default: one with the default secret keys and no registered values. */
  redactor?: Redactor;
  clock?: Clock;
}

/** Entries read per page while verifying or exporting. */
const PAGE = 1000;

/** Appends redacted entries to the store's chain, reads them back and verifies them. */
export class AuditLog {
  readonly redactor: Redactor;
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(options: AuditLogOptions) {
    this.store = options.store;
    this.redactor = options.redactor ?? new Redactor();
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** The input the store will chain for a record: defaults filled in, then redacted. */
  prepare(record: AuditRecord): AuditInput {
    return this.redactor.redact({
      kind: record.kind,
      at: record.at ?? this.clock.now(),
      actor: record.actor ?? null,
      runId: record.runId ?? null,
      subject: record.subject ?? null,
      data: record.data ?? {},
    });
  }

  /** Appends records, in order, in one transaction; answers them as stored (with ids and hashes). */
  append(...records: AuditRecord[]): Promise<AuditEntry[]> {
    return this.store.appendAudit(records.map((r) => this.prepare(r)));
  }

  /** Every entry after `after`, page by page, oldest first. */
  async *entries(after = 0, limit = Number.POSITIVE_INFINITY): AsyncGenerator<AuditEntry> {
    let cursor = after;
    let left = limit;
    while (left > 0) {
      const page = await this.store.readAudit({ after: cursor, limit: Math.min(PAGE, left) });
      for (const entry of page) yield entry;
      const last = page[page.length - 1];
      if (last === undefined || page.length < Math.min(PAGE, left)) return;
      cursor = last.id;
      left -= page.length;
    }
  }

  /** Verifies the whole chain, a page at a time, and names the first broken entry. */
  async verify(): Promise<ChainVerdict> {
    let start: ChainStart = CHAIN_START;
    let count = 0;
    for (;;) {
      const page = await this.store.readAudit({ after: start.id, limit: PAGE });
      const verdict = verifyChain(page, start);
      if (!verdict.ok) return { ...verdict, count: count + verdict.count };
      count += verdict.count;
      const last = page[page.length - 1];
      if (last === undefined || page.length < PAGE) return { ok: true, count, head: verdict.head };
      start = { id: last.id, hash: last.hash };
    }
  }
}
