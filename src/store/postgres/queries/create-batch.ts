/**
 * Many new runs in one statement, in call order. A run is inserted here unless its idempotency key is taken (by an
 * earlier run, or an earlier item of the batch) or its queue has a `maxQueued` to enforce: those items are answered
 * `inserted: false`, and the store creates them one by one, the way that finds the existing run or takes the queue's
 * lock.
 */
import type { NewRun } from '../../store.js';
import { runColumnValues } from '../../new-run.js';
import type { Queryable } from '../connection.js';

const CREATE_BATCH = `
  WITH input AS (
    SELECT * FROM unnest(
      $1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[],
      $11::text[], $12::text[], $13::int[], $14::text[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[]
    ) AS i(ord, id, workflow, workflow_version, input, status, mode, autonomy, subject, goal,
      idempotency_key, queue, priority, parent_id, runnable_at, timeout_ms, deadline_at, created_at)
  ), inserted AS (
    INSERT INTO runs (id, workflow, workflow_version, input, status, mode, autonomy, subject, goal, idempotency_key,
      queue, priority, parent_id, runnable_at, timeout_ms, deadline_at, created_at, updated_at)
    SELECT i.id, i.workflow, i.workflow_version, i.input, i.status, i.mode, i.autonomy, i.subject, i.goal, i.idempotency_key,
      i.queue, i.priority, i.parent_id, i.runnable_at, i.timeout_ms, i.deadline_at, i.created_at, i.created_at
    FROM input i
    WHERE NOT (i.status = 'queued' AND EXISTS (SELECT 1 FROM queues q WHERE q.name = i.queue AND q.max_queued IS NOT NULL))
    ORDER BY i.ord
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id
  )
  SELECT i.ord, EXISTS (SELECT 1 FROM inserted x WHERE x.id = i.id) AS inserted FROM input i ORDER BY i.ord`;

/** Inserts what it can of the runs; answers, for each, whether it was inserted. */
export async function createBatch(db: Queryable, runs: readonly NewRun[]): Promise<boolean[]> {
  const columns: unknown[][] = Array.from({ length: 18 }, () => new Array<unknown>(runs.length));
  runs.forEach((run, i) => {
    const values = [i, ...runColumnValues(run)];
    values.forEach((value, c) => (columns[c]![i] = value));
  });
  const result = await db.query<{ ord: number; inserted: boolean }>(CREATE_BATCH, columns);
  const inserted = new Array<boolean>(runs.length).fill(false);
  for (const row of result.rows) inserted[row.ord] = row.inserted;
  return inserted;
}
