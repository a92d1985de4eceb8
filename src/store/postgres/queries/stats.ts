/** The store's counts in one statement: runs by status, queued and running runs by queue, pending approvals. */
import type { StoreStats } from '../../store.js';
import { toStoreStats, type QueueCountRow, type StatusCountRow } from '../../stats-rows.js';
import type { Queryable } from '../connection.js';

// the status index answers the counts; a queue is listed when it is configured or has runs queued or running
const STATS = `
  SELECT
    (SELECT coalesce(json_agg(s), '[]'::json) FROM (SELECT status, count(*)::int AS n FROM runs GROUP BY status) AS s) AS statuses,
    (SELECT coalesce(json_agg(q), '[]'::json) FROM (
      SELECT coalesce(c.queue, k.name) AS queue, coalesce(c.queued, 0) AS queued, coalesce(c.running, 0) AS running
      FROM queues AS k
      FULL JOIN (
        SELECT queue, (count(*) FILTER (WHERE status = 'queued'))::int AS queued, (count(*) FILTER (WHERE status = 'running'))::int AS running
        FROM runs WHERE status IN ('queued', 'running') GROUP BY queue
      ) AS c ON c.queue = k.name
    ) AS q) AS queues,
    (SELECT count(*)::int FROM approvals WHERE status = 'pending') AS approvals_pending`;

/** The counts, read at one snapshot. */
export async function readStats(db: Queryable): Promise<StoreStats> {
  const row = (await db.query<{ statuses: StatusCountRow[]; queues: QueueCountRow[]; approvals_pending: number }>(STATS)).rows[0]!;
  return toStoreStats(row.statuses, row.queues, row.approvals_pending);
}
