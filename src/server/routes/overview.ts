/** The overview: run counts by status, pending approvals, the kill switch, the autonomy level and queue depths. */
import { z } from 'zod';
import { RUN_STATUSES } from '../../domain/run.js';
import { defineRoute, type RouteDefinition } from '../route.js';
import { killSwitchSchema } from '../schemas.js';

const overviewSchema = z.object({
  runs: z.object({ byStatus: z.record(z.enum(RUN_STATUSES), z.number().int()), total: z.number().int() }),
  approvalsPending: z.number().int(),
  killSwitch: killSwitchSchema,
  autonomy: z.number().int().min(0).max(3),
  queues: z.array(z.object({ queue: z.string(), queued: z.number().int(), running: z.number().int() })),
});

/** `GET /v1/overview`. */
export const overviewRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/overview',
    access: 'read',
    tags: ['overview'],
    summary: 'Counts of runs by status, pending approvals, the kill switch, the autonomy level and queue depths',
    response: overviewSchema,
    handler: async ({ steward }) => steward.overview(),
  }),
];
