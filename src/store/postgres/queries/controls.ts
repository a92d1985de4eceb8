/**
 * The store-wide controls: reading them, turning the kill switch on or off (with its audit entry, and giving every
 * paused run back to its queue when it goes off), and pausing a run the switch stopped. The controls row's trigger
 * notifies every process.
 */
import { LeaseLostError } from '../../../errors.js';
import type { Lease } from '../../../domain/run.js';
import type { AuditInput, ControlChange, Controls } from '../../store.js';
import { autonomyEvent, killSwitchEvent, toControls, type ControlEvent, type ControlsRow } from '../../controls-row.js';
import type { Queryable } from '../connection.js';
import { appendAudit } from './audit.js';

const READ = 'SELECT kill_switch, kill_by, kill_reason, kill_at, autonomy FROM controls WHERE id = 1';
const SET_KILL_SWITCH = `
  UPDATE controls SET kill_switch = $1, kill_by = $2, kill_reason = $3, kill_at = $4, updated_at = $4 WHERE id = 1
  RETURNING kill_switch, kill_by, kill_reason, kill_at, autonomy`;
const RESUME_PAUSED = `UPDATE runs SET status = 'queued', runnable_at = $1, updated_at = $1 WHERE status = 'paused'`;
// pauses only while the switch is still on (read under the controls row's lock); else gives the run back
const PAUSE = `
  WITH switch AS (SELECT kill_switch FROM controls WHERE id = 1 FOR SHARE)
  UPDATE runs SET
    status = CASE WHEN (SELECT kill_switch FROM switch) THEN 'paused' ELSE 'queued' END,
    runnable_at = CASE WHEN (SELECT kill_switch FROM switch) THEN NULL ELSE $4::bigint END,
    lease_owner = NULL, lease_expires_at = NULL, updated_at = $4
  WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3 AND status = 'running'`;

export async function getControls(db: Queryable): Promise<Controls> {
  return toControls((await db.query<ControlsRow>(READ)).rows[0]!);
}

/** Sets the kill switch (call inside a transaction). */
export async function setKillSwitch(db: Queryable, on: boolean, change: ControlChange, audit: AuditInput | null): Promise<Controls> {
  const row = (await db.query<ControlsRow>(SET_KILL_SWITCH, [on, change.by, change.reason, change.now])).rows[0]!;
  await insertControlEvent(db, killSwitchEvent(on, change.by, change.reason), change.now);
  if (!on) await db.query(RESUME_PAUSED, [change.now]);
  if (audit !== null) await appendAudit(db, [audit]);
  return toControls(row);
}

const SET_AUTONOMY = `
  UPDATE controls SET autonomy = $1, updated_at = $2 WHERE id = 1
  RETURNING kill_switch, kill_by, kill_reason, kill_at, autonomy`;

/** Sets the global autonomy level (call inside a transaction). */
export async function setAutonomy(db: Queryable, level: number, change: ControlChange, audit: AuditInput | null): Promise<Controls> {
  const row = (await db.query<ControlsRow>(SET_AUTONOMY, [level, change.now])).rows[0]!;
  await insertControlEvent(db, autonomyEvent(level, change.by, change.reason), change.now);
  if (audit !== null) await appendAudit(db, [audit]);
  return toControls(row);
}

/** Pauses the run under its lease; `LeaseLostError` when the lease moved on. */
export async function pauseRun(db: Queryable, lease: Lease, now: number): Promise<void> {
  const result = await db.query(PAUSE, [lease.runId, lease.owner, lease.epoch, now]);
  if ((result.rowCount ?? 0) === 0) throw new LeaseLostError(lease.runId, lease.epoch);
}

const INSERT_CONTROL_EVENT = 'INSERT INTO events (run_id, type, data, created_at) VALUES (NULL, $1, $2, $3)';

/** A store-wide event for live streams (the events trigger notifies listeners): a control changed. */
export async function insertControlEvent(db: Queryable, event: ControlEvent, now: number): Promise<void> {
  await db.query(INSERT_CONTROL_EVENT, [event.type, event.data, now]);
}
