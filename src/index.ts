/**
 * Steward — durable and safe execution of the actions of agents and automations.
 *
 * Glossary: a *workflow* is a TypeScript function made durable; a *run* is one execution of it; a *step* is one
 * checkpointed call inside a run (`ctx.step`, `ctx.sleep`, `ctx.waitFor`, `ctx.child`, `ctx.now`…), recorded under
 * its sequence number so that a resumed run replays instead of repeating; a *lease* is a worker's claim on a run,
 * fenced by an epoch; an *event* is the append-only record of a change, written in the same transaction; a *policy* is
 * a Cedar rule that permits or forbids a principal to plan, apply or approve an action on a resource; a *plan run*
 * is a run of the built-in `steward.plan` workflow over a YAML/JSON list of tasks, previewed, reviewed, then applied.
 */
export { createSteward } from './engine/steward.js';
export type { Steward, RunHandle, StartOptions, ListOptions } from './engine/steward.js';
export type { Worker, WorkerStartOptions, WorkerStopOptions, WorkerStatus } from './engine/worker.js';
export { defineWorkflow, defineSchedule } from './domain/workflow.js';
export { defineAction } from './domain/action.js';
export type {
  ActionDefinition,
  ActionSpec,
  ActionContext,
  ActionCategory,
  ActionBudgets,
  ActResult,
  Verification,
  RegisteredAction,
} from './domain/action.js';
export type {
  WorkflowDefinition,
  WorkflowSpec,
  WorkflowContext,
  WorkflowLogger,
  StepContext,
  StepOptions,
  ActOptions,
  WaitOptions,
  ChildOptions,
  ScheduleDefinition,
  ScheduleSpec,
} from './domain/workflow.js';
export type { RunRecord, StepRecord, EventRecord, RunStatus, RunMode, StepKind, StepStatus, WaitKind, Lease } from './domain/run.js';
export { RUN_STATUSES, RUN_TRANSITIONS, isTerminal } from './domain/run.js';
export type { Clock, IdSource } from './domain/clock.js';
export type { RetryPolicy } from './domain/backoff.js';
export type { StewardOptions, StewardConfig } from './config/options.js';
export { parsePlanText, checkPlanObject } from './plan/plan-file.js';
export type { ParsePlanOptions, PlanFormat } from './plan/plan-file.js';
export { planDocumentSchema, planShapeSchema, TASK_ID, MAX_PLAN_TASKS } from './plan/plan-document.js';
export type { PlanDocument, PlanTask } from './plan/plan-document.js';
export { planWaves } from './plan/plan-graph.js';
export { PLAN_WORKFLOW, PLAN_QUEUE } from './plan/plan-workflow.js';
export type { PlanOutput, PlanTaskResult } from './plan/plan-workflow.js';
export type { StartPlanOptions } from './plan/start-plan.js';
export type { Store, StoreNotice, RunPage, CancelResult, QueueSettings, QueueState, Controls, StoreStats, QueueCount } from './store/store.js';
export { openStore, DEFAULT_STORE_URL } from './store/open.js';
export { PolicyEngine, parseRequest, DEFAULT_DECISION_CACHE_SIZE } from './policy/engine.js';
export type { PolicyEngineOptions, DecisionCacheStats } from './policy/engine.js';
export { loadPolicySet, compilePolicySet, compilePolicyFile, readPolicySources, STEWARD_SCHEMA, DEFAULT_POLICIES } from './policy/loader.js';
export type { LoadedPolicy, LoadedPolicySet, PolicySource, PolicySetOptions } from './policy/loader.js';
export { POLICY_ACTIONS, ACTION_CATEGORIES, PRINCIPAL_TYPES, policyRequestSchema } from './policy/request.js';
export type { PolicyRequest, PolicyRequestInput, PolicyDecision, PolicyAction, PrincipalType } from './policy/request.js';
export * from './errors.js';
export type { BreakerBudget } from './domain/action.js';
export type { BreakerAdmission, BreakerSettings, BreakerState, BreakerStatus, RateTake } from './store/store.js';
export type { ApprovalRecord, ApprovalStatus } from './store/store.js';
export type { Approvals, ApprovalDecisionOptions, ApprovalListOptions } from './engine/approvals.js';
export type { PlanSummary, PlannedActSummary, ApplyPlanOptions } from './engine/plans.js';
export { ActionBudgetGuard } from './engine/budgets.js';
export type { BudgetAdmission, BudgetedAction } from './engine/budgets.js';
export {
  createRegistry,
  Registry,
  CANDIDATE_SOURCES,
  PRIORITY_MIN,
  PRIORITY_MAX,
} from './registry/index.js';
export type {
  Candidate,
  CandidateInput,
  CandidateSource,
  ComponentSummary,
  ComponentState,
  Explanation,
  ExplainedCandidate,
  Lease as ComponentLease,
  SwapRecord,
  HealthReport,
  RegistryOptions,
} from './registry/index.js';
export { STORE_COMPONENT, POLICY_COMPONENT } from './engine/components.js';
export { loadConfig } from './config/file.js';
export type { FileConfig } from './config/file-schema.js';
export { StewardMetrics } from './observability/metrics.js';
export type { MetricsOptions, ObservedState, StepOutcome, ActPhase, BreakerStateName } from './observability/metrics.js';
export { startTracing, TRACER_NAME } from './observability/tracing.js';
export type { TracingHandle } from './observability/tracing.js';
export type { Overview } from './engine/overview.js';
export { buildServer } from './server/app.js';
export type { ServerOptions, ServerConfig } from './server/app.js';
export { createApiToken, revokeApiToken, ensureAdminToken } from './server/tokens.js';
export type { NewApiToken, CreatedApiToken, PublicApiToken, AdminTokenBootstrap } from './server/tokens.js';
