/** GET /v1/overview: the counts of the runs the test created, pending approvals, the controls and queue depths. */
import { describe, expect, it } from 'vitest';
import { RUN_STATUSES } from '../../src/index.js';
import { buildServer } from '../../src/server/app.js';
import { createApiToken } from '../../src/server/tokens.js';
import { useSteward } from '../helpers/steward.js';
import { waitForWaitKind } from '../helpers/runs.js';
import { deploy, scale } from './fixtures.js';

async function setup(globalAutonomy: number) {
  const steward = await useSteward({ workflows: [deploy], actions: [scale], globalAutonomy });
  const app = await buildServer(steward);
  const viewer = (await createApiToken(steward.store, { principal: 'User::"vera"', roles: ['viewer'], by: 'User::"root"' })).secret;
  const overview = async (secret: string | null = viewer) =>
    app.inject({ method: 'GET', url: '/v1/overview', headers: secret === null ? {} : { authorization: `Bearer ${secret}` } });
  return { steward, overview };
}

describe('GET /v1/overview', () => {
  it('counts the runs created, by status and in total, with queue depths and the controls', async () => {
    const { steward, overview } = await setup(3);
    const empty = (await overview()).json<{ runs: { byStatus: Record<string, number>; total: number } }>();
    expect(Object.keys(empty.runs.byStatus).sort()).toEqual([...RUN_STATUSES].sort());
    expect(empty.runs.total).toBe(0);

    steward.worker.start();
    await (await steward.start('obs.deploy', { service: 'api', replicas: 2 })).result();
    await (await steward.start('obs.deploy', { service: 'web', replicas: 2 })).result();
    await steward.worker.stop();
    await steward.start('obs.deploy', { service: 'db', replicas: 1 }, { queue: 'bulk' });
    await steward.killSwitch(true, { by: 'User::"ops"', reason: 'drill' });

    const response = await overview();
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      runs: { byStatus: expect.objectContaining({ succeeded: 2, queued: 1, running: 0, failed: 0 }), total: 3 },
      approvalsPending: 0,
      killSwitch: { on: true, by: 'User::"ops"', reason: 'drill', at: expect.any(Number) },
      autonomy: 3,
      queues: expect.arrayContaining([{ queue: 'bulk', queued: 1, running: 0 }]),
    });
    // the same as the library's overview
    expect(await steward.overview()).toEqual(response.json());
  });

  it('counts an approval the run waits for', async () => {
    const { steward, overview } = await setup(1);
    steward.worker.start();
    const handle = await steward.start('obs.deploy', { service: 'api', replicas: 2 });
    await waitForWaitKind(steward, handle.id, 'approval');
    const body = (await overview()).json<{ approvalsPending: number; runs: { byStatus: Record<string, number> } }>();
    expect(body.approvalsPending).toBe(1);
    expect(body.runs.byStatus.waiting).toBe(1);
  });

  it('needs a token', async () => {
    const { overview } = await setup(1);
    const response = await overview(null);
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
