/**
 * The release gate: a worker process is killed with SIGKILL at random moments while it executes 500 five-step runs,
 * and restarted each time. Every run must still succeed, with each step's result recorded exactly once.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSteward } from '../../src/index.js';
import { CRASH_STEPS, crashOutput, crashStepValue, makeCrashWorkflow } from '../fixtures/crash-workflow.js';
import { allEvents } from '../helpers/runs.js';
import { silentLogger } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitUntil } from '../helpers/wait.js';
import { isAlive, killWorker, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const RUNS = 500;
const KILLS = 6;
const FIXTURE = fileURLToPath(new URL('../fixtures/crash-worker.ts', import.meta.url));

function startWorker(dbPath: string, ledgerPath: string): WorkerProcess {
  return startWorkerProcess(FIXTURE, [dbPath, ledgerPath]);
}

function randomDelay(): number {
  return 50 + Math.floor(Math.random() * 351);
}

describe('crash recovery', () => {
  it(
    `${RUNS} five-step runs all succeed, each step recorded once, through ${KILLS} SIGKILLs of their worker`,
    async () => {
      const dir = useTempDir('steward-crash-');
      const dbPath = join(dir, 'steward.db');
      const ledgerPath = join(dir, 'ledger.txt');

      // arrange: the runs are started (and on disk) before any worker exists
      const starter = await createSteward({ store: `sqlite:${dbPath}`, workflows: [makeCrashWorkflow(null)], logger: silentLogger });
      const inputs = new Map<string, number>();
      for (let chunk = 0; chunk < RUNS; chunk += 50) {
        const handles = await Promise.all(
          Array.from({ length: 50 }, (_, i) => starter.start('crash.five', { n: chunk + i }, { idempotencyKey: `crash-${chunk + i}` })),
        );
        handles.forEach((h, i) => inputs.set(h.id, chunk + i));
      }
      await starter.close();
      expect(inputs.size).toBe(RUNS);

      // act: kill the worker at random moments, restarting it each time, then let it finish
      const monitor = new Database(dbPath, { fileMustExist: true, timeout: 5000 });
      const ended = (): number =>
        monitor.prepare("SELECT count(*) FROM runs WHERE status IN ('succeeded', 'failed', 'cancelled')").pluck().get() as number;
      const delays: number[] = [];
      const endedAtKill: number[] = [];
      let ledgerBeforeLastWorker = 0;
      let worker: WorkerProcess | undefined;
      try {
        for (let k = 0; k < KILLS; k += 1) {
          worker = startWorker(dbPath, ledgerPath);
          await worker.ready;
          const delay = randomDelay();
          delays.push(delay);
          await new Promise((resolve) => setTimeout(resolve, delay));
          await killWorker(worker);
          endedAtKill.push(ended());
        }
        ledgerBeforeLastWorker = existsSync(ledgerPath) ? readFileSync(ledgerPath, 'utf8').split('\n').length - 1 : 0;
        worker = startWorker(dbPath, ledgerPath);
        await worker.ready;
        await waitUntil(() => ended() === RUNS, { timeoutMs: 4 * 60_000, intervalMs: 200, what: `all ${RUNS} runs to end` });
        await killWorker(worker);
      } finally {
        if (worker && isAlive(worker)) worker.child.kill('SIGKILL');
        monitor.close();
      }
      console.info(`crash test: kill delays ${delays.join(', ')} ms; runs ended at each kill: ${endedAtKill.join(', ')}`);
      console.info(`crash test: ${ledgerBeforeLastWorker} step executions happened in the workers that were killed`);
      // the steps take longer than all the kill delays together, so every kill lands while runs are in flight
      expect(endedAtKill.filter((count) => count < RUNS).length).toBeGreaterThanOrEqual(5);
      expect(ledgerBeforeLastWorker).toBeGreaterThan(0);

      // assert, through a fresh Steward with no worker
      const steward = await createSteward({ store: `sqlite:${dbPath}`, workflows: [makeCrashWorkflow(null)], logger: silentLogger });
      try {
        const wrongRuns: string[] = [];
        const wrongSteps: string[] = [];
        for (const [id, n] of inputs) {
          const run = await steward.run(id);
          if (run.status !== 'succeeded' || JSON.stringify(run.output) !== JSON.stringify(crashOutput(n))) {
            wrongRuns.push(`${id} (n=${n}): ${run.status} ${JSON.stringify(run.output ?? run.error)}`);
          }
          const steps = await steward.steps(id);
          const shape = steps.map((s) => `${s.seq}:${s.kind}:${s.status}:${JSON.stringify(s.result)}`);
          const expected = Array.from({ length: CRASH_STEPS }, (_, i) => `${i + 1}:step:completed:${crashStepValue(n, i + 1)}`);
          if (JSON.stringify(shape) !== JSON.stringify(expected)) wrongSteps.push(`${id} (n=${n}): ${shape.join(' ')}`);
        }
        expect(wrongRuns).toEqual([]);
        expect(wrongSteps).toEqual([]);

        const completions = new Map<string, number>();
        for (const event of await allEvents(steward)) {
          if (event.type !== 'step.completed') continue;
          const key = `${event.runId}:${String(event.data.seq)}`;
          completions.set(key, (completions.get(key) ?? 0) + 1);
        }
        const expectedKeys = [...inputs.keys()].flatMap((id) => Array.from({ length: CRASH_STEPS }, (_, i) => `${id}:${i + 1}`));
        expect([...completions.keys()].sort()).toEqual([...expectedKeys].sort());
        expect([...completions.entries()].filter(([, count]) => count !== 1)).toEqual([]);

        expect(existsSync(ledgerPath)).toBe(true);
        const ledger = readFileSync(ledgerPath, 'utf8').split('\n').filter((line) => line.length > 0);
        const executed = new Set(ledger);
        expect(expectedKeys.filter((key) => !executed.has(key))).toEqual([]);
        const expectedSet = new Set(expectedKeys);
        expect([...executed].filter((key) => !expectedSet.has(key))).toEqual([]);
        console.info(
          `crash test: ${ledger.length} step executions for ${expectedKeys.length} steps; ` +
            `${ledger.length - expectedKeys.length} re-executions after kills (at least once, recorded once)`,
        );
      } finally {
        await steward.close();
      }
    },
    300_000,
  );
});
