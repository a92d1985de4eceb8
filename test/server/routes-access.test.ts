/**
 * Every declared /v1 route, taken from the declarations themselves (a route added later is covered without a new
 * test): no token or an unknown one is a 401, a role its access class does not allow is a 403, and a role it allows
 * gets past policy.
 */
import { describe, expect, it } from 'vitest';
import type { RouteAccess } from '../../src/policy/route-request.js';
import { API_ROUTES } from '../../src/server/routes/index.js';
import { expectProblem, useApi } from './server-fixture.js';

/** A concrete URL for a route's pattern: ids that exist nowhere, a component that is not registered. */
function urlOf(pattern: string): string {
  const values: Record<string, string> = { id: 'no-such-id', runId: 'no-such-run', domain: 'nope', key: 'none' };
  return pattern.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => values[name] ?? 'x');
}

/** For each access class: a role the default policies refuse it to, and one they allow. */
const ROLES: Record<RouteAccess, { refused: string; allowed: string }> = {
  read: { refused: 'auditor', allowed: 'viewer' },
  write: { refused: 'viewer', allowed: 'operator' },
  approve: { refused: 'operator', allowed: 'approver' },
  admin: { refused: 'operator', allowed: 'admin' },
};

const routes = API_ROUTES.map((r) => ({ ...r, sample: urlOf(r.url), name: `${r.method} ${r.url}` }));

describe('every declared /v1 route', () => {
  it('is declared under /v1 with an access class, once', () => {
    expect(routes.length).toBeGreaterThanOrEqual(27);
    expect(new Set(routes.map((r) => r.name)).size).toBe(routes.length);
    for (const route of routes) {
      expect(route.url).toMatch(/^\/v1\//);
      expect(Object.keys(ROLES)).toContain(route.access);
    }
  });

  it('refuses a missing or unknown token with 401 problem+json', async () => {
    // failed logins from one address are limited; this test makes many on purpose
    const { call } = await useApi({}, { failedAuth: { perMinute: 600, burst: 1000 } });
    for (const route of routes) {
      expectProblem(await call(null, route.method, route.sample, route.method === 'GET' ? undefined : {}), 401, 'STEWARD_UNAUTHENTICATED');
      expectProblem(await call('stw_unknown', route.method, route.sample, route.method === 'GET' ? undefined : {}), 401, 'STEWARD_UNAUTHENTICATED');
    }
  });

  it('refuses a role its access class does not allow with 403 problem+json naming the route', async () => {
    const { token, call } = await useApi();
    const secrets = new Map<string, string>();
    for (const route of routes) {
      const role = ROLES[route.access].refused;
      const secret = secrets.get(role) ?? (await token(`User::"${role}-user"`, [role]));
      secrets.set(role, secret);
      const problem = expectProblem(await call(secret, route.method, route.sample, route.method === 'GET' ? undefined : {}), 403, 'STEWARD_FORBIDDEN');
      expect(problem.detail).toContain(`may not ${route.method} ${route.url}`);
    }
  });

  it('lets a role its access class allows past policy', async () => {
    const { token, call } = await useApi();
    for (const route of routes.filter((r) => !r.stream)) {
      const role = ROLES[route.access].allowed;
      const response = await call(await token(`User::"${role}-user"`, [role]), route.method, route.sample, route.method === 'GET' ? undefined : {});
      expect([401, 403], `${route.name}: ${response.body}`).not.toContain(response.statusCode);
    }
  });
});
