/** Plan files over HTTP: submit one as a plan-mode run, preview what it would do, and apply exactly that. */
import { z } from 'zod';
import { checkPlanObject } from '../../plan/plan-file.js';
import { defineRoute, type RouteDefinition } from '../route.js';
import { runSchema, startedRunSchema } from '../schemas.js';

const submitBody = z
  .object({
    plan: z
      .union([z.string().min(1).max(512 * 1024), z.record(z.string(), z.unknown())])
      .describe('the text of a YAML or JSON plan file, or the parsed document (name, goal, tasks: [{ id, action, input, dependsOn }])'),
    mode: z.enum(['plan', 'apply']).optional().describe('plan (the default) stops every task at its plan, for review; apply applies at once'),
    goal: z.string().max(4096).optional().describe("why; the document's own goal unless given"),
    autonomy: z.number().int('an autonomy level is a whole number').min(0).max(3).optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .strict();

const runParams = z.object({ runId: z.string().min(1).max(200).describe('the id of the plan run') });

const applyBody = z
  .object({
    expectHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'a plan hash is 64 lowercase hex digits')
      .optional()
      .describe('refused (409 STEWARD_PLAN_CHANGED) unless the run still plans to this hash'),
    reason: z.string().max(2000).optional(),
  })
  .strict();

const planSummarySchema = z.object({
  runId: z.string(),
  status: runSchema.shape.status,
  mode: runSchema.shape.mode,
  hash: z.string().describe("the run's plan hash: sha256 over every act's seq, action and hash"),
  acts: z.array(z.object({ seq: z.number().int(), action: z.string(), resource: z.string(), plan: z.unknown(), hash: z.string() })),
});

const TAGS = ['plans'];

/** The plan routes: the run's subject and the applier are the caller's principal. */
export const planRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'POST',
    url: '/v1/plans',
    access: 'write',
    tags: TAGS,
    summary: 'Submit a plan file: start its plan run (the built-in steward.plan workflow) as the caller',
    description: 'A bad plan is a 400 STEWARD_PLAN_INVALID naming each problem by its path (and line:column for text). 201 for a new run, 200 when the idempotency key found one.',
    body: submitBody,
    response: startedRunSchema,
    status: 201,
    alsoStatus: [200],
    errors: [409],
    handler: async ({ steward, body, caller, reply }) => {
      const source = 'body.plan';
      // a parsed document is checked here, so that its problems are named from body.plan
      const plan = typeof body.plan === 'string' ? body.plan : checkPlanObject(body.plan, { source, actions: steward.config.actions });
      const handle = await steward.startPlan(plan, {
        source,
        subject: caller.principal,
        mode: body.mode ?? 'plan',
        ...(body.goal === undefined ? {} : { goal: body.goal }),
        ...(body.autonomy === undefined ? {} : { autonomy: body.autonomy }),
        ...(body.idempotencyKey === undefined ? {} : { idempotencyKey: body.idempotencyKey }),
      });
      void reply.code(handle.created ? 201 : 200);
      return { id: handle.id, created: handle.created, run: await handle.record() };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/plans/:runId',
    access: 'read',
    tags: TAGS,
    summary: "Preview a run's plan: every act's plan and hash, and the run's plan hash",
    params: runParams,
    response: planSummarySchema,
    errors: [404],
    handler: async ({ steward, params }) => steward.planOf(params.runId),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/plans/:runId/apply',
    access: 'write',
    tags: TAGS,
    summary: 'Apply a planned run exactly as reviewed, as the caller',
    description: 'The run goes back to its queue in apply mode and replays the reviewed plans. 400 when the run is not planned.',
    params: runParams,
    body: applyBody,
    response: z.object({ runId: z.string(), hash: z.string() }),
    status: 202,
    errors: [404, 409],
    handler: async ({ steward, params, body, caller }) =>
      steward.applyPlan(params.runId, {
        by: caller.principal,
        ...(body.expectHash === undefined ? {} : { expectHash: body.expectHash }),
        ...(body.reason === undefined ? {} : { reason: body.reason }),
      }),
  }),
];
