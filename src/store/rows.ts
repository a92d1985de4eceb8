/**
 * Row shapes of the tables, the same in both stores, and their mapping to domain records. SQLite has 0/1 for a
 * boolean; PostgreSQL's bigint columns arrive as numbers (see the type parser in postgres/connection.ts), so records
 * read back the same from either store.
 */
import type { SerializedError } from '../errors.js';
import type { EventRecord, RunMode, RunRecord, RunStatus, StepKind, StepRecord, StepStatus, WaitKind } from '../domain/run.js';
import { decodeJson } from '../domain/json.js';

/** A `runs` row. */
export interface RunRow {
  seq: number;
  id: string;
  workflow: string;
  workflow_version: string;
  input: string;
  status: string;
  mode: string;
  autonomy: number | null;
  subject: string | null;
  goal: string | null;
  idempotency_key: string | null;
  queue: string;
  priority: number;
  parent_id: string | null;
  output: string | null;
  error: string | null;
  wait_kind: string | null;
  wait_ref: string | null;
  runnable_at: number | null;
  timeout_ms: number | null;
  deadline_at: number | null;
  cancel_requested: number | boolean;
  lease_owner: string | null;
  lease_epoch: number;
  lease_expires_at: number | null;
  claims: number;
  created_at: number;
  started_at: number | null;
  updated_at: number;
  finished_at: number | null;
}

/** A `steps` row. */
export interface StepRow {
  run_id: string;
  seq: number;
  kind: string;
  name: string;
  status: string;
  attempts: number;
  result: string | null;
  error: string | null;
  wake_at: number | null;
  started_at: number;
  finished_at: number | null;
}

/** An `events` row. */
export interface EventRow {
  id: number;
  run_id: string | null;
  type: string;
  data: string;
  created_at: number;
}

function decodeError(json: string | null): SerializedError | null {
  return json === null ? null : (JSON.parse(json) as SerializedError);
}

/** Maps a runs row. */
export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    workflowVersion: row.workflow_version,
    input: decodeJson(row.input),
    status: row.status as RunStatus,
    mode: row.mode as RunMode,
    autonomy: row.autonomy,
    subject: row.subject,
    goal: row.goal,
    idempotencyKey: row.idempotency_key,
    queue: row.queue,
    priority: row.priority,
    parentId: row.parent_id,
    output: decodeJson(row.output),
    error: decodeError(row.error),
    waitKind: row.wait_kind as WaitKind | null,
    waitRef: row.wait_ref,
    runnableAt: row.runnable_at,
    timeoutMs: row.timeout_ms,
    deadlineAt: row.deadline_at,
    cancelRequested: row.cancel_requested === 1 || row.cancel_requested === true,
    leaseOwner: row.lease_owner,
    leaseEpoch: row.lease_epoch,
    leaseExpiresAt: row.lease_expires_at,
    claims: row.claims,
    createdAt: row.created_at,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** Maps a steps row. */
export function toStep(row: StepRow): StepRecord {
  return {
    runId: row.run_id,
    seq: row.seq,
    kind: row.kind as StepKind,
    name: row.name,
    status: row.status as StepStatus,
    attempts: row.attempts,
    result: decodeJson(row.result),
    error: decodeError(row.error),
    wakeAt: row.wake_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Maps an events row. */
export function toEvent(row: EventRow): EventRecord {
  return { id: row.id, runId: row.run_id, type: row.type, data: JSON.parse(row.data) as Record<string, unknown>, at: row.created_at };
}
