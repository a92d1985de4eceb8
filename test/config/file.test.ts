import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, ErrorCodes, type ConfigIssue } from '../../src/errors.js';
import { componentVariable } from '../../src/config/env.js';
import { findConfigFile, loadConfig, parseConfigText } from '../../src/config/file.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';

const TOML = `store = "sqlite:./data/steward.db"
autonomy = 2
stackOrder = ["builtin", "package", "config", "remote"]

[workers]
concurrency = 8

[policy]
files = ["policies/"]

[approvals]
timeoutMs = 3600000
allowSelfApproval = false

[components."store.default"]
provider = "postgres"
settings = { poolSize = 10 }

[components."llm.fast"]
provider = "ollama"

[plugins]
allow = ["@acme/steward-vault", "steward-slack"]

[manifests]
allowSources = ["https://manifests.example.com/"]

[[manifests.sources]]
url = "https://manifests.example.com/team.json"
trust = ["keys/team.pub", "keys/backup.pub"]
threshold = 2
refreshMs = 60000
`;

const YAML = `store: sqlite:./data/steward.db
autonomy: 2
stackOrder: [builtin, package, config, remote]
workers:
  concurrency: 8
policy:
  files: [policies/]
approvals:
  timeoutMs: 3600000
  allowSelfApproval: false
components:
  store.default:
    provider: postgres
    settings: { poolSize: 10 }
  llm.fast:
    provider: ollama
plugins:
  allow: ["@acme/steward-vault", steward-slack]
manifests:
  allowSources: ["https://manifests.example.com/"]
  sources:
    - url: https://manifests.example.com/team.json
      trust: [keys/team.pub, keys/backup.pub]
      threshold: 2
      refreshMs: 60000
`;

const JSON_TEXT = `{
  "store": "sqlite:./data/steward.db",
  "autonomy": 2,
  "stackOrder": ["builtin", "package", "config", "remote"],
  "workers": { "concurrency": 8 },
  "policy": { "files": ["policies/"] },
  "approvals": { "timeoutMs": 3600000, "allowSelfApproval": false },
  "components": {
    "store.default": { "provider": "postgres", "settings": { "poolSize": 10 } },
    "llm.fast": { "provider": "ollama" }
  },
  "plugins": { "allow": ["@acme/steward-vault", "steward-slack"] },
  "manifests": {
    "allowSources": ["https://manifests.example.com/"],
    "sources": [
      {
        "url": "https://manifests.example.com/team.json",
        "trust": ["keys/team.pub", "keys/backup.pub"],
        "threshold": 2,
        "refreshMs": 60000
      }
    ]
  }
}
`;

/** The issues of the ConfigInvalidError that `read` throws. */
function issuesOf(read: () => unknown): ConfigIssue[] {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).code).toBe(ErrorCodes.CONFIG_INVALID);
    return (error as ConfigInvalidError).details?.issues as ConfigIssue[];
  }
  throw new Error('expected the configuration to be refused');
}

function messageOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('reading the configuration file', () => {
  it.each([
    ['steward.config.toml', TOML],
    ['steward.config.yaml', YAML],
    ['steward.config.yml', YAML],
    ['steward.config.json', JSON_TEXT],
  ])('reads the full example from %s', async (name, text) => {
    const dir = useTempDir();
    writeFileSync(join(dir, name), text);
    const loaded = await loadConfig(dir, { env: {} });
    expect(loaded.file).toBe(join(dir, name));
    expect(loaded.config).toEqual({
      store: 'sqlite:./data/steward.db',
      autonomy: 2,
      stackOrder: ['builtin', 'package', 'config', 'remote'],
      workers: { concurrency: 8 },
      policy: { files: [join(dir, 'policies')] },
      approvals: { timeoutMs: 3_600_000, allowSelfApproval: false },
      components: {
        'store.default': { provider: 'postgres', settings: { poolSize: 10 } },
        'llm.fast': { provider: 'ollama' },
      },
      plugins: { allow: ['@acme/steward-vault', 'steward-slack'] },
      manifests: {
        allowSources: ['https://manifests.example.com/'],
        sources: [
          {
            url: 'https://manifests.example.com/team.json',
            trust: [join(dir, 'keys/team.pub'), join(dir, 'keys/backup.pub')],
            threshold: 2,
            refreshMs: 60_000,
          },
        ],
      },
    });
    expect(Object.isFrozen(loaded.config.components['store.default'])).toBe(true);
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('defaults what the file leaves out, and an empty file is an empty configuration', () => {
    const { config } = parseConfigText('', { file: 'steward.config.yaml', env: {} });
    expect(config).toEqual({ components: {}, plugins: { allow: [] }, manifests: { sources: [], allowSources: [] } });
  });

  it('reads the environment alone when the directory has no configuration file', async () => {
    const dir = useTempDir();
    const loaded = await loadConfig(dir, { env: { STEWARD_AUTONOMY: '1' } });
    expect(loaded).toMatchObject({ file: null, format: null, hash: null, config: { autonomy: 1 } });
  });

  it('refuses two configuration files in one directory, naming both', async () => {
    const dir = useTempDir();
    writeFileSync(join(dir, 'steward.config.toml'), '');
    writeFileSync(join(dir, 'steward.config.json'), '{}');
    const error = await rejectionOf(findConfigFile(dir));
    expect(error.code).toBe(ErrorCodes.CONFIG_FILE_CONFLICT);
    expect(error.message).toContain(join(dir, 'steward.config.json'));
    expect(error.message).toContain(join(dir, 'steward.config.toml'));
    expect((await rejectionOf(loadConfig(dir, { env: {} }))).code).toBe(ErrorCodes.CONFIG_FILE_CONFLICT);
  });
});

describe('a configuration that does not fit', () => {
  it('names the file, line and column of a TOML syntax error', () => {
    expect(issuesOf(() => parseConfigText('autonomy = 1\nstore = \n', { file: 'steward.config.toml', env: {} }))).toEqual([
      { source: 'steward.config.toml', path: '', line: 2, column: 9, message: expect.stringMatching(/^TOML syntax: /) },
    ]);
  });

  it('names the file, line and column of a YAML syntax error', () => {
    const [issue] = issuesOf(() => parseConfigText('autonomy: 1\ncomponents: [a\n', { file: 'steward.config.yaml', env: {} }));
    expect(issue).toMatchObject({ source: 'steward.config.yaml', path: '', line: 3, message: expect.stringMatching(/^YAML syntax: /) });
  });

  it('names the file, line and column of a JSON syntax error', () => {
    const [issue] = issuesOf(() => parseConfigText('{\n  "autonomy": 1,\n  }\n', { file: 'steward.config.json', env: {} }));
    expect(issue).toMatchObject({ source: 'steward.config.json', path: '', line: 3, column: 3, message: expect.stringMatching(/^JSON syntax: /) });
  });

  it('refuses a key written twice', () => {
    const [issue] = issuesOf(() => parseConfigText('autonomy: 1\nautonomy: 2\n', { file: 'steward.config.yaml', env: {} }));
    expect(issue).toMatchObject({ line: 2, column: 1 });
  });

  it('points at the wrong value with its key path in every format', () => {
    const toml = '[components."store.default"]\nprovider = 5\n';
    const yaml = 'components:\n  store.default:\n    provider: 5\n';
    const json = '{\n  "components": {\n    "store.default": { "provider": 5 }\n  }\n}\n';
    expect(issuesOf(() => parseConfigText(toml, { file: 'steward.config.toml', env: {} }))).toEqual([
      { source: 'steward.config.toml', path: 'components."store.default".provider', line: 2, column: 1, message: 'expected string, received number' },
    ]);
    expect(issuesOf(() => parseConfigText(yaml, { file: 'steward.config.yaml', env: {} }))[0]).toMatchObject({
      path: 'components."store.default".provider',
      line: 3,
      column: 15,
    });
    expect(issuesOf(() => parseConfigText(json, { file: 'steward.config.json', env: {} }))[0]).toMatchObject({
      path: 'components."store.default".provider',
      line: 3,
      column: 36,
    });
  });

  it('says the whole story in one line: file:line:column, key, and how to mend it', () => {
    const message = messageOf(() => parseConfigText('autonomy = 1\n[workers]\nconcurency = 4\n', { file: 'steward.config.toml', env: {} }));
    expect(message).toBe('invalid configuration: steward.config.toml:3:1: workers.concurency: unknown key "concurency": did you mean "concurrency"?');
  });

  it('lists the allowed keys for an unknown key that resembles none', () => {
    const [issue] = issuesOf(() => parseConfigText('{ "colour": "blue" }', { file: 'steward.config.json', env: {} }));
    expect(issue).toMatchObject({ path: 'colour', line: 1, column: 3 });
    expect(issue?.message).toContain('the keys here are store, workers, autonomy');
  });

  it('refuses a component key that is not <domain>.<key>, and explains the TOML quoting', () => {
    const [issue] = issuesOf(() => parseConfigText('[components.store]\nprovider = "postgres"\n', { file: 'steward.config.toml', env: {} }));
    expect(issue).toMatchObject({ path: 'components.store', line: 1, column: 1 });
    expect(issue?.message).toContain('[components."store.default"]');
  });

  it('reports a missing provider at the component that lacks it', () => {
    const [issue] = issuesOf(() => parseConfigText('components:\n  llm.fast:\n    settings: {}\n', { file: 'steward.config.yaml', env: {} }));
    expect(issue).toMatchObject({ path: 'components."llm.fast".provider', line: 2, column: 3 });
    expect(issue?.message).toContain('"provider" is missing');
  });

  it('reports every problem at once, top to bottom', () => {
    const yaml = 'autonomy: 7\nworkers:\n  concurrency: 0\nplugins:\n  allow: ["Not A Name"]\n';
    expect(issuesOf(() => parseConfigText(yaml, { file: 'steward.config.yaml', env: {} })).map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '1:11 autonomy',
      '3:16 workers.concurrency',
      '5:11 plugins.allow[0]',
    ]);
  });

  it('refuses a manifest source off the allowlist and a threshold above the keys listed', () => {
    const toml = '[manifests]\nallowSources = ["https://ok.example.com/"]\n\n[[manifests.sources]]\nurl = "https://evil.example.com/m.json"\ntrust = ["a.pub"]\nthreshold = 2\n';
    expect(issuesOf(() => parseConfigText(toml, { file: 'steward.config.toml', env: {} })).map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '5:1 manifests.sources[0].url',
      '7:1 manifests.sources[0].threshold',
    ]);
  });

  it('refuses a document that is a list instead of a table', () => {
    expect(issuesOf(() => parseConfigText('- a\n- b\n', { file: 'steward.config.yaml', env: {} }))[0]?.message).toContain('a table of keys');
  });
});

describe('the environment', () => {
  const file = { file: 'steward.config.toml' };
  const text = 'store = "sqlite:./a.db"\nautonomy = 1\nstackOrder = ["builtin"]\n\n[components."store.default"]\nprovider = "sqlite"\nsettings = { path = "x" }\n\n[plugins]\nallow = ["a"]\n';

  it('wins over the file, key by key', () => {
    const { config } = parseConfigText(text, {
      ...file,
      env: {
        STEWARD_DATABASE_URL: 'postgres://u:p@db/app',
        STEWARD_AUTONOMY: '3',
        STEWARD_STACK_ORDER: 'remote, config',
        STEWARD_PLUGINS_ALLOW: '@acme/x,b',
        STEWARD_COMPONENT__LLM__FAST_2: 'ollama',
        STEWARD_LOG_LEVEL: 'debug',
      },
    });
    expect(config).toMatchObject({
      store: 'postgres://u:p@db/app',
      autonomy: 3,
      stackOrder: ['remote', 'config'],
      plugins: { allow: ['@acme/x', 'b'] },
      components: { 'store.default': { provider: 'sqlite', settings: { path: 'x' } }, 'llm.fast-2': { provider: 'ollama' } },
    });
  });

  it('maps a component to its variable and back', () => {
    expect(componentVariable('llm', 'fast-2')).toBe('STEWARD_COMPONENT__LLM__FAST_2');
    expect(componentVariable('secret-store', 'default')).toBe('STEWARD_COMPONENT__SECRET_STORE__DEFAULT');
  });

  it("keeps the file's settings for the same provider and drops them for another", () => {
    const same = parseConfigText(text, { ...file, env: { STEWARD_COMPONENT__STORE__DEFAULT: 'sqlite' } });
    expect(same.config.components['store.default']).toEqual({ provider: 'sqlite', settings: { path: 'x' } });
    const other = parseConfigText(text, { ...file, env: { STEWARD_COMPONENT__STORE__DEFAULT: 'postgres' } });
    expect(other.config.components['store.default']).toEqual({ provider: 'postgres' });
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfigText(text, { ...file, env: { STEWARD_AUTONOMY: '', STEWARD_DATABASE_URL: ' ' } }).config).toMatchObject({ autonomy: 1, store: 'sqlite:./a.db' });
  });

  it('names the variable of a bad value, without a line', () => {
    expect(issuesOf(() => parseConfigText(text, { ...file, env: { STEWARD_AUTONOMY: 'high' } }))).toEqual([
      { source: 'STEWARD_AUTONOMY', path: 'autonomy', message: '"high" is not a level: set 0, 1, 2 or 3' },
    ]);
    expect(issuesOf(() => parseConfigText(text, { ...file, env: { STEWARD_AUTONOMY: '7' } }))).toEqual([
      { source: 'STEWARD_AUTONOMY', path: 'autonomy', message: expect.stringContaining('<=3') },
    ]);
    expect(issuesOf(() => parseConfigText(text, { ...file, env: { STEWARD_DATABASE_URL: 'mysql://x' } }))[0]).toMatchObject({ source: 'STEWARD_DATABASE_URL', path: 'store' });
    expect(issuesOf(() => parseConfigText(text, { ...file, env: { STEWARD_PLUGINS_ALLOW: 'ok,Bad Name' } }))[0]).toMatchObject({
      source: 'STEWARD_PLUGINS_ALLOW',
      path: 'plugins.allow[1]',
    });
  });

  it('names a component variable that does not have the documented form', () => {
    for (const variable of ['STEWARD_COMPONENT_STORE_DEFAULT', 'STEWARD_COMPONENT__STORE', 'STEWARD_COMPONENT__STORE__A__B', 'STEWARD_COMPONENT__STORE__A___B']) {
      const [issue] = issuesOf(() => parseConfigText(null, { env: { [variable]: 'x' } }));
      expect(issue).toMatchObject({ source: variable });
      expect(issue?.message).toContain('STEWARD_COMPONENT__<DOMAIN>__<KEY>');
    }
  });
});
