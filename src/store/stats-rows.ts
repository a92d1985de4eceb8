/** The store's counts from the rows both stores read: runs by status, queue counts, pending approvals. */
import { RUN_STATUSES, type RunStatus } from '../domain/run.js';
import type { QueueCount, StoreStats } from './store.js';

/** A count of runs in one status, as read. */
export interface StatusCountRow {
  status: string;
  n: number | string;
}

/** A queue's counts, as read. */
export interface QueueCountRow {
  queue: string;
  queued: number | string;
  running: number | string;
}

/** Every status with its count (0 for those no run is in), the queues by name, and the pending approvals. */
export function toStoreStats(statuses: readonly StatusCountRow[], queues: readonly QueueCountRow[], approvalsPending: number | string): StoreStats {
  const runsByStatus = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>;
  for (const row of statuses) {
    if ((RUN_STATUSES as readonly string[]).includes(row.status)) runsByStatus[row.status as RunStatus] = Number(row.n);
  }
  const counts: QueueCount[] = queues
    .map((row) => ({ queue: row.queue, queued: Number(row.queued), running: Number(row.running) }))
    .sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  return { runsByStatus, queues: counts, approvalsPending: Number(approvalsPending) };
}
