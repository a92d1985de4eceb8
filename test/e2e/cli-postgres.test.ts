/** The `steward` CLI on a PostgreSQL store: a worker and commands in other processes share one database. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/index.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.js';
import { CliProcess, eventually, runCli } from './cli-process.js';

const url = testPostgresUrl();
const password = new URL(url).password;
const admin = adminPool(url);
const schemas: string[] = [];
let processes: CliProcess[] = [];

function freshStore(): string {
  const schema = uniqueSchema('cli');
  schemas.push(schema);
  return withSchema(url, schema);
}

/** The URL with one part replaced. */
function changed(change: (u: URL) => void): string {
  const u = new URL(url);
  change(u);
  return u.toString();
}

beforeAll(() => {
  expect(password.length).toBeGreaterThan(0);
});

afterEach(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  processes = [];
});

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe('steward CLI on PostgreSQL', () => {
  it('runs a run started with STEWARD_DATABASE_URL on a worker given --store, and never prints the password', async () => {
    const store = freshStore();
    const worker = new CliProcess(['worker', '--store', store]);
    processes.push(worker);
    await worker.waitForOutput(/started on/);

    const started = await runCli(['run', 'start', 'hello', '--input', '{"name":"Ada"}'], { env: { STEWARD_DATABASE_URL: store } });
    expect(started.stderr).toBe('');
    const id = started.stdout.trim();
    const run = await eventually(
      async () => {
        const shown = await runCli(['run', 'show', id, '--json'], { env: { STEWARD_DATABASE_URL: store } });
        const parsed = JSON.parse(shown.stdout) as { run: RunRecord };
        return parsed.run.status === 'succeeded' ? parsed.run : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: () => `run ${id} to succeed` },
    );

    expect(run.output).toEqual({ greeting: 'Hello, Ada!' });
    expect(worker.stdout).toContain('postgres://postgres:***@');
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.stdout + worker.stderr).not.toContain(password);
  });

  it('says in one line that the password was refused, without printing it', async () => {
    const result = await runCli(['run', 'list', '--store', changed((u) => (u.password = 'not-the-password'))]);

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: store "postgres:\/\/postgres:\*\*\*@.*" is not usable: PostgreSQL refused the password of user "postgres" .*\[STEWARD_STORE_URL\]$/m);
    expect(result.stderr).not.toContain('not-the-password');
  });

  it('says in one line that the database does not exist and how to create it', async () => {
    const result = await runCli(['run', 'list', '--store', changed((u) => (u.pathname = '/no_such_database'))]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*database "no_such_database" does not exist .*createdb no_such_database.*\[STEWARD_STORE_URL\]\n$/);
    expect(result.stderr).not.toContain(password);
  });

  it('says in one line that nothing answers at the address', async () => {
    const result = await runCli(['run', 'list', '--store', changed((u) => (u.port = '1'))]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot open PostgreSQL store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/.* nothing accepts connections .*\[STEWARD_STORE_UNAVAILABLE\]\n$/);
    expect(result.stderr).not.toContain(password);
  });
});
