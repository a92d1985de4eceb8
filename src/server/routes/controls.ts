/** The store-wide controls: the kill switch and the autonomy level, changed as the caller's principal. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Steward } from '../../engine/steward.js';
import { parseInput } from '../parse.js';

const killSwitchBody = z.object({ on: z.boolean(), reason: z.string().max(2000).optional() }).strict();
const autonomyBody = z
  .object({ level: z.number().int('an autonomy level is a whole number').min(0).max(3), reason: z.string().max(2000).optional() })
  .strict();

/** Registers the kill switch and autonomy routes. */
export function controlRoutes(app: FastifyInstance, steward: Steward): void {
  app.get('/v1/kill-switch', { config: { access: 'read' } }, async () => (await steward.controls()).killSwitch);

  app.post('/v1/kill-switch', { config: { access: 'write' } }, async (request) => {
    const { on, reason } = parseInput(killSwitchBody, request.body, 'body');
    const controls = await steward.killSwitch(on, { by: request.caller!.principal, ...(reason === undefined ? {} : { reason }) });
    return controls.killSwitch;
  });

  app.get('/v1/autonomy', { config: { access: 'read' } }, async () => ({ level: await steward.autonomy.get() }));

  app.put('/v1/autonomy', { config: { access: 'write' } }, async (request) => {
    const { level, reason } = parseInput(autonomyBody, request.body, 'body');
    const controls = await steward.autonomy.set(level, { by: request.caller!.principal, ...(reason === undefined ? {} : { reason }) });
    return { level: controls.autonomy };
  });
}
