/**
 * Plan documents from YAML and JSON text: a good one reads as its tasks; every refusal names the file, the JSON path,
 * the line and column where the text has them, and how to mend it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkPlanObject,
  createSteward,
  defineAction,
  DuplicateActionError,
  parsePlanText,
  planWaves,
  PlanInvalidError,
  type ActionDefinition,
} from '../../src/index.js';
import { silentLogger } from '../helpers/steward.js';

const scale = defineAction({
  name: 'service.scale',
  category: 'read',
  input: z.object({ service: z.string(), replicas: z.number().int().min(0) }),
  resource: (input) => `service:${input.service}`,
  plan: (input) => ({ to: input.replicas }),
  apply: (plan) => plan,
});

const notify = defineAction({
  name: 'chat.notify',
  category: 'read',
  input: z.object({ text: z.string() }),
  resource: () => 'chat:ops',
  plan: (input) => input,
  apply: () => true,
});

const actions = new Map<string, ActionDefinition>([
  [scale.name, scale as unknown as ActionDefinition],
  [notify.name, notify as unknown as ActionDefinition],
]);

/** The error a bad text is refused with. */
function refusal(text: string, source = 'plan.yaml'): PlanInvalidError {
  try {
    parsePlanText(text, { source, actions });
  } catch (error) {
    expect(error).toBeInstanceOf(PlanInvalidError);
    return error as PlanInvalidError;
  }
  throw new Error('the plan was accepted');
}

function issuesOf(error: PlanInvalidError): Array<{ path: string; message: string; line?: number; column?: number }> {
  return (error.details?.issues ?? []) as Array<{ path: string; message: string; line?: number; column?: number }>;
}

const GOOD_YAML = `version: 1
name: resize web
goal: handle the evening peak
tasks:
  - id: scale-api
    action: service.scale
    input: { service: api, replicas: 4 }
  - id: scale-web
    action: service.scale
    input:
      service: web
      replicas: 6
    dependsOn: [scale-api]
  - id: announce
    action: chat.notify
    input: { text: resized }
    dependsOn: [scale-web, scale-api]
`;

describe('plan files', () => {
  it('reads a good YAML plan as its tasks, in waves of its dependencies', () => {
    const doc = parsePlanText(GOOD_YAML, { source: 'resize.yaml', actions });
    expect(doc.name).toBe('resize web');
    expect(doc.goal).toBe('handle the evening peak');
    expect(doc.tasks.map((t) => t.id)).toEqual(['scale-api', 'scale-web', 'announce']);
    expect(doc.tasks[1]?.input).toEqual({ service: 'web', replicas: 6 });
    expect(planWaves(doc.tasks).map((wave) => wave.map((t) => t.id))).toEqual([['scale-api'], ['scale-web'], ['announce']]);
  });

  it('reads a good JSON plan, and orders a wave by task id', () => {
    const json = JSON.stringify({
      tasks: [
        { id: 'b', action: 'service.scale', input: { service: 'b', replicas: 1 } },
        { id: 'a', action: 'service.scale', input: { service: 'a', replicas: 1 } },
        { id: 'z', action: 'chat.notify', input: { text: 'done' }, dependsOn: ['a', 'b'] },
      ],
    });
    const doc = parsePlanText(json, { source: 'plan.json', actions });
    expect(planWaves(doc.tasks).map((wave) => wave.map((t) => t.id))).toEqual([['a', 'b'], ['z']]);
  });

  it('refuses a YAML syntax error at its line and column', () => {
    const error = refusal('tasks:\n  - id: a\n    id: b\n');
    expect(error.code).toBe('STEWARD_PLAN_INVALID');
    expect(error.message).toContain('plan plan.yaml is invalid');
    expect(error.message).toMatch(/YAML syntax: Map keys must be unique/);
    expect(issuesOf(error)[0]).toMatchObject({ line: 3, column: 5 });
  });

  it('refuses JSON that JSON does not allow, at its line and column', () => {
    const error = refusal('{\n  "tasks": [],\n}\n', 'plan.json');
    expect(error.message).toContain('JSON syntax');
    expect(issuesOf(error)[0]).toMatchObject({ line: 3, column: 1 });
  });

  it('refuses a missing field and an unknown key, naming the path and line:column', () => {
    const error = refusal(`tasks:
  - id: a
    action: service.scale
    input: { service: a, replicas: 1 }
    dependson: [b]
  - id: b
    input: {}
`);
    expect(error.message).toContain('tasks[0].dependson (line 5:5): unknown key "dependson": a task has id, action, input and dependsOn');
    expect(error.message).toContain('tasks[1].action (line 6:5): the action name is missing');
  });

  it('refuses a bad task id, an empty plan and a wrong version', () => {
    expect(refusal('tasks:\n  - id: "no spaces"\n    action: chat.notify\n    input: { text: x }\n').message).toContain(
      'tasks[0].id (line 2:9): a task id is letters, digits, "_" and "-"',
    );
    expect(refusal('tasks: []\n').message).toContain('tasks (line 1:8): a plan needs at least one task');
    expect(refusal('version: 2\ntasks: []\n').message).toContain('version (line 1:10): the only plan format version is 1');
  });

  it('refuses duplicate task ids', () => {
    const error = refusal(`tasks:
  - { id: a, action: chat.notify, input: { text: x } }
  - { id: a, action: chat.notify, input: { text: y } }
`);
    expect(error.message).toContain('tasks[1].id (line 3:11): task id "a" is already the id of tasks[0]: give each task a unique id');
  });

  it('refuses a dependency on an unknown task and on itself', () => {
    const error = refusal(`tasks:
  - id: a
    action: chat.notify
    input: { text: x }
    dependsOn: [a, ghost]
  - { id: b, action: chat.notify, input: { text: y } }
`);
    expect(error.message).toContain('tasks[0].dependsOn[0] (line 5:17): task "a" depends on itself: remove "a" from its dependsOn');
    expect(error.message).toContain(
      'tasks[0].dependsOn[1] (line 5:20): task "a" depends on "ghost", which is not a task of this plan: use one of b, or remove it',
    );
  });

  it('refuses a cycle, naming it', () => {
    const error = refusal(`tasks:
  - { id: a, action: chat.notify, input: { text: x }, dependsOn: [b] }
  - { id: b, action: chat.notify, input: { text: y }, dependsOn: [c] }
  - { id: c, action: chat.notify, input: { text: z }, dependsOn: [a] }
  - { id: d, action: chat.notify, input: { text: w }, dependsOn: [a] }
`);
    expect(error.message).toContain('tasks[0].dependsOn[0] (line 2:67): tasks depend on each other in a cycle: a → b → c → a');
    expect(issuesOf(error)).toHaveLength(1);
  });

  it('refuses an unknown action, listing the registered ones', () => {
    const error = refusal('tasks:\n  - { id: a, action: service.deploy, input: {} }\n');
    expect(error.message).toContain(
      'tasks[0].action (line 2:22): task "a" names action "service.deploy", which is not registered: use one of chat.notify, service.scale',
    );
  });

  it("refuses an input the action's own schema refuses, naming the task", () => {
    const error = refusal(`tasks:
  - id: web
    action: service.scale
    input:
      service: web
      replicas: many
`);
    expect(error.message).toContain('tasks[0].input.replicas (line 6:17): task "web": action "service.scale" refuses this input');
  });

  it('checks a document given as an object the same way, by path', () => {
    expect(() => checkPlanObject({ tasks: [{ id: 'a', action: 'chat.notify', input: {}, dependsOn: ['a'] }] }, { actions })).toThrow(
      /plan document is invalid: tasks\[0\]\.dependsOn\[0\]: task "a" depends on itself.*; tasks\[0\]\.input\.text: task "a": action "chat.notify" refuses this input/,
    );
  });
});

describe('createSteward({ actions })', () => {
  it('refuses two actions with one name, naming both', async () => {
    const other = defineAction({ ...notifySpec(), version: '2.0.0' });
    await expect(createSteward({ store: 'sqlite::memory:', logger: silentLogger, actions: [notify, scale, other] })).rejects.toThrow(
      new DuplicateActionError('chat.notify', { index: 0, version: '1.0.0' }, { index: 2, version: '2.0.0' }),
    );
    await expect(createSteward({ store: 'sqlite::memory:', logger: silentLogger, actions: [notify, scale, other] })).rejects.toThrow(
      /action "chat.notify" is registered twice, as actions\[0\] \(version 1.0.0\) and actions\[2\] \(version 2.0.0\)/,
    );
  });

  it('refuses what defineAction did not make', async () => {
    await expect(createSteward({ store: 'sqlite::memory:', logger: silentLogger, actions: [{ name: 'x' } as never] })).rejects.toThrow(
      /options.actions\[0\]: expected an action made by defineAction/,
    );
  });
});

function notifySpec() {
  return {
    name: 'chat.notify',
    category: 'read' as const,
    input: z.object({ text: z.string() }),
    resource: () => 'chat:ops',
    plan: (input: { text: string }) => input,
    apply: () => true,
  };
}
