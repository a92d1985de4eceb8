/**
 * `steward approvals …` and `steward autonomy …` end to end through the built CLI: a worker process with the bundled
 * examples applies the reviewed deploy plan; its write and deploy wait in the inbox until a person approves them from
 * the command line, and then the example's files show the release.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/index.js';
import type { ApprovalRecord } from '../../src/index.js';
import { CliProcess, eventually, runCli, type CliResult } from './cli-process.js';

const DEPLOY_PLAN = fileURLToPath(new URL('../../examples/deploy-plan.yaml', import.meta.url));

/** Polls are generous: a worker on SQLite sees other processes' changes within its 1 s poll interval. */
const POLL = { timeoutMs: 60_000, intervalMs: 250 };

let dir: string;
let store: string;
let processes: CliProcess[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-approvals-'));
  store = `sqlite:${join(dir, 's.db')}`;
  processes = [];
});

afterEach(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command against this test's store, in this test's directory (where the example writes `.steward/`). */
function steward(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--store', store], { cwd: dir, timeoutMs: 60_000 });
}

async function json<T>(...args: string[]): Promise<T> {
  const result = await steward(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function pending(runId: string): Promise<ApprovalRecord[]> {
  return (await json<{ approvals: ApprovalRecord[] }>('approvals', 'list', '--run', runId)).approvals;
}

describe('steward approvals', () => {
  it('lets a person approve the write and the deploy of a reviewed plan from the command line', async () => {
    const worker = new CliProcess(['worker', '--store', store], { cwd: dir });
    processes.push(worker);
    await worker.waitForOutput(/started on .*actions registry\.inspect, config\.update, service\.deploy/, 30_000);

    const planned = await json<{ runId: string; hash: string }>('plan', DEPLOY_PLAN, '--subject', 'User::"alice"');
    const applied = await steward('apply', planned.runId, '--expect-hash', planned.hash);
    expect(applied.code, applied.stderr).toBe(0);

    // the read applies alone at autonomy 1; the write and the deploy (one wave) wait for a person
    const waiting = await eventually(async () => {
      const found = await pending(planned.runId);
      return found.length === 2 ? found : undefined;
    }, { ...POLL, what: () => 'two pending approvals' });
    expect(waiting.map((a) => [a.action, a.category, a.requester]).sort()).toEqual([
      ['config.update', 'write', 'User::"alice"'],
      ['service.deploy', 'deploy', 'User::"alice"'],
    ]);
    const table = await steward('approvals', 'list');
    expect(table.stdout).toMatch(/^ID +RUN +ACTION +CATEGORY +RESOURCE +REQUESTER +AGE +EXPIRES IN +STATUS\n/);
    expect(table.stdout).toContain('service:api');

    const [first, second] = waiting as [ApprovalRecord, ApprovalRecord];
    const shown = await steward('approvals', 'show', first.id);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`plan hash  ${first.planHash}`);
    expect(shown.stdout).toContain(`steward approvals approve ${first.id} --as 'User::"you"' --role approver --reason "…" --plan-hash ${first.planHash} --store ${store}`);

    const noReason = await steward('approvals', 'approve', first.id, '--as', 'User::"ops"', '--role', 'approver');
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toMatch(/^error: .*needs a reason-for-access.*\[STEWARD_APPROVAL_REFUSED\]\n$/);
    const nobody = await steward('approvals', 'approve', first.id, '--reason', 'looks right');
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/--as 'User::"alice"', or set STEWARD_PRINCIPAL.*\[STEWARD_USAGE\]\n$/);
    const noRole = await steward('approvals', 'approve', first.id, '--as', 'User::"ops"', '--reason', 'looks right');
    expect(noRole.code).toBe(1);
    expect(noRole.stderr).toMatch(/\[STEWARD_POLICY_DENIED\]\n$/);
    const staleHash = await steward('approvals', 'approve', first.id, '--as', 'User::"ops"', '--role', 'approver', '--reason', 'x', '--plan-hash', 'a'.repeat(64));
    expect(staleHash.stderr).toMatch(/\[STEWARD_APPROVAL_REFUSED\]\n$/);

    for (const approval of [first, second]) {
      const ok = await steward('approvals', 'approve', approval.id, '--as', 'User::"ops"', '--role', 'approver', '--reason', 'release reviewed in #ops', '--plan-hash', approval.planHash);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(new RegExp(`^approved ${approval.id}, .* as User::"ops": "release reviewed in #ops" — the waiting run resumes on a worker`));
    }
    const again = await steward('approvals', 'deny', first.id, '--as', 'User::"ops"', '--reason', 'changed my mind');
    expect(again.stderr).toMatch(/a decision is final \[STEWARD_APPROVAL_REFUSED\]\n$/);

    const done = await eventually(async () => {
      const { run } = await json<{ run: RunRecord }>('run', 'show', planned.runId);
      return run.status === 'waiting' || run.status === 'running' || run.status === 'queued' ? undefined : run;
    }, { ...POLL, what: () => `the end of run ${planned.runId}` });
    expect(done.status).toBe('succeeded');

    const config = JSON.parse(readFileSync(join(dir, '.steward', 'example-config.json'), 'utf8')) as { values: Record<string, unknown> };
    expect(config.values['services.api.image']).toBe('api:2.0');
    const services = JSON.parse(readFileSync(join(dir, '.steward', 'example-services.json'), 'utf8')) as { services: Record<string, { image: string }> };
    expect(services.services.api?.image).toBe('api:2.0');

    const decided = (await json<{ approvals: ApprovalRecord[] }>('approvals', 'list', '--status', 'approved', '--run', planned.runId)).approvals;
    expect(decided.map((a) => [a.decidedBy, a.reason])).toEqual([
      ['User::"ops"', 'release reviewed in #ops'],
      ['User::"ops"', 'release reviewed in #ops'],
    ]);
    expect((await pending(planned.runId)).length).toBe(0);
    const audit = (await steward('audit', 'export', '--json')).stdout;
    expect(audit.match(/"kind":"approval\.approved"/g)?.length).toBe(2);
    const verified = await steward('audit', 'verify');
    expect(verified.code, verified.stderr).toBe(0);

    expect(await worker.stop('SIGTERM')).toBe(0);
  });

  it('denies a request with a reason, and the run rolls back what it applied', async () => {
    const worker = new CliProcess(['worker', '--store', store], { cwd: dir });
    processes.push(worker);
    await worker.waitForOutput(/started on/, 30_000);
    const started = await steward('run', 'start', 'deploy.release', '--input', '{"service":"web","image":"web:1.5"}');
    expect(started.code, started.stderr).toBe(0);
    const runId = started.stdout.trim();

    const [write] = await eventually(async () => {
      const found = await pending(runId);
      return found.length === 1 ? found : undefined;
    }, { ...POLL, what: () => 'the approval of the config write' });
    const approved = await steward('approvals', 'approve', write!.id, '--as', 'User::"ops"', '--role', 'approver', '--reason', 'pin web 1.5');
    expect(approved.code, approved.stderr).toBe(0);

    const [deploy] = await eventually(async () => {
      const found = await pending(runId);
      return found.length === 1 && found[0]?.action === 'service.deploy' ? found : undefined;
    }, { ...POLL, what: () => 'the approval of the deploy' });
    const unexplained = await steward('approvals', 'deny', deploy!.id, '--as', 'User::"ops"', '--role', 'approver');
    expect(unexplained.code).toBe(2);
    expect(unexplained.stderr).toMatch(/give --reason TEXT.*\[STEWARD_USAGE\]\n$/);
    const denied = await runCli(['approvals', 'deny', deploy!.id, '--reason', 'not during the freeze', '--store', store], {
      cwd: dir,
      env: { STEWARD_PRINCIPAL: 'User::"ops"', STEWARD_ROLES: 'approver' },
    });
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stdout).toContain('fails with STEWARD_APPROVAL_DENIED');

    const ended = await eventually(async () => {
      const { run } = await json<{ run: RunRecord }>('run', 'show', runId);
      return run.status === 'rolled_back' || run.status === 'failed' || run.status === 'succeeded' ? run : undefined;
    }, { ...POLL, what: () => `the end of run ${runId}` });
    expect(ended.status).toBe('rolled_back');
    expect(ended.error?.code).toBe('STEWARD_APPROVAL_DENIED');
    const config = JSON.parse(readFileSync(join(dir, '.steward', 'example-config.json'), 'utf8')) as { values: Record<string, unknown> };
    expect(config.values['services.web.image']).toBe('web:1.4');
  });
});

describe('steward run start --mode plan', () => {
  it('previews a code workflow, which ends planned with its hash; steward apply applies that plan', async () => {
    const worker = new CliProcess(['worker', '--store', store], { cwd: dir });
    processes.push(worker);
    await worker.waitForOutput(/started on /, 30_000);
    const set = await steward('autonomy', 'set', '3', '--by', 'User::"ops"');
    expect(set.code, set.stderr).toBe(0);

    const started = await steward('run', 'start', 'deploy.release', '--input', '{"service":"web","image":"web:1.5"}', '--mode', 'plan', '--subject', 'User::"alice"', '--wait');
    expect(started.code, started.stderr).toBe(0);
    const hint = /steward apply (\S+) --expect-hash ([0-9a-f]{64})/.exec(started.stderr);
    expect(hint, started.stderr).not.toBeNull();
    const [, runId, hash] = hint as unknown as [string, string, string];
    expect(existsSync(join(dir, '.steward', 'example-services.json'))).toBe(false);

    const bad = await steward('run', 'start', 'deploy.release', '--input', '{"service":"web","image":"web:1.5"}', '--mode', 'later');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--mode');

    const applied = await steward('apply', runId, '--expect-hash', hash, '--wait');
    expect(applied.code, applied.stderr).toBe(0);
    const { run } = await json<{ run: RunRecord }>('run', 'show', runId);
    expect(run).toMatchObject({ status: 'succeeded', mode: 'apply', subject: 'User::"alice"' });
    const services = JSON.parse(readFileSync(join(dir, '.steward', 'example-services.json'), 'utf8')) as { services: Record<string, { image: string }> };
    expect(services.services.web?.image).toBe('web:1.5');
  });
});

describe('steward autonomy', () => {
  it('reads, sets and audits the global level, and refuses one that is not 0 to 3', async () => {
    expect((await steward('autonomy', 'get')).stdout).toBe('autonomy 1: reads apply alone; write, deploy and rollback wait for approval\n');
    const set = await steward('autonomy', 'set', '2', '--by', 'User::"ops"', '--reason', 'quiet week');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^autonomy 2: reads and writes apply alone.* \(was 1\)/);
    expect(await json('autonomy', 'get')).toEqual({ autonomy: 2, meaning: 'reads and writes apply alone; deploy and rollback wait for approval' });

    for (const bad of ['4', '-1', '1.5', 'high']) {
      const refused = await steward('autonomy', 'set', bad);
      expect(refused.code, bad).toBe(2);
      expect(refused.stderr).toMatch(/^error: autonomy level ".*" is not one: give the level as a whole number from 0 to 3.*\[STEWARD_USAGE\]\n$/);
    }
    expect((await json<{ autonomy: number }>('autonomy', 'get')).autonomy).toBe(2);
    const audit = (await steward('audit', 'export', '--json')).stdout;
    expect(audit).toMatch(/"kind":"autonomy\.changed"/);
    expect((await steward('audit', 'verify')).code).toBe(0);
  });
});
