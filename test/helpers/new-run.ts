/** A run to create through a Store directly: a queued run of `wf.test` on `default`, runnable now, with a fresh id. */
import { randomUUID } from 'node:crypto';
import type { NewRun } from '../../src/store/store.js';

/** The run, with `fields` over the defaults (`at` sets both its creation and its runnable time; default now). */
export function newRunOf(fields: Partial<NewRun> = {}, at: number = Date.now()): NewRun {
  return {
    id: `run_${randomUUID()}`,
    workflow: 'wf.test',
    workflowVersion: '1',
    inputJson: '{}',
    status: 'queued',
    mode: 'apply',
    autonomy: null,
    subject: null,
    goal: null,
    idempotencyKey: null,
    queue: 'default',
    priority: 0,
    parentId: null,
    timeoutMs: null,
    runnableAt: at,
    createdAt: at,
    ...fields,
  };
}
