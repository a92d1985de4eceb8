import { describe, expect, it } from 'vitest';
import { createRegistry, type CandidateInput, type CandidateSource, type Registry } from '../../src/registry/index.js';

/** A candidate of store/main with only what precedence looks at. */
interface Spec {
  provider: string;
  priority?: number;
  stackLevel?: number;
  source?: CandidateSource;
}

function candidate(spec: Spec): CandidateInput {
  return { domain: 'store', key: 'main', factory: () => ({ name: spec.provider }), ...spec };
}

interface Case {
  name: string;
  /** Registered in this order. */
  candidates: Spec[];
  select?: string;
  stackOrder?: string;
  /** Applied after registering, before resolving. */
  then?: (registry: Registry) => void;
  winner: string;
  /** The reason explain gives for each provider named here. */
  reasons?: Record<string, string>;
}

const cases: Case[] = [
  {
    name: 'a lone candidate wins',
    candidates: [{ provider: 'sqlite' }],
    winner: 'sqlite',
    reasons: { sqlite: 'won: the only candidate' },
  },
  {
    name: 'higher priority wins',
    candidates: [{ provider: 'a', priority: 50 }, { provider: 'b', priority: 10 }],
    winner: 'a',
    reasons: { a: 'won: higher priority than b (package) (50 > 10)', b: 'lost to a (package): lower priority (10 < 50)' },
  },
  {
    name: 'explicit selection beats priority',
    candidates: [{ provider: 'a', priority: 1000 }, { provider: 'b', priority: -1000 }],
    select: 'b',
    winner: 'b',
    reasons: { b: 'won: selected explicitly ("b" is selected)', a: 'lost to b (package): not selected ("b" is selected)' },
  },
  {
    name: 'priority beats stack level',
    candidates: [{ provider: 'a', priority: 1, stackLevel: 0 }, { provider: 'b', priority: 0, stackLevel: 9 }],
    winner: 'a',
    reasons: { b: 'lost to a (package): lower priority (0 < 1)' },
  },
  {
    name: 'stack level decides equal priorities',
    candidates: [{ provider: 'a', stackLevel: 2 }, { provider: 'b', stackLevel: 1 }],
    winner: 'a',
    reasons: { a: 'won: higher stack level than b (package) (2 > 1)', b: 'lost to a (package): lower stack level (1 < 2)' },
  },
  {
    name: 'stack level beats registration order',
    candidates: [{ provider: 'a', stackLevel: 1 }, { provider: 'b', stackLevel: 0 }],
    winner: 'a',
  },
  {
    name: 'later registration wins a full tie',
    candidates: [{ provider: 'a' }, { provider: 'b' }, { provider: 'c' }],
    winner: 'c',
    reasons: { c: 'won: registered after b (package) (#3 after #2)', a: 'lost to c (package): registered earlier (#1 before #3)' },
  },
  {
    name: 'a negative priority loses to the default 0',
    candidates: [{ provider: 'a', priority: -1 }, { provider: 'b' }],
    winner: 'b',
  },
  {
    name: 'selection of a provider unregistered later falls back to precedence',
    candidates: [{ provider: 'a', priority: 5 }, { provider: 'b' }],
    select: 'b',
    then: (r) => r.unregister('store', 'main', 'b'),
    winner: 'a',
  },
  {
    name: 'clearing the selection gives precedence back',
    candidates: [{ provider: 'a', priority: 5 }, { provider: 'b' }],
    select: 'b',
    then: (r) => r.select('store', 'main', null),
    winner: 'a',
  },
  {
    name: 'unregistering the winner promotes the next',
    candidates: [{ provider: 'a', priority: 50 }, { provider: 'b', priority: 10 }, { provider: 'c' }],
    then: (r) => r.unregister('store', 'main', 'a'),
    winner: 'b',
  },
  {
    name: 're-registration replaces in place and keeps its place in registration order',
    candidates: [{ provider: 'a' }, { provider: 'b' }, { provider: 'a' }],
    winner: 'b',
    reasons: { a: 'lost to b (package): registered earlier (#1 before #2)' },
  },
  {
    name: 're-registration with a new priority takes effect',
    candidates: [{ provider: 'a' }, { provider: 'b' }],
    then: (r) => void r.register(candidate({ provider: 'a', priority: 3 })),
    winner: 'a',
  },
  {
    name: 'the same provider from another source is a distinct candidate',
    candidates: [{ provider: 'a', source: 'builtin' }, { provider: 'a', source: 'config', priority: 1 }],
    winner: 'a',
    reasons: { a: 'won: higher priority than a (builtin) (1 > 0)' },
  },
  {
    name: 'STEWARD_STACK_ORDER ranks sources, earlier higher',
    candidates: [{ provider: 'a', source: 'config' }, { provider: 'b', source: 'builtin' }],
    stackOrder: 'builtin,config',
    winner: 'b',
    reasons: { a: 'lost to b (builtin): lower stack level (1 < 2)' },
  },
  {
    name: 'STEWARD_STACK_ORDER names a provider above its source',
    candidates: [{ provider: 'a', source: 'remote' }, { provider: 'b', source: 'remote' }],
    stackOrder: 'remote, a',
    winner: 'b',
    reasons: { a: 'lost to b (remote): lower stack level (1 < 2)' },
  },
  {
    name: 'a provider named in STEWARD_STACK_ORDER overrides its own stack level',
    candidates: [{ provider: 'a', stackLevel: 100 }, { provider: 'b' }],
    stackOrder: 'b,a',
    winner: 'b',
  },
  {
    name: 'candidates not in STEWARD_STACK_ORDER keep their own level (default 0, below every listed one)',
    candidates: [{ provider: 'a', source: 'package' }, { provider: 'b', source: 'builtin' }],
    stackOrder: 'package',
    winner: 'a',
  },
  {
    name: 'priority still beats STEWARD_STACK_ORDER',
    candidates: [{ provider: 'a', source: 'builtin', priority: 1 }, { provider: 'b', source: 'config' }],
    stackOrder: 'config,builtin',
    winner: 'a',
  },
];

describe('precedence: explicit selection > priority > stack level > later registration', () => {
  it.each(cases)('$name', (c) => {
    const registry = createRegistry({ env: {}, ...(c.stackOrder === undefined ? {} : { stackOrder: c.stackOrder }) });
    for (const spec of c.candidates) registry.register(candidate(spec));
    if (c.select !== undefined) registry.select('store', 'main', c.select);
    c.then?.(registry);

    expect(registry.resolve('store', 'main').provider).toBe(c.winner);
    const explanation = registry.explain('store', 'main');
    expect(explanation.winner).toBe(c.winner);
    expect(explanation.candidates[0]?.provider).toBe(c.winner);
    expect(explanation.candidates.map((x) => x.rank)).toEqual(explanation.candidates.map((_, i) => i + 1));
    for (const [provider, reason] of Object.entries(c.reasons ?? {})) {
      const reasons = explanation.candidates.filter((x) => x.provider === provider).map((x) => x.reason);
      expect(reasons).toContain(reason);
    }
  });
});

describe('the cached ranking', () => {
  it('follows every register, re-register, select and unregister made after a resolve', () => {
    const registry = createRegistry({ env: {} });
    const winner = () => registry.resolve('store', 'main').provider;
    registry.register(candidate({ provider: 'a', priority: 5 }));
    expect(winner()).toBe('a');
    registry.register(candidate({ provider: 'b', priority: 9 }));
    expect(winner()).toBe('b');
    registry.register(candidate({ provider: 'a', priority: 10 }));
    expect(winner()).toBe('a');
    registry.select('store', 'main', 'b');
    expect(winner()).toBe('b');
    expect(registry.explain('store', 'main').candidates.map((c) => c.provider)).toEqual(['b', 'a']);
    registry.unregister('store', 'main', 'b');
    expect(winner()).toBe('a');
    registry.register(candidate({ provider: 'b' }));
    expect(winner()).toBe('b');
    registry.select('store', 'main', null);
    expect(winner()).toBe('a');
  });
});

describe('registration', () => {
  it('keeps one entry per (domain, key, provider, source) however often it is registered again', () => {
    const registry = createRegistry({ env: {} });
    for (let refresh = 0; refresh < 50; refresh++) {
      registry.register(candidate({ provider: 'a', source: 'remote' }));
      registry.register(candidate({ provider: 'b', source: 'remote', priority: refresh % 3 }));
    }
    expect(registry.candidates('store', 'main').map((c) => c.provider)).toEqual(['a', 'b']);
    expect(registry.candidates('store', 'main')[1]?.priority).toBe(49 % 3);
  });

  it('applies the defaults: priority 0, stack level 0, source package, no capabilities', () => {
    const registry = createRegistry({ env: {} });
    const c = registry.register({ domain: 'llm', key: 'default', provider: 'local', factory: () => 1 });
    expect(c).toMatchObject({ priority: 0, stackLevel: 0, source: 'package', capabilities: [], metadata: {}, registration: 1 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('removes only the named source on unregister, and says how many went', () => {
    const registry = createRegistry({ env: {} });
    registry.register(candidate({ provider: 'a', source: 'builtin' }));
    registry.register(candidate({ provider: 'a', source: 'config' }));
    expect(registry.unregister('store', 'main', 'a', 'config')).toBe(1);
    expect(registry.candidates('store', 'main').map((c) => c.source)).toEqual(['builtin']);
    expect(registry.unregister('store', 'main', 'a')).toBe(1);
    expect(registry.unregister('store', 'main', 'a')).toBe(0);
  });

  it.each([
    [{ provider: '' }, 'candidate.provider: is empty'],
    [{ provider: '../etc' }, 'candidate.provider: "../etc" contains a path separator'],
    [{ provider: 'a..b' }, 'candidate.provider: "a..b" contains ".."'],
    [{ provider: 'x'.repeat(129) }, 'candidate.provider: is 129 characters long; at most 128'],
    [{ provider: 'Redis' }, 'candidate.provider: "Redis" must be lowercase letters, digits'],
    [{ domain: 'a/b' }, 'candidate.domain: "a/b" contains a path separator'],
    [{ priority: 1001 }, 'candidate.priority: must be at most 1000'],
    [{ priority: -1001 }, 'candidate.priority: must be at least -1000'],
    [{ priority: 1.5 }, 'candidate.priority: must be a whole number'],
    [{ source: 'disk' }, 'candidate.source'],
    [{ factory: 'new Redis()' }, 'candidate.factory: expected a function'],
    [{ colour: 'red' }, 'colour'],
  ])('refuses a bad candidate %j with a message naming the field', (patch, message) => {
    const registry = createRegistry({ env: {} });
    const input = { ...candidate({ provider: 'ok' }), ...patch } as unknown as CandidateInput;
    expect(() => registry.register(input)).toThrow(expect.objectContaining({ code: 'STEWARD_PROVIDER_INVALID', message: expect.stringContaining(message) }));
    expect(registry.candidates('store', 'main')).toEqual([]);
  });
});

describe('selection and lookups that fail', () => {
  it('refuses to select a provider that is not registered, naming the registered ones', () => {
    const registry = createRegistry({ env: {} });
    registry.register(candidate({ provider: 'sqlite' }));
    registry.register(candidate({ provider: 'postgres' }));
    expect(() => registry.select('store', 'main', 'mysql')).toThrow(
      expect.objectContaining({ code: 'STEWARD_PROVIDER_NOT_FOUND', message: expect.stringContaining('registered: sqlite, postgres') }),
    );
    expect(registry.selection('store', 'main')).toBeNull();
  });

  it('says in explain when the selected provider has gone and precedence decided instead', () => {
    const registry = createRegistry({ env: {} });
    registry.register(candidate({ provider: 'a' }));
    registry.register(candidate({ provider: 'b' }));
    registry.select('store', 'main', 'a');
    registry.unregister('store', 'main', 'a');
    expect(registry.explain('store', 'main')).toMatchObject({ selected: 'a', selectionMissing: true, winner: 'b' });
    registry.register(candidate({ provider: 'a' }));
    expect(registry.resolve('store', 'main').provider).toBe('a');
  });

  it('resolving an empty (domain, key) says how to register one; a bad name says what is wrong', () => {
    const registry = createRegistry({ env: {} });
    expect(() => registry.resolve('store', 'main')).toThrow(expect.objectContaining({ code: 'STEWARD_PROVIDER_NOT_FOUND', message: expect.stringContaining('registry.register') }));
    expect(() => registry.resolve('store', '../main')).toThrow(expect.objectContaining({ code: 'STEWARD_PROVIDER_INVALID' }));
    expect(registry.explain('store', 'main')).toMatchObject({ winner: null, candidates: [] });
  });

  it.each([
    ['config,,builtin', 'entry 2 is empty'],
    ['config,config', '"config" is listed twice'],
    ['config,../x', 'entry 2 "../x" contains a path separator'],
  ])('refuses STEWARD_STACK_ORDER=%s', (order, message) => {
    expect(() => createRegistry({ env: { STEWARD_STACK_ORDER: order } })).toThrow(
      expect.objectContaining({ code: 'STEWARD_PROVIDER_INVALID', message: expect.stringContaining(message) }),
    );
  });

  it('reads STEWARD_STACK_ORDER from the environment, and an explicit stackOrder over it', () => {
    expect(createRegistry({ env: { STEWARD_STACK_ORDER: ' config , remote ' } }).stackOrder).toEqual(['config', 'remote']);
    expect(createRegistry({ env: { STEWARD_STACK_ORDER: 'config' }, stackOrder: ['builtin'] }).stackOrder).toEqual(['builtin']);
    expect(createRegistry({ env: { STEWARD_STACK_ORDER: '' } }).stackOrder).toEqual([]);
  });
});

describe('explain', () => {
  it('ranks every candidate, shows where each stack level came from, and which instance is active', async () => {
    const registry = createRegistry({ env: {}, stackOrder: 'config' });
    registry.register(candidate({ provider: 'sqlite', source: 'builtin' }));
    registry.register(candidate({ provider: 'postgres', source: 'config' }));
    registry.register(candidate({ provider: 'memory', source: 'package', priority: -10 }));
    const lease = await registry.use('store', 'main');
    lease.release();
    const explanation = registry.explain('store', 'main');
    expect(explanation.active).toBe('postgres');
    expect(explanation.candidates.map((c) => [c.rank, c.provider, c.stackLevel, c.stackLevelFrom, c.decidedBy])).toEqual([
      [1, 'postgres', 1, 'source', 'stack-level'],
      [2, 'sqlite', 0, 'candidate', 'stack-level'],
      [3, 'memory', 0, 'candidate', 'priority'],
    ]);
    expect(explanation.candidates[2]?.reason).toBe('lost to postgres (config): lower priority (-10 < 0)');
    await registry.close();
  });
});
