/** Opening PostgreSQL schemas: migrations applied once by many openers at once, and schemas Steward must not touch. */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/index.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../../helpers/postgres.js';
import { silentLogger } from '../../helpers/steward.js';
import { rejectionOf } from '../../helpers/wait.js';
import { newRunOf } from '../../helpers/new-run.js';

const url = testPostgresUrl();
const admin = adminPool(url);
const schemas: string[] = [];

function freshSchema(): string {
  const schema = uniqueSchema('migrations');
  schemas.push(schema);
  return schema;
}

function open(schema: string): Promise<Store> {
  return openStore(withSchema(url, schema), { logger: silentLogger });
}

async function tablesOf(schema: string): Promise<string[]> {
  const result = await admin.query<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return result.rows.map((r) => r.name);
}

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe('PostgreSQL migrations', () => {
  it('eight stores opening one new schema at once create it and apply each migration once', async () => {
    const schema = freshSchema();

    const stores = await Promise.all(Array.from({ length: 8 }, () => open(schema)));

    try {
      const applied = await admin.query<{ version: number; name: string }>(`SELECT version, name FROM ${schema}.migrations ORDER BY version`);
      expect(applied.rows).toEqual([
        { version: 1, name: 'init' },
        { version: 2, name: 'audit' },
        { version: 3, name: 'controls' },
        { version: 4, name: 'locks' },
        { version: 5, name: 'approvals' },
        { version: 6, name: 'budgets' },
        { version: 7, name: 'components' },
        { version: 8, name: 'tokens' },
      ]);
      expect(await tablesOf(schema)).toEqual(['action_breakers', 'action_rates', 'api_tokens', 'approvals', 'audit', 'audit_head', 'component_controls', 'component_reports', 'controls', 'events', 'migrations', 'queues', 'resource_locks', 'runs', 'schedules', 'signals', 'status_transitions', 'steps']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('a schema written by a newer Steward is refused and left as it was', async () => {
    const schema = freshSchema();
    await (await open(schema)).close();
    await admin.query(`INSERT INTO ${schema}.migrations (version, name, applied_at) VALUES (9, 'from_the_future', 0)`);

    const error = await rejectionOf(open(schema));

    expect(error.code).toBe('STEWARD_STORE_SCHEMA_TOO_NEW');
    expect(error.message).toContain('schema version 9, newer than the 8 this Steward knows');
    expect(error.message).not.toContain(new URL(url).password);
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${schema}.migrations`)).rows[0]).toEqual({ n: 9 });
  });

  it('a schema that holds tables of something else is refused, and nothing is created in it', async () => {
    const schema = freshSchema();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.users (id int)`);

    const error = await rejectionOf(open(schema));

    expect(error.code).toBe('STEWARD_STORE_CORRUPT');
    expect(error.message).toContain('holds tables (users) but is not a Steward store');
    expect(error.message).toContain('?schema=');
    expect(await tablesOf(schema)).toEqual(['users']);
  });

  it('the store opens an existing schema again without migrating it twice, and keeps its runs', async () => {
    const schema = freshSchema();
    const first = await open(schema);
    const { run } = await first.createRun(newRunOf({ id: 'run_kept', workflow: 'wf' }, 1));
    await first.close();

    const second = await open(schema);
    try {
      expect((await second.getRun(run.id))?.status).toBe('queued');
      expect((await admin.query(`SELECT count(*)::int AS n FROM ${schema}.migrations`)).rows[0]).toEqual({ n: 8 });
    } finally {
      await second.close();
    }
  });
});

describe('PostgreSQL privileges', async () => {
  const canCreateRoles = (await admin.query<{ ok: boolean }>('SELECT rolsuper OR rolcreaterole AS ok FROM pg_roles WHERE rolname = current_user')).rows[0]?.ok === true;

  it.skipIf(!canCreateRoles)('a role with only CONNECT and the documented grants runs a schema its owner migrated', async () => {
    const schema = freshSchema();
    const role = `steward_app_${schema.slice(-8)}`;
    await (await open(schema)).close();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-secret'`);
    try {
      await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
      await admin.query(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
      await admin.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
      const appUrl = new URL(withSchema(url, schema));
      appUrl.username = role;
      appUrl.password = 'app-secret';
      const store = await openStore(appUrl.toString(), { logger: silentLogger });
      try {
        const now = Date.now();
        await store.configureQueues([{ name: 'default', concurrency: 2, maxQueued: 10 }]);
        const { run } = await store.createRun({
          id: 'run_app', workflow: 'wf', workflowVersion: '1', inputJson: '{}', status: 'queued', mode: 'apply', autonomy: null,
          subject: null, goal: null, idempotencyKey: 'app', queue: 'default', priority: 0, parentId: null, timeoutMs: null,
          runnableAt: now, createdAt: now,
        });
        const [claimed] = await store.claimRuns({ owner: 'w', queues: ['default'], workflows: ['wf'], limit: 1, leaseMs: 1000, now });
        await store.recordStep(claimed!.lease, {
          seq: 1, kind: 'step', name: 'one', status: 'completed', attempts: 1, resultJson: '1', error: null, wakeAt: null, startedAt: now, finishedAt: now,
        });
        await store.finishRun(claimed!.lease, { status: 'succeeded', outputJson: '"ok"' }, now);
        expect((await store.getRun(run.id))?.status).toBe('succeeded');
        expect((await store.readEvents({ after: 0, runId: run.id, limit: 10 })).map((e) => e.type)).toEqual([
          'run.created',
          'run.running',
          'step.completed',
          'run.succeeded',
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it.skipIf(!canCreateRoles)('a role that may not create tables is told how to mend it', async () => {
    const schema = freshSchema();
    const role = `steward_low_${schema.slice(-8)}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'low-secret'`);
    try {
      await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
      const lowUrl = new URL(withSchema(url, schema));
      lowUrl.username = role;
      lowUrl.password = 'low-secret';

      const error = await rejectionOf(openStore(lowUrl.toString(), { logger: silentLogger }));

      expect(error.code).toBe('STEWARD_STORE_URL');
      expect(error.message).toContain(`user "${role}" may not create Steward's tables`);
      expect(error.message).toContain('grant it CREATE on the schema');
      expect(error.message).not.toContain('low-secret');
      expect(await tablesOf(schema)).toEqual([]);
    } finally {
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });
});
