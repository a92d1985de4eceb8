/**
 * The API's documentation: the OpenAPI document made from the route declarations, served as it is (`/docs/json`,
 * `/docs/yaml`) with Swagger UI at `/docs`, from the assets bundled with the package. No token is needed.
 */
import swagger, { type FastifyStaticSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from './openapi.js';
import type { RouteDefinition } from './route.js';

/** Where the documentation is served. */
export const DOCS_PREFIX = '/docs';

/** The version of the API the document describes (the `/v1` routes). */
export const API_VERSION = '1.0.0';

/** Serves the OpenAPI document of the routes and Swagger UI. */
export async function registerApiDocs(app: FastifyInstance, routes: readonly RouteDefinition[]): Promise<void> {
  const document = buildOpenApiDocument(routes, { version: API_VERSION });
  // static mode: the document is made from the declarations, never from Fastify route schemas (the routes have none)
  // the plugin's types know OpenAPI up to 3.0; the document is 3.1, which it serves as it is
  const specification = { document } as unknown as FastifyStaticSwaggerOptions['specification'];
  await app.register(swagger, { mode: 'static', specification });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { deepLinking: true } });
}
