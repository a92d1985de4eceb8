/**
 * An act killed between its apply and its verify: the worker is SIGKILLed while verify runs, after apply's outcome was
 * recorded. The next worker resumes the run at verify; apply is not called again, so never under a new key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSteward } from '../../src/index.js';
import { makeActWorkflow } from '../fixtures/act-workflow.js';
import { silentLogger } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitUntil } from '../helpers/wait.js';
import { isAlive, killWorker, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/act-worker.ts', import.meta.url));

function ledger(path: string): Array<{ phase: string; key: string; pid: number }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [phase, key, pid] = line.split(' ');
      return { phase: phase!, key: key!, pid: Number(pid) };
    });
}

describe('an act killed between apply and verify', () => {
  it('resumes at verify after a SIGKILL, without calling apply again', async () => {
    const dir = useTempDir('steward-act-crash-');
    const dbPath = join(dir, 'steward.db');
    const ledgerPath = join(dir, 'ledger.txt');
    const steward = await createSteward({ store: `sqlite:${dbPath}`, workflows: [makeActWorkflow(null, false)], logger: silentLogger });
    const workers: WorkerProcess[] = [];
    await steward.autonomy.set(3, { by: 'User::"test"' });
    try {
      const handle = await steward.start('act.crash', { service: 'api', image: 'api:2.0' });

      // the first worker applies, then hangs in verify; it dies there
      workers.push(startWorkerProcess(FIXTURE, [dbPath, ledgerPath, 'hang']));
      await workers[0]!.ready;
      await waitUntil(() => ledger(ledgerPath).some((l) => l.phase === 'verify') || null, { timeoutMs: 15_000, what: 'verify to start' });
      const applyRecord = (await steward.steps(handle.id)).find((s) => s.kind === 'act.apply');
      expect(applyRecord?.status).toBe('completed');
      await killWorker(workers[0]!);

      // the next worker takes the run over when the dead worker's lease expires
      workers.push(startWorkerProcess(FIXTURE, [dbPath, ledgerPath]));
      await workers[1]!.ready;
      expect(await handle.result({ timeoutMs: 20_000 })).toBe('applied');

      const lines = ledger(ledgerPath);
      const applies = lines.filter((l) => l.phase === 'apply');
      expect(applies).toEqual([{ phase: 'apply', key: `${handle.id}:3`, pid: workers[0]!.child.pid }]);
      const verifies = lines.filter((l) => l.phase === 'verify');
      expect(verifies.map((l) => l.pid)).toEqual([workers[0]!.child.pid, workers[1]!.child.pid]);
      const steps = await steward.steps(handle.id);
      expect(steps.map((s) => [s.kind, s.status])).toEqual([
        ['act.plan', 'completed'],
        ['act.apply', 'completed'],
        ['act.verify', 'completed'],
      ]);
    } finally {
      for (const worker of workers) if (isAlive(worker)) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await steward.close();
    }
  });
});
