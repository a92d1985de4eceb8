import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { applyConfigChanges, diffComponents, type SelectionTarget } from '../../src/config/changes.js';
import { parseConfigText } from '../../src/config/file.js';
import { watchConfig, type ConfigChangeEvent, type ConfigWatcher } from '../../src/config/watch.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf, waitUntil } from '../helpers/wait.js';

const BASE = '[components."store.default"]\nprovider = "sqlite"\n\n[components."llm.fast"]\nprovider = "ollama"\n';

/** How long the watcher is given to show that nothing more arrives (it reads 100 ms after the last event). */
const SETTLE_MS = 600;

const watchers: ConfigWatcher[] = [];
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.close()));
});

/** A watcher on a fresh directory holding `text`, recording what it reports. */
async function watching(text: string = BASE): Promise<{ dir: string; file: string; watcher: ConfigWatcher; events: ConfigChangeEvent[]; errors: unknown[] }> {
  const dir = useTempDir();
  const file = join(dir, 'steward.config.toml');
  writeFileSync(file, text);
  const events: ConfigChangeEvent[] = [];
  const errors: unknown[] = [];
  const watcher = await watchConfig({ dir, env: {}, onChange: (event) => void events.push(event), onError: (error) => void errors.push(error) });
  watchers.push(watcher);
  return { dir, file, watcher, events, errors };
}

async function settle(watcher: ConfigWatcher): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await watcher.settled();
}

describe('watching the configuration file', () => {
  it('reports an edit with the component selections it adds, changes and removes', async () => {
    const { file, watcher, events } = await watching();
    writeFileSync(file, '[components."store.default"]\nprovider = "postgres"\n\n[components."secrets.default"]\nprovider = "vault"\n');
    await waitUntil(() => events.length === 1, { timeoutMs: 5000, what: 'the change' });
    expect(events[0]?.changes.map((c) => `${c.kind} ${c.domain}.${c.key} ${c.from?.provider ?? '-'} → ${c.to?.provider ?? '-'}`)).toEqual([
      'removed llm.fast ollama → -',
      'added secrets.default - → vault',
      'changed store.default sqlite → postgres',
    ]);
    expect(events[0]?.previous.config.components['store.default']?.provider).toBe('sqlite');
    expect(watcher.current().config.components['store.default']?.provider).toBe('postgres');
  });

  it('follows an editor that writes a new file and renames it over the old one', async () => {
    const { dir, file, events } = await watching();
    const temporary = join(dir, 'steward.config.toml.swp');
    writeFileSync(temporary, BASE.replace('ollama', 'vllm'));
    renameSync(temporary, file);
    await waitUntil(() => events.length === 1, { timeoutMs: 5000, what: 'the change' });
    expect(events[0]?.changes).toMatchObject([{ kind: 'changed', domain: 'llm', key: 'fast', to: { provider: 'vllm' } }]);
  });

  it('keeps the configuration in force after a bad edit, reports it, and takes the next good one', async () => {
    const { file, watcher, events, errors } = await watching();
    writeFileSync(file, '[components."store.default"]\nprovider = 5\n');
    await waitUntil(() => errors.length === 1, { timeoutMs: 5000, what: 'the error' });
    expect(errors[0]).toMatchObject({ code: ErrorCodes.CONFIG_INVALID });
    expect((errors[0] as Error).message).toContain(`${file}:2:1: components."store.default".provider`);
    expect(watcher.current().config.components['store.default']?.provider).toBe('sqlite');
    expect(events).toHaveLength(0);

    writeFileSync(file, BASE.replace('"sqlite"', '"postgres"'));
    await waitUntil(() => events.length === 1, { timeoutMs: 5000, what: 'the change after the fix' });
    expect(events[0]?.previous.config.components['store.default']?.provider).toBe('sqlite');
    expect(events[0]?.changes).toHaveLength(1);
  });

  it('does not call onChange for its own writeConfig, nor loop', async () => {
    const { file, watcher, events, errors } = await watching();
    const written = await watcher.writeConfig({ components: { 'store.default': { provider: 'postgres' } } });
    expect(written.file).toBe(file);
    expect(watcher.current().config.components).toEqual({ 'store.default': { provider: 'postgres' } });
    await settle(watcher);
    expect(events).toHaveLength(0);
    expect(errors).toHaveLength(0);

    // an edit after it is measured against what was written
    writeFileSync(file, '[components."store.default"]\nprovider = "sqlite"\n');
    await waitUntil(() => events.length === 1, { timeoutMs: 5000, what: 'the change' });
    await settle(watcher);
    expect(events).toHaveLength(1);
    expect(events[0]?.changes).toMatchObject([{ kind: 'changed', from: { provider: 'postgres' }, to: { provider: 'sqlite' } }]);
  });

  it('refuses to write a configuration that does not fit, and leaves the file as it was', async () => {
    const { watcher } = await watching();
    const error = await rejectionOf(watcher.writeConfig('autonomy = 9\n'));
    expect(error.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(watcher.current().config.components['store.default']?.provider).toBe('sqlite');
  });

  it('does nothing when the file is rewritten with the same content', async () => {
    const { file, watcher, events, errors } = await watching();
    writeFileSync(file, BASE);
    writeFileSync(file, BASE);
    await settle(watcher);
    expect(events).toHaveLength(0);
    expect(errors).toHaveLength(0);

    // the watcher was listening all along: a real edit arrives, once
    writeFileSync(file, BASE.replace('ollama', 'vllm'));
    await waitUntil(() => events.length === 1, { timeoutMs: 5000, what: 'the change' });
    await settle(watcher);
    expect(events).toHaveLength(1);
  });

  it('does nothing when only comments change', async () => {
    const { file, watcher, events } = await watching();
    writeFileSync(file, `# the stores\n${BASE}`);
    await settle(watcher);
    expect(events).toHaveLength(0);
    expect(watcher.current().hash).not.toBeNull();
  });

  it('reports a removed file and keeps the configuration read from it', async () => {
    const { file, watcher, errors } = await watching();
    rmSync(file);
    await waitUntil(() => errors.length === 1, { timeoutMs: 5000, what: 'the error' });
    expect(errors[0]).toMatchObject({ code: ErrorCodes.CONFIG });
    expect(watcher.current().config.components['store.default']?.provider).toBe('sqlite');
  });

  it('reports a second configuration file beside the first', async () => {
    const { dir, watcher, errors } = await watching();
    writeFileSync(join(dir, 'steward.config.json'), '{}');
    await waitUntil(() => errors.length === 1, { timeoutMs: 5000, what: 'the error' });
    expect(errors[0]).toMatchObject({ code: ErrorCodes.CONFIG_FILE_CONFLICT });
    expect(watcher.current().config.components['llm.fast']?.provider).toBe('ollama');
  });
});

describe('applying the changes', () => {
  const before = parseConfigText(BASE, { file: 'steward.config.toml', env: {} }).config;
  const after = parseConfigText('[components."store.default"]\nprovider = "postgres"\n\n[components."secrets.default"]\nprovider = "vault"\n', {
    file: 'steward.config.toml',
    env: {},
  }).config;

  it('selects and swaps each component, and reports a failed swap without stopping the others', async () => {
    const calls: string[] = [];
    const target: SelectionTarget = {
      select: (domain, key, provider) => void calls.push(`select ${domain}.${key} ${provider ?? 'none'}`),
      swap: async (domain, key) => {
        calls.push(`swap ${domain}.${key}`);
        if (domain === 'secrets') throw new Error('vault is unreachable');
      },
    };
    const report = await applyConfigChanges(diffComponents(before, after), target);
    expect(calls).toEqual([
      'select llm.fast none',
      'swap llm.fast',
      'select secrets.default vault',
      'swap secrets.default',
      'select store.default postgres',
      'swap store.default',
    ]);
    expect(report.applied.map((c) => `${c.domain}.${c.key}`)).toEqual(['llm.fast', 'store.default']);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]?.change).toMatchObject({ domain: 'secrets', key: 'default' });
    expect((report.failed[0]?.error as Error).message).toBe('vault is unreachable');
  });

  it('counts a change of settings alone as a change', () => {
    const a = parseConfigText('[components."llm.fast"]\nprovider = "ollama"\nsettings = { model = "a" }\n', { file: 'steward.config.toml', env: {} }).config;
    const b = parseConfigText('[components."llm.fast"]\nprovider = "ollama"\nsettings = { model = "b" }\n', { file: 'steward.config.toml', env: {} }).config;
    expect(diffComponents(a, b)).toMatchObject([{ kind: 'changed', domain: 'llm', key: 'fast' }]);
    expect(diffComponents(a, a)).toEqual([]);
  });
});
