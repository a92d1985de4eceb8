/**
 * The action contract of design §3: a versioned unit of side effect that plans before it acts, applies idempotently,
 * verifies what it did and can undo it. `defineAction` checks a definition once; `ctx.act` runs it through the
 * pipeline, each phase checkpointed so that a crash between two phases resumes at the next one.
 */
import { z } from 'zod';
import { ValidationError, formatIssues } from '../errors.js';
import type { RunMode } from './run.js';

/** What an action does to the world, from least to most consequential. */
export type ActionCategory = 'read' | 'write' | 'deploy' | 'rollback';

/** Limits of one action. */
export interface ActionBudgets {
  /** Per apply attempt; the apply's signal aborts when it passes. */
  timeoutMs?: number;
  /** Apply attempts in all, the first included (default 3). */
  maxAttempts?: number;
  /** The network the action needs, for policy: none, the internal network, or the public internet. */
  network?: 'none' | 'internal' | 'public';
  /** The most applies a minute, across the store. */
  ratePerMinute?: number;
  /** When the action's circuit breaker opens, and how long it stays open (every action has one; see docs/budgets.md). */
  breaker?: BreakerBudget;
}

/** The circuit breaker of one action: it opens after consecutive failed applies and lets one probe through later. */
export interface BreakerBudget {
  /** Consecutive failed applies that open it (default 5). */
  failures?: number;
  /** How long it stays open before one probe apply may go (default 30 000 ms). */
  coolDownMs?: number;
}

/** What each phase of an action receives. */
export interface ActionContext {
  runId: string;
  /** The sequence number of this phase's checkpoint. */
  seq: number;
  /** The same on every attempt of the phase, and after a crash: `${runId}:${seq}` of the apply. */
  idempotencyKey: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Aborted when the attempt times out, the run is cancelled or it loses its lease. */
  signal: AbortSignal;
  /** The resource the action acts on, as its `resource` function named it. */
  resource: string;
  mode: RunMode;
}

/** What `verify` may answer: true, or a report that says whether the apply did what it should. */
export type Verification = boolean | { ok: boolean; [key: string]: unknown };

/** What `defineAction` takes. */
export interface ActionSpec<I, P, O> {
  name: string;
  version?: string;
  category: ActionCategory;
  input: z.ZodType<I>;
  /** The resource the action acts on, e.g. `service:${input.service}`. */
  resource: (input: I) => string;
  /** When a human must approve the apply: always, never, or as policy and autonomy say (default). */
  approval?: 'always' | 'never' | 'policy';
  budgets?: ActionBudgets;
  /** Works out what apply would do, with no side effect. Its JSON result is the plan, stored and shown. */
  plan: (input: I, ctx: ActionContext) => P | Promise<P>;
  /** Does it; idempotent given `ctx.idempotencyKey`; honours `ctx.signal`. */
  apply: (plan: P, ctx: ActionContext) => O | Promise<O>;
  /** Checks what apply did; a false or `{ ok: false }` answer fails the act. */
  verify?: (outcome: O, ctx: ActionContext) => Verification | Promise<Verification>;
  /** Undoes apply. */
  rollback?: (outcome: O, ctx: ActionContext) => unknown;
}

/** A checked action, as `defineAction` returns it. */
export interface ActionDefinition<I = unknown, P = unknown, O = unknown> extends Required<Pick<ActionSpec<I, P, O>, 'name' | 'category' | 'input' | 'resource' | 'plan' | 'apply'>> {
  readonly kind: 'action';
  readonly version: string;
  readonly approval: 'always' | 'never' | 'policy';
  readonly budgets: Readonly<ActionBudgets>;
  readonly verify: ActionSpec<I, P, O>['verify'];
  readonly rollback: ActionSpec<I, P, O>['rollback'];
}

/**
 * Any action, whatever its input, plan and outcome types: what `createSteward({ actions })` takes. Every
 * `ActionDefinition` is one; the registry gives them back as `ActionDefinition` for `ctx.act`.
 */
export interface RegisteredAction {
  readonly kind: 'action';
  readonly name: string;
  readonly version: string;
  readonly category: ActionCategory;
  readonly input: z.ZodType;
}

/** What `ctx.act` answers: the plan alone in a plan-mode run, else the plan, the outcome and the verification. */
export type ActResult<P, O> =
  | { status: 'planned'; action: string; resource: string; plan: P }
  | { status: 'applied'; action: string; resource: string; plan: P; outcome: O; verification: Verification | null };

const specSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/, 'an action name is lowercase words joined by dots, like "service.deploy"'),
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'a version is semver, like "1.2.0"').optional(),
  category: z.enum(['read', 'write', 'deploy', 'rollback']),
  approval: z.enum(['always', 'never', 'policy']).optional(),
  budgets: z
    .object({
      timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
      maxAttempts: z.number().int().min(1).max(100).optional(),
      network: z.enum(['none', 'internal', 'public']).optional(),
      ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
      breaker: z
        .object({
          failures: z.number().int().min(1).max(1000).optional(),
          coolDownMs: z.number().int().min(100).max(86_400_000).optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .optional(),
  input: z.custom<z.ZodType>((v) => v instanceof z.ZodType, { message: 'expected a zod schema' }),
  resource: z.custom<(input: unknown) => string>((v) => typeof v === 'function', { message: 'expected a function' }),
  plan: z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' }),
  apply: z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' }),
  verify: z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' }).optional(),
  rollback: z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' }).optional(),
});

/** Checks an action definition; a bad one is refused with a `ValidationError` naming each wrong field. */
export function defineAction<I, P, O>(spec: ActionSpec<I, P, O>): ActionDefinition<I, P, O> {
  const checked = specSchema.safeParse(spec);
  if (!checked.success) {
    const name = typeof (spec as { name?: unknown }).name === 'string' ? ` "${(spec as { name: string }).name}"` : '';
    throw new ValidationError(`action${name} is not a valid definition: ${formatIssues(checked.error.issues, 'action')}`);
  }
  return Object.freeze({
    kind: 'action' as const,
    name: spec.name,
    version: spec.version ?? '1.0.0',
    category: spec.category,
    input: spec.input,
    resource: spec.resource,
    approval: spec.approval ?? 'policy',
    budgets: Object.freeze({
      ...spec.budgets,
      ...(spec.budgets?.breaker === undefined ? {} : { breaker: Object.freeze({ ...spec.budgets.breaker }) }),
    }),
    plan: spec.plan,
    apply: spec.apply,
    verify: spec.verify,
    rollback: spec.rollback,
  });
}
