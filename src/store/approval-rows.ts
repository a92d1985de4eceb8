/** The `approvals` table's row, the same in both stores (bigint columns read as numbers), and its mapping. */
import type { ApprovalRecord, ApprovalStatus, NewApproval } from './store.js';

/** An `approvals` row. */
export interface ApprovalRow {
  id: string;
  run_id: string;
  seq: number;
  action: string;
  action_version: string;
  category: string;
  resource: string;
  network: string;
  plan: string;
  plan_hash: string;
  requester: string | null;
  reasons: string;
  status: string;
  decided_by: string | null;
  reason: string | null;
  decided_at: number | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** The request a row holds. */
export function toApproval(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    runId: row.run_id,
    seq: row.seq,
    action: row.action,
    actionVersion: row.action_version,
    category: row.category as NewApproval['category'],
    resource: row.resource,
    network: row.network,
    plan: JSON.parse(row.plan) as unknown,
    planHash: row.plan_hash,
    requester: row.requester,
    reasons: JSON.parse(row.reasons) as string[],
    status: row.status as ApprovalStatus,
    decidedBy: row.decided_by,
    reason: row.reason,
    decidedAt: row.decided_at,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

/** The column values of a new request, in the order of APPROVAL_INSERT_COLUMNS. */
export function approvalValues(a: NewApproval): Array<string | number | null> {
  return [a.id, a.runId, a.seq, a.action, a.actionVersion, a.category, a.resource, a.network, a.planJson, a.planHash, a.requester, JSON.stringify(a.reasons), a.createdAt, a.expiresAt];
}

/** The columns a new request fills, in the order of `approvalValues`. */
export const APPROVAL_INSERT_COLUMNS =
  'id, run_id, seq, action, action_version, category, resource, network, plan, plan_hash, requester, reasons, created_at, expires_at';
