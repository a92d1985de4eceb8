/**
 * Many workers on one PostgreSQL database: three worker processes run 2,000 three-step runs; one is SIGKILLed
 * mid-way and a fourth is started. Every run succeeds, each step's result is recorded exactly once, and the narrow
 * queue's limit of 4 holds across all processes, checked from the ledger of step start and end times.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSteward, type Steward } from '../../src/index.js';
import {
  FLEET_STEPS,
  fleetStepValue,
  makeFleetWorkflows,
  NARROW_CONCURRENCY,
  NARROW_QUEUE,
  parseLedger,
} from '../fixtures/fleet-workflow.js';
import { testPostgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.js';
import { allEvents } from '../helpers/runs.js';
import { silentLogger } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitUntil } from '../helpers/wait.js';
import { isAlive, killWorker, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const WIDE_RUNS = 1_500;
const NARROW_RUNS = 500;
const FIXTURE = fileURLToPath(new URL('../fixtures/fleet-worker.ts', import.meta.url));

/** The most narrow-queue runs that had a step between its start and its end at one moment. */
function maxNarrowOverlap(ledger: ReturnType<typeof parseLedger>, narrowIds: ReadonlySet<string>, killed: Map<number, number>): number {
  const open = new Map<string, number>();
  const edges: Array<{ at: number; delta: number }> = [];
  for (const line of ledger) {
    if (!narrowIds.has(line.runId)) continue;
    const key = `${line.pid} ${line.runId} ${line.seq}`;
    if (line.kind === 'start') open.set(key, line.at);
    else {
      const startedAt = open.get(key);
      open.delete(key);
      if (startedAt !== undefined) edges.push({ at: startedAt, delta: 1 }, { at: line.at, delta: -1 });
    }
  }
  // a step of a killed worker never ended: it executed until the kill
  for (const [key, startedAt] of open) {
    const pid = Number(key.split(' ')[0]);
    edges.push({ at: startedAt, delta: 1 }, { at: killed.get(pid) ?? Infinity, delta: -1 });
  }
  // an end and a start at the same millisecond: count the end first (ledger times are whole milliseconds)
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let max = 0;
  for (const edge of edges) {
    now += edge.delta;
    max = Math.max(max, now);
  }
  return max;
}

describe('many workers on one PostgreSQL database', () => {
  it(
    `${WIDE_RUNS + NARROW_RUNS} three-step runs over 3 worker processes, one SIGKILLed and replaced; queue limit ${NARROW_CONCURRENCY} holds`,
    async () => {
      const url = withSchema(testPostgresUrl(), uniqueSchema('fleet'));
      const dir = useTempDir('steward-fleet-');
      const ledgerPath = join(dir, 'ledger.txt');
      const workflows = makeFleetWorkflows(null);
      const queues = { [NARROW_QUEUE]: { concurrency: NARROW_CONCURRENCY } };
      const starter: Steward = await createSteward({ store: url, workflows, queues, logger: silentLogger });
      const workers: WorkerProcess[] = [];
      const killedAt = new Map<number, number>();
      const inputs = new Map<string, { n: number; narrow: boolean }>();
      try {
        // arrange: every run is stored before any worker starts
        for (let chunk = 0; chunk < WIDE_RUNS + NARROW_RUNS; chunk += 100) {
          const batch = Array.from({ length: 100 }, (_, i) => chunk + i);
          const handles = await Promise.all(
            batch.map((n) => starter.start(n < NARROW_RUNS ? 'fleet.narrow' : 'fleet.wide', { n }, { idempotencyKey: `fleet-${n}` })),
          );
          handles.forEach((h, i) => inputs.set(h.id, { n: batch[i]!, narrow: batch[i]! < NARROW_RUNS }));
        }
        expect(inputs.size).toBe(WIDE_RUNS + NARROW_RUNS);

        // act: three workers; kill one a third of the way through and start another
        for (let i = 0; i < 3; i += 1) workers.push(startWorkerProcess(FIXTURE, [url, ledgerPath]));
        await Promise.all(workers.map((w) => w.ready));
        const finishedSteps = (): number =>
          existsSync(ledgerPath) ? parseLedger(readFileSync(ledgerPath, 'utf8')).filter((l) => l.kind === 'end' && l.seq === FLEET_STEPS).length : 0;
        await waitUntil(() => finishedSteps() >= (WIDE_RUNS + NARROW_RUNS) / 3 || null, {
          timeoutMs: 120_000,
          intervalMs: 50,
          what: 'a third of the runs to finish their last step',
        });
        const victim = workers[0]!;
        killedAt.set(victim.child.pid!, Date.now());
        await killWorker(victim);
        const finishedAtKill = finishedSteps();
        workers.push(startWorkerProcess(FIXTURE, [url, ledgerPath]));
        await workers[3]!.ready;

        const done = async (): Promise<boolean> => {
          let count = 0;
          let cursor: string | null = null;
          do {
            const page = await starter.list({ status: 'succeeded', limit: 1000, ...(cursor === null ? {} : { cursor }) });
            count += page.runs.length;
            cursor = page.nextCursor;
          } while (cursor !== null);
          return count === inputs.size;
        };
        await waitUntil(() => done().then((all) => all || null), { timeoutMs: 240_000, intervalMs: 250, what: 'every run to succeed' });
        console.info(`fleet test: ${finishedAtKill} of ${inputs.size} runs past their last step when a worker was killed`);
        expect(finishedAtKill).toBeLessThan(inputs.size);
      } finally {
        for (const worker of workers) if (isAlive(worker)) worker.child.kill('SIGKILL');
        await Promise.all(workers.map((w) => w.exited));
      }

      try {
        // every run succeeded with the output its input implies, and its steps are the three expected ones
        const wrong: string[] = [];
        for (const [id, { n }] of inputs) {
          const run = await starter.run(id);
          if (run.status !== 'succeeded' || run.output !== fleetStepValue(n, FLEET_STEPS)) wrong.push(`${id}: ${run.status} ${JSON.stringify(run.output)}`);
          const steps = (await starter.steps(id)).map((s) => `${s.seq}:${s.status}:${JSON.stringify(s.result)}`);
          const expected = Array.from({ length: FLEET_STEPS }, (_, i) => `${i + 1}:completed:${fleetStepValue(n, i + 1)}`);
          if (JSON.stringify(steps) !== JSON.stringify(expected)) wrong.push(`${id}: steps ${steps.join(' ')}`);
        }
        expect(wrong).toEqual([]);

        // each step's result recorded exactly once
        const completions = new Map<string, number>();
        for (const event of await allEvents(starter)) {
          if (event.type !== 'step.completed') continue;
          const key = `${event.runId}:${String(event.data.seq)}`;
          completions.set(key, (completions.get(key) ?? 0) + 1);
        }
        expect(completions.size).toBe(inputs.size * FLEET_STEPS);
        expect([...completions.entries()].filter(([, count]) => count !== 1)).toEqual([]);

        // every step ran at least once, across the processes
        const ledger = parseLedger(readFileSync(ledgerPath, 'utf8'));
        const ran = new Set(ledger.filter((l) => l.kind === 'end').map((l) => `${l.runId}:${l.seq}`));
        expect([...completions.keys()].filter((key) => !ran.has(key))).toEqual([]);
        expect(new Set(ledger.map((l) => l.pid)).size).toBe(4);

        // the narrow queue never had more than its limit executing at once, across every process
        const narrowIds = new Set([...inputs].filter(([, v]) => v.narrow).map(([id]) => id));
        const overlap = maxNarrowOverlap(ledger, narrowIds, killedAt);
        console.info(`fleet test: at most ${overlap} narrow-queue runs executing at once (limit ${NARROW_CONCURRENCY})`);
        expect(overlap).toBeLessThanOrEqual(NARROW_CONCURRENCY);
        expect(overlap).toBeGreaterThanOrEqual(2);
      } finally {
        await starter.close();
      }
    },
    360_000,
  );
});
