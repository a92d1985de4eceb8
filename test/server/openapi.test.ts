/**
 * The OpenAPI document made from the route declarations: served without a token at /docs/json, it names every
 * declared route under its OpenAPI path with its access class, parameters, body and problem+json errors; /docs is
 * Swagger UI.
 */
import { describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/server/route.js';
import { API_ROUTES } from '../../src/server/routes/index.js';
import { useApi } from './server-fixture.js';

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  'x-steward-access'?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme: string }> };
  security: unknown[];
}

async function documentOf() {
  const api = await useApi();
  const response = await api.call(null, 'GET', '/docs/json');
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return { ...api, doc: JSON.parse(response.body) as Document };
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 JSON with the bearer scheme, and needs no token', async () => {
    const { doc } = await documentOf();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Steward API');
    expect(doc.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas['Problem']).toMatchObject({ required: ['type', 'title', 'status', 'detail', 'code'] });
    expect(doc.paths['/healthz']?.['get']?.security).toEqual([]);
    expect(doc.paths['/readyz']?.['get']?.security).toEqual([]);
  });

  it('holds every declared route under its OpenAPI path, with its access class, path parameters and errors', async () => {
    const { doc } = await documentOf();
    const ids = new Set<string>();
    for (const route of API_ROUTES) {
      const path = openApiPath(route.url);
      expect(path).not.toContain(':');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${path}`).toBeDefined();
      if (operation === undefined) continue;
      ids.add(operation.operationId);
      expect(operation['x-steward-access']).toBe(route.access);
      expect(operation.summary).toBe(route.summary);
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(operation.parameters?.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathParams);
      for (const status of ['400', '401', '403', '429', '503']) {
        expect(operation.responses[status]?.content?.['application/problem+json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      expect(operation.responses[String(route.status)]).toBeDefined();
      if (route.body !== undefined) expect(operation.responses['413']).toBeDefined();
    }
    expect(ids.size).toBe(API_ROUTES.length);
    const declared = new Set(API_ROUTES.map((r) => openApiPath(r.url)));
    for (const path of Object.keys(doc.paths)) expect(declared.has(path) || ['/healthz', '/readyz', '/metrics'].includes(path), path).toBe(true);
  });

  it('describes inputs and answers from the zod schemas', async () => {
    const { doc } = await documentOf();
    const start = doc.paths['/v1/runs']?.['post'];
    expect(start?.requestBody?.required).toBe(true);
    expect(start?.requestBody?.content['application/json']?.schema).toMatchObject({
      type: 'object',
      required: ['workflow'],
      properties: { workflow: { type: 'string' }, mode: { enum: ['apply', 'plan'] } },
    });
    expect(Object.keys(start?.responses ?? {})).toEqual(expect.arrayContaining(['201', '200', '409', '413']));
    expect(doc.paths['/v1/runs/{id}/cancel']?.['post']?.requestBody?.required).toBe(false);
    const list = doc.paths['/v1/audit']?.['get'];
    expect(list?.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ['after', 'query', false],
      ['limit', 'query', false],
      ['runId', 'query', false],
      ['kind', 'query', false],
    ]);
    expect(list?.responses['200']?.content?.['application/json']?.schema).toMatchObject({ properties: { entries: { type: 'array' }, nextCursor: {} } });
    expect(Object.keys(doc.paths['/v1/events']?.['get']?.responses['200']?.content ?? {})).toContain('text/event-stream');
    expect(doc.paths['/v1/components/{domain}/{key}/swap']?.['post']?.['x-steward-access']).toBe('admin');
  });

  it('is browsable at /docs with Swagger UI, without a token', async () => {
    const { call } = await documentOf();
    const ui = await call(null, 'GET', '/docs');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.body).toContain('swagger-ui');
    const yaml = await call(null, 'GET', '/docs/yaml');
    expect(yaml.statusCode).toBe(200);
    expect(yaml.body).toContain('openapi: 3.1.0');
  });
});
