/** Approvals: the inbox, and approving or denying a request as the caller's principal and roles. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Steward } from '../../engine/steward.js';
import { parseInput } from '../parse.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;

const listQuery = z
  .object({
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
      .pipe(z.array(z.enum(STATUSES)))
      .optional(),
    runId: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).max(200) });

const decisionBody = z
  .object({
    reason: z.string().max(2000).optional(),
    planHash: z.string().regex(/^[0-9a-f]{64}$/, 'a plan hash is 64 lowercase hex digits').optional(),
  })
  .strict();

/** Registers the approval routes. The library still checks `Action::"approve"`, the reason and requester ≠ approver. */
export function approvalRoutes(app: FastifyInstance, steward: Steward): void {
  app.get('/v1/approvals', { config: { access: 'read' } }, async (request) => {
    const query = parseInput(listQuery, request.query, 'query');
    const approvals = await steward.approvals.list({
      ...(query.status === undefined || query.status.length === 0 ? {} : { status: query.status }),
      ...(query.runId === undefined ? {} : { runId: query.runId }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
    return { approvals };
  });

  for (const verb of ['approve', 'deny'] as const) {
    app.post(`/v1/approvals/:id/${verb}`, { config: { access: 'approve' } }, async (request) => {
      const { id } = parseInput(idParams, request.params, 'params');
      const body = parseInput(decisionBody, request.body, 'body');
      const caller = request.caller!;
      return steward.approvals[verb](id, {
        principal: caller.principal,
        roles: [...caller.roles],
        ...(body.reason === undefined ? {} : { reason: body.reason }),
        ...(body.planHash === undefined ? {} : { planHash: body.planHash }),
      });
    });
  }
}
