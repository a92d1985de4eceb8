/**
 * Inserting a run (a new one, or a child), idempotently: a run with the same idempotency key is returned instead
 * of a second one. A queue's `maxQueued` is checked under a lock on its row, so that it holds across processes;
 * queues without that limit cost the insert no lock at all.
 */
import { QueueFullError } from '../../../errors.js';
import type { NewRun } from '../../store.js';
import { runColumnValues } from '../../new-run.js';
import type { Queryable } from '../connection.js';
import type { RunRow } from '../../rows.js';

/** What an insert did: the existing run when the key found one. */
export interface InsertedRun {
  /** The existing run with the same idempotency key, when one was found; null when the run was inserted. */
  existing: RunRow | null;
  /** The queue's concurrency limit, when it has one. */
  concurrency: number | null;
}

/**
 * Inserts unless the queue has a `maxQueued` to enforce (then it inserts nothing and says so), or a run with the
 * idempotency key exists. Reports the queue's limits either way: one round trip for the common case.
 */
const INSERT_RUN = `
  WITH settings AS (
    SELECT concurrency, max_queued FROM queues WHERE name = $11
  ), inserted AS (
    INSERT INTO runs (id, workflow, workflow_version, input, status, mode, autonomy, subject, goal, idempotency_key,
      queue, priority, parent_id, runnable_at, timeout_ms, deadline_at, created_at, updated_at)
    SELECT $1, $2, $3, $4, $5, $6, $7::int, $8, $9, $10, $11, $12::int, $13, $14::bigint, $15::bigint, $16::bigint, $17::bigint, $17::bigint
    WHERE NOT ($18::boolean AND $5 = 'queued' AND EXISTS (SELECT 1 FROM settings WHERE max_queued IS NOT NULL))
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING seq
  )
  SELECT (SELECT count(*) FROM inserted)::int AS inserted,
    (SELECT concurrency FROM settings) AS concurrency, (SELECT max_queued FROM settings) AS max_queued`;

const RUN_BY_KEY = 'SELECT * FROM runs WHERE idempotency_key = $1';
const LOCK_QUEUE = 'SELECT max_queued FROM queues WHERE name = $1 FOR UPDATE';
const COUNT_QUEUED = `SELECT count(*)::int AS queued FROM runs WHERE queue = $1 AND status = 'queued'`;

function insertValues(run: NewRun, enforceMaxQueued: boolean): unknown[] {
  return [...runColumnValues(run), enforceMaxQueued];
}

/** Inserts a run, or finds the run its idempotency key names. Call inside a transaction. */
export async function insertRun(db: Queryable, run: NewRun, enforceMaxQueued: boolean): Promise<InsertedRun> {
  const first = await db.query<{ inserted: number; concurrency: number | null; max_queued: number | null }>(
    INSERT_RUN,
    insertValues(run, enforceMaxQueued),
  );
  const outcome = first.rows[0]!;
  if (outcome.inserted === 1) return { existing: null, concurrency: outcome.concurrency };
  const limited = enforceMaxQueued && run.status === 'queued' && outcome.max_queued !== null;
  if (run.idempotencyKey !== null) {
    // asking again for a run that exists is not a new run: it is answered even when the queue is full
    const existing = (await db.query<RunRow>(RUN_BY_KEY, [run.idempotencyKey])).rows[0];
    if (existing) return { existing, concurrency: outcome.concurrency };
  }
  if (!limited) throw new Error(`run ${run.id} was neither inserted nor found by its idempotency key`);
  // creators of one limited queue take turns: the count below cannot change until this transaction ends
  const locked = await db.query<{ max_queued: number | null }>(LOCK_QUEUE, [run.queue]);
  const maxQueued = locked.rows[0]?.max_queued ?? null;
  const queued = (await db.query<{ queued: number }>(COUNT_QUEUED, [run.queue])).rows[0]?.queued ?? 0;
  if (maxQueued !== null && queued >= maxQueued) throw new QueueFullError(run.queue, maxQueued);
  const second = await db.query<{ inserted: number }>(INSERT_RUN, insertValues(run, false));
  if (second.rows[0]?.inserted === 1) return { existing: null, concurrency: outcome.concurrency };
  const existing = (await db.query<RunRow>(RUN_BY_KEY, [run.idempotencyKey])).rows[0];
  if (!existing) throw new Error(`run ${run.id} was neither inserted nor found by its idempotency key`);
  return { existing, concurrency: outcome.concurrency };
}
