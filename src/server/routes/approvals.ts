/** Approvals: the inbox, and approving or denying a request as the caller's principal and roles. */
import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../route.js';
import { approvalSchema } from '../schemas.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;

const listQuery = z
  .object({
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
      .pipe(z.array(z.enum(STATUSES)))
      .optional()
      .describe(`one or more of ${STATUSES.join(', ')}; comma-separated or repeated (default pending)`),
    runId: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).max(200).describe('the approval id') });

const decisionBody = z
  .object({
    reason: z.string().max(2000).optional().describe('the reason-for-access; required for anything but a read'),
    planHash: z.string().regex(/^[0-9a-f]{64}$/, 'a plan hash is 64 lowercase hex digits').optional().describe('refused unless the waiting plan hashes to this'),
  })
  .strict();

/** The approval routes. The library still checks `Action::"approve"`, the reason and requester ≠ approver. */
export const approvalRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/approvals',
    access: 'read',
    tags: ['approvals'],
    summary: 'The approvals inbox, oldest first',
    query: listQuery,
    response: z.object({ approvals: z.array(approvalSchema) }),
    handler: async ({ steward, query }) => {
      const approvals = await steward.approvals.list({
        ...(query.status === undefined || query.status.length === 0 ? {} : { status: query.status }),
        ...(query.runId === undefined ? {} : { runId: query.runId }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
      });
      return { approvals };
    },
  }),
  ...(['approve', 'deny'] as const).map((verb) =>
    defineRoute({
      method: 'POST',
      url: `/v1/approvals/:id/${verb}`,
      access: 'approve',
      tags: ['approvals'],
      summary: `${verb === 'approve' ? 'Approve' : 'Deny'} a pending request as the caller`,
      params: idParams,
      body: decisionBody,
      response: approvalSchema,
      errors: [404, 409],
      handler: async ({ steward, params, body, caller }) =>
        steward.approvals[verb](params.id, {
          principal: caller.principal,
          roles: [...caller.roles],
          ...(body.reason === undefined ? {} : { reason: body.reason }),
          ...(body.planHash === undefined ? {} : { planHash: body.planHash }),
        }),
    }),
  ),
];
