/**
 * Component controls (an operator's pause, applied by every process; a change notifies them all through the table's
 * trigger) and the reports workers make of their components.
 */
import type { AuditInput, ComponentControl, ComponentReport, ControlChange } from '../../store.js';
import { toComponentControl, toComponentReport, type ComponentControlRow, type ComponentReportRow } from '../../component-rows.js';
import type { Queryable } from '../connection.js';
import { appendAudit } from './audit.js';
import { componentControlEvent } from '../../controls-row.js';
import { insertControlEvent } from './controls.js';

const UPSERT = `
  INSERT INTO component_controls (domain, key, paused, by, reason, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (domain, key) DO UPDATE SET paused = excluded.paused, by = excluded.by, reason = excluded.reason, updated_at = excluded.updated_at
  RETURNING *`;
const LIST = 'SELECT * FROM component_controls ORDER BY domain, key';
const DROP_REPORTS = 'DELETE FROM component_reports WHERE worker = $1';
const INSERT_REPORTS = `
  INSERT INTO component_reports (worker, domain, key, provider, state, in_flight, reported_at)
  SELECT $1, d, k, p, s, f, $7 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS r(d, k, p, s, f)`;
const REPORTS = 'SELECT * FROM component_reports WHERE reported_at >= $1 ORDER BY worker, domain, key';

/** Sets a component's control (call inside a transaction). */
export async function setComponentPaused(
  db: Queryable,
  domain: string,
  key: string,
  paused: boolean,
  change: ControlChange,
  audit: AuditInput | null,
): Promise<ComponentControl> {
  const row = (await db.query<ComponentControlRow>(UPSERT, [domain, key, paused, change.by, change.reason, change.now])).rows[0]!;
  await insertControlEvent(db, componentControlEvent(domain, key, paused, change.by, change.reason), change.now);
  if (audit !== null) await appendAudit(db, [audit]);
  return toComponentControl(row);
}

export async function listComponentControls(db: Queryable): Promise<ComponentControl[]> {
  return (await db.query<ComponentControlRow>(LIST)).rows.map(toComponentControl);
}

/** Replaces a worker's reports (call inside a transaction). */
export async function reportComponents(
  db: Queryable,
  worker: string,
  reports: ReadonlyArray<Omit<ComponentReport, 'worker' | 'reportedAt'>>,
  now: number,
): Promise<void> {
  await db.query(DROP_REPORTS, [worker]);
  if (reports.length === 0) return;
  await db.query(INSERT_REPORTS, [
    worker,
    reports.map((r) => r.domain),
    reports.map((r) => r.key),
    reports.map((r) => r.provider),
    reports.map((r) => r.state),
    reports.map((r) => r.inFlight),
    now,
  ]);
}

export async function listComponentReports(db: Queryable, since: number): Promise<ComponentReport[]> {
  return (await db.query<ComponentReportRow>(REPORTS, [since])).rows.map(toComponentReport);
}
