/**
 * The worker: claims runnable runs up to its concurrency, executes them, renews their leases at a third of the
 * lease time, and wakes on store notices (new runs, timers, signals, cancels) and on a poll for other processes.
 */
import { LeaseLostError, RunCancelledError } from '../errors.js';
import type { Lease } from '../domain/run.js';
import type { ClaimedRun, EagerClaim, StoreNotice } from '../store/store.js';
import type { EngineDeps } from './deps.js';
import { executeRun } from './executor.js';
import { RunAbort } from './run-abort.js';
import { SlotRate } from './slot-rate.js';
import { StoreOutage } from './outage.js';

/** Runs held ready cover about this much time of slots freeing at the worker's recent pace. */
const HOLD_HORIZON_MS = 50;

/** Options of `worker.start`. */
export interface WorkerStartOptions {
  /** Runs executing at once in this worker (default 16). */
  concurrency?: number;
  /** Queues this worker serves (default: every queue the configuration and workflows name, and `default`). */
  queues?: string[];
  /**
   * The most runs claimed ahead and held ready, so that a freed slot starts the next run at once while the store
   * commits the last one's writes, and more runs share each commit (default: 16 times `concurrency`; 0 turns it
   * off). The worker holds one, or as many as its slots free in 50 ms at its recent pace if that is more, so runs
   * that take long are not held back from other workers. Held runs are leased; runs of queues with a concurrency
   * limit are never claimed ahead.
   */
  prefetch?: number;
}

/** Options of `worker.stop`. */
export interface WorkerStopOptions {
  /** How long to let in-flight runs reach a resting point before giving their leases back (default 10 s). */
  graceMs?: number;
}

interface Execution {
  claimed: ClaimedRun;
  controller: RunAbort;
  /** Set once the run started executing; until then it waits in the ready list. */
  done: Promise<void> | null;
}

/** Called when the worker starts and stops (the scheduler ticks while a worker runs). */
export interface WorkerHooks {
  started?: () => void;
  stopping?: () => void;
}

/** What a worker reports about itself. */
export interface WorkerStatus {
  id: string;
  running: boolean;
  concurrency: number;
  executing: number;
  queues: string[];
}

/** Claims and executes runs. */
export class Worker {
  readonly id: string;
  private concurrency = 16;
  /** The most runs held ready. */
  private prefetch = 256;
  private readonly slotRate = new SlotRate();
  /** Claimed runs waiting for a free slot: highest priority first, then in claim order. */
  private ready: Execution[] = [];
  /**
   * The highest priority of runs made runnable here since the last claim was issued, or null. Held runs of lower
   * priority wait for the next claim to return, so a run started later with a higher priority still goes first.
   */
  private outranking: { priority: number; since: number } | null = null;
  private claimsIssued = 0;
  /** Whether the next claim also looks for runs of dead workers (set by the poll and at start). */
  private reclaimDue = true;
  /** Slots offered to runs being started in this process, not yet settled. */
  private eagerOffers = 0;
  /** Cancels heard for runs not (yet) held here: a claim answered later may bring them. */
  private cancelsHeard = new Set<string>();
  private executing = 0;
  private queues: string[] = [];
  /** The workflows this worker can run; it claims runs of these only. */
  private readonly workflowNames: readonly string[];
  private started = false;
  private stopping = false;
  /** The current execution of each run this worker holds (held ready or executing), by run id. */
  private readonly executions = new Map<string, Execution>();
  /** Every execution not yet ended, including ones superseded by a newer claim of the same run. */
  private readonly live = new Set<Execution>();
  /** Slots promised to claims still in flight. */
  private reserved = 0;
  private pumpScheduled = false;
  /** Runs stopped because the store failed under them, still leased here: handed back once the store answers. */
  private readonly abandoned = new Map<string, Lease>();
  private readonly outage: StoreOutage;
  private retryTimer: NodeJS.Timeout | undefined;
  private handingBack = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: EngineDeps,
    private readonly hooks: WorkerHooks = {},
  ) {
    this.id = deps.config.workerId ?? `${process.pid}-${deps.ids.uuid().slice(0, 8)}`;
    this.workflowNames = [...deps.workflows.keys()];
    this.outage = new StoreOutage(deps.logger.child({ workerId: this.id }), () => Date.now(), Math.random, deps.config.pollIntervalMs);
  }

  /** Starts claiming runs. */
  start(options: WorkerStartOptions = {}): void {
    if (this.started) return;
    this.concurrency = options.concurrency ?? 16;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`worker concurrency must be a whole number of at least 1 (got ${String(options.concurrency)})`);
    }
    this.prefetch = options.prefetch ?? this.concurrency * 16;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) {
      throw new RangeError(`worker prefetch must be a whole number of at least 0 (got ${String(options.prefetch)})`);
    }
    this.queues = options.queues ?? this.defaultQueues();
    this.started = true;
    this.stopping = false;
    this.unsubscribe = this.deps.store.subscribe((notice) => this.onNotice(notice));
    // a started worker keeps the process alive, like a listening server, until it is stopped
    this.pollTimer = setInterval(() => {
      this.reclaimDue = true;
      this.schedulePump();
    }, this.deps.config.pollIntervalMs);
    const beat = Math.max(50, Math.floor(this.deps.config.leaseMs / 3));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), beat);
    this.heartbeatTimer.unref();
    this.deps.logger.info({ workerId: this.id, concurrency: this.concurrency, queues: this.queues }, 'worker started');
    this.schedulePump();
    this.hooks.started?.();
  }

  /** Stops claiming, lets in-flight runs reach a resting point, and gives the rest back to their queues. */
  async stop(options: WorkerStopOptions = {}): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.hooks.stopping?.();
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.wakeTimer);
    clearTimeout(this.retryTimer);
    this.unsubscribe?.();
    // runs held ready go back to their queues at once
    const held = this.ready;
    this.ready = [];
    for (const execution of held) {
      this.executions.delete(execution.claimed.lease.runId);
      this.live.delete(execution);
      await this.deps.store.releaseRun(execution.claimed.lease, this.deps.clock.now()).catch(() => undefined);
    }
    const grace = options.graceMs ?? 10_000;
    const all = Promise.all([...this.live].map((e) => e.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, grace)))]);
    clearTimeout(timer);
    for (const execution of this.executions.values()) {
      execution.controller.abort(new LeaseLostError(execution.claimed.lease.runId, execution.claimed.lease.epoch));
      await this.deps.store.releaseRun(execution.claimed.lease, this.deps.clock.now()).catch(() => undefined);
    }
    await Promise.all([...this.live].map((e) => e.done));
    await this.handBackAbandoned();
    this.started = false;
    this.deps.logger.info({ workerId: this.id }, 'worker stopped');
  }

  status(): WorkerStatus {
    return { id: this.id, running: this.started && !this.stopping, concurrency: this.concurrency, executing: this.executing, queues: [...this.queues] };
  }

  /** Resolves when no run is executing in this worker (for tests and graceful shutdown). */
  idle(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private defaultQueues(): string[] {
    const names = new Set<string>(['default', ...this.deps.config.queues.keys()]);
    for (const wf of this.deps.workflows.values()) if (wf.queue) names.add(wf.queue);
    return [...names];
  }

  private onNotice(notice: StoreNotice): void {
    switch (notice.type) {
      case 'runnable':
        if (!this.queues.includes(notice.queue)) return;
        if (notice.at <= this.deps.clock.now()) {
          if (notice.priority !== null && (this.outranking === null || notice.priority > this.outranking.priority)) {
            this.outranking = { priority: notice.priority, since: this.claimsIssued };
          }
          this.schedulePump();
        } else this.wakeLater(notice.at);
        return;
      case 'cancel_requested':
        this.abort(notice.runId, new RunCancelledError(notice.runId));
        return;
      case 'finished':
      case 'events':
      case 'controls':
        return;
      default: {
        const never: never = notice;
        throw new Error(`unknown store notice ${JSON.stringify(never)}`);
      }
    }
  }

  private wakeLater(at: number): void {
    if (at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeAt = Infinity;
        this.schedulePump();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
    this.wakeTimer.unref();
  }

  /** Coalesces pump requests of one tick; runs before the store's group commit of the same turn. */
  private schedulePump(): void {
    if (this.pumpScheduled || !this.started || this.stopping) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.startReady();
    const slots = this.concurrency - this.executing;
    const covered = this.ready.length + this.reserved + this.eagerOffers;
    // a run that may outrank a held one is claimed even past the prefetch
    const want = slots + this.holdTarget() - covered + (this.outranksHeld() ? 1 : 0);
    if (want <= 0) return;
    const issued = ++this.claimsIssued;
    // what goes beyond the free slots is claimed ahead
    const ahead = Math.max(0, want - Math.max(0, slots - covered));
    this.reserved += want;
    let claimed: ClaimedRun[] = [];
    try {
      claimed = await this.deps.store.claimRuns({
        owner: this.id,
        queues: this.queues,
        workflows: this.workflowNames,
        limit: want,
        ahead,
        reclaimExpired: this.takeReclaimDue(),
        leaseMs: this.deps.config.leaseMs,
        now: this.deps.clock.now(),
      });
      this.outage.recovered();
    } catch (error) {
      this.retryLater(this.outage.failed(error, 'claiming runs'));
    } finally {
      this.reserved -= want;
      if (this.outranking !== null && this.outranking.since < issued) this.outranking = null;
    }
    for (const run of claimed) this.accept(run);
    if (this.abandoned.size > 0 && !this.outage.ongoing) void this.handBackAbandoned();
    // a cancel heard for a run no claim brought concerns another worker's run
    if (this.reserved === 0) this.cancelsHeard.clear();
    if (this.stopping) return;
    this.startReady();
    if (claimed.length === want) this.schedulePump();
    else if (claimed.length === 0) void this.planWake();
  }

  /** How many runs to hold ready now: the slots the recent pace frees within the horizon, at least one, up to `prefetch`. */
  private holdTarget(): number {
    return Math.min(this.prefetch, Math.max(1, Math.ceil(this.slotRate.expectedIn(HOLD_HORIZON_MS))));
  }

  private takeReclaimDue(): boolean {
    const due = this.reclaimDue;
    this.reclaimDue = false;
    return due;
  }

  /** Takes a claimed run into the ready list. */
  private accept(run: ClaimedRun): void {
    const execution: Execution = { claimed: run, controller: new RunAbort(), done: null };
    // this worker may claim a run again whose lease it let lapse (a stalled event loop, a partition): the
    // older execution is fenced off already and must stop, not run on unseen beside the new one
    const superseded = this.executions.get(run.run.id);
    superseded?.controller.abort(new LeaseLostError(run.run.id, superseded.claimed.lease.epoch));
    if (superseded && superseded.done === null) {
      this.ready = this.ready.filter((e) => e !== superseded);
      this.live.delete(superseded);
    }
    this.executions.set(run.run.id, execution);
    this.live.add(execution);
    this.hold(execution);
    if (this.cancelsHeard.delete(run.run.id)) this.abort(run.run.id, new RunCancelledError(run.run.id));
  }

  /**
   * Offers a free slot to a run being started in this process, so the store claims it in the same transaction as
   * its creation (one round trip less). Returns null when this worker cannot take it now.
   */
  offerEagerClaim(queue: string, workflow: string): EagerClaim | null {
    if (!this.started || this.stopping || !this.queues.includes(queue) || !this.deps.workflows.has(workflow)) return null;
    if (this.executing + this.ready.length + this.reserved + this.eagerOffers >= this.concurrency) return null;
    this.eagerOffers += 1;
    return { owner: this.id, leaseMs: this.deps.config.leaseMs };
  }

  /** Ends an offer: runs the run the store claimed for it, if it did. */
  settleEagerClaim(claimed: ClaimedRun | undefined): void {
    this.eagerOffers -= 1;
    if (claimed && this.started && !this.stopping) {
      this.accept(claimed);
      this.startReady();
    } else if (claimed) {
      void this.deps.store.releaseRun(claimed.lease, this.deps.clock.now()).catch(() => undefined);
    }
  }

  /** Adds a claimed run to the ready list, after every held run of its priority or higher. */
  private hold(execution: Execution): void {
    const priority = execution.claimed.run.priority;
    let at = this.ready.length;
    while (at > 0 && (this.ready[at - 1]?.claimed.run.priority ?? priority) < priority) at -= 1;
    this.ready.splice(at, 0, execution);
  }

  /**
   * Aborts a run's execution. A run only held ready starts at once, even past the concurrency, so that it ends
   * (cancelled, or dropped for a lost lease) without running workflow code and without waiting for a slot.
   */
  private abort(runId: string, reason: Error): void {
    const execution = this.executions.get(runId);
    if (!execution) {
      if (reason instanceof RunCancelledError && (this.reserved > 0 || this.cancelsHeard.size > 0)) {
        this.cancelsHeard.add(runId);
      }
      return;
    }
    execution.controller.abort(reason);
    if (execution.done === null) {
      this.ready = this.ready.filter((e) => e !== execution);
      this.execute(execution);
    }
  }

  /** Starts held runs while slots are free. */
  private startReady(): void {
    while (this.executing < this.concurrency && this.ready.length > 0 && !this.stopping) {
      if (this.outranksHeld(this.ready[0])) {
        // wait for a claim issued after the outranking run was heard of; issue one if none is under way
        if (this.outranking !== null && this.outranking.since >= this.claimsIssued) this.schedulePump();
        return;
      }
      const execution = this.ready.shift();
      if (execution) this.execute(execution);
    }
  }

  /** Whether a run made runnable since the last claim outranks the given held run (default: the lowest held). */
  private outranksHeld(held: Execution | undefined = this.ready[this.ready.length - 1]): boolean {
    return this.outranking !== null && held !== undefined && this.outranking.priority > held.claimed.run.priority;
  }

  /** Pumps again after `ms` (a failed claim), unless something else pumps first. */
  private retryLater(ms: number): void {
    if (this.retryTimer !== undefined || this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedulePump();
    }, ms);
  }

  /** Takes note of a run stopped because the store failed under it. */
  private onAbandoned(lease: Lease, error: unknown): void {
    this.abandoned.set(lease.runId, lease);
    this.retryLater(this.outage.failed(error, `recording run ${lease.runId}`));
  }

  /**
   * Gives runs stopped by a store failure back to their queues, so that they resume at once instead of when their
   * leases expire. A run whose lease moved on meanwhile (another worker took it over) needs nothing.
   */
  private async handBackAbandoned(): Promise<void> {
    if (this.handingBack) return;
    this.handingBack = true;
    try {
      await this.handBackEach();
    } finally {
      this.handingBack = false;
    }
  }

  private async handBackEach(): Promise<void> {
    for (const [runId, lease] of [...this.abandoned]) {
      try {
        await this.deps.store.releaseRun(lease, this.deps.clock.now());
        this.abandoned.delete(runId);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.abandoned.delete(runId);
          continue;
        }
        this.retryLater(this.outage.failed(error, 'handing runs back to their queues'));
        return;
      }
    }
  }

  /** After an empty claim: sleep until the earliest future runnable time this store knows of. */
  private async planWake(): Promise<void> {
    try {
      const next = await this.deps.store.nextRunnableAt(this.queues, this.workflowNames);
      if (next !== null && next > this.deps.clock.now()) this.wakeLater(next);
    } catch (error) {
      this.retryLater(this.outage.failed(error, 'reading the next timer'));
    }
  }

  private execute(execution: Execution): void {
    const runId = execution.claimed.lease.runId;
    this.executing += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.executing -= 1;
      this.slotRate.mark();
      if (this.executions.get(runId) === execution) this.executions.delete(runId);
      this.live.delete(execution);
      this.startReady();
      this.schedulePump();
      if (this.live.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    };
    execution.done = executeRun(this.deps, execution.claimed, execution.controller, release, (error) =>
      this.onAbandoned(execution.claimed.lease, error),
    ).finally(release);
  }

  private async heartbeat(): Promise<void> {
    if (this.executions.size === 0) return;
    const leases = [...this.executions.values()].map((e) => e.claimed.lease);
    try {
      const renewal = await this.deps.store.renewLeases(this.id, leases, this.deps.config.leaseMs, this.deps.clock.now());
      for (const runId of renewal.lost) {
        const execution = this.executions.get(runId);
        if (execution) this.abort(runId, new LeaseLostError(runId, execution.claimed.lease.epoch));
      }
      for (const runId of renewal.cancelRequested) this.abort(runId, new RunCancelledError(runId));
      this.outage.recovered();
    } catch (error) {
      this.outage.failed(error, 'renewing leases');
    }
  }
}
