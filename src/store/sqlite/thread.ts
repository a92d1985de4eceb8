/**
 * The database thread: owns the SQLite connection, runs each batch the facade sends in one transaction, and answers
 * after the commit is on disk. Keeping SQLite and its fsyncs here leaves the main thread free to run workflows.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../errors.js';
import { GroupCommit, type BatchOutcome, type Call } from './group-commit.js';
import { applyConnectionSettings } from './open.js';
import { mapSqliteError, SqliteOperations } from './operations.js';

/** What the facade sends: the calls of a batch (structured clone beats JSON for these many small objects). */
export type ThreadRequest = { id: number; calls: Call[] } | { id: number; close: true };

/** What the thread answers: the batch's outcome. */
export interface ThreadReply {
  id: number;
  outcome: BatchOutcome;
}

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
const db = new Database(file, { timeout: busyTimeoutMs });
applyConnectionSettings(db);
const group = new GroupCommit(db, new SqliteOperations(db));
const port = parentPort;
if (!port) throw new Error('the SQLite thread must run as a worker thread');

port.on('message', (request: ThreadRequest) => {
  if ('close' in request) {
    // no answer: the facade waits for this thread to exit
    db.close();
    port.close();
    return;
  }
  let outcome: BatchOutcome;
  try {
    outcome = group.run(request.calls);
  } catch (error) {
    // whatever went wrong, the batch gets an answer and the thread stays up for the next one
    if (db.inTransaction) db.prepare('ROLLBACK').run();
    outcome = { ok: false, error: serializeError(mapSqliteError(error)) };
  }
  port.postMessage({ id: request.id, outcome } satisfies ThreadReply);
});
