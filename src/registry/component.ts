/**
 * One component's slot: its active instance, the leases on it, and the swaps that replace it. Swaps of one slot run
 * one at a time; a use always leases the instance that is active at that moment, and an instance is disposed only
 * once, after its last lease is released.
 */
import { ClosedError } from '../errors.js';
import type { Clock } from '../domain/clock.js';
import type { Candidate } from './candidate.js';
import { ProviderDrainTimeoutError, ProviderPausedError, ProviderSwapFailedError, ProviderSwapVetoedError, ProviderUnavailableError } from './errors.js';
import type { AfterSwapHook, BeforeSwapHook, ComponentState, HealthReport, Lease, LifecycleBounds, SwapRecord, SwapStage } from './lifecycle.js';
import { describeError, settleWithin } from './timeouts.js';

/** What a slot needs from its registry. */
export interface SlotContext {
  domain: string;
  key: string;
  clock: Clock;
  /** The candidate a swap goes to: the named provider, or the winner of precedence. Throws when there is none. */
  target(provider: string | undefined): Candidate;
  /** The settings a provider's instance is made with: those of its selection, or none. */
  settings(provider: string): Readonly<Record<string, unknown>>;
  hooks: { before: ReadonlySet<BeforeSwapHook>; after: ReadonlySet<AfterSwapHook> };
  pauseWaitMs: number;
  historyLimit: number;
  /** The bounds of an activation on first use. */
  defaults: LifecycleBounds;
}

/** One instance made by a factory, with the uses in flight on it. */
class Instance {
  inFlight = 0;
  /** No longer active: no new lease reaches it, and it is disposed once its last lease is released. */
  retired = false;
  /** The swap that retired it: a dispose that throws after the swap ended is recorded there. */
  retiredBy: SwapRecord | null = null;
  /** Its one disposal, once started. */
  disposal: Promise<string | null> | undefined;
  healthy: boolean | null = null;
  healthReason: string | null = null;
  checkedAt: number | null = null;
  idleWaiters: (() => void)[] = [];
  constructor(
    readonly value: unknown,
    readonly candidate: Candidate,
  ) {}
}

/** A paused use waiting for resume, or for its deadline. */
interface ResumeWaiter {
  wake(): void;
}

/** The lifecycle of one (domain, key). */
export class ComponentSlot {
  private active: Instance | undefined;
  /** Instances not yet disposed (the active one and retired ones with uses in flight). */
  private readonly live = new Set<Instance>();
  private phase: 'idle' | 'activating' | 'draining' = 'idle';
  private paused = false;
  private draining = false;
  private closed = false;
  private failure: string | null = null;
  private readonly resumeWaiters = new Set<ResumeWaiter>();
  private tail: Promise<unknown> = Promise.resolve();
  private activation: Promise<void> | undefined;
  private readonly records: SwapRecord[] = [];

  constructor(private readonly ctx: SlotContext) {}

  /** The state, as `ComponentState` describes it. */
  get state(): ComponentState {
    if (this.phase === 'activating') return 'activating';
    if (this.phase === 'draining' || this.draining) return 'draining';
    if (this.paused) return 'paused';
    if (this.active !== undefined) return 'ready';
    return this.failure === null ? 'inactive' : 'failed';
  }

  /** The provider of the active instance, or null. */
  get activeProvider(): string | null {
    return this.active?.candidate.provider ?? null;
  }

  /** Uses in flight on every instance not yet disposed. */
  get inFlight(): number {
    let n = 0;
    for (const instance of this.live) n += instance.inFlight;
    return n;
  }

  /** The latest swaps, oldest first. */
  get history(): readonly SwapRecord[] {
    return this.records;
  }

  /** Leases the active instance, activating one first if there is none; waits up to `waitMs` while paused. */
  async use<T>(waitMs: number = this.ctx.pauseWaitMs): Promise<Lease<T>> {
    const deadline = this.ctx.clock.now() + waitMs;
    for (;;) {
      if (this.closed) throw new ClosedError(`the registry holding ${this.ctx.domain}/${this.ctx.key}`);
      if (this.paused) {
        await this.waitForResume(deadline, waitMs);
        continue;
      }
      const instance = this.active;
      if (instance !== undefined) return this.lease<T>(instance);
      await this.activateForUse();
    }
  }

  /** Replaces the active instance with a new one of `provider` (default: the winner of precedence). */
  swap(provider: string | undefined, bounds: LifecycleBounds): Promise<SwapRecord> {
    return this.serialised(() => this.runSwap(provider, bounds, 'swap'));
  }

  /** Stops new uses: they wait for `resume` (up to their wait bound). In-flight uses go on. */
  pause(): void {
    this.paused = true;
  }

  /** Lets new uses through again, including those waiting. */
  resume(): void {
    this.paused = false;
    this.draining = false;
    for (const waiter of this.resumeWaiters) waiter.wake();
    this.resumeWaiters.clear();
  }

  /** Pauses and waits until no use is in flight; stays paused after (resume to serve again). */
  async drain(timeoutMs: number): Promise<void> {
    this.pause();
    this.draining = true;
    try {
      const idle = await this.waitIdle([...this.live], timeoutMs);
      if (!idle) throw new ProviderDrainTimeoutError(this.ctx.domain, this.ctx.key, timeoutMs, this.inFlight);
    } finally {
      this.draining = false;
    }
  }

  /** The last known health of the active instance, or runs its check now with `probe`. */
  async health(probe: boolean, timeoutMs: number): Promise<HealthReport> {
    const instance = this.active;
    if (probe && instance !== undefined) {
      instance.inFlight++;
      try {
        await this.check(instance, timeoutMs);
      } finally {
        this.release(instance);
      }
    }
    return {
      domain: this.ctx.domain,
      key: this.ctx.key,
      state: this.state,
      provider: instance?.candidate.provider ?? null,
      healthy: instance?.healthy ?? null,
      reason: instance === undefined ? (this.failure ?? 'no instance is active') : instance.healthReason,
      checkedAt: instance?.checkedAt ?? null,
      probed: probe && instance !== undefined,
      inFlight: this.inFlight,
    };
  }

  /** Refuses new uses, waits for in-flight ones up to `timeoutMs`, and disposes every instance (the busy ones on release). */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const waiter of this.resumeWaiters) waiter.wake();
    this.resumeWaiters.clear();
    await this.tail;
    this.active = undefined;
    const instances = [...this.live];
    await this.waitIdle(instances, timeoutMs);
    for (const instance of instances) instance.retired = true;
    await Promise.all(instances.filter((instance) => instance.inFlight === 0).map((instance) => this.dispose(instance)));
  }

  private lease<T>(instance: Instance): Lease<T> {
    instance.inFlight++;
    let released = false;
    return {
      instance: instance.value as T,
      provider: instance.candidate.provider,
      release: () => {
        if (released) return;
        released = true;
        this.release(instance);
      },
    };
  }

  private release(instance: Instance): void {
    if (--instance.inFlight > 0) return;
    const waiters = instance.idleWaiters;
    instance.idleWaiters = [];
    for (const wake of waiters) wake();
    if (instance.retired) {
      void this.dispose(instance).then((error) => {
        if (error !== null && instance.retiredBy !== null) instance.retiredBy.disposeError ??= error;
      });
    }
  }

  private waitForResume(deadline: number, waitMs: number): Promise<void> {
    const remaining = deadline - this.ctx.clock.now();
    if (remaining <= 0) return Promise.reject(new ProviderPausedError(this.ctx.domain, this.ctx.key, waitMs));
    return new Promise((resolve, reject) => {
      const waiter: ResumeWaiter = {
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.resumeWaiters.delete(waiter);
        reject(new ProviderPausedError(this.ctx.domain, this.ctx.key, waitMs));
      }, remaining);
      this.resumeWaiters.add(waiter);
    });
  }

  /** Resolves true once every instance has no use in flight, false when `timeoutMs` passes first. */
  private waitIdle(instances: readonly Instance[], timeoutMs: number): Promise<boolean> {
    const busy = instances.filter((instance) => instance.inFlight > 0);
    if (busy.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let left = busy.length;
      const timer = setTimeout(() => resolve(false), timeoutMs);
      for (const instance of busy) {
        instance.idleWaiters.push(() => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      }
    });
  }

  /** Shares one activation among the uses that found no instance; a failure reaches each of them. */
  private activateForUse(): Promise<void> {
    this.activation ??= this.serialised(async () => {
      if (this.active !== undefined || this.closed) return;
      try {
        await this.runSwap(undefined, this.ctx.defaults, 'first-use');
      } catch (error) {
        if (!(error instanceof ProviderSwapFailedError || error instanceof ProviderSwapVetoedError)) throw error;
        const { provider, reason } = error.details as { provider: string; reason: string };
        throw new ProviderUnavailableError(this.ctx.domain, this.ctx.key, provider, reason, { cause: error });
      }
    }).finally(() => {
      this.activation = undefined;
    });
    return this.activation;
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runSwap(provider: string | undefined, bounds: LifecycleBounds, trigger: SwapRecord['trigger']): Promise<SwapRecord> {
    if (this.closed) throw new ClosedError(`the registry holding ${this.ctx.domain}/${this.ctx.key}`);
    const candidate = this.ctx.target(provider);
    const from = this.active;
    const record: SwapRecord = {
      domain: this.ctx.domain,
      key: this.ctx.key,
      from: from?.candidate.provider ?? null,
      to: candidate.provider,
      trigger,
      outcome: 'swapped',
      stage: null,
      reason: null,
      startedAt: this.ctx.clock.now(),
      endedAt: 0,
      drained: true,
      usesLeftInFlight: 0,
      disposeError: null,
      hookErrors: [],
    };

    const veto = await this.askBeforeHooks(record);
    if (veto !== null) {
      this.finish(record, 'vetoed', 'hook', veto.reason);
      throw new ProviderSwapVetoedError(record.domain, record.key, record.to, veto.reason, { cause: veto.cause });
    }

    this.phase = 'activating';
    let instance: Instance;
    try {
      instance = await this.makeInstance(candidate, bounds, record);
    } catch (error) {
      this.phase = 'idle';
      if (from === undefined) this.failure = record.reason;
      await this.runAfterHooks(record);
      throw error;
    }

    // from here on every new use leases the new instance; in-flight ones finish on the old
    this.active = instance;
    this.live.add(instance);
    this.failure = null;
    if (from !== undefined) {
      from.retired = true;
      from.retiredBy = record;
      this.phase = 'draining';
      if (await this.waitIdle([from], bounds.drainTimeoutMs)) {
        record.disposeError = await this.dispose(from);
      } else {
        // not disposed under a live lease: the last release disposes it
        record.drained = false;
        record.usesLeftInFlight = from.inFlight;
      }
    }
    this.phase = 'idle';
    this.finish(record, 'swapped', null, null);
    await this.runAfterHooks(record);
    return record;
  }

  /** Makes and checks an instance; on failure disposes it, records why and throws. */
  private async makeInstance(candidate: Candidate, bounds: LifecycleBounds, record: SwapRecord): Promise<Instance> {
    const { domain, key, provider } = candidate;
    const fail = (stage: SwapStage, reason: string, cause?: unknown): never => {
      this.finish(record, 'rolled-back', stage, reason);
      throw new ProviderSwapFailedError(domain, key, provider, stage, reason, { cause });
    };
    const made = await settleWithin(
      (signal) => candidate.factory({ domain, key, provider, settings: this.ctx.settings(provider), signal }),
      bounds.initTimeoutMs,
      (late) => void candidate.dispose?.(late as never),
    );
    if (made.kind === 'timeout') return fail('factory', `the factory did not finish within ${bounds.initTimeoutMs} ms`);
    if (made.kind === 'error') return fail('factory', `the factory threw: ${describeError(made.error)}`, made.error);
    const instance = new Instance(made.value, candidate);
    const healthy = await this.check(instance, bounds.healthTimeoutMs);
    if (!healthy.ok) {
      record.disposeError = await this.dispose(instance);
      return fail('health', healthy.reason, healthy.cause);
    }
    return instance;
  }

  /** Runs the candidate's health check on the instance and remembers the outcome. */
  private async check(instance: Instance, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string; cause?: unknown }> {
    const health = instance.candidate.health;
    let outcome: { ok: true } | { ok: false; reason: string; cause?: unknown } = { ok: true };
    if (health !== undefined) {
      const settled = await settleWithin((signal) => health(instance.value as never, { signal }), timeoutMs);
      if (settled.kind === 'timeout') outcome = { ok: false, reason: `the health check did not answer within ${timeoutMs} ms` };
      else if (settled.kind === 'error') outcome = { ok: false, reason: `the health check threw: ${describeError(settled.error)}`, cause: settled.error };
      else if (settled.value === false) outcome = { ok: false, reason: 'the health check returned false' };
    }
    instance.healthy = outcome.ok;
    instance.healthReason = outcome.ok ? null : outcome.reason;
    instance.checkedAt = this.ctx.clock.now();
    return outcome;
  }

  /** Disposes an instance once (every caller shares the one disposal); gives the error's message if its dispose threw. */
  private dispose(instance: Instance): Promise<string | null> {
    instance.disposal ??= this.runDispose(instance);
    return instance.disposal;
  }

  private async runDispose(instance: Instance): Promise<string | null> {
    this.live.delete(instance);
    const dispose = instance.candidate.dispose;
    if (dispose === undefined) return null;
    try {
      await dispose(instance.value as never);
      return null;
    } catch (error) {
      return `dispose of "${instance.candidate.provider}" threw: ${describeError(error)}`;
    }
  }

  private async askBeforeHooks(record: SwapRecord): Promise<{ reason: string; cause?: unknown } | null> {
    const event = { domain: record.domain, key: record.key, from: record.from, to: record.to, trigger: record.trigger };
    for (const hook of this.ctx.hooks.before) {
      try {
        const answer = await hook(event);
        if (answer !== undefined && answer !== null && typeof answer === 'object' && 'veto' in answer) return { reason: String(answer.veto) };
      } catch (error) {
        return { reason: `the hook threw: ${describeError(error)}`, cause: error };
      }
    }
    return null;
  }

  private async runAfterHooks(record: SwapRecord): Promise<void> {
    for (const hook of this.ctx.hooks.after) {
      try {
        await hook(record);
      } catch (error) {
        record.hookErrors.push(describeError(error));
      }
    }
  }

  private finish(record: SwapRecord, outcome: SwapRecord['outcome'], stage: SwapStage | null, reason: string | null): void {
    record.outcome = outcome;
    record.stage = stage;
    record.reason = reason;
    record.endedAt = this.ctx.clock.now();
    this.records.push(record);
    if (this.records.length > this.ctx.historyLimit) this.records.shift();
  }
}
