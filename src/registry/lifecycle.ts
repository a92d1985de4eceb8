/** The data of a component's lifecycle: its states, leases, swap records, hooks and health reports. */

/**
 * What a component (one domain and key) is doing:
 * - `inactive`: no instance yet (it is made on first use or swap);
 * - `activating`: a new instance is being made and health-checked (the previous one, if any, still serves);
 * - `ready`: the active instance serves uses;
 * - `draining`: in-flight uses of a replaced instance are finishing, or `drain` is waiting for in-flight uses;
 * - `paused`: new uses wait for `resume`;
 * - `failed`: no instance is active because the last activation failed (the next use tries again).
 */
export type ComponentState = 'inactive' | 'activating' | 'ready' | 'draining' | 'paused' | 'failed';

/** One use of the active instance. Release it exactly once, when done (a second release does nothing). */
export interface Lease<T = unknown> {
  readonly instance: T;
  /** The provider whose instance this is. */
  readonly provider: string;
  release(): void;
}

/** Where a failed swap stopped. */
export type SwapStage = 'hook' | 'factory' | 'health';

/** What one swap did; `registry.history(domain, key)` keeps the latest ones. */
export interface SwapRecord {
  domain: string;
  key: string;
  /** The provider that was active before, or null. */
  from: string | null;
  to: string;
  /** `swap`: asked for; `first-use`: a use found no active instance. */
  trigger: 'swap' | 'first-use';
  /** `swapped`: the new instance is active; `rolled-back`: it failed and the previous one stayed; `vetoed`: a hook said no. */
  outcome: 'swapped' | 'rolled-back' | 'vetoed';
  /** Where a failed or vetoed swap stopped; null when it swapped. */
  stage: SwapStage | null;
  /** Why it failed or was vetoed; null when it swapped. */
  reason: string | null;
  startedAt: number;
  endedAt: number;
  /** Whether every in-flight use of the previous instance finished within the drain bound. */
  drained: boolean;
  /** Uses still in flight on the previous instance at the bound; it is disposed when the last one releases. */
  usesLeftInFlight: number;
  /** A dispose of the previous (or of the refused new) instance that threw. */
  disposeError: string | null;
  /** `onAfterSwap` hooks that threw: the swap stands; their messages are kept here. */
  hookErrors: string[];
}

/** What `onBeforeSwap` hooks are told. */
export interface SwapEvent {
  domain: string;
  key: string;
  from: string | null;
  to: string;
  trigger: SwapRecord['trigger'];
}

/** Runs before a swap starts; returning `{ veto: reason }` (or throwing) stops it before anything is made. */
export type BeforeSwapHook = (event: SwapEvent) => void | { veto: string } | Promise<void | { veto: string }>;
/** Runs after a swap that started, whatever its outcome, with its record. */
export type AfterSwapHook = (record: Readonly<SwapRecord>) => void | Promise<void>;

/** What `health(domain, key)` says. */
export interface HealthReport {
  domain: string;
  key: string;
  state: ComponentState;
  /** The provider of the active instance, or null. */
  provider: string | null;
  /** The last known outcome (of the swap's check or a probe); null when never checked or nothing is active. */
  healthy: boolean | null;
  reason: string | null;
  checkedAt: number | null;
  /** Whether the check ran now. */
  probed: boolean;
  /** Uses in flight on every instance of the component not yet disposed. */
  inFlight: number;
}

/** The bounds a component works with, resolved from the registry options and a swap's own. */
export interface LifecycleBounds {
  initTimeoutMs: number;
  healthTimeoutMs: number;
  drainTimeoutMs: number;
}
