/** The overview: run counts by status, pending approvals, the kill switch, the autonomy level and queue depths. */
import type { FastifyInstance } from 'fastify';
import type { Steward } from '../../engine/steward.js';

/** Registers `GET /v1/overview`. */
export function overviewRoutes(app: FastifyInstance, steward: Steward): void {
  app.get('/v1/overview', { config: { access: 'read' } }, async () => steward.overview());
}
