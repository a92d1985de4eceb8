/**
 * Group commit, the database thread's half: a batch of calls runs in one transaction and costs one fsync. Each call
 * runs under its own savepoint, so one refused call (a lost lease, an illegal transition) rolls back alone and the
 * others commit. If the commit itself fails, every call of the batch fails with that error.
 */
import type Database from 'better-sqlite3';
import { serializeError, type SerializedError } from '../../errors.js';
import type { StoreNotice } from '../store.js';
import { FAIL_BEFORE_WRITE, mapSqliteError, type SqliteOperations } from './operations.js';

/** One call of an operation by name. */
export interface Call {
  op: keyof SqliteOperations;
  args: unknown[];
}

/** What became of one call. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/** What became of a batch. */
export type BatchOutcome =
  | { ok: true; outcomes: CallOutcome[]; notices: StoreNotice[] }
  | { ok: false; error: SerializedError };

/** Runs batches of calls in shared transactions. */
export class GroupCommit {
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly operations: SqliteOperations,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT w');
    this.release = db.prepare('RELEASE w');
    this.rollbackTo = db.prepare('ROLLBACK TO w');
  }

  /** Runs the calls in one transaction. */
  run(calls: readonly Call[]): BatchOutcome {
    try {
      this.begin.run();
    } catch (error) {
      return { ok: false, error: serializeError(mapSqliteError(error)) };
    }
    const outcomes: CallOutcome[] = [];
    const notices: StoreNotice[] = [];
    for (const call of calls) {
      const mark = notices.length;
      // a call that can only fail before its first write needs no savepoint: a failure leaves nothing to undo
      const guarded = !FAIL_BEFORE_WRITE.has(call.op);
      if (guarded) this.savepoint.run();
      try {
        const method = this.operations[call.op] as (notices: StoreNotice[], ...args: unknown[]) => unknown;
        const value = method.call(this.operations, notices, ...call.args);
        if (guarded) this.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        notices.length = mark;
        const serialized = serializeError(mapSqliteError(error));
        if (!this.db.inTransaction) {
          // SQLite rolled the whole transaction back (disk full, I/O error): every call of the batch fails
          return { ok: false, error: serialized };
        }
        if (guarded) {
          this.rollbackTo.run();
          this.release.run();
        }
        outcomes.push({ ok: false, error: serialized });
      }
    }
    try {
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      return { ok: false, error: serializeError(mapSqliteError(error)) };
    }
    return { ok: true, outcomes, notices: collapse(notices) };
  }
}

/**
 * One `events` notice per batch and one `runnable` notice per queue (the earliest time, the highest known priority)
 * are enough for every listener.
 */
function collapse(notices: StoreNotice[]): StoreNotice[] {
  const out: StoreNotice[] = [];
  const runnable = new Map<string, Extract<StoreNotice, { type: 'runnable' }>>();
  let events = false;
  for (const notice of notices) {
    if (notice.type === 'events') events = true;
    else if (notice.type === 'runnable') {
      const seen = runnable.get(notice.queue);
      if (!seen) runnable.set(notice.queue, { ...notice });
      else {
        seen.at = Math.min(seen.at, notice.at);
        if (notice.priority !== null && (seen.priority === null || notice.priority > seen.priority)) seen.priority = notice.priority;
      }
    } else out.push(notice);
  }
  out.push(...runnable.values());
  if (events) out.push({ type: 'events' });
  return out;
}
