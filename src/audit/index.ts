/**
 * The audit log: privileged decisions appended to a hash chain, and the redaction that keeps secrets out of it and
 * out of the logs.
 *
 * - canonical-json.ts: RFC 8785 canonical JSON, the bytes an entry's hash is taken over;
 * - chain.ts: an entry's hash and `verifyChain`, which names the first broken entry;
 * - redactor.ts: secret-looking keys and registered secret values become "[redacted]";
 * - audit-log.ts: redacts, then appends through the Store (which chains the entries in its transaction).
 *
 * The hashing itself lives beside the store (src/store/audit-chain.ts), since the store computes the chain inside
 * its transaction and may not import this layer; it is re-exported here.
 */
export { canonicalJson } from './canonical-json.js';
export { verifyChain, describeVerdict, hashAuditEntry, GENESIS_HASH, CHAIN_START } from './chain.js';
export type { ChainVerdict, ChainBreak, ChainStart } from './chain.js';
export { Redactor, redactForLog, REDACTED, DEFAULT_SECRET_KEYS, MIN_SECRET_LENGTH } from './redactor.js';
export type { RedactorOptions } from './redactor.js';
export { AuditLog } from './audit-log.js';
export type { AuditRecord, AuditLogOptions } from './audit-log.js';
export type { AuditEntry, AuditInput, AuditQuery } from '../store/store.js';
