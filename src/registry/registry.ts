/**
 * The provider registry: candidates by (domain, key), the resolver that ranks them, and a lifecycle slot per
 * component that leases, swaps, pauses and drains its active instance.
 */
import { ClosedError } from '../errors.js';
import { checkName, parseCandidate, type Candidate, type CandidateInput, type CandidateSource, CANDIDATE_SOURCES } from './candidate.js';
import { ComponentSlot } from './component.js';
import { ProviderInvalidError, ProviderNotFoundError } from './errors.js';
import type { AfterSwapHook, BeforeSwapHook, ComponentState, HealthReport, Lease, SwapRecord } from './lifecycle.js';
import { resolveRegistryOptions, resolveSwapBounds, type RegistryConfig, type RegistryOptions, type SwapOptions } from './options.js';
import { explainRanking, pickWinner, rank, type Explanation, type RankedEntry } from './precedence.js';

/** The settings of a provider nobody gave any. */
const EMPTY_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Everything the registry knows of one (domain, key). */
class Component {
  /** In registration order. */
  readonly entries: RankedEntry[] = [];
  selected: string | null = null;
  /** The settings that came with the selection. */
  settings: Readonly<Record<string, unknown>> = EMPTY_SETTINGS;
  slot: ComponentSlot | undefined;
  /** The entries best first, under the selection in force; null once a register, unregister or select changes them. */
  ranked: RankedEntry[] | null = null;
  /** The selection the ranking used: null when none, or when the selected provider is not registered. */
  effectiveSelection: string | null = null;
  constructor(
    readonly domain: string,
    readonly key: string,
  ) {}

  providers(): string[] {
    return [...new Set(this.entries.map((e) => e.candidate.provider))];
  }
}

/** One line of `components()`: what wins, what is active, in what state. */
export interface ComponentSummary {
  domain: string;
  key: string;
  /** The provider precedence picks now, or null when none is registered. */
  winner: string | null;
  /** The provider of the active instance, or null; it differs from `winner` until a swap. */
  active: string | null;
  selected: string | null;
  state: ComponentState;
  candidates: number;
  inFlight: number;
}

/** Holds the candidates of every component and the lifecycle of their instances. */
export class Registry {
  private readonly config: RegistryConfig;
  private readonly domains = new Map<string, Map<string, Component>>();
  private readonly hooks = { before: new Set<BeforeSwapHook>(), after: new Set<AfterSwapHook>() };
  private registrations = 0;
  private closed = false;

  constructor(options?: RegistryOptions) {
    this.config = resolveRegistryOptions(options);
  }

  /** The stack order in force (from the options or `STEWARD_STACK_ORDER`), highest level first. */
  get stackOrder(): readonly string[] {
    return this.config.stackOrder.entries;
  }

  /**
   * Adds a candidate. One already registered with the same domain, key, provider and source is replaced in place
   * (keeping its place in registration order), so registering the same set again changes nothing.
   */
  register<T>(input: CandidateInput<T>): Candidate<T> {
    this.assertOpen();
    const probe = parseCandidate<T>(input, 0);
    const component = this.component(probe.domain, probe.key, true);
    const i = component.entries.findIndex((e) => e.candidate.provider === probe.provider && e.candidate.source === probe.source);
    const registration = i >= 0 ? (component.entries[i] as RankedEntry).candidate.registration : ++this.registrations;
    const candidate = Object.freeze({ ...probe, registration });
    const { level, from } = this.config.stackOrder.levelOf(candidate.provider, candidate.source, candidate.stackLevel);
    const entry: RankedEntry = { candidate: candidate as unknown as Candidate, stackLevel: level, stackLevelFrom: from };
    if (i >= 0) component.entries[i] = entry;
    else component.entries.push(entry);
    component.ranked = null;
    return candidate;
  }

  /** Removes the provider's candidates (of one source, or of every source); returns how many were removed. */
  unregister(domain: string, key: string, provider: string, source?: CandidateSource): number {
    checkName(provider, 'provider');
    if (source !== undefined && !CANDIDATE_SOURCES.includes(source)) {
      throw new ProviderInvalidError(`invalid source "${String(source)}": use one of ${CANDIDATE_SOURCES.join(', ')}`);
    }
    const component = this.component(domain, key, false);
    if (component === undefined) return 0;
    const before = component.entries.length;
    for (let i = component.entries.length - 1; i >= 0; i--) {
      const c = (component.entries[i] as RankedEntry).candidate;
      if (c.provider === provider && (source === undefined || c.source === source)) component.entries.splice(i, 1);
    }
    if (component.entries.length !== before) component.ranked = null;
    return before - component.entries.length;
  }

  /**
   * Selects a provider explicitly (what config does), above every other rule; null clears it. The provider must be
   * registered when selected; if it is unregistered later, precedence decides until it is registered again.
   */
  select(domain: string, key: string, provider: string | null, settings: Readonly<Record<string, unknown>> = EMPTY_SETTINGS): void {
    this.assertOpen();
    if (provider !== null) checkName(provider, 'provider');
    const component = this.component(domain, key, provider !== null);
    if (component === undefined) return;
    if (provider !== null && !component.entries.some((e) => e.candidate.provider === provider)) {
      throw new ProviderNotFoundError(component.domain, component.key, provider, component.providers());
    }
    component.selected = provider;
    component.settings = provider === null ? EMPTY_SETTINGS : Object.freeze({ ...settings });
    component.ranked = null;
  }

  /** The provider selected for (domain, key), or null. */
  selection(domain: string, key: string): string | null {
    return this.component(domain, key, false)?.selected ?? null;
  }

  /** The candidates of (domain, key), in registration order. */
  candidates(domain: string, key: string): readonly Candidate[] {
    return this.component(domain, key, false)?.entries.map((e) => e.candidate) ?? [];
  }

  /** The candidate that wins (domain, key) now; throws when none is registered. */
  resolve<T = unknown>(domain: string, key: string): Candidate<T> {
    const component = this.domains.get(domain)?.get(key);
    const winner = component === undefined ? undefined : (component.ranked ?? this.rankNow(component))[0];
    if (winner === undefined) throw this.notFound(domain, key);
    return winner.candidate as Candidate<T>;
  }

  /** Every candidate of (domain, key) ranked, each with the reason it won or lost. */
  explain(domain: string, key: string): Explanation {
    const component = this.component(domain, key, false);
    if (component === undefined) return explainRanking(domain, key, [], null, null, null);
    const ranked = component.ranked ?? this.rankNow(component);
    return explainRanking(component.domain, component.key, ranked, component.selected, component.effectiveSelection, component.slot?.activeProvider ?? null);
  }

  /** Every component the registry knows, sorted by domain and key. */
  components(): ComponentSummary[] {
    const out: ComponentSummary[] = [];
    for (const byKey of this.domains.values()) {
      for (const c of byKey.values()) {
        out.push({
          domain: c.domain,
          key: c.key,
          winner: this.winnerOf(c)?.candidate.provider ?? null,
          active: c.slot?.activeProvider ?? null,
          selected: c.selected,
          state: c.slot?.state ?? 'inactive',
          candidates: c.entries.length,
          inFlight: c.slot?.inFlight ?? 0,
        });
      }
    }
    return out.sort((a, b) => (a.domain === b.domain ? (a.key < b.key ? -1 : 1) : a.domain < b.domain ? -1 : 1));
  }

  /**
   * Leases the active instance of (domain, key), activating the winner first if nothing is active. While the
   * component is paused the use waits up to `waitMs` (default the registry's `pauseWaitMs`; 0 fails at once).
   */
  use<T = unknown>(domain: string, key: string, options?: { waitMs?: number }): Promise<Lease<T>> {
    const waitMs = options?.waitMs;
    if (waitMs !== undefined && !(Number.isInteger(waitMs) && waitMs >= 0)) {
      return Promise.reject(new ProviderInvalidError(`invalid use options: waitMs must be a whole number of milliseconds ≥ 0, got ${String(waitMs)}`));
    }
    try {
      return this.slot(domain, key).use<T>(waitMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Makes a new instance of `provider` (default: the winner of precedence), checks its health, activates it, drains
   * and disposes the old one. A failure before activation leaves the old instance active and throws; every swap is
   * recorded in `history`. Swaps of one component run one at a time.
   */
  async swap(domain: string, key: string, provider?: string, options?: SwapOptions): Promise<SwapRecord> {
    if (provider !== undefined) checkName(provider, 'provider');
    const bounds = resolveSwapBounds(options, this.config.bounds);
    return this.slot(domain, key).swap(provider, bounds);
  }

  /** Stops new uses of (domain, key); they wait for `resume`. */
  pause(domain: string, key: string): void {
    this.slot(domain, key).pause();
  }

  /** Lets uses of (domain, key) through again. */
  resume(domain: string, key: string): void {
    this.slot(domain, key).resume();
  }

  /** Pauses (domain, key) and waits until its in-flight uses finish (up to `timeoutMs`, default the drain bound). */
  async drain(domain: string, key: string, options?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = options?.timeoutMs ?? this.config.bounds.drainTimeoutMs;
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
      throw new ProviderInvalidError(`invalid drain options: timeoutMs must be a whole number of milliseconds > 0, got ${String(timeoutMs)}`);
    }
    await this.slot(domain, key).drain(timeoutMs);
  }

  /** The health of the active instance: the last known outcome, or its check run now with `probe: true`. */
  async health(domain: string, key: string, options?: { probe?: boolean; timeoutMs?: number }): Promise<HealthReport> {
    const timeoutMs = options?.timeoutMs ?? this.config.bounds.healthTimeoutMs;
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
      throw new ProviderInvalidError(`invalid health options: timeoutMs must be a whole number of milliseconds > 0, got ${String(timeoutMs)}`);
    }
    return this.slot(domain, key).health(options?.probe === true, timeoutMs);
  }

  /** The lifecycle state of (domain, key). */
  state(domain: string, key: string): ComponentState {
    return this.component(domain, key, false)?.slot?.state ?? 'inactive';
  }

  /** The latest swaps of (domain, key), oldest first. */
  history(domain: string, key: string): readonly SwapRecord[] {
    return [...(this.component(domain, key, false)?.slot?.history ?? [])];
  }

  /** Adds a hook run before each swap starts (it may veto it); returns what removes it. */
  onBeforeSwap(hook: BeforeSwapHook): () => void {
    this.hooks.before.add(hook);
    return () => this.hooks.before.delete(hook);
  }

  /** Adds a hook run after each swap that started; returns what removes it. */
  onAfterSwap(hook: AfterSwapHook): () => void {
    this.hooks.after.add(hook);
    return () => this.hooks.after.delete(hook);
  }

  /** Refuses new uses and swaps, waits for in-flight uses (up to `timeoutMs`) and disposes every instance. */
  async close(options?: { timeoutMs?: number }): Promise<void> {
    this.closed = true;
    const timeoutMs = options?.timeoutMs ?? this.config.bounds.drainTimeoutMs;
    const slots: ComponentSlot[] = [];
    for (const byKey of this.domains.values()) for (const c of byKey.values()) if (c.slot) slots.push(c.slot);
    await Promise.all(slots.map((slot) => slot.close(timeoutMs)));
  }

  private winnerOf(component: Component): RankedEntry | undefined {
    return (component.ranked ?? this.rankNow(component))[0];
  }

  /** Ranks the component's entries and keeps the ranking until they or the selection change. */
  private rankNow(component: Component): RankedEntry[] {
    const selected = component.selected;
    const present = selected !== null && component.entries.some((e) => e.candidate.provider === selected);
    component.effectiveSelection = present ? selected : null;
    component.ranked = rank(component.entries, component.effectiveSelection);
    return component.ranked;
  }

  private notFound(domain: string, key: string): Error {
    checkName(domain, 'domain');
    checkName(key, 'key');
    return new ProviderNotFoundError(domain, key, null, []);
  }

  private component(domain: string, key: string, create: true): Component;
  private component(domain: string, key: string, create: false): Component | undefined;
  private component(domain: string, key: string, create: boolean): Component | undefined;
  private component(domain: string, key: string, create: boolean): Component | undefined {
    let byKey = this.domains.get(domain);
    let component = byKey?.get(key);
    if (component !== undefined || !create) {
      if (component === undefined) {
        checkName(domain, 'domain');
        checkName(key, 'key');
      }
      return component;
    }
    checkName(domain, 'domain');
    checkName(key, 'key');
    if (byKey === undefined) this.domains.set(domain, (byKey = new Map()));
    component = new Component(domain, key);
    byKey.set(key, component);
    return component;
  }

  /** The lifecycle slot of (domain, key); throws when nothing was ever registered there. */
  private slot(domain: string, key: string): ComponentSlot {
    this.assertOpen();
    const component = this.domains.get(domain)?.get(key);
    if (component === undefined) throw this.notFound(domain, key);
    component.slot ??= new ComponentSlot({
      domain: component.domain,
      key: component.key,
      clock: this.config.clock,
      hooks: this.hooks,
      pauseWaitMs: this.config.pauseWaitMs,
      historyLimit: this.config.historyLimit,
      defaults: this.config.bounds,
      target: (provider) => this.target(component, provider),
      settings: (provider) => (provider === component.selected ? component.settings : EMPTY_SETTINGS),
    });
    return component.slot;
  }

  private target(component: Component, provider: string | undefined): Candidate {
    const entries = provider === undefined ? component.entries : component.entries.filter((e) => e.candidate.provider === provider);
    const winner = provider === undefined ? this.winnerOf(component) : pickWinner(entries, null);
    if (winner === undefined) throw new ProviderNotFoundError(component.domain, component.key, provider ?? null, component.providers());
    return winner.candidate;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('the provider registry');
  }
}

/** A registry with its options parsed and frozen. */
export function createRegistry(options?: RegistryOptions): Registry {
  return new Registry(options);
}
