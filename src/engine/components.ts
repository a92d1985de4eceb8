/**
 * The engine's own dependencies, through the provider registry (design §5): the store (domain `store`) and the
 * policy engine (domain `policy`) are candidates like any other, explained and health-checked the same way. Around
 * them: the component selections of the configuration file (and its watcher, which swaps what changed), the plugins
 * of allowlisted packages, and the candidates of signed remote manifests.
 */
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { StewardConfig } from '../config/options.js';
import { splitComponentKey, type FileConfig } from '../config/file-schema.js';
import { applyConfigChanges } from '../config/changes.js';
import { watchConfig, type ConfigWatcher } from '../config/watch.js';
import { loadPlugins } from '../plugins/discover.js';
import { ManifestSyncer } from '../manifest/syncer.js';
import { readTrustedKey } from '../manifest/keys.js';
import { createRegistry, type Lease, type Registry } from '../registry/index.js';
import { openStore, redact } from '../store/open.js';
import type { Store } from '../store/store.js';
import { PolicyEngine } from '../policy/engine.js';
import { StewardError, ValidationError } from '../errors.js';
import type { ActionDefinition } from '../domain/action.js';

/** The component of the engine's store and of its policy engine. */
export const STORE_COMPONENT = { domain: 'store', key: 'default' } as const;
export const POLICY_COMPONENT = { domain: 'policy', key: 'default' } as const;

/** The domain of action providers: one component per action name. */
export const ACTION_DOMAIN = 'action';

/** What `setupComponents` hands the engine. */
export interface EngineComponents {
  readonly registry: Registry;
  readonly store: Store;
  /** The policy engine active now (a swap of `policy/default` replaces it). */
  policy(): PolicyEngine;
  /** The provider of an action, leased for one act (see EngineDeps.resolveAction). */
  resolveAction(action: ActionDefinition): Promise<{ definition: ActionDefinition; release: () => void }>;
  /** Stops the watcher and the manifest syncers, releases the engine's leases and closes the registry's instances. */
  close(): Promise<void>;
}

/** Where the configuration file is read from, and whether it is watched. */
export interface ComponentOptions {
  /** The directory of `steward.config.*`: its selections, plugins and manifest sources apply. */
  configDir?: string;
  /** The file as already loaded from `configDir` (so it is not read twice). */
  file?: FileConfig;
  /** Watch the file and swap the components whose selection changed. */
  watchConfig?: boolean;
}

/** Registers the engine's components, applies the configuration, and takes the store and the policy engine. */
export async function setupComponents(config: StewardConfig, logger: Logger, options: ComponentOptions = {}): Promise<EngineComponents> {
  const registry = config.registry ?? createRegistry();
  registerStore(registry, config, logger);
  registerPolicy(registry, config);
  // the actions given to createSteward are the local providers of their components; a plugin or a signed manifest may
  // offer others, which precedence (or the configuration file) chooses among
  for (const action of config.actions.values()) {
    registry.register<ActionDefinition>({
      domain: ACTION_DOMAIN,
      key: action.name,
      provider: 'local',
      source: 'package',
      metadata: { version: action.version, category: action.category },
      factory: () => action,
    });
  }
  // the engine's store never changes under it: a new store means a new Steward
  const unhookStore = registry.onBeforeSwap((event) =>
    event.domain === STORE_COMPONENT.domain && event.key === STORE_COMPONENT.key && event.trigger === 'swap'
      ? { veto: 'the store cannot change under a running Steward: start it again with the new store URL' }
      : undefined,
  );
  const stops: Array<() => Promise<void> | void> = [unhookStore];
  const file = options.file;
  if (options.configDir !== undefined && file !== undefined) {
    if (file.plugins.allow.length > 0) {
      const report = await loadPlugins({ root: options.configDir, allow: file.plugins.allow, registry });
      for (const failed of report.failed) logger.error({ plugin: failed.name, err: failed.error }, 'a plugin failed to load');
      for (const skipped of report.skipped) logger.warn({ plugin: skipped.name, reason: skipped.reason }, skipped.message);
      if (report.loaded.length > 0) logger.info({ plugins: report.loaded.map((p) => p.name) }, 'plugins loaded');
    }
    stops.push(...(await startManifestSyncers(registry, file, options.configDir, logger)));
    applySelections(registry, file, logger);
  }
  let storeLease: Lease<Store> | undefined;
  let policy: PolicyEngine;
  try {
    // the policy first: a bad policy file stops start-up before the store is opened
    const policyLease = await registry.use<PolicyEngine>(POLICY_COMPONENT.domain, POLICY_COMPONENT.key);
    policy = policyLease.instance;
    // the engine decides with the instance active when it decides: it holds no lease, so a swap never waits for it
    policyLease.release();
    storeLease = await registry.use<Store>(STORE_COMPONENT.domain, STORE_COMPONENT.key);
  } catch (error) {
    storeLease?.release();
    for (const stop of stops) await stop();
    await registry.close().catch(() => undefined);
    throw rootCause(error);
  }
  stops.push(
    registry.onAfterSwap(async (record) => {
      if (record.domain !== POLICY_COMPONENT.domain || record.key !== POLICY_COMPONENT.key || record.outcome !== 'swapped') return;
      const lease = await registry.use<PolicyEngine>(POLICY_COMPONENT.domain, POLICY_COMPONENT.key);
      policy = lease.instance;
      lease.release();
      logger.info({ provider: record.to }, 'policy engine swapped');
    }),
  );
  let watcher: ConfigWatcher | undefined;
  if (options.watchConfig === true && options.configDir !== undefined) {
    watcher = await watchConfig({
      dir: options.configDir,
      onChange: async ({ changes }) => {
        if (changes.length === 0) return;
        const report = await applyConfigChanges(changes, registry);
        for (const { change, error } of report.failed) {
          logger.error({ component: `${change.domain}/${change.key}`, to: change.to, err: error }, 'a component selected in the configuration file could not be swapped in; the previous one stays');
        }
        if (report.applied.length > 0) logger.info({ changes: report.applied.map((c) => `${c.domain}/${c.key} → ${c.to ?? '(precedence)'}`) }, 'configuration changed: components swapped');
      },
      onError: (error) => logger.error({ err: error }, 'the configuration file could not be read; the configuration in force stays'),
    });
  }
  const store = storeLease.instance;
  const noRelease = (): void => undefined;
  return {
    registry,
    store,
    policy: () => policy,
    resolveAction: async (action) => {
      if (registry.candidates(ACTION_DOMAIN, action.name).length === 0) return { definition: action, release: noRelease };
      const lease = await registry.use<unknown>(ACTION_DOMAIN, action.name);
      const definition = lease.instance;
      if (!isActionNamed(definition, action.name)) {
        lease.release();
        throw new ValidationError(
          `provider "${lease.provider}" of ${ACTION_DOMAIN}/${action.name} made something that is not an action named "${action.name}": its factory must answer the result of defineAction({ name: '${action.name}', … })`,
        );
      }
      return { definition, release: () => lease.release() };
    },
    close: async () => {
      await watcher?.close();
      for (const stop of stops) await stop();
      storeLease.release();
      await registry.close();
    },
  };
}

function registerStore(registry: Registry, config: StewardConfig, logger: Logger): void {
  const { domain, key } = STORE_COMPONENT;
  const given = config.store;
  if (typeof given !== 'string') {
    registry.register<Store>({ domain, key, provider: 'given', source: 'package', factory: () => given, health: async (store) => pingStore(store) });
    registry.select(domain, key, 'given');
    return;
  }
  const kind = given.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  for (const provider of ['sqlite', 'postgres'] as const) {
    registry.register<Store>({
      domain,
      key,
      provider,
      source: 'builtin',
      metadata: provider === kind ? { url: redact(given) } : { url: null },
      capabilities: provider === 'postgres' ? ['many-processes', 'many-machines', 'notifications'] : ['embedded', 'one-machine'],
      factory: () => {
        if (provider !== kind) {
          throw new Error(`no ${provider} store is configured (the store URL is ${redact(given)}): start Steward with a ${provider === 'sqlite' ? 'sqlite:PATH' : 'postgres://…'} store URL`);
        }
        return openStore(given, { logger });
      },
      health: async (store) => pingStore(store),
      dispose: (store) => store.close(),
    });
  }
  registry.select(domain, key, kind);
}

function registerPolicy(registry: Registry, config: StewardConfig): void {
  const { domain, key } = POLICY_COMPONENT;
  const source = config.policy;
  registry.register<PolicyEngine>({
    domain,
    key,
    provider: 'cedar',
    source: source instanceof PolicyEngine ? 'package' : 'builtin',
    capabilities: ['cedar', 'preparsed', 'decision-cache'],
    metadata: source instanceof PolicyEngine ? {} : { files: [...source.files], defaults: source.defaults },
    // a bad policy file stops start-up here, naming the file and the policy
    factory: () =>
      source instanceof PolicyEngine
        ? source
        : PolicyEngine.load({ paths: source.files, defaults: source.defaults, ...(source.cacheSize === undefined ? {} : { cacheSize: source.cacheSize }) }),
  });
}

/**
 * The error a factory threw, out of the registry's wrapping: start-up reports a store that cannot open or a policy
 * file that does not load as itself (`STEWARD_STORE_URL`, `STEWARD_POLICY_INVALID`…), not as an unavailable provider.
 */
function rootCause(error: unknown): unknown {
  let current: unknown = error;
  while (current instanceof StewardError && current.code.startsWith('STEWARD_PROVIDER_') && current.cause !== undefined) current = current.cause;
  return current;
}

function isActionNamed(value: unknown, name: string): value is ActionDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'action' && (value as { name?: unknown }).name === name;
}

async function pingStore(store: Store): Promise<boolean> {
  await store.getControls();
  return true;
}

/** The file's component selections; one naming a provider nobody registered is said, not fatal. */
function applySelections(registry: Registry, file: FileConfig, logger: Logger): void {
  for (const [name, selection] of Object.entries(file.components)) {
    const component = splitComponentKey(name);
    if (component === null) continue;
    const { domain, key } = component;
    try {
      registry.select(domain, key, selection.provider, selection.settings ?? {});
    } catch (error) {
      logger.error({ component: `${domain}/${key}`, provider: selection.provider, err: error }, 'the configuration file selects a provider that is not registered; precedence decides meanwhile');
    }
  }
}

/** One syncer per manifest source of the file, registering what each accepted manifest offers. */
async function startManifestSyncers(registry: Registry, file: FileConfig, dir: string, logger: Logger): Promise<Array<() => Promise<void>>> {
  const stops: Array<() => Promise<void>> = [];
  for (const source of file.manifests.sources) {
    const trusted = await Promise.all(source.trust.map((path) => readTrustedKey(path)));
    const syncer = new ManifestSyncer({
      url: source.url,
      trusted,
      threshold: source.threshold,
      allowedSources: [source.url],
      cacheDir: join(dir, '.steward', 'manifests'),
      schedule: { intervalMs: source.refreshMs },
      onCandidates: (candidates) => {
        for (const candidate of candidates) registry.register(candidate);
        logger.info({ source: source.url, candidates: candidates.map((c) => `${c.domain}/${c.key}:${c.provider}`) }, 'remote manifest accepted');
      },
      onError: (error, status) => logger.warn({ source: source.url, err: error, nextAttemptAt: status.nextAttemptAt }, 'remote manifest sync failed; retrying with backoff'),
    });
    syncer.start();
    stops.push(() => syncer.stop());
  }
  return stops;
}
