/**
 * Routes declared once: method, path, access class, words for people, and zod schemas of the params, query, body and
 * answer. The same declaration registers the Fastify route (its input parsed with zod, a 400 naming the field) and
 * describes the route in the OpenAPI document, so the two never disagree.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Steward } from '../engine/steward.js';
import type { RouteAccess } from '../policy/route-request.js';
import type { Caller } from './auth.js';
import { parseInput } from './parse.js';

/** The HTTP methods the API uses. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a stream handler answers: it wrote the response itself (Server-Sent Events). */
export const STREAMED: unique symbol = Symbol('streamed');

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler is given: the parsed input, the caller, the Steward, and the raw request and reply. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The principal of the request's token (every /v1 route has one). */
  caller: Caller;
  steward: Steward;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Ends of the streams this server has open: a stream adds its end here, and they all end when the server closes. */
  streams: Set<() => void>;
}

/** A route as it is declared. */
export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends z.ZodType> {
  method: RouteMethod;
  /** Fastify's form: `/v1/runs/:id`. */
  url: string;
  /** What the route does, for policy. */
  access: RouteAccess;
  summary: string;
  description?: string;
  tags: readonly string[];
  params?: P;
  query?: Q;
  body?: B;
  /** The answer of a success. */
  response: R;
  /** The status of a success (default 200), and others a success may answer with the same schema. */
  status?: number;
  alsoStatus?: readonly number[];
  /** Error statuses beyond those every /v1 route may answer (400, 401, 403, 429, 503; 413 with a body). */
  errors?: readonly number[];
  /** A long-lived Server-Sent Events stream: exempt from the request timeout, answered as `text/event-stream`. */
  stream?: boolean;
  handler(context: RouteContext<Parsed<P>, Parsed<Q>, Parsed<B>>): Promise<z.input<R> | typeof STREAMED>;
}

/** A declared route with its types erased: what registration and the OpenAPI document read. */
export interface RouteDefinition {
  readonly method: RouteMethod;
  readonly url: string;
  readonly access: RouteAccess;
  readonly summary: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly response: z.ZodType;
  readonly status: number;
  readonly alsoStatus: readonly number[];
  readonly errors: readonly number[];
  readonly stream: boolean;
  /** Parses the request's input and runs the handler. */
  handle(steward: Steward, request: FastifyRequest, reply: FastifyReply, streams: Set<() => void>): Promise<unknown>;
}

/** Declares a route; its handler receives the parsed input, typed by the schemas. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(spec: RouteSpec<P, Q, B, R>): RouteDefinition {
  const status = spec.status ?? 200;
  return Object.freeze({
    method: spec.method,
    url: spec.url,
    access: spec.access,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    status,
    alsoStatus: spec.alsoStatus ?? [],
    errors: spec.errors ?? [],
    stream: spec.stream === true,
    async handle(steward: Steward, request: FastifyRequest, reply: FastifyReply, streams: Set<() => void>): Promise<unknown> {
      const params = (spec.params === undefined ? undefined : parseInput(spec.params, request.params, 'params')) as Parsed<P>;
      const query = (spec.query === undefined ? undefined : parseInput(spec.query, request.query, 'query')) as Parsed<Q>;
      const body = (spec.body === undefined ? undefined : parseInput(spec.body, request.body, 'body')) as Parsed<B>;
      // the caller is set by the /v1 request hook before any handler runs
      const caller = request.caller as Caller;
      void reply.code(status);
      const answer = await spec.handler({ params, query, body, caller, steward, request, reply, streams });
      return answer === STREAMED ? reply : answer;
    },
  });
}

/** Registers declared routes on the app, each with its access class for the policy hook. */
export function registerRoutes(app: FastifyInstance, steward: Steward, routes: readonly RouteDefinition[]): void {
  // open streams end when the server closes, so that closing never waits for a client to go away
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      config: { access: route.access, ...(route.stream ? { stream: true } : {}) },
      handler: (request, reply) => route.handle(steward, request, reply, streams),
    });
  }
}

/** The OpenAPI form of a Fastify path: `/v1/runs/:id` → `/v1/runs/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
