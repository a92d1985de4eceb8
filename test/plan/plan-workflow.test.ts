/**
 * `steward.plan`: a plan's tasks run in waves of their dependency graph, independent ones side by side; a failed
 * task rolls back the tasks applied before it, last first; a plan-mode run stops at the plans, and applying it
 * applies exactly the plans that were reviewed.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, NonRetryableError, PLAN_WORKFLOW, type PlanOutput, type RunRecord, type Steward } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';
import { latch, rejectionOf, waitUntil } from '../helpers/wait.js';

interface Entry {
  event: 'start' | 'end' | 'rollback';
  task: string;
  at: number;
}

/** A `read` action (it applies alone at the default autonomy) that writes a ledger and can be told to wait or fail. */
function ledgerAction(
  ledger: Entry[],
  hooks: { beforeApply?: (task: string) => Promise<void> | void; failing?: ReadonlySet<string>; planOf?: (task: string) => unknown } = {},
) {
  return defineAction({
    name: 'ledger.write',
    category: 'read',
    input: z.object({ task: z.string() }),
    resource: (input) => `ledger:${input.task}`,
    plan: (input) => ({ task: input.task, value: hooks.planOf ? hooks.planOf(input.task) : `value of ${input.task}` }),
    apply: async (plan) => {
      ledger.push({ event: 'start', task: plan.task, at: performance.now() });
      await hooks.beforeApply?.(plan.task);
      if (hooks.failing?.has(plan.task)) throw new NonRetryableError(`${plan.task} cannot be written`);
      ledger.push({ event: 'end', task: plan.task, at: performance.now() });
      return { task: plan.task, wrote: plan.value };
    },
    rollback: (outcome) => {
      ledger.push({ event: 'rollback', task: outcome.task, at: performance.now() });
    },
  });
}

function task(id: string, dependsOn?: string[]) {
  return { id, action: 'ledger.write', input: { task: id }, ...(dependsOn ? { dependsOn } : {}) };
}

/** Waits until a plan-mode run has stopped at its plans (`planned`), or ended. */
function untilPlanned(steward: Steward, id: string): Promise<RunRecord> {
  return waitUntil(
    async () => {
      const run = await steward.run(id);
      return run.status === 'planned' || ['succeeded', 'failed', 'cancelled', 'rolled_back'].includes(run.status) ? run : undefined;
    },
    { what: `run ${id} to be planned` },
  );
}

describe('plan runs', () => {
  it('runs independent tasks at the same time, and a dependent task after its dependencies', async () => {
    const ledger: Entry[] = [];
    const started = { a: latch(), b: latch() };
    const action = ledgerAction(ledger, {
      // a and b each wait for the other to start: they finish only if they run side by side
      beforeApply: async (id) => {
        if (id === 'a') {
          started.a.resolve();
          await started.b.promise;
        }
        if (id === 'b') {
          started.b.resolve();
          await started.a.promise;
        }
      },
    });
    const steward = await useSteward({ actions: [action] });
    await steward.worker.start({ concurrency: 2 });
    const handle = await steward.startPlan({ name: 'ledger', tasks: [task('c', ['a', 'b']), task('b'), task('a')] }, { mode: 'apply' });
    const output = await handle.result({ timeoutMs: 15_000 });

    expect(Object.keys(output.tasks)).toEqual(['c', 'b', 'a']);
    expect(output.name).toBe('ledger');
    expect(output.tasks.c).toMatchObject({ action: 'ledger.write', status: 'applied', resource: 'ledger:c', outcome: { task: 'c', wrote: 'value of c' } });
    const at = (event: Entry['event'], id: string): number => ledger.find((e) => e.event === event && e.task === id)?.at ?? Number.NaN;
    // a and b overlap: each started before the other ended
    expect(at('start', 'a')).toBeLessThan(at('end', 'b'));
    expect(at('start', 'b')).toBeLessThan(at('end', 'a'));
    // c started after both had ended
    expect(at('start', 'c')).toBeGreaterThan(Math.max(at('end', 'a'), at('end', 'b')));
    expect((await steward.run(handle.id)).workflow).toBe(PLAN_WORKFLOW);
  });

  it('rolls back the tasks applied before a failing one, last first, and ends rolled_back', async () => {
    const ledger: Entry[] = [];
    const action = ledgerAction(ledger, { failing: new Set(['third']) });
    const steward = await useSteward({ actions: [action] });
    await steward.worker.start();
    const handle = await steward.startPlan(
      { tasks: [task('first'), task('second', ['first']), task('third', ['second']), task('fourth', ['third'])] },
      { mode: 'apply' },
    );
    const run = await steward.wait(handle.id, { timeoutMs: 15_000 });

    expect(run.status).toBe('rolled_back');
    expect(run.error?.code).toBe('STEWARD_PLAN_TASK_FAILED');
    expect(run.error?.message).toContain('task "third" (action "ledger.write") failed');
    expect(run.error?.details?.rollbacks).toEqual([
      { action: 'ledger.write', resource: 'ledger:second', rolledBack: true },
      { action: 'ledger.write', resource: 'ledger:first', rolledBack: true },
    ]);
    expect(ledger.filter((e) => e.event === 'rollback').map((e) => e.task)).toEqual(['second', 'first']);
    // the task whose dependency failed never started
    expect(ledger.some((e) => e.task === 'fourth')).toBe(false);
    await expect(handle.result()).rejects.toMatchObject({ code: 'STEWARD_RUN_FAILED' });
  });

  it('stops a plan-mode run at the plans, then applies exactly the reviewed plans', async () => {
    const ledger: Entry[] = [];
    let generation = 1;
    const action = ledgerAction(ledger, { planOf: (id) => `${id} v${generation}` });
    const steward = await useSteward({ actions: [action] });
    await steward.worker.start();
    const handle = await steward.startPlan(
      `name: reviewed
tasks:
  - { id: a, action: ledger.write, input: { task: a } }
  - { id: b, action: ledger.write, input: { task: b }, dependsOn: [a] }
`,
      { source: 'reviewed.yaml', subject: 'User::"alice"' },
    );
    const planned = await untilPlanned(steward, handle.id);
    expect(planned.status).toBe('planned');
    expect(planned.mode).toBe('plan');
    expect(planned.output).toEqual({
      name: 'reviewed',
      tasks: {
        a: { action: 'ledger.write', status: 'planned', resource: 'ledger:a', plan: { task: 'a', value: 'a v1' } },
        b: { action: 'ledger.write', status: 'planned', resource: 'ledger:b', plan: { task: 'b', value: 'b v1' } },
      },
    });
    expect(ledger).toEqual([]);

    const summary = await steward.planOf(handle.id);
    expect(summary.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.acts.map((act) => [act.action, act.resource, act.plan])).toEqual([
      ['ledger.write', 'ledger:a', { task: 'a', value: 'a v1' }],
      ['ledger.write', 'ledger:b', { task: 'b', value: 'b v1' }],
    ]);

    // a wrong hash is refused and changes nothing
    const refused = await rejectionOf(steward.applyPlan(handle.id, { expectHash: '0'.repeat(64), by: 'User::"bob"' }));
    expect(refused.code).toBe('STEWARD_PLAN_CHANGED');
    expect((await steward.run(handle.id)).status).toBe('planned');

    // the world moved on: planning now would answer differently, but the reviewed plans are what applies
    generation = 2;
    const applied = await steward.applyPlan(handle.id, { expectHash: summary.hash, by: 'User::"bob"', reason: 'reviewed' });
    expect(applied).toEqual({ runId: handle.id, hash: summary.hash });
    const output = (await steward.handle<PlanOutput>(handle.id).result({ timeoutMs: 15_000 })) as PlanOutput;
    expect(output.tasks.a).toMatchObject({ status: 'applied', plan: { task: 'a', value: 'a v1' }, outcome: { task: 'a', wrote: 'a v1' } });
    expect(output.tasks.b).toMatchObject({ status: 'applied', plan: { task: 'b', value: 'b v1' }, outcome: { task: 'b', wrote: 'b v1' } });
    expect(ledger.filter((e) => e.event === 'end').map((e) => e.task)).toEqual(['a', 'b']);
  });

  it('refuses a bad plan before anything is stored', async () => {
    const steward = await useSteward({ actions: [ledgerAction([])] });
    const error = await rejectionOf(steward.startPlan('tasks:\n  - { id: a, action: ledger.write, input: { task: 1 } }\n', { source: 'bad.yaml' }));
    expect(error.code).toBe('STEWARD_PLAN_INVALID');
    expect(error.message).toContain('plan bad.yaml is invalid: tasks[0].input.task (line 2:51)');
    expect((await steward.list()).runs).toEqual([]);
    // the workflow's own input schema holds the same checks
    const direct = await rejectionOf(steward.start(PLAN_WORKFLOW, { tasks: [task('a', ['b'])] }));
    expect(direct.message).toContain('input.tasks[0].dependsOn[0]: task "a" depends on "b", which is not a task of this plan');
  });
});
