/** Runs: list, show (with steps), start, cancel, signal. */
import { z } from 'zod';
import { RUN_STATUSES } from '../../domain/run.js';
import { defineRoute, type RouteDefinition } from '../route.js';
import { runSchema, startedRunSchema, stepSchema } from '../schemas.js';

const idParams = z.object({ id: z.string().min(1).max(200).describe('the run id') });

const listQuery = z
  .object({
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
      .pipe(z.array(z.enum(RUN_STATUSES)))
      .optional()
      .describe(`one or more of ${RUN_STATUSES.join(', ')}; comma-separated or repeated`),
    workflow: z.string().min(1).max(200).optional(),
    cursor: z.string().min(1).max(1000).optional().describe("the previous page's nextCursor"),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

const startBody = z
  .object({
    workflow: z.string().min(1).max(200),
    input: z.unknown().optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    mode: z.enum(['apply', 'plan']).optional(),
    goal: z.string().max(4096).optional(),
    queue: z.string().min(1).max(64).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
  })
  .strict();

const cancelBody = z.object({ reason: z.string().max(2000).optional() }).strict();
const signalBody = z.object({ name: z.string().min(1).max(200), payload: z.unknown().optional() }).strict();

const TAGS = ['runs'];

/** The run routes. A started run's subject is the caller's principal. */
export const runRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/runs',
    access: 'read',
    tags: TAGS,
    summary: 'List runs, newest first',
    query: listQuery,
    response: z.object({ runs: z.array(runSchema), nextCursor: z.string().nullable() }),
    handler: async ({ steward, query }) =>
      steward.list({
        ...(query.status === undefined || query.status.length === 0 ? {} : { status: query.status }),
        ...(query.workflow === undefined ? {} : { workflow: query.workflow }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
      }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/runs/:id',
    access: 'read',
    tags: TAGS,
    summary: 'Show a run with its steps',
    params: idParams,
    response: runSchema.extend({ steps: z.array(stepSchema) }),
    errors: [404],
    handler: async ({ steward, params }) => {
      // both reads go to the store at once (in this order: the steps are at least as new as the run)
      const [run, steps] = await Promise.all([steward.run(params.id), steward.steps(params.id)]);
      return { ...run, steps };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/runs',
    access: 'write',
    tags: TAGS,
    summary: 'Start a run as the caller',
    description: "The run's subject is the caller's principal. 201 for a new run, 200 when the idempotency key found an existing one.",
    body: startBody,
    response: startedRunSchema,
    status: 201,
    alsoStatus: [200],
    errors: [409],
    handler: async ({ steward, body, caller, reply }) => {
      const { workflow, input, ...options } = body;
      const handle = await steward.start(workflow, input ?? null, { ...dropUndefined(options), subject: caller.principal });
      void reply.code(handle.created ? 201 : 200);
      return { id: handle.id, created: handle.created, run: await handle.record() };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/runs/:id/cancel',
    access: 'write',
    tags: TAGS,
    summary: 'Ask a run to stop',
    params: idParams,
    body: cancelBody,
    response: z.object({ id: z.string(), status: z.enum(RUN_STATUSES), alreadyEnded: z.boolean() }),
    errors: [404],
    handler: async ({ steward, params, body }) => ({ id: params.id, ...(await steward.cancel(params.id, body.reason === undefined ? {} : { reason: body.reason })) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/runs/:id/signal',
    access: 'write',
    tags: TAGS,
    summary: 'Send a signal to a run',
    params: idParams,
    body: signalBody,
    response: z.object({ id: z.string(), signal: z.string(), sent: z.literal(true) }),
    status: 202,
    errors: [404, 409],
    handler: async ({ steward, params, body }) => {
      await steward.signal(params.id, body.name, body.payload ?? null);
      return { id: params.id, signal: body.name, sent: true as const };
    },
  }),
];

function dropUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
