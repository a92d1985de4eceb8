import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord } from '../../src/index.js';
import { CLI_MAIN, CliProcess, eventually, runCli, type CliResult } from './cli-process.js';

interface ShownRun {
  run: RunRecord;
  steps: StepRecord[];
}

let dir: string;
let store: string;
let processes: CliProcess[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-'));
  store = `sqlite:${join(dir, 's.db')}`;
  processes = [];
});

afterEach(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command against this test's store, in this test's directory. */
function steward(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--store', store], { cwd: dir });
}

/** Starts a background command against this test's store; afterEach kills it. */
function background(...args: string[]): CliProcess {
  const child = new CliProcess([...args, '--store', store], { cwd: dir });
  processes.push(child);
  return child;
}

async function startWorker(): Promise<CliProcess> {
  const worker = background('worker');
  await worker.waitForOutput(/started on/);
  return worker;
}

async function startRun(workflow: string, input: unknown): Promise<string> {
  const started = await steward('run', 'start', workflow, '--input', JSON.stringify(input));
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  const id = started.stdout.trim();
  expect(id).toMatch(/^run_[0-9a-f]+$/);
  return id;
}

async function show(id: string): Promise<ShownRun> {
  const shown = await steward('run', 'show', id, '--json');
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as ShownRun;
}

function untilRun(id: string, accept: (shown: ShownRun) => boolean, what: string): Promise<ShownRun> {
  let last: ShownRun | undefined;
  return eventually(
    async () => {
      last = await show(id);
      return accept(last) ? last : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: () => `${what} (last seen: ${JSON.stringify(last?.run.status)})` },
  );
}

describe('steward CLI', () => {
  it('runs a hello run started from the CLI on a worker process to success, and stops the worker on SIGTERM', async () => {
    const worker = await startWorker();
    const id = await startRun('hello', { name: 'Ada' });

    const { run, steps } = await untilRun(id, (s) => s.run.status === 'succeeded', 'the run to succeed');

    expect(run.output).toEqual({ greeting: 'Hello, Ada!' });
    expect(steps.map((s) => [s.kind, s.name, s.status])).toEqual([['step', 'greet', 'completed']]);
    expect(await worker.stop('SIGTERM')).toBe(0);
  });

  it('stops gracefully when the stop signal arrives twice at once (a supervisor signalling the process and its group)', async () => {
    const worker = await startWorker();
    worker.signal('SIGTERM');
    worker.signal('SIGTERM');
    expect(await worker.waitForExit()).toBe(0);
    expect(worker.stderr).not.toContain('stopped at once');
  });

  it('pages through runs with run list --json and its cursor', async () => {
    const started = [await startRun('hello', {}), await startRun('hello', {}), await startRun('hello', {})];

    const first = await steward('run', 'list', '--limit', '2', '--json');
    const page1 = JSON.parse(first.stdout) as { runs: RunRecord[]; nextCursor: string | null };
    expect(page1.runs.map((r) => r.id)).toEqual([started[2], started[1]]);
    expect(page1.nextCursor).toEqual(expect.any(String));

    const second = await steward('run', 'list', '--limit', '2', '--cursor', page1.nextCursor ?? '', '--json');
    const page2 = JSON.parse(second.stdout) as { runs: RunRecord[]; nextCursor: string | null };
    expect(page2.runs.map((r) => r.id)).toEqual([started[0]]);
    expect(page2.nextCursor).toBeNull();

    const table = await steward('run', 'list', '--limit', '2');
    expect(table.stdout).toContain(`next page: steward run list --limit 2 --cursor ${page1.nextCursor}`);
  });

  describe('reports each failure as one line with a code and an exit code', () => {
    const cases: Array<{ name: string; args: () => string[]; code: number; error: string; mentions: string }> = [
      { name: 'an unknown workflow', args: () => ['run', 'start', 'nope'], code: 1, error: 'STEWARD_UNKNOWN_WORKFLOW', mentions: '"nope"' },
      {
        name: 'input that fails the schema',
        args: () => ['run', 'start', 'release', '--input', '{"service":"web","version":"one"}'],
        code: 1,
        error: 'STEWARD_VALIDATION',
        mentions: 'input.version',
      },
      { name: 'malformed --input JSON', args: () => ['run', 'start', 'hello', '--input', '{oops'], code: 2, error: 'STEWARD_USAGE', mentions: '--input' },
      { name: 'an unknown run id', args: () => ['run', 'show', 'run_missing'], code: 1, error: 'STEWARD_RUN_NOT_FOUND', mentions: 'run_missing' },
      {
        name: 'a database directory that does not exist',
        args: () => ['run', 'list', '--store', `sqlite:${join(dir, 'missing', 's.db')}`],
        code: 1,
        error: 'STEWARD_STORE_UNAVAILABLE',
        mentions: 'does not exist',
      },
      {
        name: 'a file that is not SQLite',
        args: () => {
          writeFileSync(join(dir, 'notes.txt'), 'these are not the tables you are looking for\n'.repeat(200));
          return ['run', 'list', '--store', `sqlite:${join(dir, 'notes.txt')}`];
        },
        code: 1,
        error: 'STEWARD_STORE_CORRUPT',
        mentions: 'notes.txt',
      },
      { name: 'an unknown option', args: () => ['run', 'list', '--colour'], code: 2, error: 'STEWARD_USAGE', mentions: '--colour' },
      {
        name: 'a workflow module that does not exist',
        args: () => ['run', 'start', 'hello', '--module', './nowhere.js'],
        code: 1,
        error: 'STEWARD_CONFIG',
        mentions: 'nowhere.js',
      },
    ];

    it.each(cases)('$name', async ({ args, code, error, mentions }) => {
      // the last --store wins, so a case may point at its own store
      const result = await runCli(['--store', store, ...args()], { cwd: dir });

      expect(result.code).toBe(code);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: .+ \\[${error}\\]$`));
      expect(lines[0]).toContain(mentions);
    });
  });

  it('ends run logs --follow once the run has ended and every event is printed', async () => {
    const id = await startRun('hello', { name: 'Grace' });
    const follower = background('run', 'logs', id, '--follow');
    await follower.waitForOutput(/run\.created/);
    expect(follower.running).toBe(true);

    await startWorker();

    expect(await follower.waitForExit(30_000)).toBe(0);
    const types = follower.stdout.trim().split('\n').map((line) => line.split(/\s+/)[1]);
    expect(types).toEqual(['run.created', 'run.running', 'step.completed', 'run.succeeded']);
  });

  it('runs the release example end to end: bake, approval signal, deploy, notify child', async () => {
    await startWorker();
    const id = await startRun('release', { service: 'web', version: '1.2.3' });

    await untilRun(id, (s) => s.steps.some((step) => step.name === 'approve' && step.status === 'waiting'), 'the approval wait');
    const signalled = await steward('run', 'signal', id, 'approve', '--payload', '{"by":"e2e"}');
    expect(signalled.code, signalled.stderr).toBe(0);

    const { run, steps } = await untilRun(id, (s) => s.run.status === 'succeeded', 'the release to succeed');
    expect(run.output).toMatchObject({ service: 'web', version: '1.2.3', approvedBy: 'e2e' });
    expect(steps.map((s) => s.name)).toEqual(['build', 'test', 'bake', 'approve', 'deploy', 'notify']);
    const children = JSON.parse((await steward('run', 'list', '--workflow', 'notify', '--json')).stdout) as { runs: RunRecord[] };
    expect(children.runs).toMatchObject([{ parentId: id, status: 'succeeded' }]);
  });

  it('serves the workflows of a --module given as a default-exported array, and refuses a module without any', async () => {
    const library = pathToFileURL(join(CLI_MAIN, '..', '..', 'index.js')).href;
    const zod = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
    writeFileSync(
      join(dir, 'shout.mjs'),
      `import { z } from '${zod}';\nimport { defineWorkflow } from '${library}';\n` +
        `export default [defineWorkflow({ name: 'shout', input: z.object({ text: z.string() }),\n` +
        `  async run(ctx, input) { return ctx.step('upper', () => input.text.toUpperCase()); } })];\n`,
    );
    writeFileSync(join(dir, 'empty.mjs'), 'export const answer = 42;\n');
    const worker = background('worker', '--module', './shout.mjs');
    await worker.waitForOutput(/workflows shout;/);

    const started = await steward('run', 'start', 'shout', '--module', './shout.mjs', '--input', '{"text":"hi"}', '--wait');
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toBe('HI');

    const empty = await steward('run', 'start', 'shout', '--module', './empty.mjs');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^error: workflow module \.\/empty\.mjs exports no workflow: .+ \[STEWARD_CONFIG\]\n$/);
  });

  it('cancels a queued run', async () => {
    const id = await startRun('hello', {});

    const cancelled = await steward('run', 'cancel', id, '--reason', 'changed my mind');

    expect(cancelled.stdout.trim()).toBe(`cancelled run ${id}`);
    const { run } = await show(id);
    expect(run.status).toBe('cancelled');
    expect(run.error?.message).toContain('changed my mind');
  });

  it('prints the output with run start --wait, and exits 1 when the awaited run is cancelled', async () => {
    const waiter = background('run', 'start', 'hello', '--input', '{"name":"Lin"}', '--wait');
    await eventually(async () => (/run (run_\w+) started/.test(waiter.stderr) ? true : undefined), { what: () => 'the waiting note' });
    const id = /run (run_\w+) started/.exec(waiter.stderr)?.[1] ?? '';
    await steward('run', 'cancel', id);

    expect(await waiter.waitForExit()).toBe(1);
    expect(waiter.stderr.trimEnd().split('\n').at(-1)).toMatch(/^error: run "run_\w+" was cancelled \[STEWARD_RUN_CANCELLED\]$/);

    await startWorker();
    const done = await steward('run', 'start', 'hello', '--input', '{"name":"Lin"}', '--wait');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ greeting: 'Hello, Lin!' });
  });
});

describe('steward kill-switch', () => {
  it('turns the switch on and off, says who and why, and audits both', async () => {
    expect((await steward('kill-switch', 'status')).stdout).toBe('kill switch: off — applies run\n');

    const on = await steward('kill-switch', 'on', '--by', 'User::"alice"', '--reason', 'bad deploy wave');
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^kill switch: ON by User::"alice" at .+: bad deploy wave — no apply starts/);
    const status = JSON.parse((await steward('kill-switch', 'status', '--json')).stdout) as { killSwitch: { on: boolean; reason: string } };
    expect(status.killSwitch).toMatchObject({ on: true, reason: 'bad deploy wave' });

    expect((await steward('kill-switch', 'off', '--by', 'User::"alice"')).code).toBe(0);
    const entries = (await steward('audit', 'export', '--json')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; actor: string });
    expect(entries.map((e) => [e.kind, e.actor])).toEqual([
      ['kill_switch.on', 'User::"alice"'],
      ['kill_switch.off', 'User::"alice"'],
    ]);
    expect((await steward('audit', 'verify')).code).toBe(0);
  });
});
