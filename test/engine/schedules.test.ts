/** Cron schedules. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSchedule, defineWorkflow } from '../../src/index.js';
import { createdRunIds } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';
import { useDbPath } from '../helpers/temp-dir.js';
import { waitUntil } from '../helpers/wait.js';

const DAY = 24 * 3600 * 1000;

describe('schedules', () => {
  it('an every-second schedule starts its workflow while a worker runs', async () => {
    const heartbeat = defineWorkflow({
      name: 'heartbeat',
      input: z.object({ source: z.string() }),
      async run(_ctx, input) {
        return `beat from ${input.source}`;
      },
    });
    const steward = await useSteward({
      workflows: [heartbeat],
      schedules: [defineSchedule({ name: 'every-second', cron: '* * * * * *', workflow: heartbeat, input: { source: 'cron' } })],
    });

    steward.worker.start();
    const [first] = await waitUntil(() => createdRunIds(steward, 'heartbeat').then((ids) => (ids.length > 0 ? ids : null)), {
      timeoutMs: 10_000,
      what: 'the schedule to start a run',
    });
    const run = await steward.wait(first!, { timeoutMs: 15_000 });

    expect(run).toMatchObject({ status: 'succeeded', output: 'beat from cron', input: { source: 'cron' } });
    expect(run.idempotencyKey).toMatch(/^schedule:every-second:\d+$/);
  });

  it('ticks missed while nothing ran start one run when a worker starts again, not one per missed tick', async () => {
    const report = defineWorkflow({ name: 'report.nightly', input: z.object({}), run: async () => 'report written' });
    const witness = defineWorkflow({ name: 'witness', input: z.object({}), run: async () => 'seen' });
    const nightly = defineSchedule({ name: 'nightly', cron: '0 0 * * *', workflow: report });
    const dbPath = useDbPath();
    const threeDaysAgo = Date.now() - 3 * DAY;
    {
      // the last tick this store saw was three days ago: three midnights were missed since
      const before = await useSteward({ dbPath, workflows: [report] });
      await before.store.claimScheduleTick('nightly', '0 0 * * *', 'report.nightly', threeDaysAgo, threeDaysAgo);
      await before.close();
    }

    const steward = await useSteward({ dbPath, workflows: [report], schedules: [nightly] });
    steward.worker.start();
    const [runId] = await waitUntil(() => createdRunIds(steward, 'report.nightly').then((ids) => (ids.length > 0 ? ids : null)), {
      what: 'the missed tick to start a run',
    });
    const run = await steward.wait(runId!, { timeoutMs: 15_000 });

    expect(run).toMatchObject({ status: 'succeeded', output: 'report written' });
    const tick = Number(run.idempotencyKey!.split(':').pop());
    expect(run.idempotencyKey).toBe(`schedule:nightly:${tick}`);
    expect(tick).toBeGreaterThan(threeDaysAgo + 2 * DAY);
    expect(tick).toBeLessThanOrEqual(Date.now());
    expect([new Date(tick).getHours(), new Date(tick).getMinutes(), new Date(tick).getSeconds()]).toEqual([0, 0, 0]);
    expect(await steward.store.lastScheduleTick('nightly')).toBe(tick);
    expect(await createdRunIds(steward, 'report.nightly')).toEqual([runId]);
    await steward.close();

    // started once more, with nothing missed since, the nightly schedule starts nothing; a second schedule after it
    // in the list shows that the schedules have been caught up
    const again = await useSteward({
      dbPath,
      workflows: [report, witness],
      schedules: [nightly, defineSchedule({ name: 'witness', cron: '* * * * * *', workflow: 'witness' })],
    });
    again.worker.start();
    await waitUntil(() => createdRunIds(again, 'witness').then((ids) => ids.length > 0), { timeoutMs: 10_000, what: 'the witness schedule' });

    expect(await createdRunIds(again, 'report.nightly')).toEqual([runId]);
  });
});
