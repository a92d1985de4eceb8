/** Queue limits, stored once for every process, and a queue's counts, counted from its runs. */
import type { QueueSettings, QueueState } from '../../store.js';
import type { Queryable } from '../connection.js';

const CONFIGURE = `
  INSERT INTO queues (name, concurrency, max_queued)
  SELECT * FROM unnest($1::text[], $2::int[], $3::int[])
  ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency, max_queued = excluded.max_queued`;

const QUEUE = `
  SELECT q.concurrency, q.max_queued,
    (SELECT count(*) FROM runs WHERE status = 'queued' AND queue = $1)::int AS queued,
    (SELECT count(*) FROM runs WHERE status = 'running' AND queue = $1)::int AS running,
    q.name IS NOT NULL OR EXISTS (SELECT 1 FROM runs WHERE queue = $1) AS known
  FROM (SELECT 1) AS one LEFT JOIN queues AS q ON q.name = $1`;

/** Sets the limits of the given queues. */
export async function configureQueues(db: Queryable, queues: readonly QueueSettings[]): Promise<void> {
  if (queues.length === 0) return;
  await db.query(CONFIGURE, [queues.map((q) => q.name), queues.map((q) => q.concurrency), queues.map((q) => q.maxQueued)]);
}

/** A queue's limits and counts; null for a queue that was never configured and never had a run. */
export async function getQueue(db: Queryable, name: string): Promise<QueueState | null> {
  const row = (
    await db.query<{ concurrency: number | null; max_queued: number | null; queued: number; running: number; known: boolean }>(QUEUE, [name])
  ).rows[0];
  if (!row?.known) return null;
  return { name, concurrency: row.concurrency, maxQueued: row.max_queued, queued: row.queued, running: row.running };
}
