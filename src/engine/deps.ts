/** What the engine's parts share: the store, the clock and id source, the logger and the frozen configuration. */
import type { Clock, IdSource } from '../domain/clock.js';
import type { WorkflowDefinition } from '../domain/workflow.js';
import type { StewardConfig } from '../config/options.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import type { ControlState } from './controls.js';
import type { Redactor } from '../audit/redactor.js';
import type { PolicyEngine } from '../policy/engine.js';

/** The engine's injected dependencies. */
export interface EngineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly config: StewardConfig;
  readonly workflows: ReadonlyMap<string, WorkflowDefinition>;
  /** The store-wide controls as last read (the kill switch). */
  readonly controls: ControlState;
  /** Takes secrets out of what goes into the audit log. */
  readonly redactor: Redactor;
  /** Decides every plan, apply and approve. */
  readonly policy: PolicyEngine;
}
