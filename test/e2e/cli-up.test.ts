/**
 * `steward up` through the built CLI: one process serves the API and a worker; the first start prints an admin token
 * once and starts the example plan, a second start on the same store does neither again; STEWARD_ADMIN_TOKEN is
 * taken as the admin token; a busy port is a one-line error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliProcess, runCli } from './cli-process.js';

let dir: string;
let store: string;
const running: CliProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-up-'));
  store = `sqlite:${join(dir, 's.db')}`;
});

afterEach(async () => {
  for (const proc of running.splice(0)) await proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function up(env: Record<string, string> = {}): Promise<{ proc: CliProcess; url: string }> {
  const proc = new CliProcess(['up', '--port', '0', '--store', store], { cwd: dir, env });
  running.push(proc);
  await proc.waitForOutput(/Stop it with Ctrl\+C/, 60_000);
  const url = /console +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(proc.stdout)?.[1];
  if (url === undefined) throw new Error(`no console URL in: ${proc.stdout}`);
  return { proc, url };
}

async function get(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Polls until `probe` gives a value. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('steward up', () => {
  it('serves the API with a worker, prints an admin token once and shows the example plan run', async () => {
    const first = await up();
    const token = /token +(stw_[A-Za-z0-9_-]{43})\n/.exec(first.proc.stdout)?.[1];
    expect(token).toBeDefined();
    const runId = /example +run (run_[0-9a-f]+)/.exec(first.proc.stdout)?.[1];
    expect(runId).toBeDefined();
    expect((await get(`${first.url}readyz`)).status).toBe(200);
    expect((await get(`${first.url}v1/runs`)).status).toBe(401);
    const metrics = await fetch(`${first.url}metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^steward_runs\{status="[a-z_]+"\} \d+$/m);

    // the worker of the same process runs the example plan to its review point
    let run: { status: string; workflow: string } | undefined;
    for (let i = 0; i < 200 && run?.status !== 'planned'; i++) {
      run = (await get(`${first.url}v1/runs/${runId}`, token)).body as { status: string; workflow: string };
      if (run.status !== 'planned') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(run).toMatchObject({ status: 'planned', workflow: 'steward.plan', subject: 'Agent::"example-agent"' });

    // the admin of a fresh store reviews the agent's plan, applies it and approves what needs approval
    const preview = (await get(`${first.url}v1/plans/${runId}`, token)).body as { hash: string; acts: unknown[] };
    expect(preview.acts).toHaveLength(3);
    expect((await post(`${first.url}v1/plans/${runId}/apply`, token!, { expectHash: preview.hash })).status).toBe(202);
    const pending = await until('two approval requests', async () => {
      const { approvals } = (await get(`${first.url}v1/approvals?status=pending`, token)).body as { approvals: Array<{ id: string }> };
      return approvals.length === 2 ? approvals : undefined;
    });
    for (const approval of pending) {
      expect((await post(`${first.url}v1/approvals/${approval.id}/approve`, token!, { reason: 'CHG-1: reviewed the example plan' })).status).toBe(200);
    }
    const done = await until('the example run to finish', async () => {
      const current = (await get(`${first.url}v1/runs/${runId}`, token)).body as { status: string };
      return ['succeeded', 'failed', 'rolled_back'].includes(current.status) ? current : undefined;
    });
    expect(done.status).toBe('succeeded');
    expect(await first.proc.stop()).toBe(0);

    // a second start: the same token still works, no new token is printed and no second example run is started
    const second = await up();
    expect(second.proc.stdout).not.toMatch(/stw_/);
    expect(second.proc.stdout).toContain('this store has 1 admin token already');
    const runs = (await get(`${second.url}v1/runs`, token)).body as { runs: Array<{ id: string }> };
    expect(runs.runs.map((r) => r.id)).toEqual([runId]);
  });

  it('takes STEWARD_ADMIN_TOKEN as the admin token, and refuses one too short to be safe', async () => {
    const secret = 'stw_chosen-by-the-operator-0123456789';
    const { proc, url } = await up({ STEWARD_ADMIN_TOKEN: secret });
    expect(proc.stdout).toContain('STEWARD_ADMIN_TOKEN (tok_');
    expect(proc.stdout).not.toContain(secret);
    expect((await get(`${url}v1/autonomy`, secret)).status).toBe(200);
    await proc.stop();

    const short = await runCli(['up', '--port', '0', '--store', store], { cwd: dir, env: { STEWARD_ADMIN_TOKEN: 'short' }, timeoutMs: 60_000 });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/STEWARD_ADMIN_TOKEN is not usable: .*at least 24 characters/);
  });

  it('says which flag mends a port that is in use or a bad value', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const busy = await runCli(['up', '--port', String(port), '--store', store], { cwd: dir, timeoutMs: 60_000 });
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toContain(`port ${port} on 127.0.0.1 is in use by another program: pass --port <n>`);
    } finally {
      blocker.close();
    }
    const bad = await runCli(['up', '--port', 'http', '--store', store], { cwd: dir, timeoutMs: 60_000 });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--port takes a whole number from 0 to 65535, not "http"');
  });
});
