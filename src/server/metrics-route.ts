/** `GET /metrics`: the Steward's Prometheus metrics, without a token (like /healthz), for scrapers on the network. */
import type { FastifyInstance } from 'fastify';
import type { Steward } from '../engine/steward.js';

/** Registers the Prometheus scrape endpoint. */
export function metricsRoute(app: FastifyInstance, steward: Steward): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await steward.metrics.text();
    return reply.type(steward.metrics.contentType).send(text);
  });
}
