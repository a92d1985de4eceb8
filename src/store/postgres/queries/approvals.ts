/**
 * Approval requests: filed by an act under its lease, decided by a person, expired when nobody decided in time. Each
 * change has its event and audit entry in the same transaction, and a decision wakes the run waiting for it.
 */
import { ApprovalNotFoundError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type {
  ApprovalDecision,
  ApprovalDecisionResult,
  ApprovalFilter,
  ApprovalRecord,
  AuditInput,
  NewApproval,
} from '../../store.js';
import { APPROVAL_INSERT_COLUMNS, approvalValues, toApproval, type ApprovalRow } from '../../approval-rows.js';
import type { Queryable } from '../connection.js';
import { appendAudit } from './audit.js';
import { fence } from './fence.js';

const AT = 'SELECT * FROM approvals WHERE run_id = $1 AND seq = $2';
const BY_ID = 'SELECT * FROM approvals WHERE id = $1';
const BY_ID_LOCKED = 'SELECT * FROM approvals WHERE id = $1 FOR UPDATE';
const INSERT = `INSERT INTO approvals (${APPROVAL_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`;
const CONSUME = 'UPDATE approvals SET consumed_at = $2 WHERE id = $1 RETURNING *';
const DECIDE = `UPDATE approvals SET status = $2, decided_by = $3, reason = $4, decided_at = $5 WHERE id = $1 AND status = 'pending' RETURNING *`;
const EVENT = 'INSERT INTO events (run_id, type, data, created_at) VALUES ($1, $2, $3, $4)';
const WAKE = `UPDATE runs SET runnable_at = $2, updated_at = $2 WHERE id = $1 AND status = 'waiting' AND wait_kind = 'approval'`;
const LIST = `
  SELECT * FROM approvals
  WHERE ($1::text[] IS NULL OR status = ANY($1::text[])) AND ($2::text IS NULL OR run_id = $2)
  ORDER BY created_at, id LIMIT $3`;
/** Whether a decision the run has not taken yet is waiting for it (a suspension must then not sleep). */
export const APPROVAL_DECIDED = `SELECT 1 FROM approvals WHERE run_id = $1 AND status <> 'pending' AND consumed_at IS NULL LIMIT 1`;

/** Files (or finds) the act's request, expiring or consuming it as its state says (call inside a transaction). */
export async function requestApproval(
  db: Queryable,
  lease: Lease,
  approval: NewApproval,
  audit: { requested: AuditInput; expired: AuditInput },
  now: number,
): Promise<ApprovalRecord> {
  await fence(db, lease);
  let row = (await db.query<ApprovalRow>(AT, [lease.runId, approval.seq])).rows[0];
  if (row === undefined) {
    row = (await db.query<ApprovalRow>(INSERT, approvalValues(approval))).rows[0]!;
    await db.query(EVENT, [lease.runId, 'approval.requested', JSON.stringify({ approvalId: approval.id, seq: approval.seq, action: approval.action }), now]);
    await appendAudit(db, [audit.requested]);
  }
  if (row.status === 'pending' && now >= row.expires_at) row = await expire(db, row, audit.expired, now);
  else if (row.status === 'approved' && row.consumed_at === null) row = (await db.query<ApprovalRow>(CONSUME, [row.id, now])).rows[0]!;
  return toApproval(row);
}

/** Decides a pending request, or expires it when its time has passed (call inside a transaction). */
export async function decideApproval(
  db: Queryable,
  id: string,
  decision: ApprovalDecision,
  audit: { decided: AuditInput; expired: AuditInput },
): Promise<ApprovalDecisionResult> {
  const row = (await db.query<ApprovalRow>(BY_ID_LOCKED, [id])).rows[0];
  if (row === undefined) throw new ApprovalNotFoundError(id);
  if (row.status !== 'pending') return { outcome: 'already_decided', approval: toApproval(row) };
  if (decision.now >= row.expires_at) {
    return { outcome: 'expired', approval: toApproval(await expire(db, row, audit.expired, decision.now)) };
  }
  const decided = (await db.query<ApprovalRow>(DECIDE, [id, decision.status, decision.by, decision.reason, decision.now])).rows[0]!;
  await db.query(EVENT, [
    row.run_id,
    'approval.decided',
    JSON.stringify({ approvalId: id, status: decision.status, by: decision.by, reason: decision.reason }),
    decision.now,
  ]);
  await appendAudit(db, [audit.decided]);
  await db.query(WAKE, [row.run_id, decision.now]);
  return { outcome: 'decided', approval: toApproval(decided) };
}

async function expire(db: Queryable, row: ApprovalRow, audit: AuditInput, now: number): Promise<ApprovalRow> {
  const expired = (await db.query<ApprovalRow>(DECIDE, [row.id, 'expired', null, null, now])).rows[0]!;
  await db.query(EVENT, [row.run_id, 'approval.expired', JSON.stringify({ approvalId: row.id }), now]);
  await appendAudit(db, [audit]);
  await db.query(WAKE, [row.run_id, now]);
  return expired;
}

export async function getApproval(db: Queryable, id: string): Promise<ApprovalRecord | null> {
  const row = (await db.query<ApprovalRow>(BY_ID, [id])).rows[0];
  return row === undefined ? null : toApproval(row);
}

export async function listApprovals(db: Queryable, filter: ApprovalFilter): Promise<ApprovalRecord[]> {
  const rows = (await db.query<ApprovalRow>(LIST, [filter.status === undefined ? null : [...filter.status], filter.runId ?? null, filter.limit])).rows;
  return rows.map(toApproval);
}
