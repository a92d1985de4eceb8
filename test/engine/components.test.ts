/**
 * The engine's own dependencies come through the provider registry: the store and the policy engine are candidates of
 * `store/default` and `policy/default`; a swap of the policy engine takes effect at the next decision, and editing the
 * configuration file swaps the selected provider.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSteward, defineAction, defineWorkflow, PolicyEngine, loadPolicySet } from '../../src/index.js';
import { createRegistry } from '../../src/index.js';
import { silentLogger, useSteward } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';

const read = defineAction({
  name: 'inventory.read',
  category: 'read',
  input: z.object({}),
  resource: () => 'inventory',
  plan: () => ({}),
  apply: () => 'read',
});
const wf = defineWorkflow({ name: 'ops.inventory', input: z.object({}), run: async (ctx) => (await ctx.act(read, {})).status });

/** A policy engine whose only policy forbids every apply. */
function lockedDown(): PolicyEngine {
  const dir = useTempDir('steward-locked-');
  writeFileSync(join(dir, 'locked.cedar'), '@id("ops.freeze")\nforbid (principal, action == Action::"apply", resource);\n');
  return new PolicyEngine(loadPolicySet({ paths: [dir] }));
}

describe('the engine’s components through the registry', () => {
  it('explains the store and the policy engine, and refuses to swap the store under a running Steward', async () => {
    const steward = await useSteward({ workflows: [wf] });
    const store = steward.registry.explain('store', 'default');
    expect(store.candidates.map((c) => [c.provider, c.selected])).toEqual([
      ['sqlite', true],
      ['postgres', false],
    ]);
    expect(steward.registry.state('store', 'default')).toBe('ready');
    expect(steward.registry.explain('policy', 'default').candidates.map((c) => c.provider)).toEqual(['cedar']);

    const vetoed = await rejectionOf(steward.registry.swap('store', 'default', 'postgres'));
    expect(vetoed).toMatchObject({ code: 'STEWARD_PROVIDER_SWAP_VETOED' });
    expect(vetoed.message).toContain('cannot change under a running Steward');
    expect(steward.registry.history('store', 'default').at(-1)).toMatchObject({ outcome: 'vetoed' });
    expect((await steward.registry.health('store', 'default', { probe: true })).healthy).toBe(true);
  });

  it('a swap of policy/default takes effect at the next decision', async () => {
    const registry = createRegistry();
    registry.register({ domain: 'policy', key: 'default', provider: 'frozen', source: 'config', priority: -10, factory: () => lockedDown() });
    const steward = await useSteward({ workflows: [wf], registry, globalAutonomy: 3 });
    steward.worker.start();
    expect(await (await steward.start('ops.inventory', {})).result({ timeoutMs: 15_000 })).toBe('applied');

    expect(await steward.registry.swap('policy', 'default', 'frozen')).toMatchObject({ outcome: 'swapped' });

    const denied = await steward.wait((await steward.start('ops.inventory', {})).id, { timeoutMs: 15_000 });
    expect(denied.error).toMatchObject({ code: 'STEWARD_POLICY_DENIED', details: { policies: ['ops.freeze'] } });
  });

  it('editing the configuration file swaps the selected provider', async () => {
    const dir = useTempDir('steward-config-');
    const config = join(dir, 'steward.config.json');
    writeFileSync(config, JSON.stringify({ components: { 'policy.default': { provider: 'cedar' } } }, null, 2));
    const registry = createRegistry();
    registry.register({ domain: 'policy', key: 'default', provider: 'frozen', source: 'config', priority: 10, factory: () => lockedDown() });
    const steward = await useSteward({ workflows: [wf], registry, configDir: dir, watchConfig: true, globalAutonomy: 3 });
    steward.worker.start();
    // the file's selection beats the higher priority of "frozen"
    expect(steward.registry.resolve('policy', 'default').provider).toBe('cedar');
    expect(await (await steward.start('ops.inventory', {})).result({ timeoutMs: 15_000 })).toBe('applied');

    writeFileSync(config, JSON.stringify({ components: { 'policy.default': { provider: 'frozen' } } }, null, 2));

    await expect.poll(() => steward.registry.health('policy', 'default').then((h) => h.provider), { timeout: 5_000 }).toBe('frozen');
    const denied = await steward.wait((await steward.start('ops.inventory', {})).id, { timeoutMs: 15_000 });
    expect(denied.error?.code).toBe('STEWARD_POLICY_DENIED');
  });

  it('a configuration file gives the store and the policy files when the options do not', async () => {
    const dir = useTempDir('steward-config-');
    writeFileSync(join(dir, 'freeze.cedar'), '@id("ops.freeze")\nforbid (principal, action == Action::"apply", resource);\n');
    writeFileSync(join(dir, 'steward.config.yaml'), `store: sqlite:${join(dir, 'from-file.db')}\npolicy:\n  files: [freeze.cedar]\nautonomy: 2\n`);
    const steward = await createSteward({ configDir: dir, workflows: [wf], logger: silentLogger });
    try {
      expect(steward.store.location).toContain('from-file.db');
      expect(steward.policy.policyIds).toContain('ops.freeze');
      expect(steward.config.autonomy).toBe(2);
    } finally {
      await steward.close();
    }
    writeFileSync(join(dir, 'steward.config.yaml'), 'autonomy: 9\n');
    const error = await rejectionOf(createSteward({ configDir: dir, logger: silentLogger }));
    expect(error).toMatchObject({ code: 'STEWARD_CONFIG_INVALID' });
    expect(error.message).toContain('steward.config.yaml:1');
  });

  it('a selection’s settings reach the provider’s factory, and a change of settings alone swaps it', async () => {
    const dir = useTempDir('steward-config-');
    const config = join(dir, 'steward.config.json');
    writeFileSync(config, JSON.stringify({ components: { 'llm.default': { provider: 'echo', settings: { model: 'small' } } } }));
    const registry = createRegistry();
    registry.register({ domain: 'llm', key: 'default', provider: 'echo', factory: ({ settings }) => ({ ...settings }) });
    registry.register({ domain: 'llm', key: 'default', provider: 'other', priority: 5, factory: () => ({ model: 'other' }) });
    const steward = await useSteward({ registry, configDir: dir, watchConfig: true });
    const first = await steward.registry.use<{ model: string }>('llm', 'default');
    expect(first.instance).toEqual({ model: 'small' });
    first.release();

    writeFileSync(config, JSON.stringify({ components: { 'llm.default': { provider: 'echo', settings: { model: 'large' } } } }));

    await expect
      .poll(async () => {
        const lease = await steward.registry.use<{ model: string }>('llm', 'default');
        lease.release();
        return lease.instance.model;
      }, { timeout: 5_000 })
      .toBe('large');
  });

  it('an operator’s pause reaches another process’s registry; its reports show the uses in flight until they end', async () => {
    const registry = createRegistry();
    registry.register({ domain: 'llm', key: 'default', provider: 'echo', factory: () => ({ ok: true }) });
    const worker = await useSteward({ registry });
    const operator = await useSteward({ dbPath: worker.dbPath });
    worker.worker.start();
    const lease = await worker.registry.use('llm', 'default');
    const inFlight = async (): Promise<number | undefined> =>
      (await operator.componentReports(15_000)).find((r) => r.domain === 'llm' && r.key === 'default')?.inFlight;
    // the worker reports its components within a poll
    await expect.poll(inFlight, { timeout: 5_000 }).toBe(1);

    await operator.pauseComponent('llm', 'default', true, { by: 'User::"ops"', reason: 'rotate keys' });

    await expect.poll(() => worker.registry.state('llm', 'default'), { timeout: 5_000 }).toBe('paused');
    expect(await inFlight()).toBe(1);
    lease.release();
    await expect.poll(inFlight, { timeout: 5_000 }).toBe(0);

    await operator.pauseComponent('llm', 'default', false);
    await expect.poll(() => worker.registry.state('llm', 'default'), { timeout: 5_000 }).toBe('ready');
    const unknown = await rejectionOf(operator.pauseComponent('llm', 'nowhere', true));
    expect(unknown.message).toContain('no component llm/nowhere is registered');
  });

  it('ctx.act uses the provider of its action that the registry picks, and refuses one that is not that action', async () => {
    const applied: string[] = [];
    const local = defineAction({
      name: 'notify.team',
      category: 'read',
      input: z.object({ text: z.string() }),
      resource: () => 'chat:team',
      plan: (input) => input,
      apply: (plan) => applied.push(`local: ${plan.text}`),
    });
    const better = defineAction({ ...local, apply: (plan: { text: string }) => applied.push(`better: ${plan.text}`) });
    const notify = defineWorkflow({ name: 'ops.notify', input: z.object({ text: z.string() }), run: async (ctx, input) => (await ctx.act(local, input)).status });
    const registry = createRegistry();
    const steward = await useSteward({ workflows: [notify], actions: [local], registry });
    steward.worker.start();
    expect(steward.registry.explain('action', 'notify.team').candidates.map((c) => c.provider)).toEqual(['local']);
    expect(await (await steward.start('ops.notify', { text: 'one' })).result({ timeoutMs: 15_000 })).toBe('applied');

    registry.register({ domain: 'action', key: 'notify.team', provider: 'better', source: 'remote', priority: 10, factory: () => better });
    await registry.swap('action', 'notify.team');
    expect(await (await steward.start('ops.notify', { text: 'two' })).result({ timeoutMs: 15_000 })).toBe('applied');
    expect(applied).toEqual(['local: one', 'better: two']);

    registry.register({ domain: 'action', key: 'notify.team', provider: 'broken', source: 'remote', priority: 20, factory: () => ({ not: 'an action' }) });
    await registry.swap('action', 'notify.team');
    const failed = await steward.wait((await steward.start('ops.notify', { text: 'three' })).id, { timeoutMs: 15_000 });
    expect(failed.error?.message).toContain('provider "broken" of action/notify.team made something that is not an action');
  });
});
