/**
 * A release with safe actions: check that an image exists in a registry (read), pin it in a config file (write), and
 * deploy it to a service (deploy). The registry is a fixed list in memory; the config and the services are JSON files
 * under `./.steward/` of the worker's working directory, so what each act did can be looked at and undone.
 *
 *   steward plan examples/deploy-plan.yaml                                     # preview, then steward apply …
 *   steward run start deploy.release --input '{"service":"api","image":"api:2.0"}'
 *
 * At the default autonomy (1) the read applies alone; the write and the deploy wait for an approval
 * (`steward approvals list`, `steward approvals approve ID --as 'User::"you"' --role approver --reason "…"`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineAction, defineWorkflow, NonRetryableError } from '../src/index.js';

/** The images the simulated registry holds. */
const REGISTRY_IMAGES: readonly string[] = ['api:1.0', 'api:2.0', 'api:2.1-rc.1', 'web:1.4', 'web:1.5', 'worker:3.2'];

/** What runs where before anything was deployed: the simulated services' starting images. */
const INITIAL_SERVICES: Readonly<Record<string, string>> = { api: 'api:1.0', web: 'web:1.4', worker: 'worker:3.2' };

const image = z.string().regex(/^[a-z][a-z0-9-]*:[A-Za-z0-9._-]+$/, 'an image is NAME:TAG, such as "api:2.0"');
const service = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'use a lower-case service name such as "api"');
const configKey = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a config key is words joined by dots, such as "services.api.image"');
const configValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
type ConfigValue = z.infer<typeof configValue>;

/** The digest the simulated registry answers for an image. */
function digestOf(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}

/** Where the example keeps its files: `.steward/` of the current directory, created on first write. */
function stateFile(name: string): string {
  return join(process.cwd(), '.steward', name);
}

function readJson<T>(file: string, empty: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : empty;
}

/** Writes a whole file at once (to a temporary name, then renamed), so a reader never sees half of it. */
function writeJson(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

// ---- registry.inspect (read) ----

/** Checks that an image exists in the registry and answers its digest; fails, without retrying, when it does not. */
export const inspectImage = defineAction({
  name: 'registry.inspect',
  version: '1.0.0',
  category: 'read',
  input: z.object({ image }),
  resource: (input) => `image:${input.image}`,
  budgets: { maxAttempts: 2, timeoutMs: 10_000, network: 'internal' },
  plan: (input) => ({ image: input.image, exists: REGISTRY_IMAGES.includes(input.image) }),
  apply: (plan) => {
    // looked up again: the plan says what was there when it was made, the apply what is there now
    if (!REGISTRY_IMAGES.includes(plan.image)) {
      throw new NonRetryableError(`image ${plan.image} is not in the registry (it holds ${REGISTRY_IMAGES.join(', ')})`);
    }
    return { image: plan.image, digest: digestOf(plan.image) };
  },
  // a read changed nothing, so undoing it is done at once; without a rollback a saga could not count it undone
  rollback: (outcome) => ({ image: outcome.image, undone: 'nothing to undo: a read changes nothing' }),
});

// ---- config.update (write) ----

interface ConfigFile {
  values: Record<string, ConfigValue>;
  /** What each apply found before it wrote, by idempotency key: an apply run again answers the same. */
  applied: Record<string, { key: string; existed: boolean; previous: ConfigValue }>;
}

const CONFIG_FILE = 'example-config.json';

/** The config before anything was written: each service pinned to the image it runs. */
function readConfig(): ConfigFile {
  const initial = Object.fromEntries(Object.entries(INITIAL_SERVICES).map(([name, img]) => [`services.${name}.image`, img]));
  return readJson<ConfigFile>(stateFile(CONFIG_FILE), { values: initial, applied: {} });
}

/** Sets one key of `.steward/example-config.json`; rolling back puts the old value back (or removes the key). */
export const updateConfig = defineAction({
  name: 'config.update',
  version: '1.0.0',
  category: 'write',
  input: z.object({ key: configKey, value: configValue }),
  resource: (input) => `config:${input.key}`,
  budgets: { maxAttempts: 3, timeoutMs: 10_000, network: 'none' },
  plan: (input) => {
    const { values } = readConfig();
    return { file: `.steward/${CONFIG_FILE}`, key: input.key, from: values[input.key] ?? null, to: input.value };
  },
  apply: (plan, ctx) => {
    const file = stateFile(CONFIG_FILE);
    const config = readConfig();
    const done = config.applied[ctx.idempotencyKey];
    if (done === undefined) {
      config.applied[ctx.idempotencyKey] = { key: plan.key, existed: plan.key in config.values, previous: config.values[plan.key] ?? null };
      config.values[plan.key] = plan.to;
      writeJson(file, config);
    }
    const record = config.applied[ctx.idempotencyKey]!;
    return { key: plan.key, value: plan.to, existed: record.existed, previous: record.previous };
  },
  verify: (outcome) => {
    const { values } = readConfig();
    return { ok: values[outcome.key] === outcome.value, found: values[outcome.key] ?? null };
  },
  rollback: (outcome) => {
    const file = stateFile(CONFIG_FILE);
    const config = readConfig();
    if (outcome.existed) config.values[outcome.key] = outcome.previous;
    else delete config.values[outcome.key];
    writeJson(file, config);
    return { key: outcome.key, restored: outcome.existed ? outcome.previous : '(removed)' };
  },
});

// ---- service.deploy (deploy) ----

interface ServicesFile {
  services: Record<string, { image: string; deployment: string | null }>;
  /** Every deployment, by idempotency key: a deploy run again with the same key changes nothing. */
  deployments: Record<string, { service: string; image: string; previous: string | null }>;
}

const SERVICES_FILE = 'example-services.json';

function readServices(): ServicesFile {
  const initial = Object.fromEntries(Object.entries(INITIAL_SERVICES).map(([name, img]) => [name, { image: img, deployment: null }]));
  return readJson<ServicesFile>(stateFile(SERVICES_FILE), { services: initial, deployments: {} });
}

/** "Deploys" an image to a service by recording it in `.steward/example-services.json`; rolling back redeploys the previous image. */
export const deployService = defineAction({
  name: 'service.deploy',
  version: '1.0.0',
  category: 'deploy',
  input: z.object({ service, image }),
  resource: (input) => `service:${input.service}`,
  budgets: { maxAttempts: 3, timeoutMs: 30_000, network: 'internal' },
  plan: (input) => ({ service: input.service, from: readServices().services[input.service]?.image ?? null, to: input.image }),
  apply: (plan, ctx) => {
    const state = readServices();
    if (state.deployments[ctx.idempotencyKey] === undefined) {
      state.deployments[ctx.idempotencyKey] = { service: plan.service, image: plan.to, previous: state.services[plan.service]?.image ?? null };
      state.services[plan.service] = { image: plan.to, deployment: ctx.idempotencyKey };
      writeJson(stateFile(SERVICES_FILE), state);
    }
    const deployment = state.deployments[ctx.idempotencyKey]!;
    return { service: deployment.service, image: deployment.image, previous: deployment.previous, deployment: ctx.idempotencyKey };
  },
  verify: (outcome) => {
    const running = readServices().services[outcome.service]?.image ?? null;
    return { ok: running === outcome.image, running };
  },
  rollback: (outcome) => {
    const state = readServices();
    if (outcome.previous === null) delete state.services[outcome.service];
    else state.services[outcome.service] = { image: outcome.previous, deployment: null };
    writeJson(stateFile(SERVICES_FILE), state);
    return { service: outcome.service, restored: outcome.previous };
  },
});

/** The example's actions, for plan files and `createSteward({ actions })`. */
export const deployActions = [inspectImage, updateConfig, deployService];

/** Releases an image to a service: inspect it, pin it in the config, deploy it; on failure, undo what applied. */
export const deployRelease = defineWorkflow({
  name: 'deploy.release',
  input: z.object({ service, image }),
  compensate: 'auto',
  async run(ctx, input) {
    const inspected = await ctx.act(inspectImage, { image: input.image });
    const pinned = await ctx.act(updateConfig, { key: `services.${input.service}.image`, value: input.image });
    const deployed = await ctx.act(deployService, input);
    return {
      service: input.service,
      image: input.image,
      digest: inspected.status === 'applied' ? inspected.outcome.digest : null,
      config: pinned.status,
      deploy: deployed.status === 'applied' ? { from: deployed.outcome.previous, to: deployed.outcome.image } : deployed.status,
    };
  },
});
