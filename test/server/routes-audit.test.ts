/** The audit log over HTTP: entries page by page (of a run or a kind), and the chain verdict, intact or broken. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './server-fixture.js';

interface Entry {
  id: number;
  seq: number;
  kind: string;
  actor: string | null;
  hash: string;
  prevHash: string;
}

describe('the audit routes', () => {
  it('page through the entries oldest first, and filter them by kind', async () => {
    const { call, token } = await useApi();
    const viewer = await token('User::"vera"', ['viewer']);
    for (const name of ['a', 'b', 'c']) await token(`User::"${name}"`, ['viewer']);
    await call('stw_wrong', 'GET', '/v1/audit');

    const first = await call(viewer, 'GET', '/v1/audit?limit=2');
    expect(first.statusCode).toBe(200);
    const page1 = first.json() as { entries: Entry[]; nextCursor: string | null };
    expect(page1.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(page1.entries[0]).toMatchObject({ id: 1, kind: 'token.created', actor: 'User::"root"', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(page1.nextCursor).toBe('2');

    const rest = (await call(viewer, 'GET', `/v1/audit?after=${page1.nextCursor}&limit=100`)).json() as { entries: Entry[]; nextCursor: string | null };
    expect(rest.entries.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(rest.entries.at(-1)).toMatchObject({ kind: 'auth.failed', actor: null });
    expect(rest.entries[0]!.prevHash).toBe(page1.entries[1]!.hash);
    expect(rest.nextCursor).toBeNull();

    const created = (await call(viewer, 'GET', '/v1/audit?kind=token.created&limit=3')).json() as { entries: Entry[]; nextCursor: string | null };
    expect(created.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(created.nextCursor).toBe('3');
    const more = (await call(viewer, 'GET', `/v1/audit?kind=token.created&after=${created.nextCursor}`)).json() as { entries: Entry[]; nextCursor: string | null };
    expect(more.entries.map((e) => e.seq)).toEqual([4]);
    expect(more.nextCursor).toBeNull();

    const bad = expectProblem(await call(viewer, 'GET', '/v1/audit?limit=0'), 400, 'STEWARD_VALIDATION');
    expect(bad.detail).toContain('query.limit');
  });

  it('verify says the chain holds, and names the first entry of a tampered row', async () => {
    const { steward, call, token } = await useApi();
    const viewer = await token('User::"vera"', ['viewer']);
    const operator = await token('User::"olga"', ['operator']);
    expect((await call(operator, 'POST', '/v1/kill-switch', { on: true })).statusCode).toBe(200);

    const intact = await call(viewer, 'GET', '/v1/audit/verify');
    expect(intact.statusCode).toBe(200);
    expect(intact.json()).toMatchObject({ ok: true, checked: 3, head: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const db = new Database(steward.dbPath);
    db.prepare(`UPDATE audit SET actor = 'User::"mallory"' WHERE id = 2`).run();
    db.close();

    const broken = await call(viewer, 'GET', '/v1/audit/verify');
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ ok: false, checked: 2, brokenId: 2, reason: 'hash_mismatch', detail: expect.any(String) });
  });
});
