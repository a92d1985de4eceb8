/**
 * Prometheus metrics of one Steward, on a registry of its own (two Stewards in one process never clash). State (runs
 * by status, queue depth, approvals pending, the controls, breakers) is read from the store once per scrape; latency
 * and counts (steps, act phases, finished runs, component swaps) are observed where they happen, in memory only.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a scrape reads of the store: the counts and the controls, shared by every gauge of that scrape. */
export interface ObservedState {
  /** Runs in each status. */
  runsByStatus: Readonly<Record<string, number>>;
  queues: ReadonlyArray<{ queue: string; queued: number; running: number }>;
  approvalsPending: number;
  killSwitchOn: boolean;
  autonomy: number;
  /** Every breaker the store knows, by action. */
  breakers: ReadonlyArray<{ action: string; state: BreakerStateName }>;
}

/** Where an action's circuit breaker stands. */
export type BreakerStateName = 'closed' | 'open' | 'half_open';

const BREAKER_STATES: readonly BreakerStateName[] = ['closed', 'open', 'half_open'];

/** How a step's execution ended: its result recorded, its failure recorded, a retry planned, or the run stopped under it. */
export type StepOutcome = 'succeeded' | 'failed' | 'retrying' | 'aborted';

/** The phases of an act that run the action's code. */
export type ActPhase = 'plan' | 'apply' | 'verify' | 'rollback';

/** Seconds; steps and act phases run from milliseconds (a plan) to minutes (a deploy). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Options of `StewardMetrics`. */
export interface MetricsOptions {
  /** Reads the state a scrape reports; a failure is reported as `steward_store_up 0`, the other metrics still answer. */
  readState: () => Promise<ObservedState>;
  /** Told when reading the state failed. */
  onStateError?: (error: unknown) => void;
  /** Adds Node's process metrics (CPU, memory, event loop, GC) with the `steward_` prefix at the first scrape (default true). */
  processMetrics?: boolean;
}

/** The metrics of one Steward: observe events through its methods, scrape with `text()`. */
export class StewardMetrics {
  /** The registry every Steward metric is on (not prom-client's global one). */
  readonly registry = new Registry();
  private readonly stepDuration: Histogram<'workflow' | 'outcome'>;
  private readonly actPhaseDuration: Histogram<'action' | 'phase'>;
  private readonly runsFinished: Counter<'workflow' | 'status'>;
  private readonly swaps: Counter<'domain' | 'key' | 'outcome'>;
  /** Each label set's series, bound once: an observation then skips hashing and checking its labels. */
  private readonly series = new Map<string, { observe(value: number): void } | { inc(value?: number): void }>();
  /** The state read for the scrape under way, shared by its gauges. */
  private reading: Promise<ObservedState | null> | null = null;
  /** Queues reported once: a queue that empties reports 0 instead of vanishing. */
  private readonly queuesSeen = new Set<string>();
  private processMetrics: boolean;

  constructor(private readonly options: MetricsOptions) {
    this.processMetrics = options.processMetrics ?? true;
    const registers = [this.registry];
    this.stepDuration = new Histogram({
      name: 'steward_step_duration_seconds',
      help: 'How long one execution of a step (ctx.step) took, by workflow and outcome',
      labelNames: ['workflow', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.actPhaseDuration = new Histogram({
      name: 'steward_act_phase_duration_seconds',
      help: "How long one execution of an act's plan, apply, verify or rollback took, by action and phase",
      labelNames: ['action', 'phase'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.runsFinished = new Counter({
      name: 'steward_runs_finished_total',
      help: 'Runs this process brought to an end (or to planned), by workflow and final status',
      labelNames: ['workflow', 'status'],
      registers,
    });
    this.swaps = new Counter({
      name: 'steward_component_swaps_total',
      help: "Swaps of this process's components, by domain, key and outcome (swapped, rolled-back, vetoed)",
      labelNames: ['domain', 'key', 'outcome'],
      registers,
    });
    this.stateGauges(registers);
  }

  /** The Content-Type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in Prometheus text format, reading the store's state once. */
  text(): Promise<string> {
    if (this.processMetrics) {
      this.processMetrics = false;
      collectDefaultMetrics({ register: this.registry, prefix: 'steward_' });
    }
    return this.registry.metrics();
  }

  /** A step's execution ended. */
  observeStep(workflow: string, outcome: StepOutcome, seconds: number): void {
    this.bound(`s\u0000${workflow}\u0000${outcome}`, () => this.stepDuration.labels({ workflow, outcome })).observe(seconds);
  }

  /** An act's phase ended (whatever its outcome). */
  observeActPhase(action: string, phase: ActPhase, seconds: number): void {
    this.bound(`a\u0000${action}\u0000${phase}`, () => this.actPhaseDuration.labels({ action, phase })).observe(seconds);
  }

  /** A run's end was recorded by this process. */
  runFinished(workflow: string, status: string): void {
    this.bound(`r\u0000${workflow}\u0000${status}`, () => this.runsFinished.labels({ workflow, status })).inc();
  }

  /** The series of a label set, bound at its first use. */
  private bound<T extends { observe(value: number): void } | { inc(value?: number): void }>(key: string, bind: () => T): T {
    let series = this.series.get(key) as T | undefined;
    if (series === undefined) {
      series = bind();
      this.series.set(key, series);
    }
    return series;
  }

  /** A component swap ended. */
  componentSwapped(domain: string, key: string, outcome: string): void {
    this.swaps.inc({ domain, key, outcome });
  }

  /** The state of this scrape: read once, whichever gauge asks first. */
  private state(): Promise<ObservedState | null> {
    this.reading ??= this.options
      .readState()
      .catch((error: unknown) => {
        this.options.onStateError?.(error);
        return null;
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  private stateGauges(registers: Registry[]): void {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, state: ObservedState) => void): void => {
      const g: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect: async () => {
          const state = await this.state();
          g.reset();
          if (state !== null) fill(g, state);
        },
      });
    };
    const up: Gauge = new Gauge({
      name: 'steward_store_up',
      help: 'Whether the store answered the reads of this scrape (1) or not (0: the state metrics are left out)',
      registers,
      collect: async (): Promise<void> => {
        up.set((await this.state()) === null ? 0 : 1);
      },
    });
    gauge('steward_runs', 'Runs in the store, by status', ['status'], (g, state) => {
      for (const [status, count] of Object.entries(state.runsByStatus)) g.set({ status }, count);
    });
    gauge('steward_queue_depth', 'Runs of each queue waiting to start (queued) and executing (running)', ['queue', 'state'], (g, state) => {
      for (const q of state.queues) this.queuesSeen.add(q.queue);
      const byName = new Map(state.queues.map((q) => [q.queue, q]));
      for (const queue of this.queuesSeen) {
        g.set({ queue, state: 'queued' }, byName.get(queue)?.queued ?? 0);
        g.set({ queue, state: 'running' }, byName.get(queue)?.running ?? 0);
      }
    });
    gauge('steward_approvals_pending', 'Approval requests waiting for a decision', [], (g, state) => g.set(state.approvalsPending));
    gauge('steward_kill_switch', 'Whether the kill switch is on (1) or off (0)', [], (g, state) => g.set(state.killSwitchOn ? 1 : 0));
    gauge('steward_autonomy_level', 'The global autonomy level (0 observe … 3 everything applies alone)', [], (g, state) => g.set(state.autonomy));
    gauge('steward_breaker_state', "Each action's circuit breaker: 1 for the state it is in, 0 for the others", ['action', 'state'], (g, state) => {
      for (const breaker of state.breakers) {
        for (const s of BREAKER_STATES) g.set({ action: breaker.action, state: s }, breaker.state === s ? 1 : 0);
      }
    });
  }
}
