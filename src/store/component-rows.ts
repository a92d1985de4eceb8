/** The rows of `component_controls` and `component_reports`, the same in both stores, and their mapping. */
import type { ComponentControl, ComponentReport } from './store.js';

/** A `component_controls` row (SQLite has 0/1 for `paused`). */
export interface ComponentControlRow {
  domain: string;
  key: string;
  paused: number | boolean;
  by: string | null;
  reason: string | null;
  updated_at: number;
}

/** A `component_reports` row. */
export interface ComponentReportRow {
  worker: string;
  domain: string;
  key: string;
  provider: string | null;
  state: string;
  in_flight: number;
  reported_at: number;
}

export function toComponentControl(row: ComponentControlRow): ComponentControl {
  return { domain: row.domain, key: row.key, paused: row.paused === 1 || row.paused === true, by: row.by, reason: row.reason, updatedAt: row.updated_at };
}

export function toComponentReport(row: ComponentReportRow): ComponentReport {
  return {
    worker: row.worker,
    domain: row.domain,
    key: row.key,
    provider: row.provider,
    state: row.state,
    inFlight: row.in_flight,
    reportedAt: row.reported_at,
  };
}
