/**
 * A run's wait for a signal, under its lease (call inside a transaction): takes the oldest pending signal of that
 * name and records it as the step's result, or times the wait out, or records the wait and suspends the run.
 * Senders lock the run's row too, so a signal is either seen here or wakes the suspended run.
 */
import type { Lease } from '../../../domain/run.js';
import type { SignalConsumption } from '../../store.js';
import type { Queryable } from '../connection.js';
import { fence } from './fence.js';
import { suspendFenced } from './suspend-run.js';
import { upsertStep } from './upsert-step.js';

/** What the wait asks for. */
export interface SignalWait {
  seq: number;
  name: string;
  deadline: number | null;
  startedAt: number;
  now: number;
}

const PENDING_SIGNAL = `
  SELECT id, payload FROM signals WHERE run_id = $1 AND name = $2 AND consumed_seq IS NULL ORDER BY id LIMIT 1`;
const CONSUME = 'UPDATE signals SET consumed_seq = $1 WHERE id = $2';
const STEP_STATUS = 'SELECT status FROM steps WHERE run_id = $1 AND seq = $2';

/** Consumes a signal, or suspends the run until one arrives. */
export async function consumeSignal(db: Queryable, lease: Lease, wait: SignalWait): Promise<SignalConsumption> {
  const row = await fence(db, lease);
  const signal = (await db.query<{ id: number; payload: string }>(PENDING_SIGNAL, [lease.runId, wait.name])).rows[0];
  if (signal) {
    await db.query(CONSUME, [wait.seq, signal.id]);
    await upsertStep(db, lease.runId, {
      seq: wait.seq,
      kind: 'signal',
      name: wait.name,
      status: 'completed',
      attempts: 1,
      resultJson: signal.payload,
      error: null,
      wakeAt: wait.deadline,
      startedAt: wait.startedAt,
      finishedAt: wait.now,
    });
    return { kind: 'received', payload: JSON.parse(signal.payload) as unknown };
  }
  if (wait.deadline !== null && wait.now >= wait.deadline) return { kind: 'timed_out' };
  const existing = (await db.query<{ status: string }>(STEP_STATUS, [lease.runId, wait.seq])).rows[0]?.status;
  await suspendFenced(db, lease, row, {
    kind: 'signal',
    ref: wait.name,
    runnableAt: wait.deadline,
    now: wait.now,
    step:
      existing === 'waiting'
        ? null
        : {
            seq: wait.seq,
            kind: 'signal',
            name: wait.name,
            status: 'waiting',
            attempts: 1,
            resultJson: null,
            error: null,
            wakeAt: wait.deadline,
            startedAt: wait.startedAt,
            finishedAt: null,
          },
  });
  return { kind: 'suspended' };
}
