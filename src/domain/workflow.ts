/** The workflow contract: what `defineWorkflow` takes and what a running workflow can do through its context. */
import type { z } from 'zod';
import type { RetryPolicy } from './backoff.js';
import type { RunMode } from './run.js';
import type { ActionDefinition, ActResult } from './action.js';

/** What a step's function receives. */
export interface StepContext {
  /** Aborted when the step times out, the run is cancelled or its run times out. */
  signal: AbortSignal;
  /** 1 on the first attempt. */
  attempt: number;
  runId: string;
  seq: number;
  /** Stable across attempts of this step: `${runId}:${seq}`. */
  idempotencyKey: string;
}

/** Options of one `ctx.act`. */
export interface ActOptions {
  /** What the act is in the caller's terms (a plan's task id), for its spans' `task_id`; the action's name by default. */
  taskId?: string;
}

/** Options of one `ctx.step`. */
export interface StepOptions {
  /** Attempts in all, the first included (default 3). */
  maxAttempts?: number;
  /** Per attempt; the step's signal aborts and the attempt counts as failed. */
  timeoutMs?: number;
  /** Backoff between attempts (defaults: base 1 s, factor 2, cap 60 s, full jitter). */
  retry?: Partial<Omit<RetryPolicy, 'maxAttempts'>>;
}

/** Options of `ctx.waitFor`. */
export interface WaitOptions {
  /** Give up after this long: `ctx.waitFor` throws `WaitTimeoutError` (catchable, recorded, replayed). */
  timeoutMs?: number;
}

/** Options of `ctx.child`. */
export interface ChildOptions {
  queue?: string;
  priority?: number;
  timeoutMs?: number;
}

/** What workflow code can do. Every call is checkpointed under the next sequence number. */
export interface WorkflowContext {
  readonly runId: string;
  readonly workflow: string;
  readonly mode: RunMode;
  /** How many times a worker has claimed this run (1 on the first execution). */
  readonly claims: number;
  /** Runs `fn` at least once and records its JSON result exactly once; a replay returns the record. */
  step<T>(name: string, fn: (step: StepContext) => Promise<T> | T, options?: StepOptions): Promise<T>;
  /** Suspends the run durably for `ms`; no worker is held while it sleeps. */
  sleep(name: string, ms: number): Promise<void>;
  /** Suspends the run until `steward.signal(runId, name, payload)`; returns the payload. */
  waitFor<T = unknown>(name: string, options?: WaitOptions): Promise<T>;
  /** Starts a child run and waits durably for its output; throws `ChildFailedError` if it does not succeed. */
  child<O = unknown>(workflow: string | WorkflowDefinition<unknown, O>, input: unknown, options?: ChildOptions): Promise<O>;
  /**
   * Runs an action through its pipeline: validate the input, plan (stored; a plan-mode run stops here), apply with
   * a stable idempotency key, verify, and roll the apply back when verify fails. Each phase is a checkpoint, so a
   * crash between two phases resumes at the next one and never applies again under a new key.
   */
  act<I, P, O>(action: ActionDefinition<I, P, O>, input: unknown, options?: ActOptions): Promise<ActResult<P, O>>;
  /**
   * Runs branches side by side and answers their results in order; a failed branch fails the whole after the others
   * have settled. Each branch has its own block of 64 sequence numbers, so replays are exact whatever the
   * interleaving; a branch may call `step`, `act`, `sleep`, `now`, `uuid` and `random` (not `waitFor`, `child` or
   * `parallel`). When branches must wait, the run suspends once all have settled.
   */
  parallel<T>(branches: ReadonlyArray<(ctx: WorkflowContext) => Promise<T> | T>): Promise<T[]>;
  /** The time, recorded so that replays see the same value. */
  now(): Promise<number>;
  /** A random UUID, recorded. */
  uuid(): Promise<string>;
  /** A random number in [0, 1), recorded. */
  random(): Promise<number>;
  /** A logger that carries the run id. */
  readonly log: WorkflowLogger;
}

/** The logging calls open to workflow code. */
export interface WorkflowLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of a workflow. */
export interface WorkflowOptions {
  /** Default queue of its runs. */
  queue?: string;
  /** Default per-run timeout. */
  timeoutMs?: number;
  /**
   * What a failed run does with the actions it applied: `auto` rolls them back, last first (a saga), and the run
   * ends `rolled_back`; `none` (the default) leaves them as they are and the run ends `failed`.
   */
  compensate?: 'auto' | 'none';
}

/** A workflow: a function made durable. */
export interface WorkflowDefinition<I = unknown, O = unknown> extends WorkflowOptions {
  readonly kind: 'workflow';
  readonly name: string;
  readonly version: string;
  readonly input: z.ZodType<I>;
  run(ctx: WorkflowContext, input: I): Promise<O>;
}

/** What `defineWorkflow` takes. */
export interface WorkflowSpec<S extends z.ZodType, O> extends WorkflowOptions {
  name: string;
  version?: string;
  input: S;
  run(ctx: WorkflowContext, input: z.output<S>): Promise<O>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Makes a TypeScript function durable; nothing runs until a worker claims one of its runs. */
export function defineWorkflow<S extends z.ZodType, O>(spec: WorkflowSpec<S, O>): WorkflowDefinition<z.output<S>, O> {
  if (!NAME.test(spec.name)) {
    throw new TypeError(
      `workflow name "${spec.name}" is not valid: use 1–128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
  }
  return Object.freeze({
    kind: 'workflow' as const,
    name: spec.name,
    version: spec.version ?? '1',
    input: spec.input as z.ZodType<z.output<S>>,
    run: spec.run,
    ...(spec.queue === undefined ? {} : { queue: spec.queue }),
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.compensate === undefined ? {} : { compensate: spec.compensate }),
  });
}

/** A cron schedule that starts a workflow. */
export interface ScheduleDefinition {
  readonly kind: 'schedule';
  readonly name: string;
  readonly cron: string;
  readonly workflow: string;
  readonly input: unknown;
  readonly timezone: string | undefined;
}

/** What `defineSchedule` takes. */
export interface ScheduleSpec {
  /** Defaults to the workflow name and the cron expression. */
  name?: string;
  cron: string;
  workflow: string | WorkflowDefinition<unknown, unknown>;
  input?: unknown;
  timezone?: string;
}

/** Starts a workflow on a cron schedule; a missed tick runs once when Steward starts again. */
export function defineSchedule(spec: ScheduleSpec): ScheduleDefinition {
  const workflow = typeof spec.workflow === 'string' ? spec.workflow : spec.workflow.name;
  return Object.freeze({
    kind: 'schedule' as const,
    name: spec.name ?? `${workflow}@${spec.cron}`,
    cron: spec.cron,
    workflow,
    input: spec.input ?? {},
    timezone: spec.timezone,
  });
}
