/** The data of runs, steps and events, and the run lifecycle that the store enforces. */
import type { SerializedError } from '../errors.js';

/** Every status a run can be in. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'compensating',
  'rolled_back',
  'paused',
  'planned',
] as const;

/** Where a run is in its lifecycle. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'rolled_back']);

/**
 * The legal status changes. The store holds the same table and refuses any other change itself
 * (a test checks that the two agree).
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'cancelled', 'paused'],
  running: ['waiting', 'succeeded', 'failed', 'cancelled', 'compensating', 'paused', 'planned', 'queued'],
  waiting: ['running', 'cancelled', 'paused'],
  compensating: ['rolled_back', 'failed', 'cancelled'],
  paused: ['running', 'queued', 'cancelled'],
  planned: ['queued', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
  rolled_back: [],
};

/** Whether a run in this status has ended for good. */
export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** How a run executes its actions: for real, or only up to their plans. */
export type RunMode = 'apply' | 'plan';

/** What a waiting run waits for. */
export type WaitKind = 'timer' | 'signal' | 'child' | 'retry' | 'lock' | 'approval';

/** One execution of a workflow, as stored. */
export interface RunRecord {
  id: string;
  workflow: string;
  workflowVersion: string;
  input: unknown;
  status: RunStatus;
  mode: RunMode;
  autonomy: number | null;
  subject: string | null;
  goal: string | null;
  idempotencyKey: string | null;
  queue: string;
  priority: number;
  parentId: string | null;
  output: unknown;
  error: SerializedError | null;
  waitKind: WaitKind | null;
  waitRef: string | null;
  /** When a queued or waiting run may next be claimed (ms since the epoch), or null when only an event can wake it. */
  runnableAt: number | null;
  timeoutMs: number | null;
  deadlineAt: number | null;
  cancelRequested: boolean;
  leaseOwner: string | null;
  leaseEpoch: number;
  leaseExpiresAt: number | null;
  /** How many times a worker claimed the run. */
  claims: number;
  createdAt: number;
  startedAt: number | null;
  updatedAt: number;
  finishedAt: number | null;
}

/** The kinds of checkpointed calls a workflow makes. */
export type StepKind =
  | 'step'
  | 'sleep'
  | 'signal'
  | 'child'
  | 'now'
  | 'uuid'
  | 'random'
  /** The phases of `ctx.act`, each checkpointed on its own. */
  | 'act.plan'
  | 'act.approval'
  | 'act.apply'
  | 'act.verify'
  | 'act.rollback'
  /** Seq 0 of a run applied from a reviewed plan: the plan's hash, and who applied it. */
  | 'plan.reviewed';

/** What became of a step. */
export type StepStatus = 'completed' | 'failed' | 'retrying' | 'waiting';

/** One checkpointed call of a run, as stored under (runId, seq). */
export interface StepRecord {
  runId: string;
  seq: number;
  kind: StepKind;
  name: string;
  status: StepStatus;
  /** Attempts made so far (1 for a first success). */
  attempts: number;
  result: unknown;
  error: SerializedError | null;
  /** For waiting steps: when the wait ends (a sleep's wake time, a signal's deadline), or null. */
  wakeAt: number | null;
  startedAt: number;
  finishedAt: number | null;
}

/** An append-only record of a change, written in the transaction that made the change. */
export interface EventRecord {
  id: number;
  runId: string | null;
  type: string;
  data: Record<string, unknown>;
  at: number;
}

/** The lease a worker holds on a run; every write it makes carries it and is refused when it moved on. */
export interface Lease {
  runId: string;
  owner: string;
  epoch: number;
}
