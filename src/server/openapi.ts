/**
 * The OpenAPI 3.1 document of the API, made from the route declarations: each route's params, query, body and answer
 * as JSON Schema (from its zod schemas), its access class (`x-steward-access`), the bearer scheme, and the
 * problem+json errors it may answer.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { openApiPath, type RouteDefinition } from './route.js';

/** A JSON Schema as the document carries it. */
type JsonSchema = Record<string, unknown>;

/** An OpenAPI document (the parts Steward writes). */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers?: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  security: Array<Record<string, string[]>>;
}

/** Statuses every /v1 route may answer with a problem. */
const COMMON_ERRORS = [400, 401, 403, 429, 503] as const;

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'An RFC 9457 problem. Match errors by `code` (docs/errors.md lists every code).',
  properties: {
    type: { type: 'string', examples: ['urn:steward:error:STEWARD_FORBIDDEN'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'what happened and how to mend it' },
    code: { type: 'string', examples: ['STEWARD_FORBIDDEN'] },
    details: { type: 'object', additionalProperties: true },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
};

const TAGS: Record<string, string> = {
  runs: 'start, list, cancel and signal runs',
  approvals: 'the approvals inbox',
  controls: 'the kill switch and the autonomy level',
  events: 'live events (Server-Sent Events)',
  plans: 'plan files: preview, then apply exactly what was reviewed',
  components: 'the provider registry: who wins, health, swap, pause, drain',
  audit: 'the hash-chained audit log',
  tokens: 'bearer tokens of this API',
  health: 'liveness and readiness',
};

/** A zod schema as JSON Schema: the input side (what a client sends or reads), anything unrepresentable left open. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** The properties of an object schema as OpenAPI parameters. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (schema === undefined) return [];
  const json = jsonSchemaOf(schema);
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function problemResponse(status: number): unknown {
  return { description: STATUS_CODES[status] ?? 'Error', content: { 'application/problem+json': { schema: PROBLEM_REF } } };
}

function operationOf(route: RouteDefinition): Record<string, unknown> {
  const answer = jsonSchemaOf(route.response);
  const success = route.stream
    ? {
        description: 'a Server-Sent Events stream (or, where the route says so, JSON)',
        content: { 'text/event-stream': { schema: { type: 'string' } }, 'application/json': { schema: answer } },
      }
    : { description: STATUS_CODES[route.status] ?? 'OK', content: { 'application/json': { schema: answer } } };
  const responses: Record<string, unknown> = {};
  for (const status of [route.status, ...route.alsoStatus]) responses[String(status)] = success;
  const errors = new Set<number>([...COMMON_ERRORS, ...route.errors, ...(route.body === undefined ? [] : [413])]);
  for (const status of [...errors].sort((a, b) => a - b)) responses[String(status)] = problemResponse(status);
  const bodyOptional = route.body?.safeParse({}).success ?? true;
  return {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[{}]/g, '').replace(/(^|[/_-])([a-z0-9])/g, (_m, _s: string, c: string) => c.toUpperCase())}`,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [...route.tags],
    'x-steward-access': route.access,
    parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: !bodyOptional, content: { 'application/json': { schema: jsonSchemaOf(route.body) } } } }),
    responses,
  };
}

/** The routes that need no token, described by hand: they are not /v1 routes. */
const PUBLIC_PATHS: Record<string, Record<string, unknown>> = {
  '/healthz': {
    get: {
      operationId: 'getHealthz',
      summary: 'The process answers',
      tags: ['health'],
      security: [],
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } } } },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['health'],
      security: [],
      responses: { '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
  '/readyz': {
    get: {
      operationId: 'getReadyz',
      summary: 'The store answers, its migrations are applied and (for steward up) the worker runs',
      tags: ['health'],
      security: [],
      responses: {
        '200': {
          description: 'OK',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  status: { const: 'ready' },
                  store: { type: 'string' },
                  schema: { type: 'integer' },
                  worker: { type: 'object', properties: { id: { type: 'string' }, running: { type: 'boolean' }, executing: { type: 'integer' } } },
                },
              },
            },
          },
        },
        '503': problemResponse(503),
      },
    },
  },
};

/** Builds the OpenAPI 3.1 document of the declared routes. */
export function buildOpenApiDocument(routes: readonly RouteDefinition[], info: { version: string }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = { ...PUBLIC_PATHS };
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  const used = new Set(routes.flatMap((r) => r.tags));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Steward API',
      version: info.version,
      description:
        'Durable and safe execution of the actions of agents and automations. Every /v1 route needs a bearer token and is ' +
        'authorised by policy (`Action::"http"`) according to its access class, `x-steward-access`: read, write, approve or admin.',
    },
    tags: Object.entries(TAGS)
      .filter(([name]) => used.has(name) || name === 'health')
      .map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token made with `steward tokens create` (stw_…)' } },
    },
    security: [{ bearer: [] }],
  };
}
