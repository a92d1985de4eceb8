/**
 * Phase 7 of the act pipeline (design §3): an action's budgets, held by the store so that they hold across every
 * worker. Before an apply, `admit` asks the action's circuit breaker and takes a token of its rate budget; after it,
 * `record` tells the breaker how it ended. Operators list breakers and close one by hand through `list` and `reset`.
 */
import { z } from 'zod';
import { BreakerNotFoundError, CircuitOpenError, RateLimitedError, ValidationError, formatIssues } from '../errors.js';
import type { ActionBudgets, ActionDefinition } from '../domain/action.js';
import type { Clock } from '../domain/clock.js';
import type { AuditInput, BreakerAuditTemplate, BreakerSettings, BreakerState, BreakerStatus, Store } from '../store/store.js';
import { Redactor } from '../audit/redactor.js';

/** What the guard reads of an action: its name and its budgets. */
export type BudgetedAction = Pick<ActionDefinition, 'name' | 'budgets'>;

/** The breaker of an action that says nothing of its own: open after 5 failed applies in a row, for 30 s. */
export const DEFAULT_BREAKER: Readonly<BreakerSettings> = Object.freeze({ failures: 5, coolDownMs: 30_000 });

/** The longest failure message kept on a breaker and in its audit entry. */
const MAX_ERROR_LENGTH = 500;

/** What `admit` answers: apply now, wait for the rate budget, or not while the breaker is open. */
export type BudgetAdmission =
  /** Apply now; `probe` when this apply is the breaker's one trial after its cool-down (record its end). */
  | { kind: 'go'; probe: boolean; /** Consecutive failures the breaker had counted when it was read. */ failures: number }
  /** The rate budget is used up until `until` (epoch ms); nothing was taken. */
  | { kind: 'wait'; until: number; error: RateLimitedError }
  /** The breaker refuses until `retryAt` (epoch ms), when it lets one probe through. */
  | { kind: 'open'; retryAt: number; state: BreakerState; failures: number; error: CircuitOpenError };

/** Who closes a breaker by hand and why. */
export interface BreakerResetOptions {
  /** The operator, as a Cedar entity (`User::"alice"`); recorded in the audit log. */
  by?: string;
  /** Why; required, recorded in the audit log. */
  reason: string;
}

const resetOptionsSchema = z
  .object({
    by: z.string().min(1, 'by is empty').max(256).optional(),
    reason: z.string().trim().min(1, 'give a reason: it is recorded in the audit log').max(2000),
  })
  .strict();

/** An action's breaker settings with the defaults applied. */
export function breakerSettingsOf(budgets: Readonly<ActionBudgets>): BreakerSettings {
  return {
    failures: budgets.breaker?.failures ?? DEFAULT_BREAKER.failures,
    coolDownMs: budgets.breaker?.coolDownMs ?? DEFAULT_BREAKER.coolDownMs,
  };
}

/** The rate limit and the circuit breaker of every action, as the store holds them. */
export class ActionBudgetGuard {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * Asks whether an apply of `action` may start at `now`. The breaker is read first, so that an open breaker costs
   * no rate token; then a token is taken (actions without `ratePerMinute` have no limit); last, a breaker past its
   * cool-down hands out its one probe. A probe is therefore only taken by an apply that will start.
   */
  async admit(action: BudgetedAction, now: number = this.clock.now(), known?: BreakerStatus | null): Promise<BudgetAdmission> {
    // the breaker as the caller read it a moment ago (in the same breath as other reads), or read now
    const breaker = known === undefined ? await this.store.getBreaker(action.name) : known;
    const refusal = breaker === null ? null : refusalOf(action.name, breaker, now);
    if (refusal !== null) return refusal;
    const rate = action.budgets.ratePerMinute;
    if (rate !== undefined) {
      const take = await this.store.takeRateToken(action.name, rate, now);
      if (!take.ok) return { kind: 'wait', until: take.retryAt, error: new RateLimitedError(action.name, rate, take.retryAt) };
    }
    if (breaker === null || breaker.state === 'closed') return { kind: 'go', probe: false, failures: breaker?.failures ?? 0 };
    const admission = await this.store.breakerAdmit(action.name, breakerSettingsOf(action.budgets), now);
    if (admission.admitted) return { kind: 'go', probe: admission.probe, failures: breaker.failures };
    // another worker took the probe since the read
    const failures = breaker.failures;
    return {
      kind: 'open',
      retryAt: admission.retryAt,
      state: admission.state,
      failures,
      error: new CircuitOpenError(action.name, admission.state === 'closed' ? 'open' : admission.state, failures, admission.retryAt, breaker.lastError),
    };
  }

  /**
   * Tells the breaker how an admitted apply ended: `ok` false with the error that failed it. Opening and closing are
   * audited (`breaker.opened`, `breaker.closed`, with the run when given) in the store's transaction. Answers the
   * breaker after.
   */
  async record(action: BudgetedAction, ok: boolean, error?: unknown, runId: string | null = null): Promise<BreakerStatus> {
    const now = this.clock.now();
    const message = ok ? null : this.messageOf(error);
    const audit: BreakerAuditTemplate = { at: now, actor: null, runId, subject: null, data: {} };
    return this.store.breakerRecord(action.name, ok, breakerSettingsOf(action.budgets), now, message, audit);
  }

  /** Every breaker the store knows, by action name. */
  list(): Promise<BreakerStatus[]> {
    return this.store.listBreakers();
  }

  /**
   * Closes an action's breaker by hand and forgets its failures, audited as `breaker.reset`. Refused with
   * `STEWARD_BREAKER_NOT_FOUND` when the store knows no breaker of that action.
   */
  async reset(action: string, options: BreakerResetOptions): Promise<BreakerStatus> {
    const parsed = resetOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ValidationError(`invalid breaker reset: ${formatIssues(parsed.error.issues, 'options')}`);
    const by = parsed.data.by ?? null;
    const reason = parsed.data.reason;
    const now = this.clock.now();
    const audit: AuditInput = {
      kind: 'breaker.reset',
      at: now,
      actor: by,
      runId: null,
      subject: null,
      data: this.redactor.redact({ reason }),
    };
    const status = await this.store.resetBreaker(action, { by, reason, now }, audit);
    if (status === null) throw new BreakerNotFoundError(action, (await this.store.listBreakers()).map((b) => b.action));
    return status;
  }

  /** The failure's message, redacted and cut to a bounded length. */
  private messageOf(error: unknown): string {
    const text = error instanceof Error ? error.message : error === undefined ? 'failed' : String(error);
    const redacted = this.redactor.redactString(text);
    return redacted.length > MAX_ERROR_LENGTH ? `${redacted.slice(0, MAX_ERROR_LENGTH - 1)}…` : redacted;
  }
}

/** The refusal of a breaker that is open or has its probe out, or null when it may admit at `now`. */
function refusalOf(action: string, breaker: BreakerStatus, now: number): BudgetAdmission | null {
  if (breaker.state === 'closed' || breaker.probeAt === null || now >= breaker.probeAt) return null;
  return {
    kind: 'open',
    retryAt: breaker.probeAt,
    state: breaker.state,
    failures: breaker.failures,
    error: new CircuitOpenError(action, breaker.state, breaker.failures, breaker.probeAt, breaker.lastError),
  };
}
