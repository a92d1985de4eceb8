/**
 * What the policy engine is asked for an HTTP API request (`Action::"http"`): may this principal, with these roles,
 * use this route. The route's `access` says what it does: read, write, approve or admin.
 */
import type { PrincipalType } from './request.js';

/** What a route does, for policy: look, change runs and controls, decide approvals, or administer. */
export const ROUTE_ACCESS = ['read', 'write', 'approve', 'admin'] as const;
/** A route's access kind. */
export type RouteAccess = (typeof ROUTE_ACCESS)[number];

/** An HTTP request as the policy engine sees it. */
export interface RouteRequest {
  principal: { type: PrincipalType; id: string; roles: readonly string[] };
  route: { method: string; path: string; access: RouteAccess };
}
