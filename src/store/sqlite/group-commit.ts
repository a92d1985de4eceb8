/**
 * Group commit for the embedded store: writes that arrive within one turn of the event loop run in one
 * transaction and cost one fsync. Each write runs under its own savepoint, so one refused write (a lost lease, an
 * illegal transition) rolls back alone and the others commit.
 */
import type Database from 'better-sqlite3';
import type { StoreNotice } from '../store.js';

/** A write to run inside the next group transaction; it may add notices to tell listeners after the commit. */
export type Write<T> = (notices: StoreNotice[]) => T;

interface Pending {
  write: Write<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Batches writes into shared transactions. */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly mapError: (error: unknown) => unknown,
    private readonly publish: (notices: StoreNotice[]) => void,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT w');
    this.release = db.prepare('RELEASE w');
    this.rollbackTo = db.prepare('ROLLBACK TO w');
  }

  /** Queues a write; resolves with its result once its transaction has committed (and been fsync'd). */
  run<T>(write: Write<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs every queued write now, in one transaction. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const notices: StoreNotice[] = [];
    try {
      this.begin.run();
    } catch (error) {
      for (const p of batch) p.reject(this.mapError(error));
      return;
    }
    for (const p of batch) {
      const mark = notices.length;
      this.savepoint.run();
      try {
        const value = p.write(notices);
        this.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        notices.length = mark;
        this.rollbackTo.run();
        this.release.run();
        outcomes.push({ ok: false, error: this.mapError(error) });
      }
    }
    try {
      this.commit.run();
    } catch (error) {
      try {
        this.rollback.run();
      } catch {
        // the transaction is already gone; the commit error below is what matters
      }
      const mapped = this.mapError(error);
      for (const p of batch) p.reject(mapped);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) p.resolve(outcome.value);
      else p.reject(outcome?.error);
    });
    if (notices.length > 0) this.publish(notices);
  }

  /** Whether writes are waiting for the next flush. */
  get busy(): boolean {
    return this.pending.length > 0;
  }
}
