/**
 * Plugins are installed npm packages that declare `"steward": { "plugins": ["./dist/plugin.js"] }` in their
 * package.json. Only packages named on the allowlist are imported; each plugin module's `register(registry)` is called.
 * A plugin path must stay inside its package. One plugin failing does not stop the others.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginFailedError, PluginPathRefusedError, type StewardError } from '../errors.js';

/** What a plugin's `register` receives: the registry, as far as a plugin needs it. */
export interface PluginRegistry {
  register(candidate: unknown): unknown;
}

/** An installed package that declares plugins. */
export interface InstalledPlugin {
  readonly name: string;
  readonly version: string | null;
  /** The package's directory (its real path). */
  readonly dir: string;
  /** The plugin paths as package.json declares them, not checked yet; null when `steward.plugins` is not a list. */
  readonly entries: readonly unknown[] | null;
}

/** What `loadPlugins` did with each package. */
export interface PluginReport {
  /** Each plugin module imported and registered. */
  readonly loaded: readonly { readonly name: string; readonly version: string | null; readonly entry: string; readonly path: string }[];
  /** Packages not loaded on purpose: installed but not allowed, or allowed but not installed with plugins. */
  readonly skipped: readonly { readonly name: string; readonly reason: 'not-allowed' | 'not-installed'; readonly message: string }[];
  /** Plugins that could not be loaded: a refused path, a failed import, no `register`, or a `register` that threw. */
  readonly failed: readonly { readonly name: string; readonly entry: string | null; readonly error: StewardError }[];
}

/** Where to look and what to allow. */
export interface LoadPluginsOptions {
  /** The directory whose `node_modules` is searched (the application's root). */
  root: string;
  /** The package names that may be loaded (`plugins.allow` of the configuration). */
  allow: readonly string[];
  registry: PluginRegistry;
}

/**
 * The packages directly in `<root>/node_modules` (scoped ones in `@scope/name`) that declare plugins, by name. A
 * package without a readable package.json declares nothing.
 */
export async function discoverPlugins(root: string): Promise<InstalledPlugin[]> {
  const found: InstalledPlugin[] = [];
  for (const dir of await packageDirs(join(root, 'node_modules'))) {
    const manifest = await readManifest(dir);
    if (manifest === null) continue;
    found.push(manifest);
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Imports the allowed plugins and calls their `register(registry)`, in package-name order; never rejects for a plugin. */
export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginReport> {
  const allowed = new Set(options.allow);
  const report: { loaded: PluginReport['loaded'][number][]; skipped: PluginReport['skipped'][number][]; failed: PluginReport['failed'][number][] } = {
    loaded: [],
    skipped: [],
    failed: [],
  };
  const installed = await discoverPlugins(options.root);
  for (const plugin of installed) {
    if (!allowed.has(plugin.name)) {
      report.skipped.push({
        name: plugin.name,
        reason: 'not-allowed',
        message: `package "${plugin.name}" declares plugins but is not on plugins.allow: add it there (or to STEWARD_PLUGINS_ALLOW) to load it`,
      });
      continue;
    }
    if (plugin.entries === null) {
      report.failed.push({ name: plugin.name, entry: null, error: new PluginFailedError(plugin.name, null, 'its package.json "steward.plugins" is not a list of paths') });
      continue;
    }
    for (const entry of plugin.entries) {
      const label = typeof entry === 'string' ? entry : JSON.stringify(entry);
      try {
        const path = await pluginPath(plugin, entry);
        await registerModule(plugin.name, label, path, options.registry);
        report.loaded.push({ name: plugin.name, version: plugin.version, entry: label, path });
      } catch (error) {
        report.failed.push({ name: plugin.name, entry: label, error: error as StewardError });
      }
    }
  }
  const names = new Set(installed.map((plugin) => plugin.name));
  for (const name of [...allowed].sort()) {
    if (names.has(name)) continue;
    report.skipped.push({
      name,
      reason: 'not-installed',
      message: `package "${name}" is on plugins.allow but no installed package of that name declares plugins: install it, or check its package.json`,
    });
  }
  return report;
}

/** The real path of a declared plugin, refused when it is not a relative path that stays inside its package. */
async function pluginPath(plugin: InstalledPlugin, entry: unknown): Promise<string> {
  if (typeof entry !== 'string' || entry.length === 0) throw new PluginPathRefusedError(plugin.name, String(entry), 'it is not a path');
  if (isAbsolute(entry) || /^[A-Za-z]:|^[\\/]/.test(entry)) throw new PluginPathRefusedError(plugin.name, entry, 'it is absolute');
  if (entry.split(/[\\/]/).includes('..')) throw new PluginPathRefusedError(plugin.name, entry, 'it climbs out with ".."');
  let real: string;
  try {
    real = await realpath(join(plugin.dir, entry));
  } catch (error) {
    throw new PluginFailedError(plugin.name, entry, `the file does not exist in the package (${(error as Error).message})`, error);
  }
  const inside = relative(plugin.dir, real);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw new PluginPathRefusedError(plugin.name, entry, `it resolves to ${real}, outside the package (through a symbolic link)`);
  }
  return real;
}

async function registerModule(name: string, entry: string, path: string, registry: PluginRegistry): Promise<void> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginFailedError(name, entry, `importing it threw: ${(error as Error).message}`, error);
  }
  const register = module.register;
  if (typeof register !== 'function') throw new PluginFailedError(name, entry, 'it does not export a register(registry) function');
  try {
    await (register as (registry: PluginRegistry) => unknown)(registry);
  } catch (error) {
    throw new PluginFailedError(name, entry, `register(registry) threw: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/** The package directories in a node_modules: `name` and `@scope/name`, skipping `.bin` and other dot entries. */
async function packageDirs(nodeModules: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const name of await listDir(nodeModules)) {
    if (name.startsWith('.')) continue;
    const path = join(nodeModules, name);
    if (name.startsWith('@')) {
      for (const inner of await listDir(path)) if (!inner.startsWith('.') && (await isDirectory(join(path, inner)))) dirs.push(join(path, inner));
    } else if (await isDirectory(path)) dirs.push(path);
  }
  return dirs;
}

/** A package's name, version and declared plugins, or null when it declares none (or has no package.json). */
async function readManifest(dir: string): Promise<InstalledPlugin | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'package.json'), 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const { name, version, steward } = json as { name?: unknown; version?: unknown; steward?: unknown };
  if (typeof name !== 'string' || typeof steward !== 'object' || steward === null || !('plugins' in steward)) return null;
  const plugins = (steward as { plugins: unknown }).plugins;
  return {
    name,
    version: typeof version === 'string' ? version : null,
    dir: await realpath(dir),
    entries: Array.isArray(plugins) ? (plugins as unknown[]) : null,
  };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/** A directory, or a symbolic link to one (linked and workspace packages). */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
