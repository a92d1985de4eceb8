/**
 * The workflow context of one claimed run: every `ctx.*` call takes the next sequence number, returns the recorded
 * result when the history has one (replay), and otherwise does the work and records it. Writes that have no side
 * effect behind them are pipelined; a step's function only starts once everything before it is durable.
 */
import {
  ActionFailedError,
  ApprovalDeniedError,
  ErrorCodes,
  PlanChangedError,
  PolicyDeniedError,
  StewardError,
  ChildFailedError,
  KillSwitchError,
  LeaseLostError,
  NonDeterminismError,
  StepFailedError,
  StepResultNotJsonError,
  StepResultTooLargeError,
  StepTimeoutError,
  StoreUnavailableError,
  UnknownWorkflowError,
  ValidationError,
  WaitTimeoutError,
  formatIssues,
  isRetryable,
  reviveError,
  serializeError,
  type SerializedError,
} from '../errors.js';
import { backoffDelay, DEFAULT_RETRY } from '../domain/backoff.js';
import { encodeJson } from '../domain/json.js';
import { isTerminal, type Lease, type RunRecord, type StepKind, type StepRecord } from '../domain/run.js';
import type {
  ActOptions,
  ChildOptions,
  StepContext,
  StepOptions,
  WaitOptions,
  WorkflowContext,
  WorkflowDefinition,
  WorkflowLogger,
} from '../domain/workflow.js';
import type { AuditInput, BreakerStatus, Controls, StepWrite, Store, Suspension } from '../store/store.js';
import type { ActionCategory, ActionContext, ActionDefinition, ActResult, Verification } from '../domain/action.js';
import { actPlanHash, jsonHash } from './plan-hash.js';
import { parsePrincipalText, type PolicyDecision } from '../policy/request.js';
import type { EngineDeps } from './deps.js';
import type { RunAbort } from './run-abort.js';
import type { Logger } from '../observability/logger.js';
import type { ActAbout, RunTelemetry } from './run-telemetry.js';

/** Sequence numbers an act takes, in every mode: plan, approval, apply, verify, rollback. */
const ACT_SLOTS = 5;

/** The sequence numbers of one act's phases. */
interface ActSeqs {
  plan: number;
  approval: number;
  apply: number;
  verify: number;
  rollback: number;
}

/** What an act's plan checkpoint records. */
interface PlannedAct<P> {
  plan: P;
  /** sha256 of the action, version, resource and plan: what an approval and a review are bound to. */
  hash: string;
  resource: string;
  /** sha256 of the act's input, so that a reviewed plan is applied only for the input it was made from. */
  inputHash: string;
  policy: DecisionSummary;
}

/** A policy decision as the audit log keeps it. */
interface DecisionSummary {
  decision: 'allow' | 'deny';
  policies: string[];
  version: string;
}

/** What an approval checkpoint records when the approval was given. */
interface ApprovalGrant {
  approvalId: string;
  by: string | null;
  reason: string | null;
  planHash: string;
}

/** Why an act may apply: the decision, and the approval it took (if any). */
interface Authorization {
  decision: PolicyDecision;
  grant: ApprovalGrant | null;
}

/** What the budgets said of an apply about to start. */
interface Admitted {
  probe: boolean;
  failures: number;
}

/** Refusals recorded as an apply's failure before it started; a replay throws them again as they were. */
const REFUSALS: ReadonlySet<string> = new Set([ErrorCodes.POLICY_DENIED, ErrorCodes.CIRCUIT_OPEN]);

/** Refusals of the plan phase, thrown as themselves. */
const PLAN_REFUSALS: ReadonlySet<string> = new Set([ErrorCodes.POLICY_DENIED, ErrorCodes.PLAN_CHANGED]);

/** Decides one phase of an act. */
type PolicyAsker = (phase: 'plan' | 'apply', approved: boolean, reason?: string) => PolicyDecision;

/** What the policy and approval phases read of an action. */
type ActionAbout = Pick<ActionDefinition, 'name' | 'version' | 'category' | 'budgets' | 'approval'>;

/** The principal of a run started without a subject. */
const ANONYMOUS = Object.freeze({ type: 'Service', id: 'anonymous' });

/** The autonomy level from which a category applies without approval (design §3). */
const CATEGORY_RANK: Record<ActionCategory, number> = { read: 1, write: 2, deploy: 3, rollback: 3 };

function inputHashOf(input: unknown): string {
  return jsonHash(JSON.parse(JSON.stringify(input ?? null)) as unknown);
}

function decisionSummary(decision: PolicyDecision): DecisionSummary {
  return { decision: decision.decision, policies: [...decision.policies], version: decision.version };
}

/** The id of the approval request of the act phase at `seq`: one per act, the same on every attempt. */
export function approvalId(runId: string, seq: number): string {
  return `apr_${runId.replace(/^run_/, '')}_${seq}`;
}

/** Sequence numbers each branch of `ctx.parallel` may use. */
export const PARALLEL_SLOTS = 64;

/** Which wait of a parallel section the run is filed under: those an event wakes come first. */
const WAKE_RANK: Record<Suspension['kind'], number> = { approval: 0, lock: 1, child: 2, signal: 3, timer: 4, retry: 5 };

/** What the branches of one `ctx.parallel` share: the suspensions they asked for. */
interface ParallelSection {
  wishes: Suspension[];
}

/** A run waiting for a lock looks again after this long (up to twice it), should nobody wake it first. */
const LOCK_RECHECK_MS = 500;

/** What a checkpoint's record says, for its audit entry. */
interface RecordSummary {
  ok: boolean;
  attempts: number;
  result: unknown;
  error: SerializedError | null;
}

/** An audit entry before it is stamped, redacted and attached to its record. */
interface AuditDraft {
  kind: string;
  subject: string | null;
  data: Record<string, unknown>;
}

/** Makes the audit entry of a checkpoint's record, or null for none. */
type AuditOf = (record: RecordSummary) => AuditDraft | null;

/** Thrown through workflow code when the run suspends; the executor catches it. Not an error of the run. */
export class Suspended {
  readonly suspended = true;
}

/** The context of one execution of one run. */
export class RunContext implements WorkflowContext {
  readonly runId: string;
  readonly workflow: string;
  readonly mode: RunRecord['mode'];
  readonly claims: number;
  readonly log: WorkflowLogger;
  /** Where the next sequence number comes from; each branch of `ctx.parallel` has its own. */
  private readonly cursor: { seq: number; limit: number } = { seq: 0, limit: Number.POSITIVE_INFINITY };
  /** The parallel section this context is a branch of, or null for the run's own context. */
  private readonly section: ParallelSection | null = null;
  /** What every branch of this execution shares. */
  private readonly shared: { pending: Array<Promise<void>>; suspended: boolean } = { pending: [], suspended: false };
  private readonly history: Map<number, StepRecord>;
  private readonly maxRecordedSeq: number;
  /** The store calls of this run, watched for the store failing. */
  private readonly store: RunStore;
  /** The acts this execution applied (or replayed as applied) and did not undo, in order: what a saga rolls back. */
  private readonly applied: Array<{ undo: () => Promise<boolean>; action: string; resource: string }> = [];
  /** The controls read from the store for the act being decided (a branch of `ctx.parallel` has its own). */
  private controlsAtApply: Controls | null = null;

  constructor(
    private readonly deps: EngineDeps,
    readonly run: RunRecord,
    readonly lease: Lease,
    steps: readonly StepRecord[],
    /** Aborted when the run is cancelled, times out or loses its lease; the reason is the error. */
    private readonly abort: RunAbort,
    /** Where the steps and act phases this execution runs report their spans and durations. */
    private readonly telemetry: RunTelemetry,
  ) {
    this.store = new RunStore(deps.store, abort);
    this.runId = run.id;
    this.workflow = run.workflow;
    this.mode = run.mode;
    this.claims = run.claims;
    this.history = new Map(steps.map((s) => [s.seq, s]));
    this.maxRecordedSeq = steps.reduce((max, s) => Math.max(max, s.seq), 0);
    // the child logger is made on first use: most runs never log
    let logger: Logger | undefined;
    const get = (): Logger => (logger ??= deps.logger.child({ runId: run.id, workflow: run.workflow }));
    this.log = {
      info: (message, fields) => get().info(fields ?? {}, message),
      warn: (message, fields) => get().warn(fields ?? {}, message),
      error: (message, fields) => get().error(fields ?? {}, message),
    };
  }

  /** The highest sequence number this execution reached. */
  get lastSeq(): number {
    return this.cursor.seq;
  }

  /** Whether the recorded history goes further than this execution did. */
  get historyAhead(): number | null {
    return this.maxRecordedSeq > this.cursor.seq ? this.maxRecordedSeq : null;
  }

  get isSuspended(): boolean {
    return this.shared.suspended;
  }

  /** Waits for every pipelined write; the first failure is thrown. */
  async settle(): Promise<void> {
    while (this.shared.pending.length > 0) {
      const batch = this.shared.pending;
      this.shared.pending = [];
      await Promise.all(batch);
    }
  }

  private pipeline(write: Promise<void>): void {
    // keep the rejection observed here; settle() rethrows it
    write.catch(() => undefined);
    this.shared.pending.push(write);
  }

  private checkLive(): void {
    if (this.shared.suspended) throw new Suspended();
    if (this.abort.aborted) throw this.abort.reason;
  }

  /** Takes the next sequence number and the history's record for it, checking that replay calls the same step. */
  private next(kind: StepKind, name: string): { seq: number; record: StepRecord | undefined } {
    const seq = this.reserve(1, kind, name) + 1;
    return { seq, record: this.recordAt(seq, kind, name) };
  }

  private stepWrite(seq: number, kind: StepKind, name: string, fields: Partial<StepWrite>): StepWrite {
    const now = this.deps.clock.now();
    return {
      seq,
      kind,
      name,
      status: 'completed',
      attempts: 1,
      resultJson: null,
      error: null,
      wakeAt: null,
      startedAt: now,
      finishedAt: now,
      ...fields,
    };
  }

  private encodeResult(stepName: string, value: unknown): string {
    const encoded = encodeJson(value);
    if (!encoded.ok) throw new StepResultNotJsonError(stepName, encoded.reason);
    if (encoded.bytes > this.deps.config.maxResultBytes) {
      throw new StepResultTooLargeError(stepName, encoded.bytes, this.deps.config.maxResultBytes);
    }
    return encoded.json;
  }

  step<T>(name: string, fn: (step: StepContext) => Promise<T> | T, options: StepOptions = {}): Promise<T> {
    return this.checkpoint('step', name, fn, options);
  }

  /**
   * A step of any kind: runs `fn` at least once (retrying as `options` say) and records its JSON result exactly once
   * under the next sequence number; a replay returns the record. The phases of `ctx.act` are checkpoints too.
   */
  private checkpoint<T>(
    kind: StepKind,
    name: string,
    fn: (step: StepContext) => Promise<T> | T,
    options: StepOptions = {},
    auditOf?: AuditOf,
  ): Promise<T> {
    const { seq, record } = this.next(kind, name);
    return this.runCheckpoint(seq, record, kind, name, fn, options, auditOf);
  }

  /** A checkpoint at a sequence number reserved before (the phases of an act). */
  private checkpointAt<T>(
    seq: number,
    kind: StepKind,
    name: string,
    fn: (step: StepContext) => Promise<T> | T,
    options: StepOptions = {},
    auditOf?: AuditOf,
    act?: ActAbout,
  ): Promise<T> {
    return this.runCheckpoint(seq, this.recordAt(seq, kind, name), kind, name, fn, options, auditOf, act);
  }

  /** The history's record at a reserved sequence number, checking that replay calls the same step there. */
  private recordAt(seq: number, kind: StepKind, name: string): StepRecord | undefined {
    this.checkLive();
    const record = this.history.get(seq);
    if (record && (record.kind !== kind || record.name !== name)) {
      throw new NonDeterminismError(this.runId, seq, `${record.kind} "${record.name}"`, `${kind} "${name}"`);
    }
    return record;
  }

  /** Reserves `count` sequence numbers and answers the one before them. */
  private reserve(count: number, kind: string, name: string): number {
    this.checkLive();
    const base = this.cursor.seq;
    if (base + count > this.cursor.limit) {
      throw new ValidationError(
        `a branch of ctx.parallel made more than ${PARALLEL_SLOTS} checkpointed calls (at ${kind} "${name}"): split the work into more branches or into child runs`,
      );
    }
    this.cursor.seq = base + count;
    return base;
  }

  private async runCheckpoint<T>(
    seq: number,
    record: StepRecord | undefined,
    kind: StepKind,
    name: string,
    fn: (step: StepContext) => Promise<T> | T,
    options: StepOptions,
    auditOf: AuditOf | undefined,
    act?: ActAbout,
  ): Promise<T> {
    if (record?.status === 'completed') return record.result as T;
    if (record?.status === 'failed') {
      throw new StepFailedError(name, record.attempts, record.error ?? { code: 'STEWARD_STEP_FAILED', name: 'Error', message: 'failed' });
    }
    const attempt = record?.status === 'retrying' ? record.attempts + 1 : 1;
    const firstStartedAt = record?.startedAt;
    // a step's side effect must never run on a result that could still be lost
    await this.settle();
    this.checkLive();
    const startedAt = this.deps.clock.now();
    const probe = this.telemetry.checkpoint(kind, name, seq, act);
    let json: string;
    let value: T;
    try {
      value = await this.attempt(name, seq, attempt, fn, options.timeoutMs);
      json = this.encodeResult(name, value);
    } catch (error) {
      if (this.abort.aborted) {
        probe?.end('aborted', this.abort.reason);
        throw this.abort.reason;
      }
      const maxAttempts = options.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
      const serialized = serializeError(error);
      if (isRetryable(error) && attempt < maxAttempts) {
        probe?.end('retrying', error);
        const policy = { ...DEFAULT_RETRY, ...options.retry, maxAttempts };
        const now = this.deps.clock.now();
        const notBefore = now + backoffDelay(policy, attempt, this.deps.ids.random);
        this.log.warn('step attempt failed; retrying', { step: name, seq, attempt, maxAttempts, notBefore, error: serialized.message });
        return this.suspend({
          kind: 'retry',
          ref: String(seq),
          runnableAt: notBefore,
          now,
          step: this.stepWrite(seq, kind, name, {
            status: 'retrying',
            attempts: attempt,
            error: serialized,
            wakeAt: notBefore,
            startedAt: firstStartedAt ?? startedAt,
            finishedAt: null,
          }),
        });
      }
      probe?.end('failed', error);
      this.pipeline(
        this.store.recordStep(
          this.lease,
          this.stepWrite(seq, kind, name, {
            status: 'failed',
            attempts: attempt,
            error: serialized,
            startedAt: firstStartedAt ?? startedAt,
            ...this.auditFields(auditOf?.({ ok: false, attempts: attempt, result: null, error: serialized })),
          }),
        ),
      );
      throw new StepFailedError(name, attempt, serialized);
    }
    probe?.end('succeeded');
    this.pipeline(
      this.store.recordStep(
        this.lease,
        this.stepWrite(seq, kind, name, {
          attempts: attempt,
          resultJson: json,
          startedAt: firstStartedAt ?? startedAt,
          ...this.auditFields(auditOf?.({ ok: true, attempts: attempt, result: JSON.parse(json) as unknown, error: null })),
        }),
      ),
    );
    // hand back what a replay will see, not the live object (a primitive is the same either way)
    return (value !== null && typeof value === 'object' ? JSON.parse(json) : value) as T;
  }

  /** The audit entry of a record, redacted, as the `audit` field of its step write (nothing when there is none). */
  private auditFields(entry: AuditDraft | null | undefined): { audit?: AuditInput } {
    if (entry === null || entry === undefined) return {};
    return {
      audit: {
        kind: entry.kind,
        at: this.deps.clock.now(),
        actor: this.run.subject,
        runId: this.runId,
        subject: entry.subject,
        data: this.deps.redactor.redact(entry.data) as Record<string, unknown>,
      },
    };
  }

    /** Runs one attempt of a step function; with a timeout it gets an abort signal of its own. */
  private attempt<T>(
    name: string,
    seq: number,
    attempt: number,
    fn: (step: StepContext) => Promise<T> | T,
    timeoutMs: number | undefined,
  ): Promise<T> {
    const abort = this.abort;
    if (timeoutMs === undefined) {
      // the signal is made only if the step function reads it
      const context: StepContext = {
        get signal() {
          return abort.signal;
        },
        attempt,
        runId: this.runId,
        seq,
        idempotencyKey: `${this.runId}:${seq}`,
      };
      return Promise.race([(async () => fn(context))(), abort.promise]);
    }
    const controller = new AbortController();
    const stopListening = abort.onAbort((reason) => controller.abort(reason));
    const timer = setTimeout(() => controller.abort(new StepTimeoutError(name, timeoutMs)), timeoutMs);
    const context: StepContext = { signal: controller.signal, attempt, runId: this.runId, seq, idempotencyKey: `${this.runId}:${seq}` };
    return Promise.race([(async () => fn(context))(), abortPromise(controller.signal)]).finally(() => {
      clearTimeout(timer);
      stopListening();
    });
  }

  async act<I, P, O>(given: ActionDefinition<I, P, O>, input: unknown, options: ActOptions = {}): Promise<ActResult<P, O>> {
    // the action's provider (design §3 step 2): the registry's active one for its name, held for the act
    const provider = await this.deps.resolveAction(given as unknown as ActionDefinition);
    try {
      return await this.actWith(provider.definition as unknown as ActionDefinition<I, P, O>, input, options.taskId);
    } finally {
      provider.release();
    }
  }

  private async actWith<I, P, O>(action: ActionDefinition<I, P, O>, input: unknown, taskId: string | undefined): Promise<ActResult<P, O>> {
    const parsed = action.input.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(`input of action "${action.name}" is invalid: ${formatIssues(parsed.error.issues, 'input')}`);
    }
    const resource = action.resource(parsed.data);
    const traced: ActAbout = { resource, taskId: taskId ?? action.name };
    // an act takes the same five sequence numbers in every mode, so a plan-mode run can be applied by replay
    const base = this.reserve(ACT_SLOTS, 'act', action.name);
    const at: ActSeqs = { plan: base + 1, approval: base + 2, apply: base + 3, verify: base + 4, rollback: base + 5 };
    const phase = (step: StepContext): ActionContext => ({
      runId: step.runId,
      seq: step.seq,
      idempotencyKey: step.idempotencyKey,
      attempt: step.attempt,
      get signal() {
        return step.signal;
      },
      resource,
      mode: this.mode,
    });
    const attempts = { maxAttempts: action.budgets.maxAttempts ?? DEFAULT_RETRY.maxAttempts };
    // each phase's record carries its audit entry, committed with it
    const subject = `Resource::${JSON.stringify(resource)}`;
    const about = { action: action.name, version: action.version, category: action.category, resource };
    const audited =
      (done: string, failed: string, detail: (result: unknown) => Record<string, unknown>): AuditOf =>
      (record) => {
        if (record.ok) return { kind: done, subject, data: { ...about, attempts: record.attempts, ...detail(record.result) } };
        const error = { code: record.error?.code, message: record.error?.message };
        if (record.error?.code === ErrorCodes.POLICY_DENIED || record.error?.code === ErrorCodes.PLAN_CHANGED) {
          return { kind: record.error.code === ErrorCodes.POLICY_DENIED ? 'policy.denied' : 'plan.changed', subject, data: { ...about, ...record.error.details, error } };
        }
        return { kind: failed, subject, data: { ...about, attempts: record.attempts, error } };
      };
    const ask = this.policyAsker(action, resource);
    let planned: PlannedAct<P>;
    try {
      planned = await this.checkpointAt<PlannedAct<P>>(
        at.plan,
        'act.plan',
        action.name,
        async (step): Promise<PlannedAct<P>> => {
          if (this.reviewedPlan !== null) {
            throw new PlanChangedError(
              `run ${this.runId} applies a reviewed plan, which has no plan for action "${action.name}" on ${resource} at #${at.plan}: the workflow took another path; preview it again and review the new plan`,
              { action: action.name, resource, seq: at.plan, reviewedHash: this.reviewedPlan },
            );
          }
          const decision = ask('plan', false);
          if (decision.decision === 'deny') throw new PolicyDeniedError(action.name, 'plan', resource, decision);
          const plan = await action.plan(parsed.data, phase(step));
          const encoded = encodeJson(plan ?? null);
          if (!encoded.ok) throw new StepResultNotJsonError(`${action.name} (plan)`, encoded.reason);
          const json = JSON.parse(encoded.json) as P;
          return { plan: json, hash: actPlanHash(action, resource, json), resource, inputHash: inputHashOf(parsed.data), policy: decisionSummary(decision) };
        },
        attempts,
        audited('act.planned', 'act.plan_failed', (result) => {
          const r = result as PlannedAct<P>;
          return { plan: r.plan, planHash: r.hash, policy: r.policy };
        }),
        traced,
      );
    } catch (error) {
      // a refusal (policy, a changed plan) is thrown as itself, not as a failed step
      const cause = error instanceof StepFailedError ? (error.details?.error as SerializedError | undefined) : undefined;
      if (cause !== undefined && PLAN_REFUSALS.has(cause.code)) throw reviveError(cause);
      throw error;
    }
    if (this.mode === 'plan') return { status: 'planned', action: action.name, resource, plan: planned.plan };
    // a reviewed plan is applied only for the input it was made from
    if (this.reviewedPlan !== null && (planned.resource !== resource || planned.inputHash !== inputHashOf(parsed.data))) {
      throw new PlanChangedError(
        `run ${this.runId} applies a reviewed plan, but action "${action.name}" at #${at.plan} now has another input than the one its plan was made from: the workflow took another path; preview it again and review the new plan`,
        { action: action.name, seq: at.plan, reviewedHash: this.reviewedPlan },
      );
    }

    // policy and approval: decided again on every execution until the apply is recorded (policies, the autonomy
    // level and the kill switch may all change between plan and apply)
    const applyRecord = this.recordAt(at.apply, 'act.apply', action.name);
    if (applyRecord?.status === 'failed' && REFUSALS.has(applyRecord.error?.code ?? '')) throw reviveError(applyRecord.error!);
    let authorization: Authorization | null = null;
    let admission: Admitted | null = null;
    // (an apply recorded as failed replays its failure: nothing is decided, asked or counted for it)
    if (applyRecord === undefined || applyRecord.status === 'retrying') {
      // the apply is decided on the controls as the store has them now, not as this worker last heard of them: a
      // lowered autonomy level or a kill switch turned on a moment ago holds for this act
      // (the action's breaker is read in the same breath; its rate token and probe are taken only once approved)
      const [controls, breaker] = await Promise.all([this.store.getControls(), this.store.getBreaker(action.name), this.settle()]);
      this.deps.controls.update(controls);
      this.controlsAtApply = controls;
      authorization = await this.authorizeApply(action, resource, planned, at, ask, audited);
      // an act that waited for approval reads its breaker again: it may have changed meanwhile
      admission = await this.admit(action, at, audited, authorization.grant === null ? breaker : undefined);
    }

    // the resource's lock, held from apply to verify: a second run on the resource waits, holding no worker. A read
    // changes nothing, so it takes none.
    const finished = this.history.get(action.verify === undefined ? at.apply : at.verify)?.status === 'completed';
    const locked = action.category !== 'read' && !finished && (await this.lockResource(resource));
    try {
      return await this.applyAndVerify(action, planned.plan, traced, at, phase, attempts, audited, authorization, admission);
    } finally {
      if (locked) this.unlockResource(resource);
    }
  }

  /** The subject of the run as a policy principal; a run started without one acts as `Service::"anonymous"`. */
  private get principal(): { type: string; id: string } {
    return this.run.subject === null ? ANONYMOUS : (parsePrincipalText(this.run.subject) ?? ANONYMOUS);
  }

  /** The run's autonomy level: its own (or the Steward's default), capped by the global one. */
  private get autonomy(): number {
    const global = (this.controlsAtApply ?? this.deps.controls.value).autonomy;
    const own = this.run.autonomy ?? this.deps.config.autonomy ?? global;
    return Math.min(own, global);
  }

  /** Whether this run applies a reviewed plan: the hash it was reviewed with, or null. */
  private get reviewedPlan(): string | null {
    const record = this.history.get(0);
    return record?.kind === 'plan.reviewed' ? (record.result as { hash: string }).hash : null;
  }

  /** Asks the policy engine about a phase of this act. */
  private policyAsker(action: ActionAbout, resource: string): PolicyAsker {
    const budgets = action.budgets;
    const resourceAttrs = { name: resource, category: action.category, network: budgets.network ?? 'none' };
    const limits = {
      ...(budgets.timeoutMs === undefined ? {} : { timeoutMs: budgets.timeoutMs }),
      ...(budgets.maxAttempts === undefined ? {} : { maxAttempts: budgets.maxAttempts }),
      ...(budgets.ratePerMinute === undefined ? {} : { ratePerMinute: budgets.ratePerMinute }),
    };
    return (phase, approved, reason) =>
      this.deps.policy.authorize({
        principal: this.principal,
        action: phase,
        resource: resourceAttrs,
        context: { autonomy: this.autonomy, mode: this.mode, approved, budgets: limits, ...(reason ? { reason } : {}) },
      });
  }

  /**
   * Decides whether the act may apply: alone, after an approval, or not at all. A denial is recorded as the apply's
   * failure, with an audit entry naming the deciding policies, and thrown as `PolicyDeniedError`.
   */
  private async authorizeApply<P>(
    action: ActionAbout,
    resource: string,
    planned: PlannedAct<P>,
    at: ActSeqs,
    ask: PolicyAsker,
    audited: (done: string, failed: string, detail: (result: unknown) => Record<string, unknown>) => AuditOf,
  ): Promise<Authorization> {
    const deny = (decision: PolicyDecision, why?: string): never =>
      this.refuseApply(action, at, audited, new PolicyDeniedError(action.name, 'apply', resource, decision, why));
    // a replay follows the path the history took: an act that asked for approval waits for it
    if (this.recordAt(at.approval, 'act.approval', action.name) === undefined) {
      const alone = ask('apply', false);
      if (alone.decision === 'deny' && alone.policies.length > 0) return deny(alone);
      const needs: string[] = [];
      if (action.approval === 'always') needs.push('action-requires-approval');
      if (CATEGORY_RANK[action.category] > this.autonomy) needs.push('above-autonomy');
      if (alone.decision === 'deny') needs.push('no-permit');
      if (needs.length === 0) return { decision: alone, grant: null };
      if (action.approval === 'never') {
        return deny(alone, `it needs approval (${needs.join(', ')}) at autonomy ${this.autonomy}, and the action never asks for it`);
      }
      const ifApproved = ask('apply', true);
      if (ifApproved.decision === 'deny') return deny(ifApproved, ifApproved.policies.length > 0 ? undefined : 'no policy permits it even when approved');
      const grant = await this.awaitApproval(action, resource, planned, at.approval, needs);
      const decision = ask('apply', true, grant.reason ?? undefined);
      return decision.decision === 'deny' ? deny(decision) : { decision, grant };
    }
    const grant = await this.awaitApproval(action, resource, planned, at.approval, []);
    const decision = ask('apply', true, grant.reason ?? undefined);
    return decision.decision === 'deny' ? deny(decision) : { decision, grant };
  }

  /**
   * Refuses the apply before it starts (policy denied it, or its breaker is open): recorded as the apply's failure,
   * with its audit entry, so a replay refuses it the same way; nothing was applied.
   */
  private refuseApply(
    action: ActionAbout,
    at: ActSeqs,
    audited: (done: string, failed: string, detail: (result: unknown) => Record<string, unknown>) => AuditOf,
    error: StewardError,
  ): never {
    const serialized = serializeError(error);
    const audit = audited('', 'act.apply_refused', () => ({}))({ ok: false, attempts: 0, result: null, error: serialized });
    this.pipeline(
      this.store.recordStep(this.lease, this.stepWrite(at.apply, 'act.apply', action.name, { status: 'failed', attempts: 0, error: serialized, ...this.auditFields(audit) })),
    );
    throw error;
  }

  /**
   * The action's budgets: its breaker (an open one refuses the apply) and its rate limit (a run over it waits,
   * holding no worker, until the next apply conforms). Answers what the breaker had counted.
   */
  private async admit(
    action: ActionAbout,
    at: ActSeqs,
    audited: (done: string, failed: string, detail: (result: unknown) => Record<string, unknown>) => AuditOf,
    breaker: BreakerStatus | null | undefined,
  ): Promise<Admitted> {
    const [admission] = await Promise.all([this.deps.budgets.admit(action, this.deps.clock.now(), breaker), this.settle()]);
    this.checkLive();
    switch (admission.kind) {
      case 'go':
        return { probe: admission.probe, failures: admission.failures };
      case 'wait':
        this.log.info('act waits for its rate budget', { action: action.name, until: admission.until });
        return this.suspend({ kind: 'timer', ref: `rate:${action.name}`, runnableAt: admission.until, now: this.deps.clock.now(), step: null });
      case 'open':
        return this.refuseApply(action, at, audited, admission.error);
    }
  }

  /**
   * The approval checkpoint: files the request (its plan, hash, requester and why it is needed) and suspends the run
   * until someone decides or it expires. An approval serves this act's plan only, once; a denial or an expiry fails
   * the act with `ApprovalDeniedError`.
   */
  private async awaitApproval<P>(
    action: ActionAbout,
    resource: string,
    planned: PlannedAct<P>,
    seq: number,
    reasons: string[],
  ): Promise<ApprovalGrant> {
    const record = this.recordAt(seq, 'act.approval', action.name);
    if (record?.status === 'completed') return record.result as ApprovalGrant;
    if (record?.status === 'failed' && record.error) throw reviveError(record.error);
    await this.settle();
    this.checkLive();
    const now = this.deps.clock.now();
    const id = approvalId(this.runId, seq);
    const subject = `Resource::${JSON.stringify(resource)}`;
    const about = { approvalId: id, action: action.name, version: action.version, category: action.category, resource, planHash: planned.hash };
    const expiresAt = now + this.deps.config.approvals.timeoutMs;
    const approval = await this.store.requestApproval(
      this.lease,
      {
        id,
        runId: this.runId,
        seq,
        action: action.name,
        actionVersion: action.version,
        category: action.category,
        resource,
        network: action.budgets.network ?? 'none',
        planJson: JSON.stringify(planned.plan),
        planHash: planned.hash,
        requester: this.run.subject,
        reasons,
        createdAt: now,
        expiresAt,
      },
      {
        requested: this.auditInput({ kind: 'approval.requested', subject, data: { ...about, reasons, expiresAt } }),
        expired: this.auditInput({ kind: 'approval.expired', subject, data: about }),
      },
      now,
    );
    const fail = (error: StewardError): never => {
      this.pipeline(
        this.store.recordStep(
          this.lease,
          this.stepWrite(seq, 'act.approval', action.name, { status: 'failed', error: serializeError(error), startedAt: record?.startedAt ?? now }),
        ),
      );
      throw error;
    };
    switch (approval.status) {
      case 'pending':
        this.log.info('act waits for approval', { action: action.name, resource, approvalId: id, expiresAt: approval.expiresAt });
        return this.suspend({
          kind: 'approval',
          ref: id,
          runnableAt: approval.expiresAt,
          now,
          step: record ? null : this.stepWrite(seq, 'act.approval', action.name, { status: 'waiting', resultJson: JSON.stringify({ approvalId: id }), wakeAt: approval.expiresAt, finishedAt: null }),
        });
      case 'approved': {
        if (approval.planHash !== planned.hash) {
          return fail(new PlanChangedError(`approval ${id} was given for plan ${approval.planHash}, not for the plan ${planned.hash} this act would apply`, { approvalId: id }));
        }
        const grant: ApprovalGrant = { approvalId: id, by: approval.decidedBy, reason: approval.reason, planHash: approval.planHash };
        this.pipeline(
          this.store.recordStep(this.lease, this.stepWrite(seq, 'act.approval', action.name, { resultJson: JSON.stringify(grant), startedAt: record?.startedAt ?? now })),
        );
        return grant;
      }
      default:
        return fail(new ApprovalDeniedError(action.name, id, approval.status, approval.decidedBy, approval.reason));
    }
  }

  /** An audit entry of this run, redacted and stamped now. */
  private auditInput(entry: AuditDraft): AuditInput {
    return this.auditFields(entry).audit as AuditInput;
  }

  /** Takes the resource's lock, or suspends the run until it is given back (or, as a backstop, a while later). */
  private async lockResource(resource: string): Promise<true> {
    // everything before must be durable: the lock is not a checkpoint, and a replay takes it again
    await this.settle();
    this.checkLive();
    if (await this.store.acquireLock(this.lease, resource, this.deps.clock.now())) return true;
    const now = this.deps.clock.now();
    return this.suspend({
      kind: 'lock',
      ref: resource,
      runnableAt: now + LOCK_RECHECK_MS + Math.floor(this.deps.ids.random() * LOCK_RECHECK_MS),
      now,
      step: null,
    });
  }

  /** Gives the lock back with the run's next writes; a lease lost meanwhile gave it back already. */
  private unlockResource(resource: string): void {
    const release = this.store.releaseLock(this.lease, resource, this.deps.clock.now());
    this.pipeline(
      release.catch((error: unknown) => {
        if (!(error instanceof LeaseLostError)) throw error;
      }),
    );
  }

  private async applyAndVerify<I, P, O>(
    action: ActionDefinition<I, P, O>,
    plan: P,
    traced: ActAbout,
    at: ActSeqs,
    phase: (step: StepContext) => ActionContext,
    attempts: { maxAttempts: number },
    audited: (done: string, failed: string, detail: (result: unknown) => Record<string, unknown>) => AuditOf,
    authorization: Authorization | null,
    admission: Admitted | null,
  ): Promise<ActResult<P, O>> {
    const resource = traced.resource;
    // the kill switch: no apply starts while it is on, and one in flight stops when it turns on (its run pauses)
    const controls = this.deps.controls;
    const stopped = (): KillSwitchError => {
      const { by, reason } = controls.value.killSwitch;
      return new KillSwitchError(action.name, by, reason);
    };
    const applyRecorded = this.history.get(at.apply)?.status === 'completed';
    if (!applyRecorded && (controls.killSwitchOn || this.controlsAtApply?.killSwitch.on === true)) {
      this.abort.abort(stopped());
      throw this.abort.reason;
    }
    const unwatch = applyRecorded ? () => undefined : controls.watch((now) => now.killSwitch.on && this.abort.abort(stopped()));
    const granted =
      authorization === null
        ? {}
        : {
            policy: decisionSummary(authorization.decision),
            ...(authorization.grant === null ? {} : { approval: { id: authorization.grant.approvalId, by: authorization.grant.by } }),
          };
    let outcome: O;
    try {
      outcome = await this.checkpointAt(
        at.apply,
        'act.apply',
        action.name,
        (step) => (admission === null ? action.apply(plan, phase(step)) : this.countOutcome(action, admission, () => action.apply(plan, phase(step)))),
        { ...attempts, ...(action.budgets.timeoutMs === undefined ? {} : { timeoutMs: action.budgets.timeoutMs }) },
        audited('act.applied', 'act.apply_failed', (result) => ({ idempotencyKey: `${this.runId}:${at.apply}`, outcome: result, ...granted })),
        traced,
      );
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      throw new ActionFailedError(action.name, 'apply', error.message, { resource, rolledBack: false, error: serializeError(error) });
    } finally {
      unwatch();
    }
    const verify = action.verify;
    const undo = (): Promise<boolean> => this.undo(action, outcome, phase, traced, at.rollback);
    if (verify === undefined) {
      this.applied.push({ undo, action: action.name, resource });
      return { status: 'applied', action: action.name, resource, plan, outcome, verification: null };
    }
    let verification: Verification;
    try {
      verification = await this.checkpointAt(
        at.verify,
        'act.verify',
        action.name,
        (step) => verify(outcome, phase(step)),
        { maxAttempts: 1 },
        audited('act.verified', 'act.verify_failed', (result) => ({
          ok: result === true || (typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === true),
          verification: result,
        })),
        traced,
      );
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      const rolledBack = await undo();
      throw new ActionFailedError(action.name, 'verify', error.message, { resource, rolledBack, error: serializeError(error) });
    }
    if (verification === false || (typeof verification === 'object' && verification.ok !== true)) {
      const rolledBack = await undo();
      throw new ActionFailedError(action.name, 'verify', 'verify reported that the apply did not do what it should', {
        resource,
        rolledBack,
        verification,
      });
    }
    this.applied.push({ undo, action: action.name, resource });
    return { status: 'applied', action: action.name, resource, plan, outcome, verification };
  }

  /**
   * Runs an apply attempt and tells the action's breaker how it ended: a failure (not a stop of the run) is counted
   * before the attempt's failure is recorded; a success only when the breaker had something to forget.
   */
  private async countOutcome<T>(action: ActionAbout, admission: Admitted, apply: () => Promise<T> | T): Promise<T> {
    const budgets = this.deps.budgets;
    try {
      const outcome = await apply();
      if (admission.probe || admission.failures > 0) {
        budgets.record(action, true, undefined, this.runId).catch((error: unknown) => this.log.warn('could not tell the breaker of a success', { error: String(error) }));
      }
      return outcome;
    } catch (error) {
      if (!this.abort.aborted) {
        await budgets.record(action, false, error, this.runId).catch((failure: unknown) => this.log.warn('could not tell the breaker of a failure', { error: String(failure) }));
      }
      throw error;
    }
  }

  /** Whether this execution applied acts that a saga would roll back. */
  get hasAppliedActs(): boolean {
    return this.applied.length > 0;
  }

  /**
   * The saga: rolls back every act this run applied, last first, each rollback a checkpoint (so a crash part way
   * resumes with the rollbacks not yet recorded). A rollback that fails does not stop the others. Answers what
   * became of each.
   */
  async compensate(): Promise<Array<{ action: string; resource: string; rolledBack: boolean; error?: SerializedError }>> {
    const report: Array<{ action: string; resource: string; rolledBack: boolean; error?: SerializedError }> = [];
    for (const act of [...this.applied].reverse()) {
      try {
        report.push({ action: act.action, resource: act.resource, rolledBack: await act.undo() });
      } catch (error) {
        if (this.abort.aborted || error instanceof Suspended) throw error;
        report.push({ action: act.action, resource: act.resource, rolledBack: false, error: serializeError(error) });
      }
    }
    this.applied.length = 0;
    return report;
  }

  /** Rolls back one act's apply, checkpointed like its other phases; false when the action has no rollback. */
  private async undo<I, P, O>(
    action: ActionDefinition<I, P, O>,
    outcome: O,
    phase: (step: StepContext) => ActionContext,
    traced: ActAbout,
    seq: number,
  ): Promise<boolean> {
    const rollback = action.rollback;
    if (rollback === undefined) return false;
    const resource = traced.resource;
    const subject = `Resource::${JSON.stringify(resource)}`;
    const about = { action: action.name, version: action.version, category: action.category, resource };
    await this.checkpointAt(
      seq,
      'act.rollback',
      action.name,
      async (step) => {
        await rollback(outcome, phase(step));
        return true;
      },
      {},
      (record) =>
        record.ok
          ? { kind: 'act.rolled_back', subject, data: { ...about, attempts: record.attempts } }
          : { kind: 'act.rollback_failed', subject, data: { ...about, attempts: record.attempts, error: { code: record.error?.code, message: record.error?.message } } },
        traced,
    );
    return true;
  }

  /**
   * Suspends the run: it holds no worker until the suspension's wake-up. Inside a branch of `ctx.parallel` the wish
   * is handed to the section, which suspends once every branch has settled.
   */
  private async suspend(suspension: Suspension): Promise<never> {
    if (this.section !== null) {
      this.section.wishes.push(suspension);
      throw new Suspended();
    }
    this.shared.suspended = true;
    await this.store.suspendRun(this.lease, suspension);
    throw new Suspended();
  }

  private refuseInBranch(call: string): void {
    if (this.section !== null) {
      throw new ValidationError(`ctx.${call} cannot run inside a branch of ctx.parallel: call it before or after the parallel section`);
    }
  }

  /**
   * Runs branches side by side. Each branch gets a block of 64 sequence numbers (PARALLEL_SLOTS) of its own, so a
   * replay gives every call of a branch the number it had, whatever order the branches' calls interleave in. When
   * branches must wait (an approval, a lock, a retry, a timer), the run suspends once all branches have settled,
   * and a resumed run replays the finished calls of every branch. Answers the branches' results in order; a branch
   * that failed fails the section with its error, after the others have settled.
   */
  async parallel<T>(branches: ReadonlyArray<(ctx: WorkflowContext) => Promise<T> | T>): Promise<T[]> {
    this.refuseInBranch('parallel');
    this.checkLive();
    const base = this.cursor.seq;
    const section: ParallelSection = { wishes: [] };
    const settled = await Promise.allSettled(
      branches.map(async (branch, i) => branch(this.fork(section, base + i * PARALLEL_SLOTS))),
    );
    this.cursor.seq = base + branches.length * PARALLEL_SLOTS;
    if (this.abort.aborted) throw this.abort.reason;
    for (const outcome of settled) {
      if (outcome.status === 'rejected' && !(outcome.reason instanceof Suspended)) throw outcome.reason;
    }
    if (section.wishes.length > 0) {
      // every wish's step is recorded; the run waits for the soonest wake-up, under the kind an event must wake
      const [first, ...rest] = [...section.wishes].sort((a, b) => WAKE_RANK[a.kind] - WAKE_RANK[b.kind]);
      for (const wish of rest) if (wish.step) this.pipeline(this.store.recordStep(this.lease, wish.step));
      await this.settle();
      const times = section.wishes.map((w) => w.runnableAt).filter((t): t is number => t !== null);
      const runnableAt = times.length > 0 ? Math.min(...times) : null;
      return this.suspend({ ...(first as Suspension), runnableAt, now: this.deps.clock.now() });
    }
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
  }

  /** A context for one branch of a parallel section: its own sequence numbers, everything else shared. */
  private fork(section: ParallelSection, base: number): RunContext {
    return Object.create(this, {
      cursor: { value: { seq: base, limit: base + PARALLEL_SLOTS } },
      section: { value: section },
    }) as RunContext;
  }

  async sleep(name: string, ms: number): Promise<void> {
    const { seq, record } = this.next('sleep', name);
    if (record?.status === 'completed') return;
    const now = this.deps.clock.now();
    const wakeAt = record?.wakeAt ?? now + Math.max(0, ms);
    if (wakeAt <= now) {
      this.pipeline(
        this.store.recordStep(this.lease, this.stepWrite(seq, 'sleep', name, { wakeAt, startedAt: record?.startedAt ?? now })),
      );
      return;
    }
    return this.suspend({
      kind: 'timer',
      ref: name,
      runnableAt: wakeAt,
      now,
      step: record ? null : this.stepWrite(seq, 'sleep', name, { status: 'waiting', wakeAt, finishedAt: null }),
    });
  }

  async waitFor<T = unknown>(name: string, options: WaitOptions = {}): Promise<T> {
    this.refuseInBranch('waitFor');
    const { seq, record } = this.next('signal', name);
    if (record?.status === 'completed') return record.result as T;
    if (record?.status === 'failed' && record.error) throw reviveError(record.error);
    const now = this.deps.clock.now();
    const deadline = record ? record.wakeAt : options.timeoutMs === undefined ? null : now + options.timeoutMs;
    const outcome = await this.store.consumeSignal(this.lease, {
      seq,
      name,
      deadline,
      startedAt: record?.startedAt ?? now,
      now,
    });
    switch (outcome.kind) {
      case 'received':
        return outcome.payload as T;
      case 'timed_out': {
        const startedAt = record?.startedAt ?? now;
        const error = new WaitTimeoutError(name, (deadline ?? now) - startedAt);
        this.pipeline(
          this.store.recordStep(
            this.lease,
            this.stepWrite(seq, 'signal', name, { status: 'failed', error: serializeError(error), wakeAt: deadline, startedAt }),
          ),
        );
        throw error;
      }
      case 'suspended':
        this.shared.suspended = true;
        throw new Suspended();
      default: {
        const never: never = outcome;
        throw new Error(`unexpected signal outcome ${JSON.stringify(never)}`);
      }
    }
  }

  async child<O = unknown>(
    workflow: string | WorkflowDefinition<unknown, O>,
    input: unknown,
    options: ChildOptions = {},
  ): Promise<O> {
    this.refuseInBranch('child');
    const name = typeof workflow === 'string' ? workflow : workflow.name;
    const { seq, record } = this.next('child', name);
    if (record?.status === 'completed') return record.result as O;
    if (record?.status === 'failed' && record.error) throw reviveError(record.error);
    if (record?.status === 'waiting') {
      const childId = (record.result as { childId: string }).childId;
      const child = await this.store.getRun(childId);
      if (child && isTerminal(child.status)) return this.settleChild<O>(seq, name, child, record.startedAt);
      return this.suspend({ kind: 'child', ref: childId, runnableAt: null, now: this.deps.clock.now(), step: null });
    }
    const definition = this.deps.workflows.get(name);
    if (!definition) throw new UnknownWorkflowError(name, [...this.deps.workflows.keys()]);
    const parsed = definition.input.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(`child workflow "${name}" input is invalid: ${formatIssues(parsed.error.issues, 'input')}`);
    }
    const inputJson = this.encodeResult(`${name} (child input)`, parsed.data);
    const now = this.deps.clock.now();
    const childId = this.deps.ids.runId();
    const timeoutMs = options.timeoutMs ?? definition.timeoutMs ?? null;
    this.shared.suspended = true;
    const child = await this.store.startChild(
      this.lease,
      {
        id: childId,
        workflow: name,
        workflowVersion: definition.version,
        inputJson,
        status: 'queued',
        mode: this.run.mode,
        autonomy: this.run.autonomy,
        subject: this.run.subject,
        goal: this.run.goal,
        idempotencyKey: `${this.runId}:${seq}`,
        queue: options.queue ?? definition.queue ?? this.run.queue,
        priority: options.priority ?? this.run.priority,
        parentId: this.runId,
        timeoutMs,
        runnableAt: now,
        createdAt: now,
      },
      this.stepWrite(seq, 'child', name, { status: 'waiting', resultJson: JSON.stringify({ childId }), finishedAt: null }),
    );
    this.log.info('child run started', { childId: child.id, child: name });
    throw new Suspended();
  }

  private settleChild<O>(seq: number, name: string, child: RunRecord, startedAt: number): O {
    if (child.status === 'succeeded') {
      this.pipeline(
        this.store.recordStep(
          this.lease,
          this.stepWrite(seq, 'child', name, { resultJson: JSON.stringify(child.output ?? null), startedAt }),
        ),
      );
      return child.output as O;
    }
    const error = new ChildFailedError(child.id, child.status, child.error);
    this.pipeline(
      this.store.recordStep(this.lease, this.stepWrite(seq, 'child', name, { status: 'failed', error: serializeError(error), startedAt })),
    );
    throw error;
  }

  private recorded<T>(kind: 'now' | 'uuid' | 'random', make: () => T): Promise<T> {
    const { seq, record } = this.next(kind, kind);
    if (record?.status === 'completed') return Promise.resolve(record.result as T);
    const value = make();
    this.pipeline(this.store.recordStep(this.lease, this.stepWrite(seq, kind, kind, { resultJson: JSON.stringify(value) })));
    return Promise.resolve(value);
  }

  now(): Promise<number> {
    return this.recorded('now', () => this.deps.clock.now());
  }

  uuid(): Promise<string> {
    return this.recorded('uuid', () => this.deps.ids.uuid());
  }

  random(): Promise<number> {
    return this.recorded('random', () => this.deps.ids.random());
  }
}

/**
 * The store calls a run makes. When one fails because the store itself failed (unreachable, not a refusal such as a
 * lost lease), the run stops at once with that failure as its abort reason; its worker hands the run back to its
 * queue when the store answers again, and the replay finds every step that was recorded.
 */
class RunStore {
  constructor(
    private readonly store: Store,
    private readonly abort: RunAbort,
  ) {}

  private watch<T>(call: Promise<T>): Promise<T> {
    return call.catch((error: unknown) => {
      if (error instanceof StoreUnavailableError) this.abort.abort(error);
      throw error;
    });
  }

  recordStep(...args: Parameters<Store['recordStep']>): Promise<void> {
    return this.watch(this.store.recordStep(...args));
  }
  suspendRun(...args: Parameters<Store['suspendRun']>): Promise<void> {
    return this.watch(this.store.suspendRun(...args));
  }
  consumeSignal(...args: Parameters<Store['consumeSignal']>): ReturnType<Store['consumeSignal']> {
    return this.watch(this.store.consumeSignal(...args));
  }
  getRun(...args: Parameters<Store['getRun']>): ReturnType<Store['getRun']> {
    return this.watch(this.store.getRun(...args));
  }
  startChild(...args: Parameters<Store['startChild']>): ReturnType<Store['startChild']> {
    return this.watch(this.store.startChild(...args));
  }
  acquireLock(...args: Parameters<Store['acquireLock']>): ReturnType<Store['acquireLock']> {
    return this.watch(this.store.acquireLock(...args));
  }
  releaseLock(...args: Parameters<Store['releaseLock']>): ReturnType<Store['releaseLock']> {
    return this.watch(this.store.releaseLock(...args));
  }
  getControls(): ReturnType<Store['getControls']> {
    return this.watch(this.store.getControls());
  }
  getBreaker(...args: Parameters<Store['getBreaker']>): ReturnType<Store['getBreaker']> {
    return this.watch(this.store.getBreaker(...args));
  }
  requestApproval(...args: Parameters<Store['requestApproval']>): ReturnType<Store['requestApproval']> {
    return this.watch(this.store.requestApproval(...args));
  }
}

/** A promise that rejects with the signal's reason when it aborts (and never resolves). */
function abortPromise(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  promise.catch(() => undefined);
  return promise;
}
