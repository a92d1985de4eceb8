/**
 * The HTTP API over `inject` (no network): bearer tokens, route policies by role, problem+json errors, limits, and
 * the routes doing what the library does, as the token's principal.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import { createApiToken, revokeApiToken } from '../../src/server/tokens.js';
import { useSteward } from '../helpers/steward.js';

const scale = defineAction({
  name: 'service.scale',
  category: 'write',
  input: z.object({ service: z.string(), replicas: z.number().int() }),
  resource: (input) => `service:${input.service}`,
  plan: (input) => ({ service: input.service, to: input.replicas }),
  apply: (plan) => ({ replicas: plan.to }),
});

const scaleWorkflow = defineWorkflow({
  name: 'ops.scale',
  input: z.object({ service: z.string(), replicas: z.number().int() }),
  run: async (ctx, input) => (await ctx.act(scale, input)).status,
});

const echo = defineWorkflow({ name: 'test.echo', input: z.object({ text: z.string() }), run: async (_ctx, input) => input.text });

type Method = 'GET' | 'POST' | 'PUT';

/** Every /v1 route, with a body that fits it. */
const ROUTES: Array<{ method: Method; url: string; body?: unknown }> = [
  { method: 'GET', url: '/v1/runs' },
  { method: 'GET', url: '/v1/runs/r1' },
  { method: 'POST', url: '/v1/runs', body: { workflow: 'test.echo', input: { text: 'hi' } } },
  { method: 'POST', url: '/v1/runs/r1/cancel', body: {} },
  { method: 'POST', url: '/v1/runs/r1/signal', body: { name: 'go' } },
  { method: 'GET', url: '/v1/approvals' },
  { method: 'POST', url: '/v1/approvals/a1/approve', body: { reason: 'ok' } },
  { method: 'POST', url: '/v1/approvals/a1/deny', body: { reason: 'no' } },
  { method: 'GET', url: '/v1/kill-switch' },
  { method: 'POST', url: '/v1/kill-switch', body: { on: false } },
  { method: 'GET', url: '/v1/autonomy' },
  { method: 'PUT', url: '/v1/autonomy', body: { level: 1 } },
];

async function setup(options: ServerOptions = {}) {
  const steward = await useSteward({ workflows: [echo, scaleWorkflow], actions: [scale] });
  const app = await buildServer(steward, options);
  const token = async (principal: string, roles: string[]) => (await createApiToken(steward.store, { principal, roles, by: 'User::"root"' })).secret;
  const call = (app_: FastifyInstance, secret: string | null, method: Method, url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    app_.inject({
      method,
      url,
      headers: secret === null ? {} : { authorization: `Bearer ${secret}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  return { steward, app, token, call: (secret: string | null, method: Method, url: string, body?: unknown) => call(app, secret, method, url, body) };
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json() as { type: string; title: string; status: number; detail: string; code: string };
  expect(problem).toMatchObject({ status, code, type: `urn:steward:error:${code}` });
  expect(problem.title).toEqual(expect.any(String));
  expect(problem.detail).toEqual(expect.any(String));
  return problem;
}

describe('the HTTP API', () => {
  it('every /v1 route refuses a missing or unknown token (401) and audits the failure without the token', async () => {
    const { steward, call } = await setup({ failedAuth: { perMinute: 600, burst: 1000 } });
    for (const route of ROUTES) {
      expectProblem(await call(null, route.method, route.url, route.body), 401, 'STEWARD_UNAUTHENTICATED');
      expectProblem(await call('stw_not-a-token', route.method, route.url, route.body), 401, 'STEWARD_UNAUTHENTICATED');
    }
    const audit = await steward.store.readAudit({ after: 0, limit: 1000 });
    const failures = audit.filter((e) => e.kind === 'auth.failed');
    expect(failures).toHaveLength(ROUTES.length * 2);
    expect(failures[1]!.data).toMatchObject({ route: 'GET /v1/runs', reason: 'unknown', tokenHashPrefix: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(JSON.stringify(audit)).not.toContain('stw_not-a-token');
  });

  it('every /v1 route refuses a token whose principal no policy lets use it (403, naming the policies)', async () => {
    const { token, call } = await setup();
    const nobody = await token('User::"mallory"', []);
    for (const route of ROUTES) {
      const problem = expectProblem(await call(nobody, route.method, route.url, route.body), 403, 'STEWARD_FORBIDDEN');
      expect(problem.detail).toContain(`User::"mallory" may not ${route.method}`);
      expect(problem.detail).toContain('no policy permits it');
    }
  });

  it('health needs no token; readiness says the store answers', async () => {
    const { call } = await setup();
    expect((await call(null, 'GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await call(null, 'GET', '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: 'sqlite', schema: expect.any(Number), worker: { running: false } });
    expectProblem(await call(null, 'GET', '/nowhere'), 404, 'STEWARD_ROUTE_NOT_FOUND');
  });

  it('a server that needs its worker is ready only while the worker runs', async () => {
    const { steward, app } = await setup({ requireWorker: true });
    const ready = () => app.inject({ method: 'GET', url: '/readyz' });
    expectProblem(await ready(), 503, 'STEWARD_NOT_READY');
    steward.worker.start();
    const answer = await ready();
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ worker: { id: steward.worker.status().id, running: true } });
    await steward.worker.stop();
    expectProblem(await ready(), 503, 'STEWARD_NOT_READY');
  });

  it('a viewer lists runs but may not start one; an operator starts one and it is visible', async () => {
    const { steward, token, call } = await setup();
    const viewer = await token('User::"vera"', ['viewer']);
    const operator = await token('Service::"ci"', ['operator']);

    expect((await call(viewer, 'GET', '/v1/runs')).json()).toEqual({ runs: [], nextCursor: null });
    const refused = expectProblem(await call(viewer, 'POST', '/v1/runs', { workflow: 'test.echo', input: { text: 'hi' } }), 403, 'STEWARD_FORBIDDEN');
    expect(refused.detail).toContain('operator');

    const started = await call(operator, 'POST', '/v1/runs', { workflow: 'test.echo', input: { text: 'hi' }, idempotencyKey: 'k1' });
    expect(started.statusCode).toBe(201);
    const { id, run } = started.json() as { id: string; run: { subject: string; status: string } };
    expect(run).toMatchObject({ subject: 'Service::"ci"', status: 'queued' });
    const again = await call(operator, 'POST', '/v1/runs', { workflow: 'test.echo', input: { text: 'hi' }, idempotencyKey: 'k1' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id, created: false });

    const listed = (await call(viewer, 'GET', '/v1/runs?status=queued&workflow=test.echo')).json() as { runs: Array<{ id: string }> };
    expect(listed.runs.map((r) => r.id)).toEqual([id]);
    steward.worker.start();
    await steward.wait(id, { timeoutMs: 10_000 });
    const shown = (await call(viewer, 'GET', `/v1/runs/${id}`)).json() as { status: string; output: unknown; steps: unknown[] };
    expect(shown).toMatchObject({ status: 'succeeded', output: 'hi', steps: expect.any(Array) });
    expectProblem(await call(viewer, 'GET', '/v1/runs/no-such-run'), 404, 'STEWARD_RUN_NOT_FOUND');
  });

  it('bad input is a 400 naming the field or the problem; a body over the limit is 413', async () => {
    const { token, call, app } = await setup({ bodyLimit: 1024 });
    const operator = await token('User::"olga"', ['operator']);

    const badField = expectProblem(await call(operator, 'POST', '/v1/runs', { workflow: 7 }), 400, 'STEWARD_VALIDATION');
    expect(badField.detail).toContain('body.workflow');
    const badQuery = expectProblem(await call(operator, 'GET', '/v1/runs?status=sleeping'), 400, 'STEWARD_VALIDATION');
    expect(badQuery.detail).toContain('query.status');
    const unknownWorkflow = expectProblem(await call(operator, 'POST', '/v1/runs', { workflow: 'nope' }), 400, 'STEWARD_UNKNOWN_WORKFLOW');
    expect(unknownWorkflow.detail).toContain('nope');

    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      payload: '{"workflow": "test.echo",',
    });
    const problem = expectProblem(malformed, 400, 'STEWARD_VALIDATION');
    expect(problem.detail).toContain('not valid JSON');

    const big = await call(operator, 'POST', '/v1/runs', { workflow: 'test.echo', input: { text: 'x'.repeat(2048) } });
    expectProblem(big, 413, 'STEWARD_REQUEST_TOO_LARGE');
  });

  it('past its rate limit a token gets 429 with Retry-After, and other tokens are not affected', async () => {
    let now = 1_000_000;
    const { token, call } = await setup({ rateLimit: { perSecond: 1, burst: 3 }, now: () => now });
    const busy = await token('User::"busy"', ['viewer']);
    const calm = await token('User::"calm"', ['viewer']);
    for (let i = 0; i < 3; i += 1) expect((await call(busy, 'GET', '/v1/autonomy')).statusCode).toBe(200);

    const limited = await call(busy, 'GET', '/v1/autonomy');
    expectProblem(limited, 429, 'STEWARD_TOO_MANY_REQUESTS');
    expect(limited.headers['retry-after']).toBe('1');
    expect((await call(calm, 'GET', '/v1/autonomy')).statusCode).toBe(200);
    now += 1000;
    expect((await call(busy, 'GET', '/v1/autonomy')).statusCode).toBe(200);
  });

  it('an approver approves a pending approval as the token principal; the requester may not approve its own', async () => {
    const { steward, token, call } = await setup();
    const requester = await token('User::"rita"', ['operator', 'approver']);
    const approver = await token('User::"bob"', ['approver']);
    steward.worker.start();
    const { id: runId } = (await call(requester, 'POST', '/v1/runs', { workflow: 'ops.scale', input: { service: 'api', replicas: 3 } })).json() as { id: string };
    await expect.poll(async () => (await steward.run(runId)).waitKind, { timeout: 15_000 }).toBe('approval');

    const inbox = (await call(approver, 'GET', `/v1/approvals?runId=${runId}`)).json() as { approvals: Array<{ id: string; requester: string }> };
    expect(inbox.approvals).toHaveLength(1);
    const approval = inbox.approvals[0]!;
    expect(approval.requester).toBe('User::"rita"');

    const self = expectProblem(await call(requester, 'POST', `/v1/approvals/${approval.id}/approve`, { reason: 'mine' }), 409, 'STEWARD_APPROVAL_REFUSED');
    expect(self.detail).toContain('cannot decide it');
    const noReason = expectProblem(await call(approver, 'POST', `/v1/approvals/${approval.id}/approve`, {}), 409, 'STEWARD_APPROVAL_REFUSED');
    expect(noReason.detail).toContain('reason-for-access');

    const approved = await call(approver, 'POST', `/v1/approvals/${approval.id}/approve`, { reason: 'INC-7' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: 'User::"bob"', reason: 'INC-7' });
    expect((await steward.wait(runId, { timeoutMs: 15_000 })).status).toBe('succeeded');
  });

  it('an operator turns the kill switch and sets autonomy as its principal; a revoked token is refused', async () => {
    const { steward, token, call } = await setup();
    const created = await createApiToken(steward.store, { principal: 'User::"olga"', roles: ['operator'] });
    const viewer = await token('User::"vera"', ['viewer']);

    expect((await call(created.secret, 'POST', '/v1/kill-switch', { on: true, reason: 'incident' })).json()).toMatchObject({ on: true, by: 'User::"olga"', reason: 'incident' });
    expect((await call(viewer, 'GET', '/v1/kill-switch')).json()).toMatchObject({ on: true });
    expect((await call(created.secret, 'PUT', '/v1/autonomy', { level: 2 })).json()).toEqual({ level: 2 });
    expect((await call(viewer, 'GET', '/v1/autonomy')).json()).toEqual({ level: 2 });
    expectProblem(await call(created.secret, 'PUT', '/v1/autonomy', { level: 9 }), 400, 'STEWARD_VALIDATION');

    await revokeApiToken(steward.store, created.token.id, { by: 'User::"root"', reason: 'left the team' });
    const revoked = expectProblem(await call(created.secret, 'GET', '/v1/autonomy'), 401, 'STEWARD_UNAUTHENTICATED');
    expect(revoked.detail).toContain('revoked');
    const kinds = (await steward.store.readAudit({ after: 0, limit: 100 })).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['token.created', 'token.revoked', 'auth.failed']));
  });

  it('an address that keeps sending wrong tokens is answered 429 before its tokens are looked at; valid tokens still work', async () => {
    let clock = 1_000_000;
    const { steward, token, call } = await setup({ failedAuth: { perMinute: 6, burst: 3 }, now: () => clock });
    const viewer = await token('User::"vera"', ['viewer']);
    for (let i = 0; i < 3; i++) expectProblem(await call(`stw_guess-${i}`, 'GET', '/v1/runs'), 401, 'STEWARD_UNAUTHENTICATED');
    const blocked = await call('stw_guess-3', 'GET', '/v1/runs');
    const problem = expectProblem(blocked, 429, 'STEWARD_TOO_MANY_REQUESTS');
    expect(problem.detail).toContain('missing or wrong token');
    expect(blocked.headers['retry-after']).toBe('10');
    // the same address with a valid token is blocked as well until the bucket refills: it cannot tell which guess was right
    expectProblem(await call(viewer, 'GET', '/v1/runs'), 429, 'STEWARD_TOO_MANY_REQUESTS');
    const audited = (await steward.store.readAudit({ after: 0, limit: 100 })).filter((e) => e.kind === 'auth.failed');
    expect(audited).toHaveLength(3);
    clock += 10_000;
    expect((await call(viewer, 'GET', '/v1/runs')).statusCode).toBe(200);
    // a valid request does not spend the failure budget
    expect((await call(viewer, 'GET', '/v1/runs')).statusCode).toBe(200);
    expectProblem(await call('stw_guess-4', 'GET', '/v1/runs'), 401, 'STEWARD_UNAUTHENTICATED');
    expectProblem(await call('stw_guess-5', 'GET', '/v1/runs'), 429, 'STEWARD_TOO_MANY_REQUESTS');
  });

  it('behind a trusted proxy, failed logins are counted per client that X-Forwarded-For names', async () => {
    const { app } = await setup({ failedAuth: { perMinute: 1, burst: 2 }, trustProxy: ['127.0.0.1'] });
    const guess = (client: string) => app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: 'Bearer stw_guess', 'x-forwarded-for': client } });
    expect((await guess('203.0.113.7')).statusCode).toBe(401);
    expect((await guess('203.0.113.7')).statusCode).toBe(401);
    expect((await guess('203.0.113.7')).statusCode).toBe(429);
    expect((await guess('198.51.100.4')).statusCode).toBe(401);
  });

  it('a request that takes longer than the request timeout is answered 503 STEWARD_REQUEST_TIMEOUT', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const steward = await useSteward({
      workflows: [echo],
      wrapStore: (store) =>
        Object.assign(Object.create(store) as typeof store, {
          listRuns: async (filter: Parameters<typeof store.listRuns>[0]) => {
            await held;
            return store.listRuns(filter);
          },
        }),
    });
    const app = await buildServer(steward, { requestTimeoutMs: 50 });
    const { secret } = await createApiToken(steward.store, { principal: 'User::"vera"', roles: ['viewer'] });

    const response = await app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${secret}` } });
    release();

    expectProblem(response, 503, 'STEWARD_REQUEST_TIMEOUT');
    await app.close();
  });
});
