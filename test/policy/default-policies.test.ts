import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../src/policy/engine.js';
import type { ActionCategory, PolicyRequestInput } from '../../src/policy/request.js';

const engine = PolicyEngine.load({ cacheSize: 0 });

function request(overrides: { category?: ActionCategory; autonomy?: number; action?: 'plan' | 'apply' | 'approve' } & Partial<PolicyRequestInput['context']> & { principal?: PolicyRequestInput['principal'] } = {}): PolicyRequestInput {
  const { category = 'write', autonomy = 1, action = 'apply', principal = 'Agent::"deployer"', ...context } = overrides;
  return {
    principal,
    action,
    resource: { name: 'service:api', category, network: 'internal' },
    context: { autonomy, mode: 'apply', ...context },
  };
}

/** Which categories apply alone at each autonomy level (design §3). */
const ALONE: Record<number, ActionCategory[]> = {
  0: [],
  1: ['read'],
  2: ['read', 'write'],
  3: ['read', 'write', 'deploy', 'rollback'],
};

describe('the default policies', () => {
  const cases = [0, 1, 2, 3].flatMap((autonomy) =>
    (['read', 'write', 'deploy', 'rollback'] as const).map((category) => ({ autonomy, category, allowed: ALONE[autonomy]!.includes(category) })),
  );

  it.each(cases)('at autonomy $autonomy, apply of a $category action is allowed: $allowed', ({ autonomy, category, allowed }) => {
    const decision = engine.authorize(request({ autonomy, category }));
    expect(decision.decision).toBe(allowed ? 'allow' : 'deny');
    if (!allowed) expect(decision.policies).toEqual([]);
  });

  it('names the permit that allowed an apply', () => {
    expect(engine.authorize(request({ category: 'read', autonomy: 1 })).policies).toEqual(['steward.apply-read']);
    expect(engine.authorize(request({ category: 'write', autonomy: 2 })).policies).toEqual(['steward.apply-write']);
    expect(engine.authorize(request({ category: 'rollback', autonomy: 3 })).policies).toEqual(['steward.apply-deploy-rollback']);
  });

  it('always allows planning, even at autonomy 0', () => {
    expect(engine.authorize(request({ action: 'plan', category: 'deploy', autonomy: 0 }))).toMatchObject({
      decision: 'allow',
      policies: ['steward.plan'],
    });
  });

  it('lets an approved act apply at any level', () => {
    const decision = engine.authorize(request({ category: 'deploy', autonomy: 0, approved: true }));
    expect(decision).toMatchObject({ decision: 'allow', policies: ['steward.apply-approved'], errors: [] });
  });

  it('never applies in a plan-mode run, naming the forbid', () => {
    const decision = engine.authorize(request({ category: 'read', autonomy: 3, mode: 'plan' }));
    expect(decision).toMatchObject({ decision: 'deny', policies: ['steward.no-apply-in-plan-mode'] });
  });

  it('lets an approver approve a deploy with a reason, and not without one', () => {
    const approver = { type: 'User' as const, id: 'alice', roles: ['approver'] };
    expect(engine.authorize(request({ action: 'approve', category: 'deploy', principal: approver, reason: 'release 1.2' }))).toMatchObject({
      decision: 'allow',
      policies: ['steward.approve-by-approver'],
    });
    expect(engine.authorize(request({ action: 'approve', category: 'deploy', principal: approver }))).toMatchObject({
      decision: 'deny',
      policies: ['steward.approve-needs-reason'],
    });
    expect(engine.authorize(request({ action: 'approve', category: 'read', principal: approver })).decision).toBe('allow');
  });

  it('refuses approval by someone without the approver role, and by any agent', () => {
    expect(engine.authorize(request({ action: 'approve', category: 'read', principal: 'User::"bob"' }))).toMatchObject({ decision: 'deny', policies: [] });
    const agent = { type: 'Agent' as const, id: 'bot', roles: ['approver'] };
    expect(engine.authorize(request({ action: 'approve', category: 'read', principal: agent }))).toMatchObject({
      decision: 'deny',
      policies: ['steward.agents-never-approve'],
    });
  });

  it('rejects a request that does not fit, naming the field', () => {
    expect(() => engine.authorize(request({ autonomy: 4 }))).toThrow(expect.objectContaining({ code: 'STEWARD_VALIDATION', message: expect.stringContaining('request.context.autonomy') }));
    expect(() => engine.authorize({ ...request(), principal: 'Robot::"r2"' })).toThrow(expect.objectContaining({ code: 'STEWARD_VALIDATION' }));
    expect(() => engine.authorize({ ...request(), resource: { name: 'x', category: 'delete', network: 'none' } })).toThrow(
      expect.objectContaining({ code: 'STEWARD_VALIDATION', message: expect.stringContaining('request.resource.category') }),
    );
  });

  describe('on HTTP API routes', () => {
    const route = (access: 'read' | 'write' | 'approve' | 'admin', method = 'GET', path = '/v1/runs') => ({ method, path, access });
    const as = (roles: string[], type: 'User' | 'Agent' | 'Service' = 'User') => ({ type, id: 'someone', roles });

    it.each([
      ['viewer', ['read']],
      ['operator', ['read', 'write']],
      ['approver', ['read', 'approve']],
      ['admin', ['read', 'write', 'approve', 'admin']],
      ['nobody', []],
    ] as const)('the role %s may use the %j routes', (role, allowed) => {
      for (const access of ['read', 'write', 'approve', 'admin'] as const) {
        const decision = engine.authorizeRoute({ principal: as(role === 'nobody' ? [] : [role]), route: route(access) });
        expect(decision.decision).toBe((allowed as readonly string[]).includes(access) ? 'allow' : 'deny');
      }
    });

    it('names the permit that allowed a route', () => {
      expect(engine.authorizeRoute({ principal: as(['operator']), route: route('write', 'POST') }).policies).toEqual(['steward.http-write-by-operator']);
    });

    it('an admin may approve, and an agent still never does', () => {
      const admin = { type: 'User' as const, id: 'root', roles: ['admin'] };
      const agent = { type: 'Agent' as const, id: 'bot', roles: ['admin'] };
      expect(engine.authorize(request({ action: 'approve', category: 'write', principal: admin, reason: 'INC-1' }))).toMatchObject({ decision: 'allow', policies: ['steward.approve-by-admin'] });
      expect(engine.authorize(request({ action: 'approve', category: 'write', principal: agent, reason: 'INC-1' }))).toMatchObject({ decision: 'deny', policies: ['steward.agents-never-approve'] });
    });
  });
});
