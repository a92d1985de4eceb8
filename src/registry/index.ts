/**
 * The provider registry (design §5): candidates per (domain, key), precedence (explicit selection > priority >
 * stack level > later registration) with `explain`, and the lifecycle of each component's active instance
 * (leases, swaps with health check and rollback, pause, drain).
 */
export { createRegistry, Registry, type ComponentSummary } from './registry.js';
export {
  CANDIDATE_SOURCES,
  NAME_MAX_LENGTH,
  PRIORITY_MAX,
  PRIORITY_MIN,
  type Candidate,
  type CandidateInput,
  type CandidateSource,
  type Dispose,
  type Factory,
  type FactoryContext,
  type HealthCheck,
  type HealthContext,
} from './candidate.js';
export type { ExplainedCandidate, Explanation, Tier } from './precedence.js';
export type { StackLevelFrom } from './stack-order.js';
export type {
  AfterSwapHook,
  BeforeSwapHook,
  ComponentState,
  HealthReport,
  Lease,
  SwapEvent,
  SwapRecord,
  SwapStage,
} from './lifecycle.js';
export type { RegistryOptions, SwapOptions } from './options.js';
export {
  ProviderDrainTimeoutError,
  ProviderInvalidError,
  ProviderNotFoundError,
  ProviderPausedError,
  ProviderSwapFailedError,
  ProviderSwapVetoedError,
  ProviderUnavailableError,
} from './errors.js';
