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

