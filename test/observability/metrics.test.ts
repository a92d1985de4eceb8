/**
 * GET /metrics: the Prometheus page of a Steward, without a token. It holds every Steward family, counts the runs
 * the test starts and finishes, times their steps and act phases, and reports breakers and swaps; each Steward has a
 * registry of its own.
 */
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import type { Store } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';
import { waitUntil } from '../helpers/wait.js';
import { broken, deploy, scale } from './fixtures.js';
import { parseScrape, type Scrape } from './scrape.js';

const FAMILIES = [
  'steward_runs',
  'steward_queue_depth',
  'steward_approvals_pending',
  'steward_kill_switch',
  'steward_autonomy_level',
  'steward_breaker_state',
  'steward_component_swaps_total',
  'steward_step_duration_seconds',
  'steward_act_phase_duration_seconds',
  'steward_runs_finished_total',
  'steward_store_up',
  'steward_process_cpu_seconds_total',
  'steward_nodejs_heap_size_used_bytes',
];

async function setup() {
  const steward = await useSteward({ workflows: [deploy, broken], actions: [scale], globalAutonomy: 3 });
  const app = await buildServer(steward);
  const scrape = async (): Promise<Scrape> => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return parseScrape(response.body);
  };
  return { steward, app, scrape };
}

describe('GET /metrics', () => {
  it('answers without a token, in the Prometheus text format, with every Steward family', async () => {
    const { app, scrape } = await setup();
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const page = await scrape();
    for (const name of FAMILIES) expect(page.families.has(name), name).toBe(true);
    expect(page.families.get('steward_runs_finished_total')?.type).toBe('COUNTER');
    expect(page.families.get('steward_step_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(page.value('steward_store_up')).toBe(1);
    expect(page.value('steward_autonomy_level')).toBe(3);
    expect(page.value('steward_kill_switch')).toBe(0);
  });

  it('counts a run the test starts and finishes, and times its step and act phases', async () => {
    const { steward, scrape } = await setup();
    const before = await scrape();
    steward.worker.start({ concurrency: 2 });
    const handle = await steward.start('obs.deploy', { service: 'api', replicas: 3 });
    expect(await handle.result()).toBe('applied');

    const after = await waitUntil(async () => {
      const page = await scrape();
      return page.value('steward_runs_finished_total', { workflow: 'obs.deploy', status: 'succeeded' }) === 1 ? page : null;
    }, { what: 'the finished run to be counted' });
    expect(before.value('steward_runs_finished_total', { workflow: 'obs.deploy', status: 'succeeded' })).toBe(0);
    expect(after.value('steward_runs', { status: 'succeeded' })).toBe(before.value('steward_runs', { status: 'succeeded' }) + 1);
    expect(after.count('steward_step_duration_seconds', { workflow: 'obs.deploy', outcome: 'succeeded' })).toBe(1);
    for (const phase of ['plan', 'apply', 'verify']) {
      expect(after.count('steward_act_phase_duration_seconds', { action: 'service.scale', phase }), phase).toBe(1);
    }
    // labels carry workflow and action names only, never a run id
    expect(JSON.stringify([...after.families.values()])).not.toContain(handle.id);
  });

  it('counts a failed run and its failed step', async () => {
    const { steward, scrape } = await setup();
    steward.worker.start({ concurrency: 2 });
    const handle = await steward.start('obs.broken', {});
    await expect(handle.result()).rejects.toMatchObject({ code: 'STEWARD_RUN_FAILED' });
    const page = await waitUntil(async () => {
      const p = await scrape();
      return p.value('steward_runs_finished_total', { workflow: 'obs.broken', status: 'failed' }) === 1 ? p : null;
    }, { what: 'the failed run to be counted' });
    expect(page.value('steward_runs', { status: 'failed' })).toBe(1);
    expect(page.count('steward_step_duration_seconds', { workflow: 'obs.broken', outcome: 'failed' })).toBe(1);
  });

  it('reports queue depth, pending approvals, the kill switch and breakers from the store', async () => {
    const { steward, scrape } = await setup();
    await steward.start('obs.deploy', { service: 'a', replicas: 1 });
    await steward.start('obs.deploy', { service: 'b', replicas: 1 }, { queue: 'bulk' });
    await steward.killSwitch(true, { by: 'User::"ops"', reason: 'drill' });
    const now = Date.now();
    await steward.store.breakerRecord('service.scale', false, { failures: 1, coolDownMs: 60_000 }, now, 'boom', null);
    const page = await scrape();
    expect(page.value('steward_queue_depth', { queue: 'default', state: 'queued' })).toBe(1);
    expect(page.value('steward_queue_depth', { queue: 'bulk', state: 'queued' })).toBe(1);
    expect(page.value('steward_queue_depth', { queue: 'bulk', state: 'running' })).toBe(0);
    expect(page.value('steward_runs', { status: 'queued' })).toBe(2);
    expect(page.value('steward_kill_switch')).toBe(1);
    expect(page.value('steward_approvals_pending')).toBe(0);
    expect(page.value('steward_breaker_state', { action: 'service.scale', state: 'open' })).toBe(1);
    expect(page.value('steward_breaker_state', { action: 'service.scale', state: 'closed' })).toBe(0);
  });

  it('counts component swaps by domain, key and outcome', async () => {
    const { steward, scrape } = await setup();
    steward.registry.register({ domain: 'llm', key: 'default', provider: 'first', factory: () => ({ model: 'first' }) });
    steward.registry.register({ domain: 'llm', key: 'default', provider: 'second', factory: () => ({ model: 'second' }) });
    await steward.registry.swap('llm', 'default', 'first');
    await steward.registry.swap('llm', 'default', 'second');
    const page = await scrape();
    expect(page.value('steward_component_swaps_total', { domain: 'llm', key: 'default', outcome: 'swapped' })).toBe(2);
  });

  it('still answers when the store does not: steward_store_up 0 and no state', async () => {
    let failing = false;
    const wrapStore = (inner: Store): Store =>
      new Proxy(inner, {
        get(target, property, receiver) {
          if (property === 'stats' && failing) return () => Promise.reject(new Error('the database is gone'));
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    const steward = await useSteward({ workflows: [deploy], actions: [scale], wrapStore });
    const app = await buildServer(steward);
    failing = true;
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    const page = parseScrape(response.body);
    expect(page.value('steward_store_up')).toBe(0);
    expect(page.families.get('steward_runs')?.metrics ?? []).toHaveLength(0);
    expect(page.families.has('steward_process_cpu_seconds_total')).toBe(true);
  });

  it('gives each Steward a registry of its own', async () => {
    const one = await setup();
    const two = await setup();
    one.steward.worker.start();
    await (await one.steward.start('obs.deploy', { service: 'api', replicas: 1 })).result();
    await waitUntil(async () => (await one.scrape()).value('steward_runs_finished_total', { workflow: 'obs.deploy', status: 'succeeded' }) === 1);
    expect((await two.scrape()).value('steward_runs_finished_total', { workflow: 'obs.deploy', status: 'succeeded' })).toBe(0);
    expect(one.steward.metrics.registry).not.toBe(two.steward.metrics.registry);
  });
});
