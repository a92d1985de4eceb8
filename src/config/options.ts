/** The options of `createSteward`, parsed once with zod and frozen. */
import { z } from 'zod';
import { ConfigError, DuplicateActionError, DuplicateWorkflowError, formatIssues } from '../errors.js';
import type { ActionDefinition, RegisteredAction } from '../domain/action.js';
import type { Clock, IdSource } from '../domain/clock.js';
import type { ScheduleDefinition, WorkflowDefinition } from '../domain/workflow.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../observability/logger.js';
import { definePlanWorkflow } from '../plan/plan-workflow.js';
import { PolicyEngine } from '../policy/engine.js';
import { Registry } from '../registry/index.js';

const queueSchema = z
  .object({
    concurrency: z.number().int().positive().optional(),
    maxQueued: z.number().int().positive().optional(),
  })
  .strict();

/** How approvals behave: the same in createSteward's options and in the configuration file. */
export const approvalsOptionsSchema = z
  .object({
    /** How long a request waits for a decision before it expires into a denial (default 24 h). */
    timeoutMs: z.number().int().min(1).max(30 * 86_400_000).optional(),
    /** Whether the requester may approve its own request (default false). */
    allowSelfApproval: z.boolean().optional(),
  })
  .strict();

const optionsSchema = z
  .object({
    store: z.union([z.string().min(1), z.custom<Store>((v) => typeof v === 'object' && v !== null && 'claimRuns' in v)]).optional(),
    workflows: z.array(z.custom<WorkflowDefinition>((v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'workflow', {
      message: 'expected a workflow made by defineWorkflow',
    })).optional(),
    actions: z.array(z.custom<RegisteredAction>((v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'action', {
      message: 'expected an action made by defineAction',
    })).optional(),
    schedules: z.array(z.custom<ScheduleDefinition>((v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'schedule', {
      message: 'expected a schedule made by defineSchedule',
    })).optional(),
    queues: z.record(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'queue names are 1–64 letters, digits, . _ : -'), queueSchema).optional(),
    leaseMs: z.number().int().min(100).max(3_600_000).optional(),
    pollIntervalMs: z.number().int().min(5).max(60_000).optional(),
    maxResultBytes: z.number().int().min(1).max(64 * 1024 * 1024).optional(),
    workerId: z.string().min(1).max(128).optional(),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && 'child' in v).optional(),
    clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && 'now' in v).optional(),
    ids: z.custom<IdSource>((v) => typeof v === 'object' && v !== null && 'runId' in v).optional(),
    /** The policy engine, or where its policies are: `.cedar` files and directories besides the shipped defaults. */
    policy: z
      .union([
        z.instanceof(PolicyEngine),
        z
          .object({
            files: z.array(z.string().min(1)).optional(),
            defaults: z.boolean().optional(),
            cacheSize: z.number().int().min(0).max(10_000_000).optional(),
          })
          .strict(),
      ])
      .optional(),
    approvals: approvalsOptionsSchema.optional(),
    /** The autonomy level of runs started without one (capped by the global level; default: the global level). */
    autonomy: z.number().int().min(0).max(3).optional(),
    /** The provider registry to use (to share one, or to register candidates first); a new one otherwise. */
    registry: z.instanceof(Registry).optional(),
    /**
     * The directory of a `steward.config.(toml|yaml|json)`: its store, policy files, approvals and autonomy apply where
     * these options say nothing, and its component selections, plugins and manifest sources apply to the registry.
     */
    configDir: z.string().min(1).optional(),
    /** Watch that file and swap the components whose selection changed (within a second of the edit). */
    watchConfig: z.boolean().optional(),
  })
  .strict();

/** Where the embedded store lives unless told otherwise. */
export const DEFAULT_STORE_URL = 'sqlite:./.steward/steward.db';

/** What `createSteward` takes. */
export type StewardOptions = z.input<typeof optionsSchema>;

/** The resolved, frozen configuration the engine runs on. */
export interface StewardConfig {
  readonly store: string | Store;
  /** The registered workflows, with the built-in `steward.plan` when actions are registered. */
  readonly workflows: ReadonlyMap<string, WorkflowDefinition>;
  /** The registered actions by name: what plan runs may name. */
  readonly actions: ReadonlyMap<string, ActionDefinition>;
  readonly schedules: readonly ScheduleDefinition[];
  readonly queues: ReadonlyMap<string, { concurrency: number | null; maxQueued: number | null }>;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly maxResultBytes: number;
  readonly workerId: string | undefined;
  readonly logger: Logger | undefined;
  readonly clock: Clock | undefined;
  readonly ids: IdSource | undefined;
  /** The engine given, or the files to load one from (with `STEWARD_POLICIES`, comma-separated, when none is given). */
  readonly policy: PolicyEngine | { files: readonly string[]; defaults: boolean; cacheSize: number | undefined };
  readonly approvals: { readonly timeoutMs: number; readonly allowSelfApproval: boolean };
  readonly autonomy: number | undefined;
  readonly registry: Registry | undefined;
  readonly configDir: string | undefined;
  readonly watchConfig: boolean;
}

/** How long an approval request waits unless configured. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;

/** Parses and defaults the options; a bad option is a `ConfigError` naming it. */
export function resolveOptions(options: StewardOptions): StewardConfig {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(`invalid createSteward options: ${formatIssues(parsed.error.issues, 'options')}`);
  const o = parsed.data;
  const workflows = new Map<string, WorkflowDefinition>();
  for (const wf of o.workflows ?? []) {
    if (workflows.has(wf.name)) throw new DuplicateWorkflowError(wf.name);
    workflows.set(wf.name, wf);
  }
  const actions = resolveActions(o.actions ?? []);
  if (actions.size > 0) {
    const plan = definePlanWorkflow(actions);
    if (workflows.has(plan.name)) throw new DuplicateWorkflowError(plan.name);
    workflows.set(plan.name, plan);
  }
  for (const schedule of o.schedules ?? []) {
    if (!workflows.has(schedule.workflow)) {
      throw new ConfigError(`schedule "${schedule.name}" starts workflow "${schedule.workflow}", which is not registered: add it to workflows`);
    }
  }
  const queues = new Map<string, { concurrency: number | null; maxQueued: number | null }>();
  for (const [name, q] of Object.entries(o.queues ?? {})) queues.set(name, { concurrency: q.concurrency ?? null, maxQueued: q.maxQueued ?? null });
  return Object.freeze({
    store: o.store ?? (process.env.STEWARD_DATABASE_URL || DEFAULT_STORE_URL),
    workflows,
    actions,
    schedules: Object.freeze([...(o.schedules ?? [])]),
    queues,
    leaseMs: o.leaseMs ?? 30_000,
    pollIntervalMs: o.pollIntervalMs ?? 1000,
    maxResultBytes: o.maxResultBytes ?? 1024 * 1024,
    workerId: o.workerId,
    logger: o.logger,
    clock: o.clock,
    ids: o.ids,
    policy:
      o.policy instanceof PolicyEngine
        ? o.policy
        : {
            files: o.policy?.files ?? splitList(process.env.STEWARD_POLICIES),
            defaults: o.policy?.defaults ?? true,
            cacheSize: o.policy?.cacheSize,
          },
    approvals: Object.freeze({
      timeoutMs: o.approvals?.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
      allowSelfApproval: o.approvals?.allowSelfApproval ?? false,
    }),
    autonomy: o.autonomy,
    registry: o.registry,
    configDir: o.configDir,
    watchConfig: o.watchConfig ?? false,
  });
}

/** The actions by name; two definitions under one name are refused, naming both. */
function resolveActions(list: readonly RegisteredAction[]): ReadonlyMap<string, ActionDefinition> {
  const actions = new Map<string, ActionDefinition>();
  const indexes = new Map<string, number>();
  list.forEach((action, index) => {
    const first = actions.get(action.name);
    if (first !== undefined) {
      const firstIndex = indexes.get(action.name) ?? 0;
      throw new DuplicateActionError(action.name, { index: firstIndex, version: first.version }, { index, version: action.version });
    }
    // a registered action came from defineAction (the schema checked its kind): its own types are erased here
    actions.set(action.name, action as unknown as ActionDefinition);
    indexes.set(action.name, index);
  });
  return actions;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
