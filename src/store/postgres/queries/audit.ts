/**
 * The audit log on PostgreSQL. An append locks the chain's head row, so that appends from every process are
 * numbered and linked one after another, inserts its entries in one statement and moves the head; call it inside a
 * transaction, alone or beside the change the entries record.
 */
import { StoreCorruptError } from '../../../errors.js';
import type { AuditEntry, AuditInput, AuditQuery } from '../../store.js';
import { canonicalJson, sealAuditEntries, type AuditHead } from '../../audit-chain.js';
import { toAuditEntry, type AuditRow } from '../../audit-rows.js';
import type { Queryable } from '../connection.js';

const LOCK_HEAD = 'SELECT last_id AS id, hash FROM audit_head FOR UPDATE';

const INSERT_ENTRIES = `
  INSERT INTO audit (id, at, kind, actor, run_id, subject, data, prev_hash, hash)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`;

const MOVE_HEAD = 'UPDATE audit_head SET last_id = $1, hash = $2';

const READ = 'SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2';

/** Chains the entries after the head and inserts them (call inside a transaction; the head stays locked until it ends). */
export async function appendAudit(db: Queryable, inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
  const head = (await db.query<AuditHead>(LOCK_HEAD)).rows[0];
  if (head === undefined) throw new StoreCorruptError('the audit_head row is missing: the schema was altered outside Steward; restore it from a backup');
  const sealed = sealAuditEntries(head, inputs);
  await db.query(INSERT_ENTRIES, [
    sealed.map((e) => e.id),
    sealed.map((e) => e.at),
    sealed.map((e) => e.kind),
    sealed.map((e) => e.actor),
    sealed.map((e) => e.runId),
    sealed.map((e) => e.subject),
    sealed.map((e) => canonicalJson(e.data)),
    sealed.map((e) => e.prevHash),
    sealed.map((e) => e.hash),
  ]);
  const last = sealed[sealed.length - 1];
  if (last !== undefined) await db.query(MOVE_HEAD, [last.id, last.hash]);
  return sealed;
}

/** Audit entries after a cursor, oldest first. */
export async function readAudit(db: Queryable, query: AuditQuery): Promise<AuditEntry[]> {
  return (await db.query<AuditRow>(READ, [query.after, query.limit])).rows.map(toAuditEntry);
}
