/** Reading what a Steward holds, for assertions. */
import type { EventRecord, RunRecord, Steward } from '../../src/index.js';
import { waitUntil } from './wait.js';

/** Every event the store holds, read page by page through the public cursor. */
export async function allEvents(steward: Steward, runId?: string): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  let after = 0;
  for (;;) {
    const page = await steward.events({ after, limit: 1000, ...(runId === undefined ? {} : { runId }) });
    if (page.length === 0) return events;
    events.push(...page);
    after = page[page.length - 1]!.id;
  }
}

/**
 * The ids of every run created, oldest first, read from the `run.created` events (so that counting runs does not
 * depend on the listing of runs).
 */
export async function createdRunIds(steward: Steward, workflow?: string): Promise<string[]> {
  return (await allEvents(steward))
    .filter((e) => e.type === 'run.created' && (workflow === undefined || e.data.workflow === workflow))
    .map((e) => e.runId!);
}

/** Waits until the run is in one of the statuses, and returns it. */
export async function waitForStatus(steward: Steward, runId: string, statuses: RunRecord['status'] | RunRecord['status'][], timeoutMs = 15_000) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  return waitUntil(
    async () => {
      const run = await steward.run(runId);
      return wanted.includes(run.status) ? run : null;
    },
    { timeoutMs, what: `run ${runId} to be ${wanted.join(' or ')}` },
  );
}

/** Waits until the run has ended, and returns it; fails the test if it does not end in time. */
export async function waitForEnd(steward: Steward, runId: string, timeoutMs = 15_000): Promise<RunRecord> {
  return waitForStatus(steward, runId, ['succeeded', 'failed', 'cancelled', 'rolled_back'], timeoutMs);
}

/** Waits until the run is waiting on the given kind of thing (a timer, a signal, a child, a retry). */
export async function waitForWaitKind(steward: Steward, runId: string, kind: NonNullable<RunRecord['waitKind']>, timeoutMs = 15_000) {
  return waitUntil(
    async () => {
      const run = await steward.run(runId);
      return run.status === 'waiting' && run.waitKind === kind ? run : null;
    },
    { timeoutMs, what: `run ${runId} to wait for a ${kind}` },
  );
}
