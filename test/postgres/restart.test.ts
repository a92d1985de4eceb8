/**
 * PostgreSQL restarted under load: while 500 three-step runs are in flight in a worker, the server is stopped (fast
 * shutdown: every connection cut) and started again. The worker rides it out; every run succeeds once, and each
 * step's result is recorded exactly once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSteward } from '../../src/index.js';
import { FLEET_STEPS, fleetStepValue, makeFleetWorkflows, parseLedger } from '../fixtures/fleet-workflow.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../helpers/postgres-cluster.js';
import { allEvents } from '../helpers/runs.js';
import { silentLogger } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitUntil } from '../helpers/wait.js';

const RUNS = 500;

describe('PostgreSQL restarted under load', () => {
  let cluster: ThrowawayCluster;
  beforeAll(async () => {
    cluster = await startThrowawayCluster();
  });
  afterAll(() => cluster?.stop());

  it(`${RUNS} runs in flight through a server restart all finish, none twice`, async () => {
    const ledgerPath = join(useTempDir('steward-pg-restart-'), 'ledger.txt');
    const steward = await createSteward({
      store: cluster.url,
      workflows: makeFleetWorkflows(ledgerPath),
      logger: silentLogger,
      leaseMs: 5_000,
      pollIntervalMs: 100,
    });
    try {
      steward.worker.start({ concurrency: 16 });
      const handles = await Promise.all(Array.from({ length: RUNS }, (_, n) => steward.start('fleet.wide', { n })));
      const lastSteps = (): number =>
        existsSync(ledgerPath) ? parseLedger(readFileSync(ledgerPath, 'utf8')).filter((l) => l.kind === 'end' && l.seq === FLEET_STEPS).length : 0;
      await waitUntil(() => lastSteps() >= RUNS / 5 || null, { timeoutMs: 60_000, intervalMs: 10, what: 'a fifth of the runs to reach their last step' });

      const atRestart = lastSteps();
      cluster.pause();
      cluster.resume();
      console.info(`restart test: ${atRestart} of ${RUNS} runs past their last step when the server restarted`);
      expect(atRestart).toBeLessThan(RUNS);

      const outputs = await Promise.all(handles.map((h) => h.result({ timeoutMs: 120_000 })));
      expect(outputs).toEqual(Array.from({ length: RUNS }, (_, n) => fleetStepValue(n, FLEET_STEPS)));

      const ends = new Map<string, number>();
      const completions = new Map<string, number>();
      for (const event of await allEvents(steward)) {
        if (event.type === 'run.succeeded') ends.set(event.runId!, (ends.get(event.runId!) ?? 0) + 1);
        if (event.type === 'step.completed') {
          const key = `${event.runId}:${String(event.data.seq)}`;
          completions.set(key, (completions.get(key) ?? 0) + 1);
        }
      }
      expect(ends.size).toBe(RUNS);
      expect([...ends.values()].filter((count) => count !== 1)).toEqual([]);
      expect(completions.size).toBe(RUNS * FLEET_STEPS);
      expect([...completions.entries()].filter(([, count]) => count !== 1)).toEqual([]);
      expect(steward.worker.status().running).toBe(true);
    } finally {
      await steward.close({ graceMs: 1_000 });
    }
  }, 240_000);
});
