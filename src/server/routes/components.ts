/**
 * The provider registry over HTTP: every component with its winner and state, why a provider wins, health, and the
 * operator controls. A swap happens in this process's registry (audited); pause, resume and drain reach every
 * process of the store through `steward.pauseComponent`.
 */
import { z } from 'zod';
import { AuditLog } from '../../audit/audit-log.js';
import { drainComponent } from '../../engine/component-drain.js';
import type { Steward } from '../../engine/steward.js';
import { ErrorCodes, StewardError } from '../../errors.js';
import { nameProblem, NAME_MAX_LENGTH } from '../../registry/candidate.js';
import { assertComponent, componentHealth } from '../../registry/component-health.js';
import { defineRoute, type RouteDefinition } from '../route.js';
import { componentControlSchema, componentReportSchema, healthReportSchema, swapRecordSchema } from '../schemas.js';

const name = z
  .string()
  .max(NAME_MAX_LENGTH)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a component name is lowercase letters, digits, ".", "-" and "_", starting with a letter or a digit')
  .refine((value) => nameProblem(value) === null, 'a component name may not contain ".."');
const componentParams = z.object({ domain: name.describe('the domain, e.g. store'), key: name.describe('the key within it, e.g. default') });
/** How long a drain over HTTP waits unless told: less than the default request timeout (30 s). */
const DRAIN_TIMEOUT_MS = 25_000;

const reasonBody = z.object({ reason: z.string().max(2000).optional().describe('why (recorded in the audit log)') }).strict();
const swapBody = z
  .object({
    provider: z.string().min(1).max(128).describe('a registered provider of the component (see its explanation)'),
    reason: z.string().max(2000).optional().describe('why (recorded in the audit log)'),
  })
  .strict();
const drainBody = z
  .object({
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .optional()
      .describe(`give up waiting after this long (default ${DRAIN_TIMEOUT_MS}, below the request timeout); it stays paused`),
  })
  .strict();
const healthQuery = z
  .object({
    probe: z
      .enum(['true', 'false', '1', '0', ''])
      .optional()
      .describe('make an instance of the winner here if none is active, and run its health check now'),
    timeoutMs: z.coerce.number().int().min(1).max(600_000).optional().describe('bound on making the instance and on its check'),
  })
  .strict();

const summarySchema = z.object({
  domain: z.string(),
  key: z.string(),
  winner: z.string().nullable().describe('the provider precedence picks now'),
  active: z.string().nullable().describe('the provider of the instance in use here; it differs from winner until a swap'),
  selected: z.string().nullable(),
  state: z.string(),
  candidates: z.number().int(),
  inFlight: z.number().int(),
  paused: z.boolean().describe('paused by an operator, for every process of the store'),
});

const explanationSchema = z.object({
  domain: z.string(),
  key: z.string(),
  selected: z.string().nullable(),
  selectionMissing: z.boolean(),
  winner: z.string().nullable(),
  active: z.string().nullable(),
  candidates: z.array(
    z.object({
      rank: z.number().int(),
      provider: z.string(),
      source: z.string(),
      priority: z.number(),
      stackLevel: z.number(),
      selected: z.boolean(),
      winner: z.boolean(),
      decidedBy: z.string(),
      reason: z.string().describe('e.g. won: higher priority than b (50 > 10)'),
      capabilities: z.array(z.string()).readonly(),
    }),
  ),
});

const TAGS = ['components'];

/** The operators' controls of the store, keyed `domain/key`. */
async function pausedSet(steward: Steward): Promise<Set<string>> {
  const controls = await steward.store.listComponentControls();
  return new Set(controls.filter((c) => c.paused).map((c) => `${c.domain}/${c.key}`));
}

/** The component routes. */
export const componentRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/components',
    access: 'read',
    tags: TAGS,
    summary: 'Every component: its winning and active provider, its state here, and whether an operator paused it',
    response: z.object({ components: z.array(summarySchema) }),
    handler: async ({ steward }) => {
      const paused = await pausedSet(steward);
      return { components: steward.registry.components().map((c) => ({ ...c, paused: paused.has(`${c.domain}/${c.key}`) })) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/components/:domain/:key',
    access: 'read',
    tags: TAGS,
    summary: 'Why a provider wins: every candidate ranked with its reason, the state here, and the latest swaps',
    params: componentParams,
    response: z.object({ explanation: explanationSchema, state: z.string(), paused: z.boolean(), history: z.array(swapRecordSchema) }),
    errors: [404],
    handler: async ({ steward, params: { domain, key } }) => {
      const registry = steward.registry;
      assertComponent(registry, domain, key);
      const paused = await pausedSet(steward);
      return { explanation: registry.explain(domain, key), state: registry.state(domain, key), paused: paused.has(`${domain}/${key}`), history: [...registry.history(domain, key)] };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/components/:domain/:key/health',
    access: 'read',
    tags: TAGS,
    summary: 'The health of a component in this process: the last known outcome, or checked now with ?probe=true',
    description: 'A probe that fails is answered 200 with healthy: false, the stage that failed and the reason.',
    params: componentParams,
    query: healthQuery,
    response: healthReportSchema.extend({ stage: z.string().optional() }),
    errors: [404],
    handler: async ({ steward, params: { domain, key }, query }) => {
      const probe = query.probe === 'true' || query.probe === '1' || query.probe === '';
      const bounds = query.timeoutMs === undefined ? {} : { initTimeoutMs: query.timeoutMs, healthTimeoutMs: query.timeoutMs };
      return componentHealth(steward.registry, domain, key, probe, bounds);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/components/:domain/:key/swap',
    access: 'admin',
    tags: TAGS,
    summary: "Swap a component to a registered provider in this server's registry (audited)",
    description:
      'The new instance is made and health-checked before it replaces the old one; if it fails, the old one stays (409). ' +
      "The engine's store cannot change under a running Steward: swapping store/default is refused (409 STEWARD_PROVIDER_SWAP_VETOED). " +
      'Workers in other processes follow the configuration file (`steward components swap`), not this route.',
    params: componentParams,
    body: swapBody,
    response: swapRecordSchema.extend({ active: z.string().nullable() }),
    errors: [404, 409],
    handler: async ({ steward, params: { domain, key }, body, caller }) => {
      const registry = steward.registry;
      const providers = [...new Set(assertComponent(registry, domain, key).map((c) => c.provider))];
      if (!providers.includes(body.provider)) {
        throw new StewardError(ErrorCodes.PROVIDER_NOT_FOUND, `provider "${body.provider}" is not registered for ${domain}/${key}: pick one of ${providers.join(', ')}`, {
          details: { domain, key, provider: body.provider, registered: providers },
        });
      }
      const audit = new AuditLog({ store: steward.store });
      const before = registry.history(domain, key).length;
      try {
        const record = await registry.swap(domain, key, body.provider);
        await audit.append({ kind: 'component.swapped', actor: caller.principal, data: { domain, key, from: record.from, to: record.to, reason: body.reason ?? null } });
        return { ...record, active: registry.explain(domain, key).active };
      } catch (error) {
        const history = registry.history(domain, key);
        const last = history.length > before ? history.at(-1) : undefined;
        await audit.append({
          kind: 'component.swap_refused',
          actor: caller.principal,
          data: {
            domain,
            key,
            to: body.provider,
            outcome: last?.outcome ?? 'failed',
            stage: last?.stage ?? null,
            why: last?.reason ?? (error instanceof Error ? error.message : String(error)),
            reason: body.reason ?? null,
          },
        });
        throw error;
      }
    },
  }),
  ...(['pause', 'resume'] as const).map((verb) =>
    defineRoute({
      method: 'POST',
      url: `/v1/components/:domain/:key/${verb}`,
      access: 'admin',
      tags: TAGS,
      summary:
        verb === 'pause'
          ? 'Pause a component in every process of the store (audited): new uses wait, uses in flight finish'
          : 'Resume a paused component in every process of the store (audited)',
      params: componentParams,
      body: reasonBody,
      response: componentControlSchema,
      errors: [404],
      handler: async ({ steward, params: { domain, key }, body, caller }) =>
        steward.pauseComponent(domain, key, verb === 'pause', { by: caller.principal, ...(body.reason === undefined ? {} : { reason: body.reason }) }),
    }),
  ),
  defineRoute({
    method: 'POST',
    url: '/v1/components/:domain/:key/drain',
    access: 'admin',
    tags: TAGS,
    summary: 'Pause a component everywhere and wait until no worker has a use of it in flight',
    description: 'Past timeoutMs it is 409 STEWARD_PROVIDER_DRAIN_TIMEOUT naming the busy workers; the component stays paused. Mind the request timeout.',
    params: componentParams,
    body: drainBody,
    response: z.object({ control: componentControlSchema, reports: z.array(componentReportSchema) }),
    errors: [404, 409],
    handler: async ({ steward, params: { domain, key }, body, caller }) =>
      drainComponent(steward, domain, key, { by: caller.principal, timeoutMs: body.timeoutMs ?? DRAIN_TIMEOUT_MS }),
  }),
];
