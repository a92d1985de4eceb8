/**
 * Components over HTTP: a test component with two registered providers is listed, explained, swapped from one to
 * the other (audited as the caller), paused and resumed for every process, probed and drained; the engine's store
 * cannot be swapped.
 */
import { describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './server-fixture.js';

interface Summary {
  domain: string;
  key: string;
  winner: string | null;
  active: string | null;
  paused: boolean;
  candidates: number;
}

async function withCache() {
  const api = await useApi();
  let unhealthy = false;
  api.steward.registry.register({ domain: 'cache', key: 'default', provider: 'memory', priority: 10, factory: () => ({ kind: 'memory' }) });
  api.steward.registry.register({
    domain: 'cache',
    key: 'default',
    provider: 'redis',
    priority: 0,
    factory: () => ({ kind: 'redis' }),
    health: () => {
      if (unhealthy) throw new Error('connection refused');
    },
  });
  const admin = await api.token('User::"ada"', ['admin']);
  const viewer = await api.token('User::"vera"', ['viewer']);
  return { ...api, admin, viewer, breakRedis: () => (unhealthy = true) };
}

describe('the component routes', () => {
  it('list every component with its winner and explain why it wins', async () => {
    const { call, viewer } = await withCache();

    const listed = await call(viewer, 'GET', '/v1/components');
    expect(listed.statusCode).toBe(200);
    const { components } = listed.json() as { components: Summary[] };
    expect(components.find((c) => c.domain === 'cache')).toMatchObject({ key: 'default', winner: 'memory', candidates: 2, paused: false });
    expect(components.find((c) => c.domain === 'store')).toMatchObject({ key: 'default', winner: 'sqlite', active: 'sqlite' });

    const explained = await call(viewer, 'GET', '/v1/components/cache/default');
    expect(explained.statusCode).toBe(200);
    const body = explained.json() as { explanation: { winner: string; candidates: Array<{ provider: string; reason: string }> }; state: string; history: unknown[] };
    expect(body.explanation.winner).toBe('memory');
    expect(body.explanation.candidates.map((c) => c.provider)).toEqual(['memory', 'redis']);
    expect(body.explanation.candidates[0]!.reason).toContain('priority');
    expect(body).toMatchObject({ state: 'inactive', history: [] });
    const missing = expectProblem(await call(viewer, 'GET', '/v1/components/cache/other'), 404, 'STEWARD_PROVIDER_NOT_FOUND');
    expect(missing.detail).toContain('cache/default');
  });

  it('an admin swaps to another registered provider in this process, audited; the store swap is refused with 409', async () => {
    const { steward, call, token, admin, viewer } = await withCache();
    const operator = await token('User::"olga"', ['operator']);
    expectProblem(await call(operator, 'POST', '/v1/components/cache/default/swap', { provider: 'redis' }), 403, 'STEWARD_FORBIDDEN');

    const swapped = await call(admin, 'POST', '/v1/components/cache/default/swap', { provider: 'redis', reason: 'load test' });
    expect(swapped.statusCode, swapped.body).toBe(200);
    expect(swapped.json()).toMatchObject({ domain: 'cache', key: 'default', to: 'redis', outcome: 'swapped', active: 'redis' });
    const lease = await steward.registry.use<{ kind: string }>('cache', 'default');
    expect(lease.instance.kind).toBe('redis');
    lease.release();
    const shown = (await call(viewer, 'GET', '/v1/components/cache/default')).json() as { explanation: { active: string }; history: Array<{ to: string }> };
    expect(shown.explanation.active).toBe('redis');
    expect(shown.history.at(-1)).toMatchObject({ to: 'redis', outcome: 'swapped' });

    const unknown = expectProblem(await call(admin, 'POST', '/v1/components/cache/default/swap', { provider: 'mongo' }), 404, 'STEWARD_PROVIDER_NOT_FOUND');
    expect(unknown.detail).toContain('memory, redis');
    const vetoed = expectProblem(await call(admin, 'POST', '/v1/components/store/default/swap', { provider: 'sqlite' }), 409, 'STEWARD_PROVIDER_SWAP_VETOED');
    expect(vetoed.detail).toContain('store cannot change under a running Steward');

    const audit = await steward.store.readAudit({ after: 0, limit: 1000 });
    expect(audit.find((e) => e.kind === 'component.swapped')).toMatchObject({ actor: 'User::"ada"', data: { domain: 'cache', key: 'default', to: 'redis', reason: 'load test' } });
    expect(audit.find((e) => e.kind === 'component.swap_refused')).toMatchObject({ actor: 'User::"ada"', data: { domain: 'store', outcome: 'vetoed' } });
  });

  it('health answers the last outcome, and with ?probe=true checks the winner now', async () => {
    const { call, viewer, admin, breakRedis } = await withCache();
    expect((await call(viewer, 'GET', '/v1/components/cache/default/health')).json()).toMatchObject({ state: 'inactive', healthy: null, probed: false });
    const probed = await call(viewer, 'GET', '/v1/components/cache/default/health?probe=true');
    expect(probed.json()).toMatchObject({ provider: 'memory', state: 'ready', probed: true });
    expect((probed.json() as { healthy: boolean | null }).healthy).not.toBe(false);

    await call(admin, 'POST', '/v1/components/cache/default/swap', { provider: 'redis' });
    breakRedis();
    const failing = await call(viewer, 'GET', '/v1/components/cache/default/health?probe=true');
    expect(failing.statusCode).toBe(200);
    expect(failing.json()).toMatchObject({ provider: 'redis', healthy: false, reason: expect.stringContaining('connection refused') });
  });

  it('pause and resume reach the registry through the store, audited as the caller; drain waits for the workers', async () => {
    const { steward, call, admin, viewer } = await withCache();
    const paused = await call(admin, 'POST', '/v1/components/cache/default/pause', { reason: 'maintenance' });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ domain: 'cache', key: 'default', paused: true, by: 'User::"ada"', reason: 'maintenance' });
    expect(steward.registry.state('cache', 'default')).toBe('paused');
    const listed = (await call(viewer, 'GET', '/v1/components')).json() as { components: Summary[] };
    expect(listed.components.find((c) => c.domain === 'cache')?.paused).toBe(true);

    const resumed = await call(admin, 'POST', '/v1/components/cache/default/resume', {});
    expect(resumed.json()).toMatchObject({ paused: false, by: 'User::"ada"' });
    expect(steward.registry.state('cache', 'default')).not.toBe('paused');
    const kinds = (await steward.store.readAudit({ after: 0, limit: 1000 })).filter((e) => e.actor === 'User::"ada"').map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['component.paused', 'component.resumed']));

    expectProblem(await call(admin, 'POST', '/v1/components/cache/nowhere/pause', {}), 400, 'STEWARD_VALIDATION');

    // a running worker reports its components; drain answers once it reports this one paused with nothing in flight
    steward.worker.start();
    const drained = await call(admin, 'POST', '/v1/components/cache/default/drain', { timeoutMs: 20_000 });
    expect(drained.statusCode, drained.body).toBe(200);
    const result = drained.json() as { control: { paused: boolean }; reports: Array<{ worker: string; state: string; inFlight: number }> };
    expect(result.control.paused).toBe(true);
    expect(result.reports).toEqual([expect.objectContaining({ worker: steward.worker.id, state: 'paused', inFlight: 0 })]);
    expectProblem(await call(admin, 'POST', '/v1/components/cache/default/drain', { timeoutMs: 'soon' }), 400, 'STEWARD_VALIDATION');
  });
});
