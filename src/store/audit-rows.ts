/** The `audit` table's row, the same in both stores (bigint columns read as numbers), and its mapping to entries. */
import { StoreCorruptError } from '../errors.js';
import type { AuditEntry } from './store.js';

/** An `audit` row. */
export interface AuditRow {
  id: number;
  at: number;
  kind: string;
  actor: string | null;
  run_id: string | null;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

/** The entry a row holds. The data is parsed as stored; a row altered by hand is the chain check's to find. */
export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    runId: row.run_id,
    subject: row.subject,
    data: parseData(row),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function parseData(row: AuditRow): Record<string, unknown> {
  try {
    return JSON.parse(row.data) as Record<string, unknown>;
  } catch (cause) {
    throw new StoreCorruptError(`audit entry ${row.id} holds data that is not JSON: the row was altered outside Steward`, { cause });
  }
}
