/**
 * Plans over HTTP with the example plan file and actions: submit it (a plan-mode run as the caller), preview every
 * act's plan and the hash, refuse an apply with another hash, and apply exactly the reviewed plans.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployActions } from '../../examples/deploy.js';
import { expectProblem, useApi } from './server-fixture.js';

const PLAN_TEXT = readFileSync(new URL('../../examples/deploy-plan.yaml', import.meta.url), 'utf8');

interface Preview {
  runId: string;
  status: string;
  mode: string;
  hash: string;
  acts: Array<{ seq: number; action: string; resource: string; plan: unknown; hash: string }>;
}

describe('the plan routes', () => {
  it('submit the example plan, preview its acts and hash, refuse a changed hash, and apply the reviewed plans', async () => {
    const { steward, token, call } = await useApi({ actions: deployActions });
    const operator = await token('User::"olga"', ['operator']);
    const viewer = await token('User::"vera"', ['viewer']);

    const submitted = await call(operator, 'POST', '/v1/plans', { plan: PLAN_TEXT, idempotencyKey: 'release-api-2.0' });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const { id, created, run } = submitted.json() as { id: string; created: boolean; run: { workflow: string; mode: string; subject: string; goal: string } };
    expect(created).toBe(true);
    expect(run).toMatchObject({ workflow: 'steward.plan', mode: 'plan', subject: 'User::"olga"', goal: 'ship api 2.0 to production' });
    const again = await call(operator, 'POST', '/v1/plans', { plan: PLAN_TEXT, idempotencyKey: 'release-api-2.0' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id, created: false });

    steward.worker.start();
    expect((await steward.wait(id, { timeoutMs: 15_000 })).status).toBe('planned');

    const previewed = await call(viewer, 'GET', `/v1/plans/${id}`);
    expect(previewed.statusCode).toBe(200);
    const preview = previewed.json() as Preview;
    expect(preview).toMatchObject({ runId: id, status: 'planned', mode: 'plan', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(preview.acts.map((a) => a.action).sort()).toEqual(['config.update', 'registry.inspect', 'service.deploy']);
    expect(preview.acts.find((a) => a.action === 'service.deploy')).toMatchObject({ resource: 'service:api', plan: { service: 'api', to: 'api:2.0' } });

    const changed = expectProblem(await call(operator, 'POST', `/v1/plans/${id}/apply`, { expectHash: '0'.repeat(64) }), 409, 'STEWARD_PLAN_CHANGED');
    expect(changed.detail).toContain(preview.hash);
    expect((await steward.run(id)).status).toBe('planned');

    const applied = await call(operator, 'POST', `/v1/plans/${id}/apply`, { expectHash: preview.hash, reason: 'CHG-12' });
    expect(applied.statusCode, applied.body).toBe(202);
    expect(applied.json()).toEqual({ runId: id, hash: preview.hash });
    // the read applies alone at the default autonomy; the write and the deploy then wait for an approver
    await expect.poll(async () => (await steward.run(id)).waitKind, { timeout: 15_000 }).toBe('approval');
    expect((await steward.run(id)).mode).toBe('apply');
    const audit = await steward.store.readAudit({ after: 0, limit: 1000 });
    expect(audit.find((e) => e.kind === 'plan.applied')).toMatchObject({ actor: 'User::"olga"', runId: id });

    expectProblem(await call(operator, 'POST', `/v1/plans/${id}/apply`, { expectHash: preview.hash }), 400, 'STEWARD_VALIDATION');
    expectProblem(await call(viewer, 'GET', '/v1/plans/no-such-run'), 404, 'STEWARD_RUN_NOT_FOUND');
  });

  it('a bad plan is a 400 naming the line, or the path of a parsed document', async () => {
    const { call, token } = await useApi({ actions: deployActions });
    const operator = await token('User::"olga"', ['operator']);

    const broken = expectProblem(await call(operator, 'POST', '/v1/plans', { plan: 'name: x\ntasks:\n  - id: a\n    action: [nope\n' }), 400, 'STEWARD_PLAN_INVALID');
    expect(broken.detail).toMatch(/line \d+/);
    const unknown = expectProblem(
      await call(operator, 'POST', '/v1/plans', { plan: { tasks: [{ id: 'a', action: 'no.such.action', input: {} }] } }),
      400,
      'STEWARD_PLAN_INVALID',
    );
    expect(unknown.detail).toContain('tasks[0].action');
    const badBody = expectProblem(await call(operator, 'POST', '/v1/plans', { plan: PLAN_TEXT, mode: 'later' }), 400, 'STEWARD_VALIDATION');
    expect(badBody.detail).toContain('body.mode');
  });
});
