/** The controls row of both stores, read into the `Controls` of the Store interface. */
import type { Controls } from './store.js';

/** The columns of the controls row, as either store reads them (SQLite has 0/1 for the switch). */
export interface ControlsRow {
  kill_switch: number | boolean;
  kill_by: string | null;
  kill_reason: string | null;
  kill_at: number | null;
  autonomy: number;
}

/** The controls row as the Store interface answers it (both stores read the same columns). */
export function toControls(row: ControlsRow): Controls {
  return {
    killSwitch: { on: row.kill_switch === 1 || row.kill_switch === true, by: row.kill_by, reason: row.kill_reason, at: row.kill_at },
    autonomy: row.autonomy,
  };
}


/** A store-wide event (no run) telling live streams that a control changed; type and JSON data as stored. */
export interface ControlEvent {
  type: string;
  data: string;
}

/** The event of a kill switch turned on or off. */
export function killSwitchEvent(on: boolean, by: string | null, reason: string | null): ControlEvent {
  return { type: on ? 'kill_switch.on' : 'kill_switch.off', data: JSON.stringify({ by, reason }) };
}

/** The event of the global autonomy level set. */
export function autonomyEvent(level: number, by: string | null, reason: string | null): ControlEvent {
  return { type: 'autonomy.changed', data: JSON.stringify({ level, by, reason }) };
}

/** The event of a component paused or resumed in every process. */
export function componentControlEvent(domain: string, key: string, paused: boolean, by: string | null, reason: string | null): ControlEvent {
  return { type: paused ? 'component.paused' : 'component.resumed', data: JSON.stringify({ domain, key, by, reason }) };
}
