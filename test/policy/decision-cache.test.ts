import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, requestKeyJson } from '../../src/policy/canonical-json.js';
import { DecisionCache } from '../../src/policy/decision-cache.js';
import { parseRequest, PolicyEngine } from '../../src/policy/engine.js';
import { compilePolicySet, DEFAULT_POLICIES, DEFAULT_POLICY_FILE } from '../../src/policy/loader.js';
import type { PolicyRequestInput } from '../../src/policy/request.js';
import { useTempDir } from '../helpers/temp-dir.js';

const write: PolicyRequestInput = {
  principal: 'Agent::"deployer"',
  action: 'apply',
  resource: { name: 'service:api', category: 'write', network: 'internal' },
  context: { autonomy: 2, mode: 'apply' },
};

function withContext(context: Partial<PolicyRequestInput['context']>): PolicyRequestInput {
  return { ...write, context: { ...write.context, ...context } };
}

describe('the decision cache', () => {
  it('returns the same decision for the same request, counting a hit', () => {
    const engine = PolicyEngine.load();
    const first = engine.authorize(write);
    const again = engine.authorize(structuredClone(write));
    expect(again).toBe(first);
    expect(again).toEqual(engine.authorizeUncached(write));
    expect(engine.cacheStats).toMatchObject({ size: 1, hits: 1, misses: 1 });
  });

  it('tells apart requests that differ in any one attribute', () => {
    const engine = PolicyEngine.load();
    expect(engine.authorize(write).decision).toBe('allow');
    expect(engine.authorize(withContext({ autonomy: 1 })).decision).toBe('deny');
    expect(engine.authorize(withContext({ mode: 'plan' })).decision).toBe('deny');
    expect(engine.authorize({ ...write, resource: { ...write.resource, category: 'deploy' } }).decision).toBe('deny');
    const variants: PolicyRequestInput[] = [
      { ...write, principal: 'Agent::"other"' },
      { ...write, principal: 'User::"deployer"' },
      { ...write, principal: { type: 'Agent', id: 'deployer', roles: ['approver'] } },
      { ...write, action: 'plan' },
      { ...write, resource: { ...write.resource, name: 'service:web' } },
      { ...write, resource: { ...write.resource, network: 'public' } },
      withContext({ approved: true }),
      withContext({ reason: 'ticket 42' }),
      withContext({ budgets: { timeoutMs: 30_000 } }),
    ];
    for (const variant of variants) engine.authorize(variant);
    expect(engine.cacheStats).toMatchObject({ size: 4 + variants.length, hits: 0 });
  });

  it('treats requests that differ only in how they are written as the same', () => {
    const engine = PolicyEngine.load();
    engine.authorize({ ...write, principal: { type: 'Agent', id: 'deployer', roles: ['b', 'a', 'b'] } });
    engine.authorize({ ...write, principal: { type: 'Agent', id: 'deployer', roles: ['a', 'b'] } });
    engine.authorize({ context: write.context, resource: write.resource, action: 'apply', principal: 'Agent::"deployer"' });
    engine.authorize({ ...write, principal: { type: 'Agent', id: 'deployer' } });
    expect(engine.cacheStats).toMatchObject({ size: 2, hits: 2 });
  });

  it('changes version and never returns an old decision after a reload', () => {
    const dir = useTempDir('steward-policy-');
    const file = join(dir, 'freeze.cedar');
    writeFileSync(file, '@id("team.no-writes")\npermit (principal, action == Action::"plan", resource);');
    const engine = PolicyEngine.load({ paths: [file] });
    const before = engine.authorize(write);
    expect(before.decision).toBe('allow');
    const oldVersion = engine.version;

    writeFileSync(file, '@id("team.no-writes")\nforbid (principal, action == Action::"apply", resource) when { resource.category == "write" };');
    engine.reload();
    expect(engine.version).not.toBe(oldVersion);
    expect(engine.cacheStats.size).toBe(0);
    const after = engine.authorize(write);
    expect(after).toMatchObject({ decision: 'deny', policies: ['team.no-writes'], version: engine.version });
  });

  it('keeps the old policies when a reload fails', () => {
    const dir = useTempDir('steward-policy-');
    const file = join(dir, 'team.cedar');
    writeFileSync(file, '@id("team.plan")\npermit (principal, action == Action::"plan", resource);');
    const engine = PolicyEngine.load({ paths: [file] });
    const version = engine.version;
    writeFileSync(file, 'permit (principal, action, resource) when {');
    expect(() => engine.reload()).toThrow(expect.objectContaining({ code: 'STEWARD_POLICY_INVALID' }));
    expect(engine.version).toBe(version);
    expect(engine.authorize(write).decision).toBe('allow');
  });

  it('reloads from a given set as well', () => {
    const engine = PolicyEngine.load();
    engine.authorize(write);
    engine.reload(compilePolicySet([{ file: DEFAULT_POLICY_FILE, text: DEFAULT_POLICIES.replace('context.autonomy >= 2', 'context.autonomy >= 3') }]));
    expect(engine.authorize(write).decision).toBe('deny');
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    const cache = new DecisionCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([1, undefined, 3, 2]);
    const engine = PolicyEngine.load({ cacheSize: 3 });
    for (let autonomy = 0; autonomy <= 3; autonomy++) engine.authorize(withContext({ autonomy }));
    expect(engine.cacheStats.size).toBe(3);
  });

  it('keys requests by their whole canonical form, keys sorted', () => {
    const full = parseRequest({
      principal: { type: 'User', id: 'alice', roles: ['ops', 'approver'] },
      action: 'approve',
      resource: { network: 'internal', category: 'deploy', name: 'service:api' },
      context: { budgets: { ratePerMinute: 30, timeoutMs: 1, maxAttempts: 3 }, reason: 'release', approved: true, mode: 'apply', autonomy: 1 },
    });
    expect(requestKeyJson(full)).toBe(canonicalJson(full));
    expect(requestKeyJson(parseRequest(write))).toBe(canonicalJson(parseRequest(write)));
    expect(canonicalJson({ b: 1, a: [{ d: null, c: 'x' }], e: undefined })).toBe('{"a":[{"c":"x","d":null}],"b":1}');
  });
});
