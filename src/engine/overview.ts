/** The overview of a Steward's store at one moment: run counts, pending approvals, the controls, queue depths. */
import type { RunStatus } from '../domain/run.js';
import type { Controls, QueueCount, Store } from '../store/store.js';
import type { ObservedState } from '../observability/metrics.js';

/** What `steward.overview()` answers (and `GET /v1/overview`). */
export interface Overview {
  runs: { byStatus: Record<RunStatus, number>; total: number };
  approvalsPending: number;
  killSwitch: Controls['killSwitch'];
  autonomy: number;
  queues: QueueCount[];
}

/** Reads the counts and the controls, side by side. */
export async function readOverview(store: Store): Promise<Overview> {
  const [stats, controls] = await Promise.all([store.stats(), store.getControls()]);
  const total = Object.values(stats.runsByStatus).reduce((sum, n) => sum + n, 0);
  return {
    runs: { byStatus: stats.runsByStatus, total },
    approvalsPending: stats.approvalsPending,
    killSwitch: controls.killSwitch,
    autonomy: controls.autonomy,
    queues: stats.queues,
  };
}

/** What a metrics scrape reports as state: the counts, the controls and every breaker, read side by side. */
export async function readObservedState(store: Store): Promise<ObservedState> {
  const [stats, controls, breakers] = await Promise.all([store.stats(), store.getControls(), store.listBreakers()]);
  return {
    runsByStatus: stats.runsByStatus,
    queues: stats.queues,
    approvalsPending: stats.approvalsPending,
    killSwitchOn: controls.killSwitch.on,
    autonomy: controls.autonomy,
    breakers: breakers.map((b) => ({ action: b.action, state: b.state })),
  };
}
