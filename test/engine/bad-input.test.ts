/** Bad input gets a clear error and loses nothing: unknown workflows, invalid input, bad step results, bad stores. */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSteward, defineWorkflow } from '../../src/index.js';
import { createdRunIds } from '../helpers/runs.js';
import { silentLogger, useSteward } from '../helpers/steward.js';
import { useDbPath, useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';

const deploy = defineWorkflow({
  name: 'service.deploy',
  input: z.object({ service: z.string().min(1), replicas: z.number().int().positive() }),
  async run(_ctx, input) {
    return `${input.service} x${input.replicas}`;
  },
});

describe('bad input to start', () => {
  it('starting a workflow nobody registered fails with STEWARD_UNKNOWN_WORKFLOW and creates nothing', async () => {
    const steward = await useSteward({ workflows: [deploy] });

    const error = await rejectionOf(steward.start('service.deplyo', {}));

    expect(error.code).toBe('STEWARD_UNKNOWN_WORKFLOW');
    expect(error.message).toContain('service.deplyo');
    expect(error.message).toContain('service.deploy');
    expect(await createdRunIds(steward)).toEqual([]);
  });

  it('input that fails the workflow’s schema fails with STEWARD_VALIDATION naming the field, and creates nothing', async () => {
    const steward = await useSteward({ workflows: [deploy] });

    const wrongType = await rejectionOf(steward.start('service.deploy', { service: 'api', replicas: 'three' }));
    const missing = await rejectionOf(steward.start('service.deploy', { replicas: 2 }));

    expect(wrongType.code).toBe('STEWARD_VALIDATION');
    expect(wrongType.message).toContain('input.replicas');
    expect(wrongType.message).not.toContain('input.service');
    expect(wrongType.details).toMatchObject({ workflow: 'service.deploy', issues: [{ path: ['replicas'] }] });
    expect(missing.code).toBe('STEWARD_VALIDATION');
    expect(missing.message).toContain('input.service');
    expect(await createdRunIds(steward)).toEqual([]);
  });

  it('start options that do not fit are refused with STEWARD_VALIDATION', async () => {
    const steward = await useSteward({ workflows: [deploy] });

    const error = await rejectionOf(steward.start('service.deploy', { service: 'api', replicas: 1 }, { priority: 5000 }));

    expect(error.code).toBe('STEWARD_VALIDATION');
    expect(error.message).toContain('priority');
    expect(await createdRunIds(steward)).toEqual([]);
  });
});

describe('step results that cannot be stored', () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  const cyclic = (): unknown => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    return node;
  };
  const cases: Array<[string, () => unknown, string]> = [
    ['a function', () => ({ callback: () => 1 }), 'function'],
    ['a BigInt', () => ({ total: 10n }), 'bigint'],
    ['a class instance', () => ({ price: new Money(250) }), 'Money'],
    ['a cycle', cyclic, 'circular'],
    ['NaN', () => ({ ratio: Number.NaN }), 'NaN'],
  ];

  it.each(cases)('a step returning %s fails the step once with STEWARD_STEP_RESULT_NOT_JSON in run.error', async (_label, make, reason) => {
    let calls = 0;
    const wf = defineWorkflow({
      name: 'returns.bad.value',
      input: z.object({}),
      async run(ctx) {
        await ctx.step(
          'produce',
          () => {
            calls += 1;
            return make();
          },
          { retry: { baseMs: 1 } },
        );
        return 'unreachable';
      },
    });
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();

    const handle = await steward.start('returns.bad.value', {});
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('STEWARD_STEP_FAILED');
    expect(run.error?.message).toContain('produce');
    expect(run.error?.details).toMatchObject({ step: 'produce', error: { code: 'STEWARD_STEP_RESULT_NOT_JSON' } });
    expect(run.error?.message).toContain(reason);
    expect(calls).toBe(1);
    expect(await steward.steps(handle.id)).toMatchObject([{ name: 'produce', status: 'failed', result: null }]);
  });

  it('a step result over maxResultBytes fails the step with STEWARD_STEP_RESULT_TOO_LARGE, not a truncation', async () => {
    const wf = defineWorkflow({
      name: 'returns.big.value',
      input: z.object({ size: z.number() }),
      async run(ctx, input) {
        return ctx.step('produce', () => 'x'.repeat(input.size));
      },
    });
    const steward = await useSteward({ workflows: [wf], maxResultBytes: 1024 });
    steward.worker.start();

    const fits = await steward.start('returns.big.value', { size: 1000 });
    const tooBig = await steward.start('returns.big.value', { size: 2000 });
    const small = await steward.wait(fits.id, { timeoutMs: 15_000 });
    const big = await steward.wait(tooBig.id, { timeoutMs: 15_000 });

    expect(small).toMatchObject({ status: 'succeeded', output: 'x'.repeat(1000) });
    expect(big.status).toBe('failed');
    expect(big.error?.details).toMatchObject({
      step: 'produce',
      error: { code: 'STEWARD_STEP_RESULT_TOO_LARGE', details: { bytes: 2002, limit: 1024 } },
    });
    expect(await steward.steps(tooBig.id)).toMatchObject([{ status: 'failed', result: null }]);
  });
});

describe('bad store locations', () => {
  it('a database path whose directory is missing fails with STEWARD_STORE_UNAVAILABLE and creates nothing', async () => {
    const dir = useTempDir();
    const missing = join(dir, 'not', 'there');

    const error = await rejectionOf(createSteward({ store: `sqlite:${join(missing, 'steward.db')}`, logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_UNAVAILABLE');
    expect(error.message).toContain(missing);
    expect(existsSync(join(dir, 'not'))).toBe(false);
  });

  it('a location nobody can write (under /proc) fails with STEWARD_STORE_UNAVAILABLE', async () => {
    const error = await rejectionOf(createSteward({ store: `sqlite:/proc/steward-${process.pid}.db`, logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_UNAVAILABLE');
    expect(error.message).toContain('/proc');
  });

  it('a path that is a directory fails with STEWARD_STORE_UNAVAILABLE', async () => {
    const dir = useTempDir();

    const error = await rejectionOf(createSteward({ store: `sqlite:${dir}`, logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_UNAVAILABLE');
  });

  it('a file that is not SQLite fails with STEWARD_STORE_CORRUPT and its bytes are left unchanged', async () => {
    const file = useDbPath('notes.db');
    const bytes = Buffer.from('These are my notes, not a database.\n'.repeat(200));
    writeFileSync(file, bytes);

    const error = await rejectionOf(createSteward({ store: `sqlite:${file}`, logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_CORRUPT');
    expect(error.message).toContain(file);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('a SQLite database of another program fails with STEWARD_STORE_CORRUPT and is left as it was', async () => {
    const file = useDbPath('crm.db');
    const other = new Database(file);
    other.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')");
    other.close();
    const before = readFileSync(file);

    const error = await rejectionOf(createSteward({ store: `sqlite:${file}`, logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_CORRUPT');
    expect(readFileSync(file).equals(before)).toBe(true);
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(['customers']);
    check.close();
  });

  it('a database written by a newer schema fails with STEWARD_STORE_SCHEMA_TOO_NEW and its runs are still there', async () => {
    const file = useDbPath();
    const first = await createSteward({ store: `sqlite:${file}`, workflows: [deploy], logger: silentLogger });
    const handle = await first.start('service.deploy', { service: 'api', replicas: 2 });
    await first.close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (999, ?, ?)').run('from_the_future', Date.now());
    raw.close();

    const error = await rejectionOf(createSteward({ store: `sqlite:${file}`, workflows: [deploy], logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_SCHEMA_TOO_NEW');
    expect(error.message).toContain('999');
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT id, status, input FROM runs').all()).toEqual([
      { id: handle.id, status: 'queued', input: JSON.stringify({ service: 'api', replicas: 2 }) },
    ]);
    expect(check.prepare('SELECT max(version) FROM migrations').pluck().get()).toBe(999);
    check.close();
  });

  it('a store URL with an unknown scheme fails with STEWARD_STORE_URL', async () => {
    const error = await rejectionOf(createSteward({ store: 'mysql://localhost/steward', logger: silentLogger }));

    expect(error.code).toBe('STEWARD_STORE_URL');
  });
});
