/** `steward tokens create|list|revoke` through the built CLI: the secret is printed once and works on the API until revoked. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/index.js';
import { hashTokenSecret } from '../../src/server/tokens.js';
import { runCli, type CliResult } from './cli-process.js';

let dir: string;
let store: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-tokens-'));
  store = `sqlite:${join(dir, 's.db')}`;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function steward(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--store', store], { cwd: dir, timeoutMs: 60_000 });
}

describe('steward tokens', () => {
  it('creates a token whose secret is shown once, lists it without the secret, and revokes it, audited', async () => {
    const created = await steward('tokens', 'create', '--principal', 'User::"alice"', '--role', 'viewer', '--role', 'operator', '--name', 'ci', '--json', '--by', 'User::"root"');
    expect(created.code).toBe(0);
    const { token, secret } = JSON.parse(created.stdout) as { token: { id: string; roles: string[] }; secret: string };
    expect(secret).toMatch(/^stw_[A-Za-z0-9_-]{43}$/);
    expect(token.roles).toEqual(['operator', 'viewer']);

    const listed = await steward('tokens', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: token.id, name: 'ci', principal: 'User::"alice"', revokedAt: null }]);
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(hashTokenSecret(secret));
    const table = await steward('tokens', 'list');
    expect(table.stdout).toContain(token.id);

    const revoked = await steward('tokens', 'revoke', token.id, '--reason', 'rotated');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked');
    const unknown = await steward('tokens', 'revoke', 'tok_nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('STEWARD_TOKEN_NOT_FOUND');

    const opened = await openStore(store);
    try {
      expect((await opened.findTokenByHash(hashTokenSecret(secret)))?.revokedAt).toEqual(expect.any(Number));
      const kinds = (await opened.readAudit({ after: 0, limit: 10 })).map((e) => [e.kind, e.actor]);
      expect(kinds).toEqual([['token.created', 'User::"root"'], ['token.revoked', null]]);
    } finally {
      await opened.close();
    }
  });
});
