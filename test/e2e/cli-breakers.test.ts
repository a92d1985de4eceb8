/** `steward breakers list|reset` as an operator uses them, on a SQLite store whose breakers the test set up. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type BreakerStatus } from '../../src/index.js';
import { runCli, type CliResult } from './cli-process.js';

let dir: string;
let store: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-breakers-'));
  store = `sqlite:${join(dir, 's.db')}`;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function steward(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--store', store], { cwd: dir });
}

/** Fails applies of `action` `times` in a row, as workers would report them. */
async function failApplies(action: string, times: number): Promise<void> {
  const db = await openStore(store);
  try {
    const now = Date.now();
    for (let i = 0; i < times; i += 1) {
      await db.breakerRecord(action, false, { failures: 3, coolDownMs: 600_000 }, now, 'HTTP 503 from api', { at: now, actor: null, runId: null, subject: null, data: {} });
    }
  } finally {
    await db.close();
  }
}

describe('steward breakers', () => {
  it('list shows each action’s breaker, as a table or as JSON', async () => {
    const empty = await steward('breakers', 'list');
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout.trim()).toBe('no breakers: no apply of any action has failed');
    await failApplies('service.deploy', 3);
    await failApplies('dns.update', 1);

    const table = await steward('breakers', 'list');
    const json = await steward('breakers', 'list', '--json');

    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ACTION\s+STATE\s+FAILURES\s+OPENED\s+NEXT PROBE\s+LAST ERROR$/);
    expect(lines[1]).toMatch(/^dns\.update\s+closed\s+1\s+-\s+-\s+HTTP 503 from api$/);
    expect(lines[2]).toMatch(/^service\.deploy\s+open\s+3\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z\s+HTTP 503 from api$/);
    const listed = JSON.parse(json.stdout) as BreakerStatus[];
    expect(listed.map((b) => [b.action, b.state, b.failures])).toEqual([
      ['dns.update', 'closed', 1],
      ['service.deploy', 'open', 3],
    ]);
  });

  it('reset closes an open breaker, audited with who and why', async () => {
    await failApplies('service.deploy', 3);

    const reset = await steward('breakers', 'reset', 'service.deploy', '--reason', 'api fixed', '--by', 'User::"oncall"');

    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe(
      'breaker of service.deploy: closed by User::"oncall" (it was open after 3 consecutive failed applies) — applies of it start again',
    );
    const listed = JSON.parse((await steward('breakers', 'list', '--json')).stdout) as BreakerStatus[];
    expect(listed).toMatchObject([{ action: 'service.deploy', state: 'closed', failures: 0 }]);
    const audit = await steward('audit', 'export', '--json');
    const kinds = audit.stdout.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; actor: string | null; data: unknown });
    expect(kinds.map((e) => e.kind)).toEqual(['breaker.opened', 'breaker.reset']);
    expect(kinds[1]).toMatchObject({ actor: 'User::"oncall"', data: { reason: 'api fixed', action: 'service.deploy', from: 'open', failures: 3 } });
    expect((await steward('audit', 'verify')).code).toBe(0);
  });

  it('reset without a reason is a usage error, and of an unknown action names the known ones', async () => {
    await failApplies('service.deploy', 1);

    const noReason = await steward('breakers', 'reset', 'service.deploy');
    const unknown = await steward('breakers', 'reset', 'service.deplyo', '--reason', 'fixed');

    expect(noReason.code).toBe(2);
    expect(noReason.stderr.trim()).toBe(
      'error: give --reason TEXT: why the breaker may close (it is recorded in the audit log) [STEWARD_USAGE]',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no circuit breaker is recorded for action "service.deplyo"');
    expect(unknown.stderr).toContain('(known: service.deploy) [STEWARD_BREAKER_NOT_FOUND]');
  });
});
