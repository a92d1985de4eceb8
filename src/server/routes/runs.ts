/** Runs: list, show (with steps), start, cancel, signal. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RUN_STATUSES } from '../../domain/run.js';
import type { Steward } from '../../engine/steward.js';
import { parseInput } from '../parse.js';

const idParams = z.object({ id: z.string().min(1).max(200) });

const listQuery = z
  .object({
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
      .pipe(z.array(z.enum(RUN_STATUSES)))
      .optional(),
    workflow: z.string().min(1).max(200).optional(),
    cursor: z.string().min(1).max(1000).optional(),
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

/** Registers the run routes. A started run's subject is the caller's principal. */
export function runRoutes(app: FastifyInstance, steward: Steward): void {
  app.get('/v1/runs', { config: { access: 'read' } }, async (request) => {
    const query = parseInput(listQuery, request.query, 'query');
    return steward.list({
      ...(query.status === undefined || query.status.length === 0 ? {} : { status: query.status }),
      ...(query.workflow === undefined ? {} : { workflow: query.workflow }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
  });

  app.get('/v1/runs/:id', { config: { access: 'read' } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const run = await steward.run(id);
    return { ...run, steps: await steward.steps(id) };
  });

  app.post('/v1/runs', { config: { access: 'write' } }, async (request, reply) => {
    const body = parseInput(startBody, request.body, 'body');
    const { workflow, input, ...options } = body;
    const handle = await steward.start(workflow, input ?? null, { ...dropUndefined(options), subject: request.caller!.principal });
    reply.code(handle.created ? 201 : 200);
    return { id: handle.id, created: handle.created, run: await handle.record() };
  });

  app.post('/v1/runs/:id/cancel', { config: { access: 'write' } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { reason } = parseInput(cancelBody, request.body, 'body');
    return { id, ...(await steward.cancel(id, reason === undefined ? {} : { reason })) };
  });

  app.post('/v1/runs/:id/signal', { config: { access: 'write' } }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { name, payload } = parseInput(signalBody, request.body, 'body');
    await steward.signal(id, name, payload ?? null);
    reply.code(202);
    return { id, signal: name, sent: true };
  });
}

function dropUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
