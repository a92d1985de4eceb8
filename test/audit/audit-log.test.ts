import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/index.js';
import { AuditLog, Redactor } from '../../src/audit/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { runCli } from '../e2e/cli-process.js';
import { adminPool, testPostgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.js';
import { silentLogger } from '../helpers/steward.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SECRET = 'sk-live-4f9a8b7c6d5e';
const clock = { now: () => 1_700_000_000_000 };

describe('the audit log on SQLite', () => {
  let dir: string;
  let remove: () => void;
  let file: string;
  let store: Store;

  beforeEach(async () => {
    ({ dir, remove } = makeTempDir('steward-audit-'));
    file = join(dir, 'steward.db');
    store = await openStore(`sqlite:${file}`);
  });

  afterEach(async () => {
    await store.close();
    remove();
  });

  function rawRows(): Array<Record<string, unknown>> {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT * FROM audit ORDER BY id').all() as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  }

  it('keeps a registered secret and a password out of the stored rows and the log output', async () => {
    const redactor = new Redactor({ secrets: [SECRET] });
    const log = new AuditLog({ store, redactor, clock });
    await log.append({
      kind: 'token.created',
      actor: 'User::"alice"',
      data: { password: 'hunter2hunter2', note: `issued ${SECRET} to the deploy bot`, nested: { apiKey: 'abc', ok: 1 } },
    });
    const stored = JSON.stringify(rawRows());
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain('hunter2hunter2');
    expect(stored).toContain('issued [redacted] to the deploy bot');
    expect((await log.verify()).ok).toBe(true);

    let output = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((output += chunk.toString()), done()) });
    const logger = createLogger({ level: 'info', destination: sink, redactor });
    logger.info({ password: 'hunter2hunter2', url: `https://x/?t=${SECRET}`, err: new Error(`bad key ${SECRET}`) }, `calling with ${SECRET}`);
    logger.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(output).toContain('calling with [redacted]');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain('hunter2hunter2');
  });

  it('appends survive closing and reopening the store, and the chain continues', async () => {
    await new AuditLog({ store, clock }).append({ kind: 'a' }, { kind: 'b' });
    await store.close();
    store = await openStore(`sqlite:${file}`);
    const log = new AuditLog({ store, clock });
    const [third] = await log.append({ kind: 'c' });
    expect(third!.id).toBe(3);
    expect(await log.verify()).toMatchObject({ ok: true, count: 3, head: third!.hash });
  });

  it('one altered row is named by verify, from the library and from `steward audit verify`', async () => {
    const log = new AuditLog({ store, clock });
    await log.append({ kind: 'policy.decided', data: { decision: 'deny' } }, { kind: 'b' }, { kind: 'c' });
    const ok = await runCli(['audit', 'verify', '--store', `sqlite:${file}`]);
    expect(ok.stdout).toMatch(/^ok: 3 entries, chain intact, head [0-9a-f]{64}\n$/);
    expect(ok.code).toBe(0);

    const db = new Database(file);
    db.prepare(`UPDATE audit SET data = '{"decision":"allow"}' WHERE id = 1`).run();
    db.close();

    expect(await log.verify()).toMatchObject({ ok: false, brokenId: 1, reason: 'hash_mismatch' });
    const broken = await runCli(['audit', 'verify', '--store', `sqlite:${file}`]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^error: the audit chain is broken at entry 1: hash mismatch .*\[STEWARD_AUDIT_CHAIN_BROKEN\]\n$/);
  });

  it('`steward audit export` prints JSON lines after a cursor, or a table', async () => {
    await new AuditLog({ store, clock }).append({ kind: 'a' }, { kind: 'b', actor: 'User::"bob"' }, { kind: 'c' });
    const lines = await runCli(['audit', 'export', '--json', '--after', '1', '--limit', '1', '--store', `sqlite:${file}`]);
    expect(lines.code, lines.stderr).toBe(0);
    const entries = lines.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; kind: string; actor: string });
    expect(entries).toMatchObject([{ id: 2, kind: 'b', actor: 'User::"bob"' }]);
    const table = await runCli(['audit', 'export', '--store', `sqlite:${file}`]);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+AT\s+KIND/);
    expect(table.stdout).toContain('User::"bob"');
  });
});

describe('the audit log on PostgreSQL', () => {
  it('one altered row is named by verify', async () => {
    const url = testPostgresUrl();
    const schema = uniqueSchema('audit');
    const store = await openStore(withSchema(url, schema), { logger: silentLogger });
    const admin = adminPool(url);
    try {
      const log = new AuditLog({ store, clock });
      await log.append({ kind: 'a' }, { kind: 'b', data: { approved: false } }, { kind: 'c' });
      expect(await log.verify()).toMatchObject({ ok: true, count: 3 });
      await admin.query(`UPDATE ${schema}.audit SET data = '{"approved":true}' WHERE id = 2`);
      expect(await log.verify()).toMatchObject({ ok: false, brokenId: 2, reason: 'hash_mismatch' });
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});
