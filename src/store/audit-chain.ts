/**
 * The audit chain's arithmetic: RFC 8785 canonical JSON, and an entry's hash over the previous hash and the entry's
 * canonical form. It sits beside the stores because they seal entries inside their own transactions; src/audit
 * re-exports it and adds the chain check.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { AuditEntry, AuditInput } from './store.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The last entry of a chain as the next one needs it: its id (0 when empty) and hash. */
export interface AuditHead {
  id: number;
  hash: string;
}

/** The head of an empty chain. */
export const EMPTY_HEAD: AuditHead = { id: 0, hash: GENESIS_HASH };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Serialises a JSON value per RFC 8785 (JCS): object keys sorted by their UTF-16 code units, numbers as ECMAScript
 * prints them, strings escaped as JSON.stringify does, no whitespace. Refuses what has no single JSON form:
 * non-finite numbers, bigints, lone surrogates, undefined in arrays, and objects other than plain ones and arrays.
 * Properties whose value is undefined are left out, as JSON.stringify leaves them out.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `is ${String(value)}`);
      // ECMAScript's Number-to-String is what RFC 8785 prescribes; JSON.stringify applies it (and prints -0 as 0)
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw notJson(path, 'holds a lone UTF-16 surrogate');
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw notJson(path, `is a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => (item === undefined ? missing(`${path}[${i}]`) : write(item, `${path}[${i}]`))).join(',')}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw notJson(path, `is a ${(value as object).constructor?.name ?? 'class instance'}, not a plain object`);
  const record = value as Record<string, unknown>;
  // Array.prototype.sort compares strings by UTF-16 code units, the order RFC 8785 asks for
  const keys = Object.keys(record).sort();
  const members: string[] = [];
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    members.push(`${write(key, `${path}.${key}`)}:${write(item, `${path}.${key}`)}`);
  }
  return `{${members.join(',')}}`;
}

function missing(path: string): never {
  throw notJson(path, 'is undefined');
}

function notJson(path: string, why: string): ValidationError {
  return new ValidationError(`${path} ${why}, which has no canonical JSON form: pass plain JSON values`);
}

/** The part of an entry its hash covers: everything but the hash. */
function hashedBody(entry: Omit<AuditEntry, 'hash'>): Omit<AuditEntry, 'hash'> {
  const { id, at, kind, actor, runId, subject, data, prevHash } = entry;
  return { id, at, kind, actor, runId, subject, data, prevHash };
}

/** sha256(prevHash ‖ canonical JSON of the entry without its hash), lowercase hex. */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(entry.prevHash, 'utf8').update(canonicalJson(hashedBody(entry)), 'utf8').digest('hex');
}

/** Checks an entry to append, so that a store refuses it before writing anything. */
function checkInput(input: AuditInput, index: number): void {
  const where = `audit entry [${index}]`;
  if (typeof input.kind !== 'string' || input.kind.length === 0) throw new ValidationError(`${where}: kind must be a non-empty string`);
  if (!Number.isSafeInteger(input.at) || input.at < 0) throw new ValidationError(`${where}: at must be epoch milliseconds`);
  for (const field of ['actor', 'runId', 'subject'] as const) {
    const value = input[field];
    if (value !== null && typeof value !== 'string') throw new ValidationError(`${where}: ${field} must be a string or null`);
  }
  if (typeof input.data !== 'object' || input.data === null || Array.isArray(input.data)) {
    throw new ValidationError(`${where}: data must be a JSON object`);
  }
}

/**
 * Chains new entries after `head`: numbers them, links each to the one before and seals it. The data is stored and
 * returned in its canonical form, so that the entry read back hashes the same. Throws before anything is written
 * when an entry is not valid.
 */
export function sealAuditEntries(head: AuditHead, inputs: readonly AuditInput[]): AuditEntry[] {
  inputs.forEach(checkInput);
  const sealed: AuditEntry[] = [];
  let prev = head;
  for (const input of inputs) {
    const data = JSON.parse(canonicalJson(input.data)) as Record<string, unknown>;
    const body = { id: prev.id + 1, at: input.at, kind: input.kind, actor: input.actor, runId: input.runId, subject: input.subject, data, prevHash: prev.hash };
    const entry: AuditEntry = { ...body, hash: hashAuditEntry(body) };
    sealed.push(entry);
    prev = entry;
  }
  return sealed;
}
