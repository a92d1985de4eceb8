/**
 * The approvals inbox: listing requests, and approving or denying one. A decision is accepted only from a principal
 * that policy allows to approve (`Action::"approve"`), not from the requester (unless configured), with a
 * reason-for-access for anything but a read, for the plan that is waiting, and before the request expires.
 */
import { z } from 'zod';
import { ApprovalNotFoundError, ApprovalRefusedError, PolicyDeniedError, ValidationError, formatIssues } from '../errors.js';
import { parsePrincipalText, PRINCIPAL_TYPES } from '../policy/request.js';
import type { ApprovalRecord, ApprovalStatus, AuditInput } from '../store/store.js';
import type { EngineDeps } from './deps.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;

const listSchema = z
  .object({
    status: z.union([z.enum(STATUSES), z.array(z.enum(STATUSES))]).optional(),
    runId: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

const decisionSchema = z
  .object({
    /** Who decides, as a principal: `User::"alice"`. */
    principal: z.string().min(1).max(256),
    /** The principal's roles, for policy (the default policies let the role `approver` approve). */
    roles: z.array(z.string().min(1).max(128)).max(64).optional(),
    /** The reason-for-access (approve) or the reason for the denial; required for write, deploy and rollback. */
    reason: z.string().max(2000).optional(),
    /** The plan hash the decider reviewed; refused if the waiting plan is another. */
    planHash: z.string().regex(/^[0-9a-f]{64}$/, 'a plan hash is 64 lowercase hex digits').optional(),
  })
  .strict();

/** Filters of `approvals.list`. */
export type ApprovalListOptions = z.input<typeof listSchema>;
/** What `approvals.approve` and `approvals.deny` take. */
export type ApprovalDecisionOptions = z.input<typeof decisionSchema>;

/** The approvals API of a Steward. */
export interface Approvals {
  /** Requests, oldest first; pending ones unless a status is given. */
  list(options?: ApprovalListOptions): Promise<ApprovalRecord[]>;
  get(id: string): Promise<ApprovalRecord>;
  /** Approves a pending request; the run waiting for it applies that plan, once. */
  approve(id: string, options: ApprovalDecisionOptions): Promise<ApprovalRecord>;
  /** Denies a pending request; the act fails with `ApprovalDeniedError`. */
  deny(id: string, options: ApprovalDecisionOptions): Promise<ApprovalRecord>;
}

/** The approvals API over the engine's store and policy engine. */
export class ApprovalDesk implements Approvals {
  constructor(private readonly deps: EngineDeps) {}

  async list(options: ApprovalListOptions = {}): Promise<ApprovalRecord[]> {
    const parsed = listSchema.safeParse(options);
    if (!parsed.success) throw new ValidationError(`invalid approvals filter: ${formatIssues(parsed.error.issues, 'filter')}`);
    const { status, runId, limit } = parsed.data;
    const statuses: ApprovalStatus[] = status === undefined ? ['pending'] : Array.isArray(status) ? status : [status];
    return this.deps.store.listApprovals({ status: statuses, ...(runId === undefined ? {} : { runId }), limit: limit ?? 100 });
  }

  async get(id: string): Promise<ApprovalRecord> {
    const approval = await this.deps.store.getApproval(id);
    if (approval === null) throw new ApprovalNotFoundError(id);
    return approval;
  }

  approve(id: string, options: ApprovalDecisionOptions): Promise<ApprovalRecord> {
    return this.decide(id, 'approved', options);
  }

  deny(id: string, options: ApprovalDecisionOptions): Promise<ApprovalRecord> {
    return this.decide(id, 'denied', options);
  }

  private async decide(id: string, status: 'approved' | 'denied', options: ApprovalDecisionOptions): Promise<ApprovalRecord> {
    const verb = status === 'approved' ? 'approve' : 'deny';
    const parsed = decisionSchema.safeParse(options);
    if (!parsed.success) throw new ValidationError(`invalid ${verb} options: ${formatIssues(parsed.error.issues, 'options')}`);
    const { roles = [], planHash } = parsed.data;
    const reason = parsed.data.reason?.trim() || null;
    const principal = parsePrincipalText(parsed.data.principal);
    if (principal === null) {
      throw new ApprovalRefusedError(id, `the ${verb}r must be a principal written Type::"id" with Type one of ${PRINCIPAL_TYPES.join(', ')}, not ${JSON.stringify(parsed.data.principal)}`);
    }
    const by = `${principal.type}::${JSON.stringify(principal.id)}`;
    const approval = await this.get(id);
    const now = this.deps.clock.now();
    const subject = `Resource::${JSON.stringify(approval.resource)}`;
    const about = { approvalId: id, action: approval.action, category: approval.category, resource: approval.resource, planHash: approval.planHash };
    const audit = (kind: string, data: Record<string, unknown>): AuditInput => ({
      kind,
      at: now,
      actor: by,
      runId: approval.runId,
      subject,
      data: this.deps.redactor.redact({ ...about, ...data }) as Record<string, unknown>,
    });
    if (approval.status !== 'pending') {
      throw new ApprovalRefusedError(id, `it was ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''} already; a decision is final`, { status: approval.status });
    }
    if (now < approval.expiresAt) {
      const requester = approval.requester === null ? null : parsePrincipalText(approval.requester);
      if (!this.deps.config.approvals.allowSelfApproval && requester !== null && requester.type === principal.type && requester.id === principal.id) {
        throw new ApprovalRefusedError(id, `${by} asked for it and cannot decide it: another principal must (or set approvals.allowSelfApproval)`, { principal: by });
      }
      if (reason === null && approval.category !== 'read') {
        throw new ApprovalRefusedError(id, `a ${approval.category} action needs a reason-for-access: give one (--reason "…")`, { category: approval.category });
      }
      if (planHash !== undefined && planHash !== approval.planHash) {
        throw new ApprovalRefusedError(id, `the plan waiting is ${approval.planHash}, not the ${planHash} you reviewed: review the plan again`, {
          planHash: approval.planHash,
          reviewed: planHash,
        });
      }
      const decision = this.deps.policy.authorize({
        principal: { ...principal, roles },
        action: 'approve',
        resource: { name: approval.resource, category: approval.category, network: approval.network },
        context: { autonomy: this.deps.controls.value.autonomy, mode: 'apply', approved: false, ...(reason === null ? {} : { reason }) },
      });
      if (decision.decision === 'deny') {
        const error = new PolicyDeniedError(approval.action, 'approve', approval.resource, decision, decision.policies.length > 0 ? undefined : `no policy lets ${by} approve (the default policies want the role "approver")`);
        await this.deps.store.appendAudit([audit('policy.denied', { phase: 'approve', policies: [...decision.policies], policyVersion: decision.version, message: error.message })]);
        throw error;
      }
    }
    const result = await this.deps.store.decideApproval(
      id,
      { status, by, reason, now },
      { decided: audit(`approval.${status}`, { reason }), expired: { ...audit('approval.expired', {}), actor: null } },
    );
    if (result.outcome === 'expired') {
      throw new ApprovalRefusedError(id, `it expired at ${new Date(approval.expiresAt).toISOString()} and counts as a denial; the run must ask again`, { status: 'expired' });
    }
    if (result.outcome === 'already_decided') {
      throw new ApprovalRefusedError(id, `it was ${result.approval.status} already; a decision is final`, { status: result.approval.status });
    }
    this.deps.logger.info({ approvalId: id, runId: approval.runId, action: approval.action, by, status }, `approval ${status}`);
    return result.approval;
  }
}
