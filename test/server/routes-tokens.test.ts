/** Tokens over HTTP, for admins: a token made here works at once, a listing never shows secrets, a revoked one is refused. */
import { describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './server-fixture.js';

describe('the token routes', () => {
  it('an admin makes a token that works at once, lists tokens without secrets, and revokes it', async () => {
    const { steward, call, token } = await useApi();
    const admin = await token('User::"ada"', ['admin']);

    const created = await call(admin, 'POST', '/v1/tokens', { principal: 'Service::"ci"', roles: ['viewer'], name: 'ci reader' });
    expect(created.statusCode, created.body).toBe(201);
    const { token: record, secret } = created.json() as { token: { id: string; principal: string; roles: string[]; createdBy: string }; secret: string };
    expect(secret).toMatch(/^stw_/);
    expect(record).toMatchObject({ principal: 'Service::"ci"', roles: ['viewer'], name: 'ci reader', createdBy: 'User::"ada"' });
    expect(record).not.toHaveProperty('tokenHash');

    expect((await call(secret, 'GET', '/v1/runs')).statusCode).toBe(200);
    expectProblem(await call(secret, 'GET', '/v1/tokens'), 403, 'STEWARD_FORBIDDEN');

    const listed = await call(admin, 'GET', '/v1/tokens');
    expect(listed.statusCode).toBe(200);
    const { tokens } = listed.json() as { tokens: Array<{ id: string; revokedAt: number | null }> };
    expect(tokens.map((t) => t.id)).toContain(record.id);
    expect(listed.body).not.toContain(secret);
    expect(listed.body).not.toMatch(/tokenHash|stw_/);

    const revoked = await call(admin, 'POST', `/v1/tokens/${record.id}/revoke`, { reason: 'rotated' });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: record.id, revokedAt: expect.any(Number) });
    const refused = expectProblem(await call(secret, 'GET', '/v1/runs'), 401, 'STEWARD_UNAUTHENTICATED');
    expect(refused.detail).toContain('revoked');
    expectProblem(await call(admin, 'POST', '/v1/tokens/tok_nope/revoke', {}), 404, 'STEWARD_TOKEN_NOT_FOUND');

    const audit = await steward.store.readAudit({ after: 0, limit: 1000 });
    expect(audit.find((e) => e.kind === 'token.created' && e.subject === 'Service::"ci"')).toMatchObject({ actor: 'User::"ada"' });
    expect(audit.find((e) => e.kind === 'token.revoked')).toMatchObject({ actor: 'User::"ada"', data: { tokenId: record.id, reason: 'rotated' } });
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('a token for a principal that is not written Type::"id" is a 400 naming the field', async () => {
    const { call, token } = await useApi();
    const admin = await token('User::"ada"', ['admin']);
    const problem = expectProblem(await call(admin, 'POST', '/v1/tokens', { principal: 'alice', roles: [] }), 400, 'STEWARD_VALIDATION');
    expect(problem.detail).toContain('body.principal');
    expect(problem.detail).toContain('User::"alice"');
    expectProblem(await call(admin, 'POST', '/v1/tokens', { principal: 'User::"bob"', roles: ['has space'] }), 400, 'STEWARD_VALIDATION');
  });
});
