/**
 * Who is calling: the bearer token of a /v1 request, looked up by its sha256 and checked in constant time, and then
 * whether policy (`Action::"http"`) lets its principal use the route. Failures are audited as `auth.failed` with the
 * route and the first characters of the token's hash, never the token.
 */
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { PolicyEngine } from '../policy/engine.js';
import { parsePrincipalText, type PrincipalType } from '../policy/request.js';
import type { RouteAccess } from '../policy/route-request.js';
import type { Store } from '../store/store.js';
import { hashTokenSecret, sameHash } from './tokens.js';

/** The principal a request speaks for, from its token. */
export interface Caller {
  tokenId: string;
  /** As written in policies and the audit log: `User::"alice"`. */
  principal: string;
  type: PrincipalType;
  id: string;
  roles: readonly string[];
}

/** A token's last use is written at most this often, so that reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The route as policy names it: `POST /v1/runs/:id/cancel`. */
export function routeOf(request: FastifyRequest): { method: string; path: string } {
  return { method: request.method, path: request.routeOptions.url ?? request.url.split('?')[0] ?? request.url };
}

/** Finds the caller of a request, or throws `UnauthenticatedError` after auditing the failure. */
export async function authenticate(store: Store, request: FastifyRequest, now: number): Promise<Caller> {
  const header = request.headers.authorization;
  const secret = header === undefined ? null : (BEARER.exec(header)?.[1] ?? null);
  const hash = secret === null ? null : hashTokenSecret(secret);
  const token = hash === null ? null : await store.findTokenByHash(hash);
  const found = token !== null && hash !== null && sameHash(token.tokenHash, hash);
  const reason = secret === null ? 'missing' : !found ? 'unknown' : token.revokedAt !== null ? 'revoked' : null;
  const principal = found ? parsePrincipalText(token.principal) : null;
  if (reason !== null || !found || principal === null) {
    const route = routeOf(request);
    await store.appendAudit([
      {
        kind: 'auth.failed',
        at: now,
        actor: null,
        runId: null,
        subject: null,
        data: { route: `${route.method} ${route.path}`, reason: reason ?? 'bad-principal', ...(hash === null ? {} : { tokenHashPrefix: hash.slice(0, 8) }) },
      },
    ]);
    throw new UnauthenticatedError(
      reason === 'missing'
        ? 'this route needs a bearer token: send Authorization: Bearer stw_… (make one with `steward tokens create`)'
        : reason === 'revoked'
          ? 'the bearer token was revoked: make a new one with `steward tokens create`'
          : 'the bearer token is not one Steward knows: check it, or make one with `steward tokens create`',
    );
  }
  if (token.lastUsedAt === null || now - token.lastUsedAt >= TOUCH_EVERY_MS) await store.touchToken(token.id, now);
  return { tokenId: token.id, principal: token.principal, type: principal.type, id: principal.id, roles: token.roles };
}

/** Asks policy whether the caller may use the route; throws `ForbiddenError` naming the deciding policies if not. */
export function authorizeRoute(policy: PolicyEngine, caller: Caller, request: FastifyRequest, access: RouteAccess): void {
  const route = routeOf(request);
  const decision = policy.authorizeRoute({ principal: { type: caller.type, id: caller.id, roles: caller.roles }, route: { ...route, access } });
  if (decision.decision === 'allow') return;
  const which =
    decision.policies.length > 0
      ? `forbidden by ${decision.policies.join(', ')}`
      : `no policy permits it (the default policies give ${access} routes to ${ROLES_FOR[access]})`;
  throw new ForbiddenError(`${caller.principal} may not ${route.method} ${route.path}: ${which}`, {
    principal: caller.principal,
    route: `${route.method} ${route.path}`,
    policies: decision.policies,
  });
}

const ROLES_FOR: Record<RouteAccess, string> = {
  read: 'the roles viewer, operator, approver and admin',
  write: 'the roles operator and admin',
  approve: 'the roles approver and admin',
  admin: 'the role admin',
};
