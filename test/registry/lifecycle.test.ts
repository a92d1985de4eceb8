import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type CandidateInput, type Registry, type RegistryOptions } from '../../src/registry/index.js';
import { latch } from '../helpers/wait.js';

/** An instance that knows whether it was disposed, and how often. */
interface Conn {
  provider: string;
  serial: number;
  disposed: number;
}

let serial = 0;
let registry: Registry;

function open(options: RegistryOptions = {}): Registry {
  registry = createRegistry({ env: {}, ...options });
  return registry;
}

afterEach(async () => {
  await registry?.close({ timeoutMs: 50 });
});

/** A candidate of llm/default whose instances are Conns; `log` records what happens, in order. */
function conn(provider: string, log: string[] = [], extra: Partial<CandidateInput<Conn>> = {}): CandidateInput<Conn> {
  return {
    domain: 'llm',
    key: 'default',
    provider,
    factory: () => {
      log.push(`factory ${provider}`);
      return { provider, serial: ++serial, disposed: 0 };
    },
    health: () => {
      log.push(`health ${provider}`);
      return true;
    },
    dispose: (c) => {
      c.disposed++;
      log.push(`dispose ${provider}`);
    },
    ...extra,
  };
}

describe('use', () => {
  it('activates the winner on first use and hands every use the same instance, counting those in flight', async () => {
    const r = open();
    const log: string[] = [];
    r.register(conn('a', log));
    expect(r.state('llm', 'default')).toBe('inactive');
    const [one, two] = await Promise.all([r.use<Conn>('llm', 'default'), r.use<Conn>('llm', 'default')]);
    expect(one.instance).toBe(two.instance);
    expect(log).toEqual(['factory a', 'health a']);
    expect(r.state('llm', 'default')).toBe('ready');
    expect((await r.health('llm', 'default')).inFlight).toBe(2);
    one.release();
    one.release(); // a second release does nothing
    expect((await r.health('llm', 'default')).inFlight).toBe(1);
    two.release();
    expect((await r.health('llm', 'default')).inFlight).toBe(0);
    expect(r.history('llm', 'default')).toMatchObject([{ from: null, to: 'a', trigger: 'first-use', outcome: 'swapped' }]);
  });

  it('fails a use with STEWARD_PROVIDER_UNAVAILABLE when the first activation fails, and tries again on the next use', async () => {
    const r = open();
    let fail = true;
    r.register(conn('a', [], { health: () => !fail }));
    await expect(r.use('llm', 'default')).rejects.toMatchObject({
      code: 'STEWARD_PROVIDER_UNAVAILABLE',
      message: expect.stringContaining('the health check returned false'),
    });
    expect(r.state('llm', 'default')).toBe('failed');
    fail = false;
    const lease = await r.use<Conn>('llm', 'default');
    expect(lease.instance.provider).toBe('a');
    lease.release();
  });

  it('refuses a use of a (domain, key) nothing was registered under', async () => {
    const r = open();
    await expect(r.use('llm', 'default')).rejects.toMatchObject({ code: 'STEWARD_PROVIDER_NOT_FOUND' });
  });
});

describe('swap', () => {
  it('runs before-hook, factory, health, dispose of the old, after-hook, in that order', async () => {
    const r = open();
    const log: string[] = [];
    r.register(conn('a', log));
    r.register(conn('b', log));
    r.select('llm', 'default', 'a');
    (await r.use('llm', 'default')).release();
    log.length = 0;
    r.onBeforeSwap((e) => void log.push(`before ${e.from}→${e.to}`));
    r.onAfterSwap((rec) => void log.push(`after ${rec.outcome}`));

    const record = await r.swap('llm', 'default', 'b');

    expect(log).toEqual(['before a→b', 'factory b', 'health b', 'dispose a', 'after swapped']);
    expect(record).toMatchObject({ from: 'a', to: 'b', outcome: 'swapped', drained: true, reason: null });
    const lease = await r.use<Conn>('llm', 'default');
    expect(lease.instance.provider).toBe('b');
    lease.release();
  });

  it('swaps to the winner of precedence when no provider is named', async () => {
    const r = open();
    r.register(conn('a'));
    (await r.use('llm', 'default')).release();
    r.register(conn('b', [], { priority: 10 }));
    expect(r.explain('llm', 'default')).toMatchObject({ winner: 'b', active: 'a' });
    await r.swap('llm', 'default');
    expect(r.explain('llm', 'default')).toMatchObject({ winner: 'b', active: 'b' });
  });

  it.each([
    ['a factory that throws', { factory: () => { throw new Error('no API key'); } }, 'factory', 'the factory threw: no API key'],
    ['a health check that says false', { health: () => false }, 'health', 'the health check returned false'],
    ['a health check that throws', { health: () => { throw new Error('503'); } }, 'health', 'the health check threw: 503'],
    ['a health check that never answers', { health: () => new Promise<boolean>(() => undefined) }, 'health', 'the health check did not answer within 30 ms'],
    ['a factory that never finishes', { factory: () => new Promise<Conn>(() => undefined) }, 'factory', 'the factory did not finish within 30 ms'],
  ])('leaves the old instance active after %s, and records why', async (_name, broken, stage, reason) => {
    const r = open({ healthTimeoutMs: 30, initTimeoutMs: 30 });
    const log: string[] = [];
    r.register(conn('a', log));
    r.register(conn('b', log, broken as Partial<CandidateInput<Conn>>));
    r.select('llm', 'default', 'a');
    const before = await r.use<Conn>('llm', 'default');
    const after: string[] = [];
    r.onAfterSwap((rec) => void after.push(`${rec.outcome} ${rec.stage}`));

    await expect(r.swap('llm', 'default', 'b')).rejects.toMatchObject({
      code: 'STEWARD_PROVIDER_SWAP_FAILED',
      message: expect.stringContaining(reason),
    });

    const now = await r.use<Conn>('llm', 'default');
    expect(now.instance).toBe(before.instance);
    expect(now.instance.disposed).toBe(0);
    expect(r.state('llm', 'default')).toBe('ready');
    expect(r.history('llm', 'default').at(-1)).toMatchObject({ from: 'a', to: 'b', outcome: 'rolled-back', stage, reason });
    expect(after).toEqual([`rolled-back ${stage}`]);
    if (stage === 'health') expect(log.filter((l) => l === 'dispose b')).toHaveLength(1); // the refused instance is disposed
    before.release();
    now.release();
  });

  it('disposes an instance whose factory finished after the init timeout', async () => {
    const r = open({ initTimeoutMs: 20 });
    const made = latch<Conn>();
    const disposed = latch<Conn>();
    r.register(conn('slow', [], { factory: () => made.promise, dispose: (c) => disposed.resolve(c) }));
    await expect(r.swap('llm', 'default')).rejects.toMatchObject({ code: 'STEWARD_PROVIDER_SWAP_FAILED' });
    const late = { provider: 'slow', serial: -1, disposed: 0 };
    made.resolve(late);
    expect(await disposed.promise).toBe(late);
  });

  it('lets a before-hook veto the swap before anything is made', async () => {
    const r = open();
    const log: string[] = [];
    r.register(conn('a', log));
    r.onBeforeSwap(() => ({ veto: 'change freeze until Monday' }));
    await expect(r.swap('llm', 'default')).rejects.toMatchObject({
      code: 'STEWARD_PROVIDER_SWAP_VETOED',
      message: expect.stringContaining('change freeze until Monday'),
    });
    expect(log).toEqual([]);
    expect(r.history('llm', 'default')).toMatchObject([{ outcome: 'vetoed', stage: 'hook', reason: 'change freeze until Monday' }]);
  });

  it('keeps a swap that succeeded when an after-hook throws, and records the hook error', async () => {
    const r = open();
    r.register(conn('a'));
    r.onAfterSwap(() => {
      throw new Error('metrics down');
    });
    const record = await r.swap('llm', 'default');
    expect(record).toMatchObject({ outcome: 'swapped', hookErrors: ['metrics down'] });
  });

  it('lets an in-flight use finish on the old instance, and disposes that instance once, after its release', async () => {
    const r = open();
    const log: string[] = [];
    r.register(conn('a', log));
    r.register(conn('b', log));
    r.select('llm', 'default', 'a');
    const held = await r.use<Conn>('llm', 'default');
    const swapping = r.swap('llm', 'default', 'b');
    await expect.poll(() => r.state('llm', 'default')).toBe('draining');
    const fresh = await r.use<Conn>('llm', 'default');
    expect(fresh.instance.provider).toBe('b');
    expect(held.instance.disposed).toBe(0);
    held.release();
    const record = await swapping;
    expect(record.drained).toBe(true);
    expect(held.instance.disposed).toBe(1);
    fresh.release();
    expect(r.state('llm', 'default')).toBe('ready');
  });

  it('leaves a use that outlives the drain bound running, and disposes its instance when it releases', async () => {
    const r = open({ drainTimeoutMs: 20 });
    r.register(conn('a'));
    r.register(conn('b'));
    r.select('llm', 'default', 'a');
    const held = await r.use<Conn>('llm', 'default');
    const record = await r.swap('llm', 'default', 'b');
    expect(record).toMatchObject({ outcome: 'swapped', drained: false, usesLeftInFlight: 1 });
    expect(held.instance.disposed).toBe(0);
    held.release();
    await expect.poll(() => held.instance.disposed).toBe(1);
  });

  it('runs concurrent swaps of one component one at a time', async () => {
    const r = open();
    let running = 0;
    let most = 0;
    const gate = latch();
    for (const p of ['a', 'b', 'c']) {
      r.register(
        conn(p, [], {
          health: async () => {
            most = Math.max(most, ++running);
            await gate.promise;
            running--;
            return true;
          },
        }),
      );
    }
    const swaps = [r.swap('llm', 'default', 'a'), r.swap('llm', 'default', 'b'), r.swap('llm', 'default', 'c')];
    gate.resolve();
    const records = await Promise.all(swaps);
    expect(most).toBe(1);
    expect(records.map((rec) => `${rec.from}→${rec.to}`)).toEqual(['null→a', 'a→b', 'b→c']);
  });

  it('refuses bad swap options and an unknown provider, naming what to fix', async () => {
    const r = open();
    r.register(conn('a'));
    await expect(r.swap('llm', 'default', 'a', { healthTimeoutMs: -5 })).rejects.toMatchObject({
      code: 'STEWARD_PROVIDER_INVALID',
      message: expect.stringContaining('swap options.healthTimeoutMs: must be at least 1 ms'),
    });
    await expect(r.swap('llm', 'default', 'a', { retries: 3 } as never)).rejects.toMatchObject({ code: 'STEWARD_PROVIDER_INVALID' });
    await expect(r.swap('llm', 'default', 'zz')).rejects.toMatchObject({
      code: 'STEWARD_PROVIDER_NOT_FOUND',
      message: expect.stringContaining('registered: a'),
    });
  });
});

describe('pause, resume and drain', () => {
  it('holds new uses while paused and lets them through on resume', async () => {
    const r = open();
    r.register(conn('a'));
    (await r.use('llm', 'default')).release();
    r.pause('llm', 'default');
    expect(r.state('llm', 'default')).toBe('paused');
    let got = false;
    const waiting = r.use<Conn>('llm', 'default').then((lease) => {
      got = true;
      return lease;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toBe(false);
    r.resume('llm', 'default');
    (await waiting).release();
    expect(r.state('llm', 'default')).toBe('ready');
  });

  it('fails a paused use after its wait bound, or at once with waitMs 0', async () => {
    const r = open({ pauseWaitMs: 20 });
    r.register(conn('a'));
    r.pause('llm', 'default');
    await expect(r.use('llm', 'default')).rejects.toMatchObject({ code: 'STEWARD_PROVIDER_PAUSED', message: expect.stringContaining('within 20 ms') });
    await expect(r.use('llm', 'default', { waitMs: 0 })).rejects.toMatchObject({ code: 'STEWARD_PROVIDER_PAUSED' });
  });

  it('drain pauses, waits for in-flight uses, and leaves the component paused', async () => {
    const r = open();
    r.register(conn('a'));
    const held = await r.use('llm', 'default');
    let drained = false;
    const draining = r.drain('llm', 'default').then(() => (drained = true));
    expect(r.state('llm', 'default')).toBe('draining');
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    held.release();
    await draining;
    expect(r.state('llm', 'default')).toBe('paused');
    r.resume('llm', 'default');
    expect(r.state('llm', 'default')).toBe('ready');
  });

  it('drain gives up after its bound with STEWARD_PROVIDER_DRAIN_TIMEOUT and stays paused', async () => {
    const r = open();
    r.register(conn('a'));
    const held = await r.use('llm', 'default');
    await expect(r.drain('llm', 'default', { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'STEWARD_PROVIDER_DRAIN_TIMEOUT',
      details: { inFlight: 1 },
    });
    expect(r.state('llm', 'default')).toBe('paused');
    held.release();
  });
});

describe('health', () => {
  it('reports the last known health, and runs the check now with probe', async () => {
    const r = open();
    let healthy = true;
    let checks = 0;
    r.register(conn('a', [], { health: () => (checks++, healthy) }));
    (await r.use('llm', 'default')).release();
    expect(await r.health('llm', 'default')).toMatchObject({ provider: 'a', healthy: true, probed: false, state: 'ready' });
    expect(checks).toBe(1);
    healthy = false;
    expect(await r.health('llm', 'default', { probe: true })).toMatchObject({ healthy: false, probed: true, reason: 'the health check returned false' });
    expect(checks).toBe(2);
  });
});

describe('dispose', () => {
  it('disposes every instance exactly once across swaps and close', async () => {
    const r = open();
    const made: Conn[] = [];
    for (const p of ['a', 'b']) {
      r.register(
        conn(p, [], {
          factory: () => {
            const c = { provider: p, serial: ++serial, disposed: 0 };
            made.push(c);
            return c;
          },
        }),
      );
    }
    for (let i = 0; i < 6; i++) await r.swap('llm', 'default', i % 2 === 0 ? 'a' : 'b');
    await r.close();
    expect(made).toHaveLength(6);
    expect(made.map((c) => c.disposed)).toEqual([1, 1, 1, 1, 1, 1]);
    await expect(r.use('llm', 'default')).rejects.toMatchObject({ code: 'STEWARD_CLOSED' });
  });
});
