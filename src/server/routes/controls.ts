/** The store-wide controls: the kill switch and the autonomy level, changed as the caller's principal. */
import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../route.js';
import { killSwitchSchema } from '../schemas.js';

const killSwitchBody = z.object({ on: z.boolean(), reason: z.string().max(2000).optional() }).strict();
const autonomyBody = z
  .object({ level: z.number().int('an autonomy level is a whole number').min(0).max(3), reason: z.string().max(2000).optional() })
  .strict();
const autonomySchema = z.object({ level: z.number().int().min(0).max(3) });

const TAGS = ['controls'];

/** The kill switch and autonomy routes. */
export const controlRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/kill-switch',
    access: 'read',
    tags: TAGS,
    summary: 'The kill switch',
    response: killSwitchSchema,
    handler: async ({ steward }) => (await steward.controls()).killSwitch,
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/kill-switch',
    access: 'write',
    tags: TAGS,
    summary: 'Turn the kill switch on or off for every worker, as the caller',
    body: killSwitchBody,
    response: killSwitchSchema,
    handler: async ({ steward, body, caller }) =>
      (await steward.killSwitch(body.on, { by: caller.principal, ...(body.reason === undefined ? {} : { reason: body.reason }) })).killSwitch,
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/autonomy',
    access: 'read',
    tags: TAGS,
    summary: 'The global autonomy level',
    response: autonomySchema,
    handler: async ({ steward }) => ({ level: await steward.autonomy.get() }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/autonomy',
    access: 'write',
    tags: TAGS,
    summary: 'Set the global autonomy level, as the caller',
    body: autonomyBody,
    response: autonomySchema,
    handler: async ({ steward, body, caller }) => {
      const controls = await steward.autonomy.set(body.level, { by: caller.principal, ...(body.reason === undefined ? {} : { reason: body.reason }) });
      return { level: controls.autonomy };
    },
  }),
];
