/**
 * Sending a signal to a run (call inside a transaction): stored before the run is woken, with its event. The run's
 * row is locked first, so a run that is just now deciding to wait either sees the signal or is woken by it.
 */
import { RunFinishedError, RunNotFoundError } from '../../../errors.js';
import { TERMINAL_STATUSES, type RunStatus } from '../../../domain/run.js';
import type { Queryable } from '../connection.js';
import { lockRun } from './fence.js';

const INSERT_SIGNAL = `
  WITH stored AS (
    INSERT INTO signals (run_id, name, payload, created_at) VALUES ($1, $2, $3, $4) RETURNING run_id
  )
  INSERT INTO events (run_id, type, data, created_at) SELECT run_id, 'signal.received', $5, $4 FROM stored`;

const WAKE = `
  UPDATE runs SET runnable_at = $2, updated_at = $2
  WHERE id = $1 AND status = 'waiting' AND wait_kind = 'signal' AND wait_ref = $3`;

/** Stores the signal and wakes the run if it waits for it. */
export async function sendSignal(db: Queryable, runId: string, name: string, payloadJson: string, now: number): Promise<void> {
  const row = await lockRun(db, runId);
  if (!row) throw new RunNotFoundError(runId);
  if (TERMINAL_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status);
  await db.query(INSERT_SIGNAL, [runId, name, payloadJson, now, JSON.stringify({ name })]);
  await db.query(WAKE, [runId, now, name]);
}
