/**
 * What the policy engine is asked and what it answers: the request of design §3 step 4 (principal = the run's subject,
 * action, resource with its attributes, context), checked with zod at the engine's edge, and the decision.
 */
import { z } from 'zod';

/** The kinds of principal the shipped schema knows. */
export const PRINCIPAL_TYPES = ['User', 'Agent', 'Service'] as const;
/** The actions a policy can permit: planning an act, applying it, approving someone else's. */
export const POLICY_ACTIONS = ['plan', 'apply', 'approve'] as const;
/** The categories of action (design §3), in order of how much they can change. */
export const ACTION_CATEGORIES = ['read', 'write', 'deploy', 'rollback'] as const;
/** The modes of a run: a plan-mode run never applies. */
export const RUN_MODES = ['apply', 'plan'] as const;
/** Autonomy levels: 0 observe, 1 read alone (the default), 2 read and write alone, 3 everything alone. */
export const MAX_AUTONOMY = 3;

/** A principal's type. */
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
/** A Cedar action name of the shipped schema. */
export type PolicyAction = (typeof POLICY_ACTIONS)[number];
/** An action's category. */
export type ActionCategory = (typeof ACTION_CATEGORIES)[number];

const principalText = /^(User|Agent|Service)::("(?:[^"\\]|\\.)*")$/;

/** Parses `User::"alice"` into its type and id, or returns null. */
export function parsePrincipalText(text: string): { type: PrincipalType; id: string } | null {
  const match = principalText.exec(text.trim());
  if (!match) return null;
  try {
    const id = JSON.parse(match[2] as string) as unknown;
    return typeof id === 'string' ? { type: match[1] as PrincipalType, id } : null;
  } catch {
    return null;
  }
}

const principalObject = z.strictObject({
  type: z.enum(PRINCIPAL_TYPES),
  id: z.string().min(1),
  roles: z.array(z.string().min(1)).optional(),
});

const principalSchema = z.union([
  principalObject,
  z.string().transform((text, ctx) => {
    const parsed = parsePrincipalText(text);
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `write a principal as Type::"id" with Type one of ${PRINCIPAL_TYPES.join(', ')}, not ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return parsed;
  }),
]);

const budgetsSchema = z.strictObject({
  timeoutMs: z.number().int().nonnegative().optional(),
  maxAttempts: z.number().int().nonnegative().optional(),
  ratePerMinute: z.number().int().nonnegative().optional(),
});

/** The request as callers write it; `principal` may be `User::"alice"` or `{ type, id, roles }`. */
export const policyRequestSchema = z.strictObject({
  principal: principalSchema,
  action: z.enum(POLICY_ACTIONS),
  resource: z.strictObject({
    name: z.string().min(1),
    category: z.enum(ACTION_CATEGORIES),
    network: z.string().min(1),
  }),
  context: z.strictObject({
    autonomy: z.number().int().min(0).max(MAX_AUTONOMY),
    mode: z.enum(RUN_MODES),
    reason: z.string().optional(),
    approved: z.boolean().default(false),
    budgets: budgetsSchema.default({}),
  }),
});

/** A request as callers may write it (before defaults). */
export type PolicyRequestInput = z.input<typeof policyRequestSchema>;

/** A checked request, with roles sorted and defaults filled in: the form that is authorised and cached. */
export interface PolicyRequest {
  principal: { type: PrincipalType; id: string; roles: string[] };
  action: PolicyAction;
  resource: { name: string; category: ActionCategory; network: string };
  context: {
    autonomy: number;
    mode: (typeof RUN_MODES)[number];
    reason?: string;
    approved: boolean;
    budgets: { timeoutMs?: number; maxAttempts?: number; ratePerMinute?: number };
  };
}

/** What the engine decided, and which policies decided it (their `@id`s), for the audit log and `PolicyDeniedError`. */
export interface PolicyDecision {
  decision: 'allow' | 'deny';
  /** The ids of the policies that decided: the permits that allowed, or the forbids that denied (empty: no permit matched). */
  policies: readonly string[];
  /** Policies that failed to evaluate on this request (they are skipped, so they cannot allow). */
  errors: readonly string[];
  /** The version of the policy set that decided. */
  version: string;
}
