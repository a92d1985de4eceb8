import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { discoverPlugins, loadPlugins, type PluginRegistry } from '../../src/plugins/discover.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** Writes a package into `<root>/node_modules/<name>` with the given package.json fields and files. */
function installPackage(root: string, name: string, fields: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...fields }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A plugin module that registers one candidate named after its package. */
function registering(name: string): string {
  return `export function register(registry) { registry.register({ domain: 'notifier', key: 'default', provider: ${JSON.stringify(name)} }); }\n`;
}

function recordingRegistry(): PluginRegistry & { candidates: unknown[] } {
  const candidates: unknown[] = [];
  return { candidates, register: (candidate) => candidates.push(candidate) };
}

const PLUGIN = { steward: { plugins: ['./dist/plugin.js'] } };

describe('plugins', () => {
  it('finds packages that declare plugins, scoped ones included, and nothing else', async () => {
    const root = useTempDir();
    installPackage(root, 'steward-slack', PLUGIN, { 'dist/plugin.js': registering('slack') });
    installPackage(root, '@acme/steward-vault', PLUGIN, { 'dist/plugin.js': registering('vault') });
    installPackage(root, 'left-pad', {});
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
    expect((await discoverPlugins(root)).map((p) => p.name)).toEqual(['@acme/steward-vault', 'steward-slack']);
  });

  it('loads only the allowed packages and lists the others as skipped', async () => {
    const root = useTempDir();
    installPackage(root, 'steward-slack', PLUGIN, { 'dist/plugin.js': registering('slack') });
    installPackage(root, '@acme/steward-vault', PLUGIN, { 'dist/plugin.js': registering('vault') });
    installPackage(root, 'steward-evil', PLUGIN, { 'dist/plugin.js': registering('evil') });
    const registry = recordingRegistry();
    const report = await loadPlugins({ root, allow: ['@acme/steward-vault', 'steward-slack', 'steward-missing'], registry });
    expect(registry.candidates).toEqual([
      { domain: 'notifier', key: 'default', provider: 'vault' },
      { domain: 'notifier', key: 'default', provider: 'slack' },
    ]);
    expect(report.loaded.map((p) => `${p.name}@${p.version} ${p.entry}`)).toEqual([
      '@acme/steward-vault@1.0.0 ./dist/plugin.js',
      'steward-slack@1.0.0 ./dist/plugin.js',
    ]);
    expect(report.skipped).toEqual([
      { name: 'steward-evil', reason: 'not-allowed', message: expect.stringContaining('plugins.allow') },
      { name: 'steward-missing', reason: 'not-installed', message: expect.stringContaining('install it') },
    ]);
    expect(report.failed).toEqual([]);
  });

  it('refuses plugin paths that leave their package: "..", absolute, and a symbolic link outside', async () => {
    const root = useTempDir();
    writeFileSync(join(root, 'outside.js'), registering('outside'));
    installPackage(root, 'climbs', { steward: { plugins: ['../../outside.js'] } });
    installPackage(root, 'absolute', { steward: { plugins: [join(root, 'outside.js')] } });
    const linked = installPackage(root, 'linked', { steward: { plugins: ['./dist/plugin.js'] } });
    mkdirSync(join(linked, 'dist'));
    symlinkSync(join(root, 'outside.js'), join(linked, 'dist', 'plugin.js'));
    const registry = recordingRegistry();
    const report = await loadPlugins({ root, allow: ['climbs', 'absolute', 'linked'], registry });
    expect(registry.candidates).toEqual([]);
    expect(report.loaded).toEqual([]);
    expect(report.failed.map((f) => [f.name, f.error.code])).toEqual([
      ['absolute', ErrorCodes.PLUGIN_PATH_REFUSED],
      ['climbs', ErrorCodes.PLUGIN_PATH_REFUSED],
      ['linked', ErrorCodes.PLUGIN_PATH_REFUSED],
    ]);
    expect(report.failed[0]?.error.message).toContain('absolute');
    expect(report.failed[1]?.error.message).toContain('".."');
    expect(report.failed[2]?.error.message).toContain('outside the package');
  });

  it('reports a plugin that throws or has no register, with its name and error, and still loads the others', async () => {
    const root = useTempDir();
    installPackage(root, 'a-throws', PLUGIN, { 'dist/plugin.js': 'export function register() { throw new Error("no token configured"); }\n' });
    installPackage(root, 'b-no-register', PLUGIN, { 'dist/plugin.js': 'export const version = 1;\n' });
    installPackage(root, 'c-import-fails', PLUGIN, { 'dist/plugin.js': 'throw new Error("broken build");\n' });
    installPackage(root, 'd-missing-file', PLUGIN);
    installPackage(root, 'e-fine', PLUGIN, { 'dist/plugin.js': registering('fine') });
    const registry = recordingRegistry();
    const report = await loadPlugins({ root, allow: ['a-throws', 'b-no-register', 'c-import-fails', 'd-missing-file', 'e-fine'], registry });
    expect(report.loaded.map((p) => p.name)).toEqual(['e-fine']);
    expect(registry.candidates).toEqual([{ domain: 'notifier', key: 'default', provider: 'fine' }]);
    expect(report.failed.map((f) => [f.name, f.entry, f.error.code])).toEqual([
      ['a-throws', './dist/plugin.js', ErrorCodes.PLUGIN_FAILED],
      ['b-no-register', './dist/plugin.js', ErrorCodes.PLUGIN_FAILED],
      ['c-import-fails', './dist/plugin.js', ErrorCodes.PLUGIN_FAILED],
      ['d-missing-file', './dist/plugin.js', ErrorCodes.PLUGIN_FAILED],
    ]);
    expect(report.failed[0]?.error.message).toBe('plugin ./dist/plugin.js of package "a-throws" failed: register(registry) threw: no token configured');
    expect((report.failed[0]?.error.cause as Error).message).toBe('no token configured');
    expect(report.failed[1]?.error.message).toContain('does not export a register(registry) function');
    expect(report.failed[2]?.error.message).toContain('broken build');
    expect(report.failed[3]?.error.message).toContain('does not exist');
  });

  it('finds nothing when the root has no node_modules', async () => {
    const root = useTempDir();
    expect(await loadPlugins({ root, allow: [], registry: recordingRegistry() })).toEqual({ loaded: [], skipped: [], failed: [] });
  });
});
