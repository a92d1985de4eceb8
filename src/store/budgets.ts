/**
 * The arithmetic of action budgets, shared by both stores so that they decide alike: the GCRA rate limiter's
 * parameters, and the circuit breaker's transitions. Each store reads the row, asks here what to write, and writes
 * it in its own transaction.
 */
import type { AuditInput, BreakerAdmission, BreakerAuditTemplate, BreakerSettings, BreakerState, BreakerStatus } from './store.js';

/** A minute in microseconds, the unit of the rate limiter's times. */
const MINUTE_US = 60_000_000;

/** The limiter's numbers for one take, in microseconds. */
export interface RateParameters {
  /** Now. */
  nowUs: number;
  /** The emission interval T: one apply every T, rounded up so that the rate is never exceeded. */
  intervalUs: number;
  /** The burst tolerance τ = (rate − 1)·T: a rested limiter lets `rate` applies through at once. */
  toleranceUs: number;
}

/**
 * GCRA: a take at `now` conforms when `now ≥ tat − τ`; it moves the theoretical arrival time to `max(tat, now) + T`.
 * A refused take may retry at `tat − τ`.
 */
export function rateParameters(ratePerMinute: number, now: number): RateParameters {
  const intervalUs = Math.ceil(MINUTE_US / ratePerMinute);
  return { nowUs: now * 1000, intervalUs, toleranceUs: (ratePerMinute - 1) * intervalUs };
}

/** When a refused take may try again, in epoch milliseconds. */
export function rateRetryAt(tatUs: number, toleranceUs: number): number {
  return Math.ceil((tatUs - toleranceUs) / 1000);
}

/** The columns of a breaker row, as either store reads them. */
export interface BreakerRow {
  action: string;
  state: string;
  failures: number;
  opened_at: number | null;
  probe_at: number | null;
  updated_at: number;
  last_error: string | null;
}

/** The columns to write, in the order of the stores' upserts. */
export function breakerColumns(status: BreakerStatus) {
  return {
    action: status.action,
    state: status.state,
    failures: status.failures,
    openedAt: status.openedAt,
    probeAt: status.probeAt,
    updatedAt: status.updatedAt,
    lastError: status.lastError,
  };
}

const STATES: ReadonlySet<string> = new Set<BreakerState>(['closed', 'open', 'half_open']);

/** A breaker row as the Store interface answers it. */
export function toBreakerStatus(row: BreakerRow): BreakerStatus {
  // the table's CHECK keeps other states out; a row altered outside Steward reads as open, the safe side
  const state = STATES.has(row.state) ? (row.state as BreakerState) : 'open';
  return {
    action: row.action,
    state,
    failures: row.failures,
    openedAt: row.opened_at,
    probeAt: row.probe_at,
    updatedAt: row.updated_at,
    lastError: row.last_error,
  };
}

/** The breaker of an action that never failed. */
export function closedBreaker(action: string, now: number): BreakerStatus {
  return { action, state: 'closed', failures: 0, openedAt: null, probeAt: null, updatedAt: now, lastError: null };
}

/** What an admission decided: the answer, and the breaker to write when it changed. */
export interface AdmitDecision {
  admission: BreakerAdmission;
  write: BreakerStatus | null;
}

/** Decides whether an apply may start; only taking the probe changes the breaker. */
export function decideAdmission(current: BreakerStatus | null, settings: BreakerSettings, now: number): AdmitDecision {
  if (current === null || current.state === 'closed') return { admission: { admitted: true, probe: false }, write: null };
  const probeAt = current.probeAt ?? now;
  if (now < probeAt) return { admission: { admitted: false, retryAt: probeAt, state: current.state }, write: null };
  // open past its cool-down, or half-open with a probe that never reported back: this caller probes
  return {
    admission: { admitted: true, probe: true },
    write: { ...current, state: 'half_open', probeAt: now + settings.coolDownMs, updatedAt: now },
  };
}

/** A change of state worth an audit entry and an event: the breaker opened, or it closed. */
export interface BreakerChange {
  kind: 'breaker.opened' | 'breaker.closed';
  from: BreakerState;
  to: BreakerState;
}

/** What recording an apply's end decided: the breaker after, whether to write it, and the change to tell. */
export interface RecordDecision {
  status: BreakerStatus;
  write: boolean;
  change: BreakerChange | null;
}

/**
 * Applies an apply's end to the breaker. A success closes it and forgets the failures (nothing to write when it was
 * closed with none); a failure counts, opens a closed breaker at `settings.failures` in a row, and opens a half-open
 * one again (the probe failed). Failures while open only count: the cool-down runs from when it opened.
 */
export function decideRecord(
  action: string,
  current: BreakerStatus | null,
  ok: boolean,
  settings: BreakerSettings,
  now: number,
  error: string | null,
): RecordDecision {
  const before = current ?? closedBreaker(action, now);
  if (ok) {
    if (before.state === 'closed' && before.failures === 0) return { status: before, write: false, change: null };
    const status: BreakerStatus = { ...before, state: 'closed', failures: 0, openedAt: null, probeAt: null, updatedAt: now };
    const change: BreakerChange | null = before.state === 'closed' ? null : { kind: 'breaker.closed', from: before.state, to: 'closed' };
    return { status, write: true, change };
  }
  const failures = before.failures + 1;
  const failed = { ...before, failures, updatedAt: now, lastError: error };
  if (before.state === 'open') return { status: failed, write: true, change: null };
  if (before.state === 'half_open' || failures >= settings.failures) {
    const status: BreakerStatus = { ...failed, state: 'open', openedAt: now, probeAt: now + settings.coolDownMs };
    // a failed probe keeps an outage going that is already on record: only the first opening is told
    const change: BreakerChange | null = before.state === 'closed' ? { kind: 'breaker.opened', from: 'closed', to: 'open' } : null;
    return { status, write: true, change };
  }
  return { status: failed, write: true, change: null };
}

/** The audit entry of a change, from the caller's template. */
export function breakerAuditEntry(template: BreakerAuditTemplate, change: BreakerChange, status: BreakerStatus): AuditInput {
  const data: Record<string, unknown> = { ...template.data, action: status.action, from: change.from, to: change.to, failures: status.failures };
  if (change.to === 'open') {
    data.error = status.lastError;
    data.probeAt = status.probeAt;
  }
  return { ...template, kind: change.kind, data };
}

/** The event of a change: its type and JSON data (the event has no run). */
export function breakerEvent(change: BreakerChange, status: BreakerStatus, by: string | null = null): { type: string; data: string } {
  const data: Record<string, unknown> = { action: status.action, from: change.from, to: change.to, failures: status.failures };
  if (change.to === 'open') data.probeAt = status.probeAt;
  if (by !== null) data.by = by;
  return { type: change.kind, data: JSON.stringify(data) };
}

/** The breaker after an operator closed it by hand, and the change to tell when it was not closed. */
export function decideReset(current: BreakerStatus, now: number): { status: BreakerStatus; change: BreakerChange | null } {
  const status: BreakerStatus = { ...current, state: 'closed', failures: 0, openedAt: null, probeAt: null, updatedAt: now };
  return { status, change: current.state === 'closed' ? null : { kind: 'breaker.closed', from: current.state, to: 'closed' } };
}
