/** What the engine's parts share: the store, the clock and id source, the logger and the frozen configuration. */
import type { Clock, IdSource } from '../domain/clock.js';
import type { WorkflowDefinition } from '../domain/workflow.js';
import type { ActionDefinition } from '../domain/action.js';
import type { StewardConfig } from '../config/options.js';
import type { Logger } from '../observability/logger.js';
import type { StewardMetrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import type { ControlState } from './controls.js';
import type { Redactor } from '../audit/redactor.js';
import type { PolicyEngine } from '../policy/engine.js';
import type { ActionBudgetGuard } from './budgets.js';

/** The engine's injected dependencies. */
export interface EngineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  /** The Steward's metrics: runs, steps and act phases report to them as they go. */
  readonly metrics: StewardMetrics;
  readonly config: StewardConfig;
  readonly workflows: ReadonlyMap<string, WorkflowDefinition>;
  /** The store-wide controls as last read (the kill switch). */
  readonly controls: ControlState;
  /** Takes secrets out of what goes into the audit log. */
  readonly redactor: Redactor;
  /** Decides every plan, apply and approve. */
  readonly policy: PolicyEngine;
  /** Per-action rate limits and circuit breakers, shared through the store. */
  readonly budgets: ActionBudgetGuard;
  /**
   * The provider of an action (design §3 step 2): the active instance of `action/<name>` when the registry has
   * candidates for it, leased for the act; the definition the workflow gave otherwise.
   */
  readonly resolveAction: (action: ActionDefinition) => Promise<{ definition: ActionDefinition; release: () => void }>;
}
