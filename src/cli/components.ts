/**
 * `steward components list|explain|health|swap|pause|resume|drain`: the components of the provider registry as a
 * Steward opened in this process sees them. Workers are other processes, so `swap` reaches them through the
 * configuration file they watch, and only after the provider passed a trial here.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AuditLog } from '../audit/audit-log.js';
import { componentVariable } from '../config/env.js';
import { findConfigFile, hashConfigText } from '../config/file.js';
import { splitComponentKey } from '../config/file-schema.js';
import { watchConfig } from '../config/watch.js';
import { STORE_COMPONENT } from '../engine/components.js';
import { COMPONENT_REPORT_EVERY_MS, type Steward } from '../engine/steward.js';
import { ConfigError, ErrorCodes, StewardError } from '../errors.js';
import { drainComponent } from '../engine/component-drain.js';
import { assertComponent, componentHealth } from '../registry/component-health.js';
import { createRegistry, type Candidate, type Registry, type SwapOptions, type SwapRecord } from '../registry/index.js';
import { UsageError } from './cli-errors.js';
import { formatComponentList, formatExplanation, formatHealth, type ComponentListing } from './components-format.js';
import { setSelectionInText, type SelectionEdit } from './config-selection.js';
import { parseInteger } from './option-values.js';
import { printJson, printLine, printNote } from './output.js';
import { globalsOf, withSteward } from './steward-session.js';

interface JsonFlags {
  json?: boolean;
}

interface HealthFlags extends JsonFlags {
  probe?: boolean;
  timeout?: string;
}

interface SwapFlags extends JsonFlags {
  reason?: string;
  by?: string;
  timeout?: string;
}

/** Adds the `components` command group to the program. */
export function registerComponentCommands(program: Command): void {
  const components = program
    .command('components')
    .description('the components of the provider registry: who wins and why, their health, and selecting another provider');

  components
    .command('list')
    .description('list every component: the winning provider, its state here, and the candidates it shadows')
    .option('--json', 'print every component with its candidates ranked, as JSON')
    .action((flags: JsonFlags, cmd: Command) =>
      withRegistry(cmd, (registry) => {
        const listing = listComponents(registry);
        if (flags.json) printJson({ components: listing });
        else printLine(formatComponentList(listing));
      }),
    );

  components
    .command('explain')
    .description('rank every candidate of a component, each with the reason it won or lost')
    .argument('<domain>', 'the domain, e.g. store')
    .argument('<key>', 'the key within it, e.g. default')
    .option('--json', 'print the explanation as JSON')
    .action((domain: string, key: string, flags: JsonFlags, cmd: Command) =>
      withRegistry(cmd, (registry) => {
        const explanation = registry.explain(domain, key);
        if (explanation.candidates.length === 0) assertComponent(registry, domain, key);
        if (flags.json) printJson(explanation);
        else printLine(formatExplanation(explanation));
      }),
    );

  components
    .command('health')
    .description('the state of a component; with --probe, make an instance of the winner here and run its health check now')
    .argument('<domain>', 'the domain, e.g. store')
    .argument('<key>', 'the key within it, e.g. default')
    .option('--probe', 'make an instance of the winner in this process and check it now; exit 1 when it is unhealthy')
    .option('--timeout <ms>', 'bound on making the instance and on its health check (default 30000 and 5000)')
    .option('--json', 'print the health report as JSON')
    .action((domain: string, key: string, flags: HealthFlags, cmd: Command) => {
      const bounds = boundsOf(flags.timeout);
      return withRegistry(cmd, (registry) => printHealth(registry, domain, key, flags, bounds));
    });

  components
    .command('swap')
    .description('select PROVIDER for a component in the configuration file workers watch, after a trial of it here')
    .argument('<domain>', 'the domain, e.g. store')
    .argument('<key>', 'the key within it, e.g. default')
    .argument('<provider>', 'a registered provider of the component (see steward components explain)')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--by <principal>', 'who selects it (recorded in the audit log), e.g. User::"alice"')
    .option('--timeout <ms>', 'bound on the trial instance’s init and on its health check (default 30000 and 5000)')
    .option('--json', 'print what was done as JSON')
    .action((domain: string, key: string, provider: string, flags: SwapFlags, cmd: Command) => swapCommand(cmd, domain, key, provider, flags));

  for (const verb of ['pause', 'resume'] as const) {
    components
      .command(verb)
      .description(`${verb} a component in every process of the store: ${verb === 'pause' ? 'new uses wait, uses in flight finish' : 'new uses go again'}`)
      .argument('<domain>', 'the domain, e.g. llm')
      .argument('<key>', 'the key within it, e.g. default')
      .option('--by <principal>', 'who (recorded in the audit log), e.g. User::"alice"')
      .option('--reason <text>', 'why (recorded in the audit log)')
      .option('--json', 'print the control as JSON')
      .action((domain: string, key: string, flags: ControlFlags, cmd: Command) =>
        withRegistry(cmd, async (_registry, steward) => {
          const control = await steward.pauseComponent(domain, key, verb === 'pause', controlOptions(flags));
          if (flags.json) printJson(control);
          else printLine(`${verb === 'pause' ? 'paused' : 'resumed'} ${domain}/${key} in every process of the store (at once on PostgreSQL, within a poll on SQLite)`);
        }),
      );
  }

  components
    .command('drain')
    .description('pause a component in every process of the store and wait until no worker has a use of it in flight')
    .argument('<domain>', 'the domain, e.g. llm')
    .argument('<key>', 'the key within it, e.g. default')
    .option('--by <principal>', 'who (recorded in the audit log), e.g. User::"alice"')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--timeout <ms>', 'give up waiting after this long (default 60000); the component stays paused')
    .option('--json', 'print the workers’ last reports as JSON')
    .action((domain: string, key: string, flags: ControlFlags & { timeout?: string }, cmd: Command) =>
      withRegistry(cmd, async (_registry, steward) => {
        const timeoutMs = parseInteger('--timeout', flags.timeout, 1, 86_400_000) ?? 60_000;
        const { control, reports } = await drainComponent(steward, domain, key, {
          ...controlOptions(flags),
          timeoutMs,
          onWait: (busy) => printNote(`waiting for ${busy.map((r) => `${r.worker}: ${r.inFlight} in flight`).join(', ') || 'the workers to report'}…`),
        });
        if (flags.json) printJson({ control, reports });
        else if (reports.length === 0) printLine(`paused ${domain}/${key}; no worker reported it in the last ${(3 * COMPONENT_REPORT_EVERY_MS) / 1000} s, so nothing was in flight`);
        else printLine(`drained ${domain}/${key}: ${reports.length} worker(s) paused it with no use in flight (${reports.map((r) => r.worker).join(', ')}); resume it with steward components resume ${domain} ${key}`);
      }),
    );
}

interface ControlFlags {
  by?: string;
  reason?: string;
  json?: boolean;
}

function controlOptions(flags: ControlFlags): { by?: string; reason?: string } {
  return { ...(flags.by === undefined ? {} : { by: flags.by }), ...(flags.reason === undefined ? {} : { reason: flags.reason }) };
}

/** Runs `work` with the registry of a Steward opened for the command (its store, the configuration of this directory). */
function withRegistry(cmd: Command, work: (registry: Registry, steward: Steward) => void | Promise<void>): Promise<void> {
  return withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
    await work(steward.registry, steward);
  });
}

function listComponents(registry: Registry): ComponentListing[] {
  return registry.components().map((summary) => {
    const explanation = registry.explain(summary.domain, summary.key);
    return { ...summary, selectionMissing: explanation.selectionMissing, ranked: explanation.candidates };
  });
}

/** The init and health bounds of `--timeout`, or the registry's defaults. */
function boundsOf(timeout: string | undefined): SwapOptions {
  const ms = parseInteger('--timeout', timeout, 1, 3_600_000);
  return ms === undefined ? {} : { initTimeoutMs: ms, healthTimeoutMs: ms };
}

async function printHealth(registry: Registry, domain: string, key: string, flags: HealthFlags, bounds: SwapOptions): Promise<void> {
  const report = await componentHealth(registry, domain, key, flags.probe === true, bounds);
  if (flags.json) printJson(report);
  else if (report.healthy !== false) printLine(formatHealth(report));
  if (report.healthy === false) {
    const where = report.stage === undefined ? (report.reason ?? 'the health check failed') : `${report.stage}: ${report.reason ?? 'failed'}`;
    throw unhealthy(domain, key, report.provider ?? '?', where, undefined);
  }
}

function unhealthy(domain: string, key: string, provider: string, reason: string, cause: unknown): StewardError {
  return new StewardError(
    ErrorCodes.PROVIDER_UNAVAILABLE,
    `${domain}/${key} is unhealthy: provider "${provider}" failed in this process at ${reason}; fix the provider, or select another with steward components swap`,
    { cause, details: { domain, key, provider, reason } },
  );
}

async function swapCommand(cmd: Command, domain: string, key: string, provider: string, flags: SwapFlags): Promise<void> {
  const componentKey = `${domain}.${key}`;
  if (splitComponentKey(componentKey) === null) {
    throw new UsageError(
      `${domain}/${key} cannot be selected in a configuration file: a component's domain and key there are lowercase letters and digits joined by single hyphens`,
    );
  }
  const bounds = boundsOf(flags.timeout);
  const dir = process.cwd();
  const file = await findConfigFile(dir);
  if (file === null) {
    throw new ConfigError(
      `there is no configuration file in ${dir} for workers to follow: create one there (an empty steward.config.toml will do; see docs/config.md) and run this again from that directory`,
    );
  }
  await withRegistry(cmd, async (registry, steward) => {
    const candidates = assertComponent(registry, domain, key);
    const providers = [...new Set(candidates.map((c) => c.provider))];
    if (!providers.includes(provider)) {
      throw new StewardError(
        ErrorCodes.PROVIDER_NOT_FOUND,
        `provider "${provider}" is not registered for ${domain}/${key}: pick one of ${providers.join(', ')}; ${file} was not changed`,
        { details: { domain, key, provider, registered: providers } },
      );
    }
    const trial = await tryProvider(candidates, domain, key, provider, bounds, file);
    const written = await writeSelection(dir, componentKey, provider);
    if (written.changed) {
      await new AuditLog({ store: steward.store }).append({
        kind: 'component.selected',
        actor: flags.by ?? null,
        data: { domain, key, provider, from: written.previous, file: written.file, reason: flags.reason ?? null },
      });
    }
    if (written.droppedSettings) printNote(`note: the settings of "${written.previous}" were removed from ${componentKey}: settings belong to the provider they were written for`);
    if (written.commentsLost) printNote(`note: ${written.file} was rewritten by a TOML writer: its comments were not kept`);
    const variable = componentVariable(domain, key);
    const overridden = process.env[variable]?.trim();
    if (overridden) printNote(`note: ${variable}=${overridden} is set here; a worker started with it keeps that provider whatever the file says`);
    if (flags.json) return printJson({ domain, key, provider, previous: written.previous, file: written.file, changed: written.changed, trial });
    const passed = 'it passed its init and health check in this process';
    printLine(
      written.changed
        ? `${domain}/${key}: selected ${provider} in ${written.file} (was ${written.previous ?? 'not selected'}); ${passed} — ${whatWorkersDo(domain, key, provider)}`
        : `${domain}/${key}: ${provider} is already selected in ${written.file}; nothing was written (${passed})`,
    );
  });
}

/** What running workers make of the new selection: the engine's store never changes under a running Steward. */
function whatWorkersDo(domain: string, key: string, provider: string): string {
  if (domain === STORE_COMPONENT.domain && key === STORE_COMPONENT.key) {
    return `running Stewards keep the store they opened (it cannot change under them) and use ${provider} when they next start`;
  }
  return 'workers watching the file swap within a second';
}

/** Swaps to the provider on a registry of its own, so a provider that cannot start or is unhealthy never reaches the file. */
async function tryProvider(
  candidates: readonly Candidate[],
  domain: string,
  key: string,
  provider: string,
  bounds: SwapOptions,
  file: string,
): Promise<SwapRecord> {
  const trial = createRegistry({ stackOrder: [] });
  for (const c of candidates) {
    trial.register({
      domain: c.domain,
      key: c.key,
      provider: c.provider,
      priority: c.priority,
      stackLevel: c.stackLevel,
      source: c.source,
      factory: c.factory,
      health: c.health,
      dispose: c.dispose,
      metadata: { ...c.metadata },
      capabilities: c.capabilities,
    });
  }
  try {
    return await trial.swap(domain, key, provider, bounds);
  } catch (error) {
    const details = error instanceof StewardError ? error.details : undefined;
    const why = details?.stage === undefined ? (error instanceof Error ? error.message : String(error)) : `${String(details.stage)}: ${String(details.reason)}`;
    throw new StewardError(
      ErrorCodes.PROVIDER_SWAP_FAILED,
      `refused: provider "${provider}" of ${domain}/${key} failed its trial in this process at ${why}; ${file} was not changed, so no worker swaps to it — fix the provider and swap again`,
      { cause: error, details: { domain, key, provider, ...(details ?? {}) } },
    );
  } finally {
    await trial.close();
  }
}

/** What writing the selection did. */
interface WrittenSelection extends SelectionEdit {
  readonly file: string;
  readonly changed: boolean;
}

/** Sets the selection in the directory's configuration file, keeping its format, checked and written atomically. */
async function writeSelection(dir: string, componentKey: string, provider: string): Promise<WrittenSelection> {
  const watcher = await watchConfig({ dir, onChange: () => undefined, onError: () => undefined });
  try {
    const { file, format, hash } = watcher.current();
    if (file === null || format === null) throw new ConfigError(`the configuration file of ${dir} went away: create it again and run this again`);
    const text = await readFile(file, 'utf8');
    if (hashConfigText(text) !== hash) throw new ConfigError(`${file} changed while it was being read: run this again`);
    const edit = setSelectionInText(text, format, componentKey, provider);
    const changed = edit.text !== text;
    if (changed) await watcher.writeConfig(edit.text);
    return { ...edit, file, changed };
  } finally {
    await watcher.close();
  }
}
