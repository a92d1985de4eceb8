/** The record of a run as a store creates it, built from what was asked for without reading it back. */
import type { RunRecord } from '../domain/run.js';
import type { NewRun } from './store.js';

/** When a run with a timeout must have ended. */
export function runDeadline(run: NewRun): number | null {
  return run.timeoutMs === null ? null : run.createdAt + run.timeoutMs;
}

/**
 * A new run's values in the column order both stores insert them: id, workflow, workflow_version, input, status,
 * mode, autonomy, subject, goal, idempotency_key, queue, priority, parent_id, runnable_at, timeout_ms, deadline_at,
 * created_at (which is also its first updated_at).
 */
export function runColumnValues(run: NewRun): unknown[] {
  return [
    run.id,
    run.workflow,
    run.workflowVersion,
    run.inputJson,
    run.status,
    run.mode,
    run.autonomy,
    run.subject,
    run.goal,
    run.idempotencyKey,
    run.queue,
    run.priority,
    run.parentId,
    run.status === 'queued' ? run.runnableAt : null,
    run.timeoutMs,
    runDeadline(run),
    run.createdAt,
  ];
}

/** The record of a run just inserted, built without reading it back. */
export function newRunRecord(run: NewRun): RunRecord {
  const deadline = runDeadline(run);
  return {
    id: run.id,
    workflow: run.workflow,
    workflowVersion: run.workflowVersion,
    input: JSON.parse(run.inputJson) as unknown,
    status: run.status,
    mode: run.mode,
    autonomy: run.autonomy,
    subject: run.subject,
    goal: run.goal,
    idempotencyKey: run.idempotencyKey,
    queue: run.queue,
    priority: run.priority,
    parentId: run.parentId,
    output: null,
    error: null,
    waitKind: null,
    waitRef: null,
    runnableAt: run.status === 'queued' ? run.runnableAt : null,
    timeoutMs: run.timeoutMs,
    deadlineAt: deadline,
    cancelRequested: false,
    leaseOwner: null,
    leaseEpoch: 0,
    leaseExpiresAt: null,
    claims: 0,
    createdAt: run.createdAt,
    startedAt: null,
    updatedAt: run.createdAt,
    finishedAt: null,
  };
}

