/**
 * The HTTP API of `steward up`: a Fastify instance (not listening) over a Steward. Every /v1 route needs a bearer
 * token, is authorised by the Steward's policy engine (`Action::"http"`), is rate limited per token, and answers
 * errors as RFC 9457 problem+json. `/healthz`, `/readyz`, `/metrics` (Prometheus) and the OpenAPI document with its UI at
 * `/docs` need no token.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  NotReadyError,
  RequestTimeoutError,
  RequestTooLargeError,
  RouteNotFoundError,
  StewardError,
  StoreUnavailableError,
  TooManyRequestsError,
  UnauthenticatedError,
  ValidationError,
  formatIssues,
} from '../errors.js';
import type { Steward } from '../engine/steward.js';
import type { RouteAccess } from '../policy/route-request.js';
import { authenticate, authorizeRoute, type Caller } from './auth.js';
import { problemOf, PROBLEM_TYPE } from './problem.js';
import { latestSchemaVersion } from '../store/migrations/index.js';
import { RequestRateLimiter } from './rate-limit.js';
import { consolePlugin, defaultConsoleRoot } from './console.js';
import { registerApiDocs } from './docs.js';
import { registerRoutes } from './route.js';
import { API_ROUTES } from './routes/index.js';
import { metricsRoute } from './metrics-route.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The principal of the request's token, set on every /v1 route before its handler runs. */
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** What the route does, for policy: read, write, approve or admin. Every /v1 route sets it. */
    access?: RouteAccess;
    /** A long-lived stream (Server-Sent Events): exempt from the request timeout. */
    stream?: boolean;
  }
}

const optionsSchema = z
  .object({
    /** The largest request body, in bytes. */
    bodyLimit: z.number().int().positive().default(1024 * 1024),
    /** Requests per second per token on average, and the burst a token may make at once. */
    rateLimit: z
      .object({ perSecond: z.number().positive().default(50), burst: z.number().int().positive().default(100) })
      .strict()
      .default({ perSecond: 50, burst: 100 }),
    /**
     * Requests with a missing or wrong token one client address may make: `burst` at once, then `perMinute`. Past it the
     * address is answered 429 before its token is looked at (and nothing is audited), so guessing tokens is slow.
     */
    failedAuth: z
      .object({ perMinute: z.number().positive().default(10), burst: z.number().int().positive().default(20) })
      .strict()
      .default({ perMinute: 10, burst: 20 }),
    /**
     * The proxies whose `X-Forwarded-For` names the client (Fastify's `trustProxy`): `true` for any, or addresses and
     * CIDR ranges. Failed logins are limited per client address, so behind a proxy set this, or all clients share one.
     */
    trustProxy: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).default(false),
    /** `/readyz` answers 503 STEWARD_NOT_READY unless this process's worker is running (`steward up` sets it). */
    requireWorker: z.boolean().default(false),
    /** How long a request may take before it is answered 503 STEWARD_REQUEST_TIMEOUT. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** Serve the web console under `/`: `true` for this package's dist/console, or the folder of a built console. */
    console: z
      .union([z.boolean(), z.object({ root: z.string().min(1, 'console.root is the folder of a built console') }).strict()])
      .default(false),
  })
  .strict();

/** Options of `buildServer`. */
export type ServerOptions = z.input<typeof optionsSchema> & {
  /** Where Fastify logs (none unless given). */
  logger?: FastifyBaseLogger;
  /** The time source of rate limits and token use (epoch ms). */
  now?: () => number;
};

/** The resolved options. */
export type ServerConfig = Readonly<z.output<typeof optionsSchema>>;

/** Builds the API over a Steward; call `listen` on it, or `inject` in tests. */
export async function buildServer(steward: Steward, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { logger, now = Date.now, ...rest } = options;
  const parsed = optionsSchema.safeParse(rest);
  if (!parsed.success) throw new ValidationError(`invalid server options: ${formatIssues(parsed.error.issues, 'options')}`);
  const config: ServerConfig = Object.freeze(parsed.data);
  const app = Fastify({ bodyLimit: config.bodyLimit, trustProxy: config.trustProxy, ...(logger === undefined ? { logger: false } : { loggerInstance: logger }) });
  const limiter = new RequestRateLimiter(config.rateLimit, now);
  // the schema version this build's migrations reach: a store that opened has applied them
  const schemaVersion = latestSchemaVersion(steward.store.kind);
  const failures = new RequestRateLimiter({ perSecond: config.failedAuth.perMinute / 60, burst: config.failedAuth.burst }, now);
  const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return;
    if (request.routeOptions.config.stream !== true) timers.set(
      request,
      setTimeout(() => {
        if (!reply.sent) void reply.code(503).type(PROBLEM_TYPE).send(problemOf(new RequestTimeoutError(config.requestTimeoutMs)));
      }, config.requestTimeoutMs),
    );
    const blocked = failures.check(request.ip);
    if (!blocked.ok) throw new TooManyRequestsError(blocked.retryAfterSeconds, 'failed-logins');
    let caller: Caller;
    try {
      caller = await authenticate(steward.store, request, now());
    } catch (error) {
      if (error instanceof UnauthenticatedError) failures.take(request.ip);
      throw error;
    }
    const rate = limiter.take(caller.tokenId);
    if (!rate.ok) throw new TooManyRequestsError(rate.retryAfterSeconds);
    request.caller = caller;
    const access = request.routeOptions.config.access;
    if (access !== undefined) authorizeRoute(steward.policy, caller, request, access);
  });
  app.addHook('onResponse', async (request) => {
    clearTimeout(timers.get(request));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const steward = toStewardError(error, config);
    const problem = problemOf(steward);
    if (problem.status >= 500 && !(steward instanceof StewardError)) request.log.error({ err: error }, 'request failed');
    if (steward instanceof TooManyRequestsError) void reply.header('retry-after', String(steward.details?.['retryAfterSeconds'] ?? 1));
    void reply.code(problem.status).type(PROBLEM_TYPE).send(problem);
  });
  app.setNotFoundHandler((request) => {
    throw new RouteNotFoundError(request.method, request.url.split('?')[0] ?? request.url);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    try {
      await steward.store.getControls();
    } catch (cause) {
      if (cause instanceof StewardError) throw cause;
      throw new StoreUnavailableError(`the store does not answer: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    const worker = steward.worker.status();
    if (config.requireWorker && !worker.running) {
      throw new NotReadyError('the worker of this server is not running: it has not started yet, or it is stopping', { details: { worker: worker.id } });
    }
    return {
      status: 'ready',
      store: steward.store.kind,
      // the store opened, so its migrations are applied: this is the schema version they reached
      schema: schemaVersion,
      worker: { id: worker.id, running: worker.running, executing: worker.executing },
    };
  });
  registerRoutes(app, steward, API_ROUTES);
  await registerApiDocs(app, API_ROUTES);
  metricsRoute(app, steward);
  if (config.console !== false) {
    await app.register(consolePlugin, { root: config.console === true ? defaultConsoleRoot() : config.console.root });
  }
  return app;
}

/** Fastify's own request errors (body too large, bad JSON, bad media type) as Steward errors. */
function toStewardError(error: FastifyError, config: ServerConfig): unknown {
  if (error instanceof StewardError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) return new RequestTooLargeError(config.bodyLimit);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ValidationError(`the body's media type is not accepted (${error.message}): send Content-Type: application/json`);
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    const what = error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the body is not valid JSON' : 'the request is malformed';
    return new ValidationError(`${what}: ${error.message}`);
  }
  return error;
}
