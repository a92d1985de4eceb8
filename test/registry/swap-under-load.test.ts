import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/registry/index.js';

/** An instance that says where it is in its life; a use checks it before and after every await. */
interface Probe {
  serial: number;
  provider: string;
  state: 'initialising' | 'ready' | 'refused' | 'disposed';
  disposals: number;
}

const SWAPS = 1_000;
const USERS = 100;
const USES_PER_USER = 100; // 10,000 uses in all
/** Up to this many turns of the event loop between two uses of one user: spreads the uses over all the swaps. */
const MAX_GAP = 60;
const UNHEALTHY_EVERY = 7; // every 7th instance fails its health check

/** A deterministic source of small random numbers (a test is the same on every run). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

/** Yields to the event loop a few times, some as microtasks, some as macrotasks. */
async function someAwaits(rand: () => number): Promise<void> {
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.5) await Promise.resolve();
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('swaps under load', () => {
  it(`never hands out a disposed or half-made instance across ${SWAPS} swaps and ${USERS * USES_PER_USER} concurrent uses`, async () => {
    const registry = createRegistry({ env: {}, healthTimeoutMs: 1_000 });
    const instances: Probe[] = [];
    const refused = new Set<number>();
    let serial = 0;
    for (const provider of ['blue', 'green']) {
      registry.register<Probe>({
        domain: 'llm',
        key: 'default',
        provider,
        factory: async () => {
          const probe: Probe = { serial: ++serial, provider, state: 'initialising', disposals: 0 };
          instances.push(probe);
          await Promise.resolve();
          probe.state = 'ready';
          return probe;
        },
        health: async (probe) => {
          await new Promise((resolve) => setImmediate(resolve));
          if (probe.serial % UNHEALTHY_EVERY === 0) {
            probe.state = 'refused';
            refused.add(probe.serial);
            return false;
          }
          return true;
        },
        dispose: (probe) => {
          probe.disposals++;
          probe.state = 'disposed';
        },
      });
    }

    const problems: string[] = [];
    const seen = new Set<number>();
    let uses = 0;

    const user = async (id: number): Promise<void> => {
      const rand = random(id + 1);
      for (let i = 0; i < USES_PER_USER; i++) {
        const lease = await registry.use<Probe>('llm', 'default');
        const started = lease.instance;
        const serialAtStart = started.serial;
        seen.add(serialAtStart);
        for (let step = 0; step < 3; step++) {
          if (lease.instance !== started || started.serial !== serialAtStart) problems.push(`use ${id}/${i} changed instance`);
          if (started.state !== 'ready') problems.push(`use ${id}/${i} saw #${started.serial} ${started.state}`);
          await someAwaits(rand);
        }
        lease.release();
        uses++;
        const gap = Math.floor(rand() * MAX_GAP);
        for (let turn = 0; turn < gap; turn++) await new Promise((resolve) => setImmediate(resolve));
      }
    };

    let rolledBack = 0;
    const swapper = async (): Promise<void> => {
      for (let i = 0; i < SWAPS; i++) {
        const before = await registry.use<Probe>('llm', 'default');
        const previous = before.instance;
        before.release();
        try {
          await registry.swap('llm', 'default', i % 2 === 0 ? 'green' : 'blue');
        } catch (error) {
          expect(error).toMatchObject({ code: 'STEWARD_PROVIDER_SWAP_FAILED' });
          rolledBack++;
          const after = await registry.use<Probe>('llm', 'default');
          if (after.instance !== previous) problems.push(`swap ${i} failed its health check but #${previous.serial} is no longer active`);
          after.release();
        }
      }
    };

    await Promise.all([swapper(), ...Array.from({ length: USERS }, (_, id) => user(id))]);

    expect(problems.slice(0, 10)).toEqual([]);
    expect(uses).toBe(USERS * USES_PER_USER);
    expect(rolledBack).toBeGreaterThan(SWAPS / 10);
    const history = registry.history('llm', 'default');
    expect(history.filter((r) => r.outcome === 'rolled-back').every((r) => r.reason === 'the health check returned false')).toBe(true);
    expect(seen.size).toBeGreaterThan(SWAPS / 2); // the uses really did run across the swaps
    expect(refused.size).toBe(rolledBack);
    expect([...refused].filter((s) => seen.has(s))).toEqual([]);

    await registry.close();
    expect(instances.filter((p) => p.disposals !== 1).map((p) => `#${p.serial}: ${p.disposals}`)).toEqual([]);
  });
});
