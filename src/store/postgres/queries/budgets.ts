/**
 * Action budgets on PostgreSQL: rate tokens (one upsert that takes a token only when it conforms) and circuit
 * breakers (a change locks the action's row, decides with ../../budgets.ts, and writes the row, its event and its
 * audit entry in the same transaction, so that every process sees one breaker).
 */
import type { AuditInput, BreakerAdmission, BreakerAuditTemplate, BreakerSettings, BreakerStatus, ControlChange, RateTake } from '../../store.js';
import {
  breakerAuditEntry,
  breakerEvent,
  decideAdmission,
  decideRecord,
  decideReset,
  rateParameters,
  rateRetryAt,
  toBreakerStatus,
  type BreakerChange,
  type BreakerRow,
} from '../../budgets.js';
import type { Queryable } from '../connection.js';
import { appendAudit } from './audit.js';

// takes a token only when the take conforms (the row is locked by the upsert); a refused take changes nothing
const TAKE = `
  INSERT INTO action_rates AS r (action, tat_us) VALUES ($1, $2::bigint + $3::bigint)
  ON CONFLICT (action) DO UPDATE SET tat_us = greatest(r.tat_us, $2::bigint) + $3::bigint
  WHERE r.tat_us - $4::bigint <= $2::bigint`;

const TAT = 'SELECT tat_us FROM action_rates WHERE action = $1';

const READ = 'SELECT * FROM action_breakers WHERE action = $1';

const LOCK = 'SELECT * FROM action_breakers WHERE action = $1 FOR UPDATE';

// a breaker's first failure: the row exists before it is locked, so that two first failures count as two
const CREATE = `
  INSERT INTO action_breakers (action, state, failures, updated_at) VALUES ($1, 'closed', 0, $2)
  ON CONFLICT (action) DO NOTHING`;

const WRITE = `
  UPDATE action_breakers SET state = $2, failures = $3, opened_at = $4, probe_at = $5, updated_at = $6, last_error = $7
  WHERE action = $1`;

const LIST = 'SELECT * FROM action_breakers ORDER BY action';

const INSERT_EVENT = 'INSERT INTO events (run_id, type, data, created_at) VALUES (NULL, $1, $2, $3)';

/** Takes one token of the action's rate budget, or answers when one will be free. */
export async function takeRateToken(db: Queryable, action: string, ratePerMinute: number, now: number): Promise<RateTake> {
  const { nowUs, intervalUs, toleranceUs } = rateParameters(ratePerMinute, now);
  const taken = await db.query(TAKE, [action, nowUs, intervalUs, toleranceUs]);
  if ((taken.rowCount ?? 0) > 0) return { ok: true };
  // read after the refusal: a take that committed since only moves the answer later, the safe side
  const tat = (await db.query<{ tat_us: number }>(TAT, [action])).rows[0]?.tat_us ?? nowUs;
  return { ok: false, retryAt: Math.max(now, rateRetryAt(tat, toleranceUs)) };
}

/** The action's breaker, or null when it never failed (one read, no lock). */
export async function readBreaker(db: Queryable, action: string): Promise<BreakerStatus | null> {
  const row = (await db.query<BreakerRow>(READ, [action])).rows[0];
  return row === undefined ? null : toBreakerStatus(row);
}

/** Decides an admission under the breaker's lock (call inside a transaction). */
export async function breakerAdmit(db: Queryable, action: string, settings: BreakerSettings, now: number): Promise<BreakerAdmission> {
  const row = (await db.query<BreakerRow>(LOCK, [action])).rows[0];
  const decision = decideAdmission(row === undefined ? null : toBreakerStatus(row), settings, now);
  if (decision.write !== null) await write(db, decision.write);
  return decision.admission;
}

/** Records an apply's end under the breaker's lock, with its event and audit entry on a change (call inside a transaction). */
export async function breakerRecord(
  db: Queryable,
  action: string,
  ok: boolean,
  settings: BreakerSettings,
  now: number,
  error: string | null,
  audit: BreakerAuditTemplate | null,
): Promise<BreakerStatus> {
  if (!ok) await db.query(CREATE, [action, now]);
  const row = (await db.query<BreakerRow>(LOCK, [action])).rows[0];
  const decision = decideRecord(action, row === undefined ? null : toBreakerStatus(row), ok, settings, now, error);
  if (decision.write) await write(db, decision.status);
  if (decision.change !== null) {
    await tellChange(db, decision.change, decision.status, null);
    if (audit !== null) await appendAudit(db, [breakerAuditEntry(audit, decision.change, decision.status)]);
  }
  return decision.status;
}

/** Every breaker, by action name. */
export async function listBreakers(db: Queryable): Promise<BreakerStatus[]> {
  return (await db.query<BreakerRow>(LIST)).rows.map(toBreakerStatus);
}

/** Closes a breaker by hand, audited; null when the action has none (call inside a transaction). */
export async function resetBreaker(db: Queryable, action: string, change: ControlChange, audit: AuditInput | null): Promise<BreakerStatus | null> {
  const row = (await db.query<BreakerRow>(LOCK, [action])).rows[0];
  if (row === undefined) return null;
  const current = toBreakerStatus(row);
  const reset = decideReset(current, change.now);
  await write(db, reset.status);
  if (reset.change !== null) await tellChange(db, reset.change, reset.status, change.by);
  if (audit !== null) await appendAudit(db, [{ ...audit, data: { ...audit.data, action, from: current.state, failures: current.failures } }]);
  return reset.status;
}

async function write(db: Queryable, status: BreakerStatus): Promise<void> {
  await db.query(WRITE, [status.action, status.state, status.failures, status.openedAt, status.probeAt, status.updatedAt, status.lastError]);
}

async function tellChange(db: Queryable, change: BreakerChange, status: BreakerStatus, by: string | null): Promise<void> {
  const event = breakerEvent(change, status, by);
  await db.query(INSERT_EVENT, [event.type, event.data, status.updatedAt]);
}
