/** `steward components` as an operator uses it: from a directory with its own SQLite store and configuration file. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/file.js';
import type { ExplainedCandidate, Explanation, HealthReport } from '../../src/registry/index.js';
import { CliProcess, eventually, runCli, type CliResult } from './cli-process.js';

interface ListedComponent {
  domain: string;
  key: string;
  winner: string | null;
  selected: string | null;
  state: string;
  ranked: ExplainedCandidate[];
}

let dir: string;
let store: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-components-'));
  store = `sqlite:${join(dir, 's.db')}`;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command against this test's store, in this test's directory. */
function steward(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--store', store], { cwd: dir });
}

function expectOneErrorLine(result: CliResult, code: number, errorCode: string): void {
  expect(result.code, result.stdout).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error: .+ \\[${errorCode}\\]$`));
}

describe('steward components list and explain', () => {
  it('list shows store/default with sqlite winning over postgres, as a table and as JSON', async () => {
    const table = await steward('components', 'list');
    const json = await steward('components', 'list', '--json');

    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^COMPONENT\s+WINNER\s+SELECTED\s+ACTIVE HERE\s+STATE HERE\s+SHADOWED/);
    expect(lines.find((l) => l.startsWith('store/default'))).toMatch(/^store\/default\s+sqlite\s+.*postgres \(builtin, -?\d+, \S+/);
    expect(lines.find((l) => l.startsWith('policy/default'))).toMatch(/^policy\/default\s+cedar\s/);

    expect(json.code, json.stderr).toBe(0);
    const { components } = JSON.parse(json.stdout) as { components: ListedComponent[] };
    const storeComponent = components.find((c) => c.domain === 'store' && c.key === 'default');
    expect(storeComponent?.winner).toBe('sqlite');
    expect(storeComponent?.ranked.map((c) => [c.provider, c.winner])).toEqual([
      ['sqlite', true],
      ['postgres', false],
    ]);
  });

  it('explain ranks both store providers and says why postgres lost', async () => {
    const text = await steward('components', 'explain', 'store', 'default');
    const json = await steward('components', 'explain', 'store', 'default', '--json');

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^store\/default: sqlite wins;/);
    expect(text.stdout).toMatch(/\n1\s+sqlite\s+builtin\s.*won: /);
    expect(text.stdout).toMatch(/\n2\s+postgres\s+builtin\s.*lost to sqlite \(builtin\): /);

    expect(json.code, json.stderr).toBe(0);
    const explanation = JSON.parse(json.stdout) as Explanation;
    expect(explanation.winner).toBe('sqlite');
    expect(explanation.selectionMissing).toBe(false);
    const postgres = explanation.candidates.find((c) => c.provider === 'postgres');
    expect(postgres?.winner).toBe(false);
    expect(postgres?.reason).toMatch(/^lost to sqlite \(builtin\): /);
  });

  it('explain of a component nobody registered fails naming the components there are', async () => {
    const result = await steward('components', 'explain', 'llm', 'nothing-here');

    expectOneErrorLine(result, 1, 'STEWARD_PROVIDER_NOT_FOUND');
    expect(result.stderr).toContain('store/default');
  });
});

describe('steward components health', () => {
  it('without --probe says the state in this process; with --probe checks the winner now and passes', async () => {
    const state = await steward('components', 'health', 'store', 'default');
    const probed = await steward('components', 'health', 'store', 'default', '--probe');
    const json = await steward('components', 'health', 'store', 'default', '--probe', '--timeout', '10000', '--json');

    expect(state.code, state.stderr).toBe(0);
    expect(state.stdout).toMatch(/^store\/default: /);
    expect(probed.code, probed.stderr).toBe(0);
    expect(probed.stdout).toMatch(/^store\/default: healthy — provider sqlite, ready, checked just now/);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as HealthReport;
    expect(report).toMatchObject({ domain: 'store', key: 'default', provider: 'sqlite', healthy: true, probed: true, state: 'ready' });
  });

  it('refuses a --timeout that is not a whole number of milliseconds', async () => {
    const result = await steward('components', 'health', 'store', 'default', '--probe', '--timeout', 'soon');

    expectOneErrorLine(result, 2, 'STEWARD_USAGE');
  });
});

describe('steward components swap', () => {
  it('refuses a provider that is not registered, listing those that are, and leaves the file alone', async () => {
    const file = join(dir, 'steward.config.json');
    writeFileSync(file, '{ "autonomy": 1 }\n');

    const result = await steward('components', 'swap', 'store', 'default', 'mongo');

    expectOneErrorLine(result, 1, 'STEWARD_PROVIDER_NOT_FOUND');
    expect(result.stderr).toMatch(/"mongo" is not registered for store\/default: pick one of (sqlite, postgres|postgres, sqlite)/);
    expect(readFileSync(file, 'utf8')).toBe('{ "autonomy": 1 }\n');
  });

  it('refuses when the directory has no configuration file, saying how to make one', async () => {
    const result = await steward('components', 'swap', 'store', 'default', 'sqlite');

    expectOneErrorLine(result, 1, 'STEWARD_CONFIG');
    expect(result.stderr).toContain('create one there (an empty steward.config.toml will do');
  });

  it('writes the selection into steward.config.json, keeping the other keys and the indentation', async () => {
    const file = join(dir, 'steward.config.json');
    writeFileSync(file, '{\n    "autonomy": 2,\n    "components": { "policy.default": { "provider": "cedar" } }\n}\n');

    const result = await steward('components', 'swap', 'store', 'default', 'sqlite', '--reason', 'back to the embedded store', '--by', 'User::"alice"');

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(
      `store/default: selected sqlite in ${file} (was not selected); it passed its init and health check in this process — ` +
        'running Stewards keep the store they opened (it cannot change under them) and use sqlite when they next start',
    );
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\{\n {4}"autonomy": 2,/);
    const { config } = parseConfigText(text, { file, env: {} });
    expect(config.autonomy).toBe(2);
    expect(config.components).toEqual({ 'policy.default': { provider: 'cedar' }, 'store.default': { provider: 'sqlite' } });

    const audit = await steward('audit', 'export', '--json');
    const entries = audit.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; actor: string | null; data: Record<string, unknown> });
    expect(entries.filter((e) => e.kind === 'component.selected')).toMatchObject([
      { actor: 'User::"alice"', data: { domain: 'store', key: 'default', provider: 'sqlite', from: null, file, reason: 'back to the embedded store' } },
    ]);
  });

  it('writes the selection into steward.config.yaml and keeps its comments', async () => {
    const file = join(dir, 'steward.config.yaml');
    writeFileSync(file, '# operations settings\nautonomy: 1 # reads alone\ncomponents:\n  store.default:\n    provider: sqlite # embedded\n');

    const result = await steward('components', 'swap', 'policy', 'default', 'cedar');

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^policy\/default: selected cedar in .*steward\.config\.yaml \(was not selected\); .* — workers watching the file swap within a second\n$/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# operations settings\n');
    expect(text).toContain('autonomy: 1 # reads alone\n');
    expect(text).toContain('provider: sqlite # embedded\n');
    expect(parseConfigText(text, { file, env: {} }).config.components).toEqual({ 'store.default': { provider: 'sqlite' }, 'policy.default': { provider: 'cedar' } });
  });

  it('refuses a provider that fails its trial here, naming why, and leaves the file alone', async () => {
    const file = join(dir, 'steward.config.yaml');
    writeFileSync(file, 'autonomy: 1\n');

    const result = await steward('components', 'swap', 'store', 'default', 'postgres');

    expectOneErrorLine(result, 1, 'STEWARD_PROVIDER_SWAP_FAILED');
    expect(result.stderr).toContain('provider "postgres" of store/default failed its trial in this process at factory: ');
    expect(result.stderr).toContain('no postgres store is configured');
    expect(result.stderr).toContain('was not changed, so no worker swaps to it');
    expect(readFileSync(file, 'utf8')).toBe('autonomy: 1\n');
  });

  it('a worker watching the directory swaps the component a swap selects', async () => {
    writeFileSync(join(dir, 'steward.config.json'), '{}\n');
    const worker = new CliProcess(['worker', '--store', store], { cwd: dir });
    try {
      await worker.waitForOutput(/started on/);

      const result = await steward('components', 'swap', 'policy', 'default', 'cedar');

      expect(result.code, result.stderr).toBe(0);
      await eventually(async () => (worker.stderr.includes('policy engine swapped') ? true : undefined), {
        timeoutMs: 10_000,
        what: () => `the worker to swap its policy engine (stderr: ${worker.stderr})`,
      });
    } finally {
      await worker.stop();
    }
  });

  it('writes the selection into steward.config.toml, and a second swap to the same provider writes nothing', async () => {
    const file = join(dir, 'steward.config.toml');
    writeFileSync(file, 'autonomy = 1\n\n[workers]\nconcurrency = 4\n');

    const first = await steward('components', 'swap', 'store', 'default', 'sqlite');
    const written = readFileSync(file, 'utf8');
    const second = await steward('components', 'swap', 'store', 'default', 'sqlite');

    expect(first.code, first.stderr).toBe(0);
    const { config } = parseConfigText(written, { file, env: {} });
    expect(config.workers?.concurrency).toBe(4);
    expect(config.components['store.default']).toEqual({ provider: 'sqlite' });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/sqlite is already selected in .*steward\.config\.toml; nothing was written/);
    expect(readFileSync(file, 'utf8')).toBe(written);
  });
});

describe('steward components pause, resume and drain', () => {
  it('pause and resume reach a running worker; drain waits for it to report the component paused with nothing in flight', async () => {
    const worker = new CliProcess(['worker', '--store', store], { cwd: dir, env: { STEWARD_LOG_LEVEL: 'info' } });
    try {
      await worker.waitForOutput(/started on /, 30_000);

      const paused = await steward('components', 'pause', 'policy', 'default', '--by', 'User::"ops"', '--reason', 'rotating policies');
      expect(paused.code, paused.stderr).toBe(0);
      expect(paused.stdout).toContain('paused policy/default in every process of the store');
      await eventually(async () => (worker.stderr.includes('component paused by an operator') ? true : undefined), { timeoutMs: 15_000, what: () => `the worker to log the pause (stderr: ${worker.stderr})` });

      const drained = await steward('components', 'drain', 'policy', 'default', '--timeout', '30000', '--json');
      expect(drained.code, drained.stderr).toBe(0);
      const { reports } = JSON.parse(drained.stdout) as { reports: Array<{ domain: string; key: string; state: string; inFlight: number }> };
      expect(reports.length).toBeGreaterThanOrEqual(1);
      expect(reports.every((r) => r.state === 'paused' && r.inFlight === 0)).toBe(true);

      const resumed = await steward('components', 'resume', 'policy', 'default', '--by', 'User::"ops"');
      expect(resumed.code, resumed.stderr).toBe(0);
      await eventually(async () => (worker.stderr.includes('component resumed by an operator') ? true : undefined), { timeoutMs: 15_000, what: () => `the worker to log the resume (stderr: ${worker.stderr})` });

      const audit = (await steward('audit', 'export', '--json')).stdout;
      expect(audit).toContain('"kind":"component.paused"');
      expect(audit).toContain('"kind":"component.resumed"');
    } finally {
      await worker.stop('SIGKILL');
    }
  });

  it('refuses a component nobody registered', async () => {
    const result = await steward('components', 'pause', 'llm', 'nowhere');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no component llm/nowhere is registered');
  });
});
