/** `createSteward`: the library's entry point, tying the store, the worker and the scheduler together. */
import { z } from 'zod';
import {
  ClosedError,
  RunCancelledError,
  RunFailedError,
  ResultTimeoutError,
  RunNotFoundError,
  UnknownWorkflowError,
  ValidationError,
  formatIssues,
  serializeError,
} from '../errors.js';
import { systemClock, systemIds } from '../domain/clock.js';
import { encodeJson } from '../domain/json.js';
import { isTerminal, RUN_STATUSES, type EventRecord, type RunRecord, type StepRecord } from '../domain/run.js';
import type { ScheduleDefinition } from '../domain/workflow.js';
import { resolveOptions, type StewardConfig, type StewardOptions } from '../config/options.js';
import { createLogger } from '../observability/logger.js';
import type { AuditInput, CancelResult, ComponentControl, ComponentReport, Controls, CreateRunResult, NewRun, RunPage, Store } from '../store/store.js';
import { Redactor } from '../audit/redactor.js';
import type { PlanDocument } from '../plan/plan-document.js';
import type { PlanOutput } from '../plan/plan-workflow.js';
import { startPlanRun, type StartPlanOptions } from '../plan/start-plan.js';
import { ControlState } from './controls.js';
import type { EngineDeps } from './deps.js';
import { Scheduler } from './scheduler.js';
import { Worker, type WorkerStopOptions } from './worker.js';
import { ApprovalDesk, type Approvals } from './approvals.js';
import { ActionBudgetGuard } from './budgets.js';
import { applyPlan, planOf, type ApplyPlanOptions, type PlanSummary } from './plans.js';
import type { PolicyEngine } from '../policy/engine.js';
import { setupComponents, type EngineComponents } from './components.js';
import { loadConfig } from '../config/file.js';
import type { FileConfig } from '../config/file-schema.js';
import type { Registry } from '../registry/index.js';
import { parsePrincipalText } from '../policy/request.js';
import { StewardMetrics } from '../observability/metrics.js';
import { readObservedState, readOverview, type Overview } from './overview.js';

const startOptionsSchema = z
  .object({
    idempotencyKey: z.string().min(1).max(255).optional(),
    mode: z.enum(['apply', 'plan']).optional(),
    subject: z
      .string()
      .min(1)
      .max(256)
      .refine((text) => parsePrincipalText(text) !== null, 'a subject is a principal written Type::"id", e.g. User::"alice" or Agent::"planner" (Type one of User, Agent, Service)')
      .optional(),
    goal: z.string().max(4096).optional(),
    queue: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'queue names are 1–64 letters, digits, . _ : -').optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    autonomy: z.number().int().min(0).max(3).optional(),
    timeoutMs: z.number().int().positive().optional(),
    /** Earliest time the run may start (ms since the epoch). */
    notBefore: z.number().int().nonnegative().optional(),
  })
  .strict();

/** Options of `steward.start`. */
export type StartOptions = z.input<typeof startOptionsSchema>;

const listSchema = z
  .object({
    status: z.union([z.enum(RUN_STATUSES), z.array(z.enum(RUN_STATUSES))]).optional(),
    workflow: z.string().optional(),
    queue: z.string().optional(),
    parentId: z.string().optional(),
    cursor: z.string().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

/** Filters of `steward.list`. */
export type ListOptions = z.input<typeof listSchema>;

/** A started run: its id, and its outcome when it ends. */
export interface RunHandle<O = unknown> {
  readonly id: string;
  /** False when `start` found an existing run with the same idempotency key. */
  readonly created: boolean;
  /** Resolves with the run's output; rejects with `RunFailedError` or `RunCancelledError`. */
  result(options?: { timeoutMs?: number }): Promise<O>;
  /** The run as stored now. */
  record(): Promise<RunRecord>;
}

/** The Steward instance. */
export interface Steward {
  readonly store: Store;
  readonly worker: Worker;
  readonly config: StewardConfig;
  /**
   * This Steward's Prometheus metrics, on a registry of its own: `metrics.text()` is what `GET /metrics` serves
   * (docs/observability.md lists them).
   */
  readonly metrics: StewardMetrics;
  /** Run counts by status, pending approvals, the controls and queue depths, read from the store now. */
  overview(): Promise<Overview>;
  start<O = unknown>(workflow: string, input: unknown, options?: StartOptions): Promise<RunHandle<O>>;
  /**
   * Starts a plan run (the built-in `steward.plan` workflow) from a plan document or its YAML/JSON text, in plan
   * mode unless `mode: 'apply'` is given. The plan is checked first: a bad one is a `PlanInvalidError` naming each
   * problem's path (and line:column for text), and nothing is stored.
   */
  startPlan(plan: PlanDocument | string, options?: StartPlanOptions): Promise<RunHandle<PlanOutput>>;
  /** A handle to an existing run. */
  handle<O = unknown>(runId: string): RunHandle<O>;
  run(id: string): Promise<RunRecord>;
  steps(id: string): Promise<StepRecord[]>;
  events(options?: { after?: number; runId?: string; limit?: number }): Promise<EventRecord[]>;
  list(options?: ListOptions): Promise<RunPage>;
  signal(id: string, name: string, payload?: unknown): Promise<void>;
  cancel(id: string, options?: { reason?: string }): Promise<CancelResult>;
  /** Waits until the run ends (or, in plan mode, is `planned`) and returns its record (whatever the status). */
  wait(id: string, options?: { timeoutMs?: number }): Promise<RunRecord>;
  /** The store-wide controls: the kill switch and the global autonomy level. */
  controls(): Promise<Controls>;
  /**
   * Turns the kill switch on or off for every worker of the store, audited. While it is on no apply starts, and
   * applies in flight see their signal aborted and their runs pause; turning it off resumes them.
   */
  killSwitch(on: boolean, options?: { by?: string; reason?: string }): Promise<Controls>;
  /** The global autonomy level (0 observe … 3 everything applies alone); each run's level is capped by it. */
  readonly autonomy: {
    get(): Promise<number>;
    /** Sets the global level for every worker of the store, audited. */
    set(level: number, options?: { by?: string; reason?: string }): Promise<Controls>;
  };
  /** The approvals inbox: list, approve, deny. */
  readonly approvals: Approvals;
  /** The policy engine deciding every plan, apply and approve (the active instance of `policy/default`). */
  readonly policy: PolicyEngine;
  /**
   * The provider registry: the engine's store (`store/default`) and policy engine (`policy/default`) are its
   * candidates, with the configuration file's selections, plugins and remote manifests ([providers.md]).
   */
  readonly registry: Registry;
  /**
   * Pauses (or resumes) a component in every process of the store, audited: each applies it to its registry at
   * once on PostgreSQL, within a poll on SQLite. New uses wait; uses in flight finish.
   */
  pauseComponent(domain: string, key: string, paused: boolean, options?: { by?: string; reason?: string }): Promise<ComponentControl>;
  /** What the workers of the store reported of their components within the last `sinceMs`. */
  componentReports(sinceMs: number): Promise<ComponentReport[]>;
  /** Every act's plan of a run, and the run's plan hash. */
  planOf(runId: string): Promise<PlanSummary>;
  /**
   * Applies a `planned` run exactly as reviewed: it goes back to its queue in apply mode and replays its plans. With
   * `expectHash`, refused (`PlanChangedError`) unless the run's plan hash is that one.
   */
  applyPlan(runId: string, options?: ApplyPlanOptions): Promise<{ runId: string; hash: string }>;
  close(options?: WorkerStopOptions): Promise<void>;
}

const controlOptionsSchema = z
  .object({ by: z.string().min(1).max(256).optional(), reason: z.string().max(2000).optional() })
  .strict();

/** A running worker reports its components at least this often (drain reads reports younger than three times it). */
export const COMPONENT_REPORT_EVERY_MS = 5_000;

const autonomySchema = z.number().int('an autonomy level is a whole number').min(0, 'autonomy levels go from 0 to 3').max(3, 'autonomy levels go from 0 to 3');

/** Creates a Steward on the configured store. Nothing runs until `worker.start()`. */
export async function createSteward(options: StewardOptions = {}): Promise<Steward> {
  // the configuration file fills in what the options leave out
  const file = options.configDir === undefined ? undefined : (await loadConfig(options.configDir)).config;
  const config = resolveOptions(file === undefined ? options : { ...optionsFromFile(file), ...options });
  const logger = config.logger ?? createLogger();
  const components = await setupComponents(config, logger, {
    ...(config.configDir === undefined ? {} : { configDir: config.configDir }),
    ...(file === undefined ? {} : { file }),
    watchConfig: config.watchConfig,
  });
  const store = components.store;
  const controls = new ControlState();
  try {
    const queues = [...config.queues.entries()].map(([name, q]) => ({ name, ...q }));
    if (queues.length > 0) await store.configureQueues(queues);
    controls.update(await store.getControls());
  } catch (error) {
    await components.close();
    throw error;
  }
  const redactor = new Redactor();
  const clock = config.clock ?? systemClock;
  const metrics = new StewardMetrics({
    readState: () => readObservedState(store),
    onStateError: (error) => logger.warn({ err: error }, 'metrics: could not read the state from the store; reported steward_store_up 0'),
  });
  const deps: EngineDeps = {
    store,
    clock,
    ids: config.ids ?? systemIds,
    logger,
    metrics,
    config,
    workflows: config.workflows,
    controls,
    redactor,
    // the policy engine active now: a swap of policy/default takes effect at the next decision
    get policy() {
      return components.policy();
    },
    budgets: new ActionBudgetGuard(store, clock, redactor),
    resolveAction: (action) => components.resolveAction(action),
  };
  return new StewardInstance(deps, components);
}

/** What a configuration file says that createSteward options could say too. */
function optionsFromFile(file: FileConfig): StewardOptions {
  return {
    ...(file.store === undefined || process.env.STEWARD_DATABASE_URL ? {} : { store: file.store }),
    ...(file.policy === undefined ? {} : { policy: { files: [...file.policy.files] } }),
    ...(file.approvals === undefined ? {} : { approvals: { ...file.approvals } }),
    ...(file.autonomy === undefined ? {} : { autonomy: file.autonomy }),
  };
}

class StewardInstance implements Steward {
  readonly store: Store;
  readonly worker: Worker;
  readonly config: StewardConfig;
  readonly metrics: StewardMetrics;
  private readonly scheduler: Scheduler;
  private readonly unwatchSwaps: () => void;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly unsubscribe: () => void;
  private readonly controlsPoll: NodeJS.Timeout;
  private closed = false;
  /** The components this process paused because an operator's control said so. */
  private readonly pausedByControl = new Set<string>();
  private lastReport = { text: '', at: 0 };
  readonly approvals: Approvals;
  readonly autonomy: Steward['autonomy'];
  readonly registry: Registry;

  constructor(
    private readonly deps: EngineDeps,
    private readonly components: EngineComponents,
  ) {
    this.store = deps.store;
    this.config = deps.config;
    this.registry = components.registry;
    this.metrics = deps.metrics;
    this.unwatchSwaps = this.registry.onAfterSwap((record) => deps.metrics.componentSwapped(record.domain, record.key, record.outcome));
    this.approvals = new ApprovalDesk(deps);
    this.autonomy = {
      get: async () => (await this.controls()).autonomy,
      set: (level, options) => this.setAutonomy(level, options),
    };
    this.scheduler = new Scheduler(deps, deps.config.schedules, (schedule, tickAt) => this.startScheduled(schedule, tickAt));
    // the schedules tick while a worker of this instance runs
    this.worker = new Worker(deps, {
      started: () => void this.scheduler.start().catch((error: unknown) => deps.logger.error({ err: error }, 'schedules could not start')),
      stopping: () => this.scheduler.stop(),
    });
    this.unsubscribe = this.store.subscribe((notice) => {
      if (notice.type === 'controls') {
        void this.refreshControls();
        return;
      }
      if (notice.type !== 'finished') return;
      const set = this.waiters.get(notice.runId);
      if (set) for (const wake of set) wake();
    });
    // other processes on a SQLite file send no notices: their changes to the controls are read on this poll
    this.controlsPoll = setInterval(() => void this.refreshControls(), deps.config.pollIntervalMs);
    this.controlsPoll.unref();
    // a component an operator paused before this process started is paused here from the start
    void this.refreshControls();
  }

  private async refreshControls(): Promise<void> {
    try {
      this.deps.controls.update(await this.store.getControls());
      await this.applyComponentControls();
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'could not read the controls; trying again at the next poll');
    }
  }

  /**
   * Applies the operators' component controls (`steward components pause|resume|drain`) to this process's registry,
   * and, while this process's worker runs, reports its components (provider, state, uses in flight) for `drain`.
   */
  private async applyComponentControls(): Promise<void> {
    const registry = this.registry;
    const known = new Set(registry.components().map((c) => `${c.domain}/${c.key}`));
    for (const control of await this.store.listComponentControls()) {
      const id = `${control.domain}/${control.key}`;
      if (!known.has(id)) continue;
      if (control.paused && !this.pausedByControl.has(id)) {
        registry.pause(control.domain, control.key);
        this.pausedByControl.add(id);
        this.deps.logger.warn({ component: id, by: control.by, reason: control.reason }, 'component paused by an operator: new uses wait');
      } else if (!control.paused && this.pausedByControl.has(id)) {
        registry.resume(control.domain, control.key);
        this.pausedByControl.delete(id);
        this.deps.logger.info({ component: id, by: control.by }, 'component resumed by an operator');
      }
    }
    if (!this.worker.status().running) return;
    const reports = registry.components().map((c) => ({ domain: c.domain, key: c.key, provider: c.active, state: c.state, inFlight: c.inFlight }));
    // written when something changed, and every few seconds anyway so that a live worker's reports stay fresh
    const text = JSON.stringify(reports);
    const now = this.deps.clock.now();
    if (text === this.lastReport.text && now - this.lastReport.at < COMPONENT_REPORT_EVERY_MS) return;
    await this.store.reportComponents(this.worker.id, reports, now);
    this.lastReport = { text, at: now };
  }

  async pauseComponent(domain: string, key: string, paused: boolean, options: { by?: string; reason?: string } = {}): Promise<ComponentControl> {
    this.ensureOpen();
    const { by, reason, now } = this.controlChange(options, 'component control');
    // a component this process registered, or one a live worker reports (workers may register more than this process)
    const here = this.registry.components().map((c) => `${c.domain}/${c.key}`);
    const reported = (await this.componentReports(3 * COMPONENT_REPORT_EVERY_MS)).map((r) => `${r.domain}/${r.key}`);
    const known = new Set([...here, ...reported]);
    if (!known.has(`${domain}/${key}`)) {
      throw new ValidationError(
        `no component ${domain}/${key} is registered here or reported by a live worker: check the name (known: ${[...known].sort().join(', ')}); list them with \`steward components list\``,
      );
    }
    const audit: AuditInput = {
      kind: paused ? 'component.paused' : 'component.resumed',
      at: now,
      actor: by,
      runId: null,
      subject: null,
      data: { domain, key, reason },
    };
    const control = await this.store.setComponentPaused(domain, key, paused, { by, reason, now }, audit);
    await this.refreshControls();
    return control;
  }

  componentReports(sinceMs: number): Promise<ComponentReport[]> {
    this.ensureOpen();
    return this.store.listComponentReports(this.deps.clock.now() - sinceMs);
  }

  overview(): Promise<Overview> {
    this.ensureOpen();
    return readOverview(this.store);
  }

  async controls(): Promise<Controls> {
    this.ensureOpen();
    const controls = await this.store.getControls();
    this.deps.controls.update(controls);
    return controls;
  }

  async killSwitch(on: boolean, options: { by?: string; reason?: string } = {}): Promise<Controls> {
    this.ensureOpen();
    const { by, reason, now } = this.controlChange(options, 'kill switch');
    const audit: AuditInput = {
      kind: on ? 'kill_switch.on' : 'kill_switch.off',
      at: now,
      actor: by,
      runId: null,
      subject: null,
      data: { reason },
    };
    const controls = await this.store.setKillSwitch(on, { by, reason, now }, audit);
    this.deps.controls.update(controls);
    this.deps.logger.warn({ by, reason }, on ? 'kill switch turned on: no apply starts' : 'kill switch turned off: paused runs resume');
    return controls;
  }

  private async setAutonomy(level: number, options: { by?: string; reason?: string } = {}): Promise<Controls> {
    this.ensureOpen();
    const checked = autonomySchema.safeParse(level);
    if (!checked.success) throw new ValidationError(`invalid autonomy level ${JSON.stringify(level)}: ${formatIssues(checked.error.issues, 'level')}`);
    const { by, reason, now } = this.controlChange(options, 'autonomy');
    const before = this.deps.controls.value.autonomy;
    const audit: AuditInput = {
      kind: 'autonomy.changed',
      at: now,
      actor: by,
      runId: null,
      subject: null,
      data: { from: before, to: checked.data, reason },
    };
    const controls = await this.store.setAutonomy(checked.data, { by, reason, now }, audit);
    this.deps.controls.update(controls);
    this.deps.logger.warn({ by, reason, from: before, to: controls.autonomy }, 'global autonomy level changed');
    return controls;
  }

  /**
   * Who changes a store-wide control, why and when. The reason is redacted once, here, so that the control's row, its
   * event and its audit entry all hold the same text and none of them a secret.
   */
  private controlChange(options: { by?: string; reason?: string }, what: string): { by: string | null; reason: string | null; now: number } {
    const parsed = controlOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ValidationError(`invalid ${what} options: ${formatIssues(parsed.error.issues, 'options')}`);
    const reason = parsed.data.reason === undefined ? null : this.deps.redactor.redactString(parsed.data.reason);
    return { by: parsed.data.by ?? null, reason, now: this.deps.clock.now() };
  }

  get policy(): PolicyEngine {
    return this.deps.policy;
  }

  planOf(runId: string): Promise<PlanSummary> {
    this.ensureOpen();
    return planOf(this.deps, runId);
  }

  applyPlan(runId: string, options: ApplyPlanOptions = {}): Promise<{ runId: string; hash: string }> {
    this.ensureOpen();
    return applyPlan(this.deps, runId, options);
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError('this Steward instance');
  }

  async start<O = unknown>(workflow: string, input: unknown, options: StartOptions = {}): Promise<RunHandle<O>> {
    this.ensureOpen();
    const definition = this.deps.workflows.get(workflow);
    if (!definition) throw new UnknownWorkflowError(workflow, [...this.deps.workflows.keys()]);
    const opts = isEmpty(options) ? EMPTY_START : startOptionsSchema.safeParse(options);
    if (!opts.success) throw new ValidationError(`invalid start options: ${formatIssues(opts.error.issues, 'options')}`);
    const parsed = definition.input.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(`input of workflow "${workflow}" is invalid: ${formatIssues(parsed.error.issues, 'input')}`, {
        details: { workflow, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
      });
    }
    const encoded = encodeJson(parsed.data);
    if (!encoded.ok) throw new ValidationError(`input of workflow "${workflow}" is not JSON-serialisable: ${encoded.reason}`);
    const o = opts.data;
    const now = this.deps.clock.now();
    const queue = o.queue ?? definition.queue ?? 'default';
    const runnableAt = Math.max(now, o.notBefore ?? now);
    const newRun: NewRun = {
      id: this.deps.ids.runId(),
      workflow,
      workflowVersion: definition.version,
      inputJson: encoded.json,
      status: 'queued',
      mode: o.mode ?? 'apply',
      autonomy: o.autonomy ?? null,
      subject: o.subject ?? null,
      goal: o.goal ?? null,
      idempotencyKey: o.idempotencyKey ?? null,
      queue,
      priority: o.priority ?? 0,
      parentId: null,
      timeoutMs: o.timeoutMs ?? definition.timeoutMs ?? null,
      runnableAt,
      createdAt: now,
    };
    // a run started on someone's behalf (a subject) or for a goal is a privileged decision: audited with its creation
    if (newRun.subject !== null || newRun.goal !== null) {
      newRun.audit = {
        kind: 'run.started',
        at: now,
        actor: newRun.subject,
        runId: newRun.id,
        subject: null,
        data: this.deps.redactor.redact({
          workflow,
          goal: newRun.goal,
          mode: newRun.mode,
          queue,
          autonomy: newRun.autonomy,
          idempotencyKey: newRun.idempotencyKey,
        }) as Record<string, unknown>,
      };
    }
    // a run this process's worker has a slot for is claimed in the same transaction that creates it
    const offer = runnableAt <= now ? this.worker.offerEagerClaim(queue, workflow) : null;
    let created: CreateRunResult;
    try {
      created = await this.store.createRun(newRun, offer ?? undefined);
    } catch (error) {
      if (offer) this.worker.settleEagerClaim(undefined);
      throw error;
    }
    if (offer) this.worker.settleEagerClaim(created.claimed);
    // a new run's id is the one asked for; reading `run` would build its whole record
    return this.makeHandle<O>(created.created ? newRun.id : created.run.id, created.created);
  }

  startPlan(plan: PlanDocument | string, options: StartPlanOptions = {}): Promise<RunHandle<PlanOutput>> {
    this.ensureOpen();
    return startPlanRun(plan, options, { actions: this.config.actions, start: (workflow, input, opts) => this.start<PlanOutput>(workflow, input, opts) });
  }

  handle<O = unknown>(runId: string): RunHandle<O> {
    return this.makeHandle<O>(runId, false);
  }

  private makeHandle<O>(id: string, created: boolean): RunHandle<O> {
    return {
      id,
      created,
      result: async (opts) => {
        const run = await this.wait(id, opts);
        switch (run.status) {
          case 'succeeded':
          case 'planned':
            return run.output as O;
          case 'cancelled':
            throw new RunCancelledError(id);
          case 'failed':
          case 'rolled_back':
            throw new RunFailedError(id, run.error);
          default:
            throw new ResultTimeoutError(id, run.status, opts?.timeoutMs ?? 0);
        }
      },
      record: () => this.run(id),
    };
  }

  async run(id: string): Promise<RunRecord> {
    this.ensureOpen();
    const run = await this.store.getRun(id);
    if (!run) throw new RunNotFoundError(id);
    return run;
  }

  async steps(id: string): Promise<StepRecord[]> {
    await this.run(id);
    return this.store.listSteps(id);
  }

  events(options: { after?: number; runId?: string; limit?: number } = {}): Promise<EventRecord[]> {
    this.ensureOpen();
    return this.store.readEvents({
      after: options.after ?? 0,
      limit: Math.min(Math.max(options.limit ?? 100, 1), 10_000),
      ...(options.runId === undefined ? {} : { runId: options.runId }),
    });
  }

  list(options: ListOptions = {}): Promise<RunPage> {
    this.ensureOpen();
    const parsed = listSchema.safeParse(options);
    if (!parsed.success) return Promise.reject(new ValidationError(`invalid list filter: ${formatIssues(parsed.error.issues, 'filter')}`));
    const { limit, ...rest } = parsed.data;
    return this.store.listRuns({ ...stripUndefined(rest), limit: limit ?? 50 });
  }

  async signal(id: string, name: string, payload: unknown = null): Promise<void> {
    this.ensureOpen();
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw new ValidationError('signal name must be a string of 1–128 characters');
    }
    const encoded = encodeJson(payload);
    if (!encoded.ok) throw new ValidationError(`signal payload is not JSON-serialisable: ${encoded.reason}`);
    if (encoded.bytes > this.config.maxResultBytes) {
      throw new ValidationError(`signal payload is ${encoded.bytes} bytes, over the ${this.config.maxResultBytes}-byte limit`);
    }
    await this.store.sendSignal(id, name, encoded.json, this.deps.clock.now());
  }

  async cancel(id: string, options: { reason?: string } = {}): Promise<CancelResult> {
    this.ensureOpen();
    const error = serializeError(new RunCancelledError(id));
    if (options.reason) error.message = `${error.message}: ${options.reason}`;
    return this.store.requestCancel(id, error, this.deps.clock.now());
  }

  async wait(id: string, options: { timeoutMs?: number } = {}): Promise<RunRecord> {
    const deadline = options.timeoutMs === undefined ? Infinity : this.deps.clock.now() + options.timeoutMs;
    for (;;) {
      this.ensureOpen();
      // listen before reading: a run that ends between the read and the listening would otherwise wait for the poll
      const woken = this.waitForFinish(id, Math.max(0, Math.min(deadline - this.deps.clock.now(), this.config.pollIntervalMs)));
      let run: RunRecord;
      try {
        run = await this.run(id);
      } catch (error) {
        woken.cancel();
        throw error;
      }
      if (isTerminal(run.status) || run.status === 'planned' || deadline - this.deps.clock.now() <= 0) {
        woken.cancel();
        return run;
      }
      // woken by this process's commit, or by the poll for runs finished in other processes
      await woken.promise;
    }
  }

  private waitForFinish(id: string, ms: number): { promise: Promise<void>; cancel: () => void } {
    let set = this.waiters.get(id);
    if (!set) {
      set = new Set();
      this.waiters.set(id, set);
    }
    const waiters = set;
    let done!: () => void;
    const promise = new Promise<void>((resolve) => {
      done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
        resolve();
      };
    });
    const timer = setTimeout(done, ms);
    waiters.add(done);
    return { promise, cancel: done };
  }

  private async startScheduled(schedule: ScheduleDefinition, tickAt: number): Promise<void> {
    await this.start(schedule.workflow, schedule.input, { idempotencyKey: `schedule:${schedule.name}:${tickAt}` });
  }

  async close(options: WorkerStopOptions = {}): Promise<void> {
    if (this.closed) return;
    await this.worker.stop(options);
    this.closed = true;
    this.unsubscribe();
    this.unwatchSwaps();
    clearInterval(this.controlsPoll);
    for (const set of this.waiters.values()) for (const wake of set) wake();
    // a stopped worker has nothing in flight: a drain need not wait for its last reports to age
    if (this.lastReport.at > 0) {
      await this.store.reportComponents(this.worker.id, [], this.deps.clock.now()).catch((error: unknown) => {
        this.deps.logger.debug({ err: error }, 'could not withdraw the component reports of this worker; they age out');
      });
    }
    // the registry disposes what it made: the store it opened, and every component's active instance
    await this.components.close();
  }
}

const EMPTY_START: { success: true; data: z.output<typeof startOptionsSchema> } = { success: true, data: {} };

function isEmpty(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

function stripUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
