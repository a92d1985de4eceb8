/** The bearer tokens of the HTTP API: only the sha256 of a secret is stored. */
import type { ApiToken, AuditInput, ControlChange } from '../../store.js';
import { toApiToken, type ApiTokenRow } from '../../token-rows.js';
import type { Queryable } from '../connection.js';
import { appendAudit } from './audit.js';

const INSERT = `
  INSERT INTO api_tokens (id, name, token_hash, principal, roles, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
  RETURNING *`;
const BY_HASH = 'SELECT * FROM api_tokens WHERE token_hash = $1';
const BY_ID = 'SELECT * FROM api_tokens WHERE id = $1';
const LIST = 'SELECT * FROM api_tokens ORDER BY created_at, id';
const REVOKE = 'UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING *';
const TOUCH = 'UPDATE api_tokens SET last_used_at = $1 WHERE id = $2';

/** Stores a token (call inside a transaction). */
export async function createToken(db: Queryable, token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'>, audit: AuditInput | null): Promise<ApiToken> {
  const row = (
    await db.query<ApiTokenRow>(INSERT, [token.id, token.name, token.tokenHash, token.principal, JSON.stringify(token.roles), token.createdAt, token.createdBy])
  ).rows[0]!;
  if (audit !== null) await appendAudit(db, [audit]);
  return toApiToken(row);
}

export async function findTokenByHash(db: Queryable, hash: string): Promise<ApiToken | null> {
  const row = (await db.query<ApiTokenRow>(BY_HASH, [hash])).rows[0];
  return row === undefined ? null : toApiToken(row);
}

export async function listTokens(db: Queryable): Promise<ApiToken[]> {
  return (await db.query<ApiTokenRow>(LIST)).rows.map(toApiToken);
}

/** Revokes a token once (call inside a transaction); the audit entry is appended only when it was revoked now. */
export async function revokeToken(db: Queryable, id: string, change: ControlChange, audit: AuditInput | null): Promise<ApiToken | null> {
  const revoked = (await db.query<ApiTokenRow>(REVOKE, [change.now, id])).rows[0];
  if (revoked !== undefined) {
    if (audit !== null) await appendAudit(db, [audit]);
    return toApiToken(revoked);
  }
  const row = (await db.query<ApiTokenRow>(BY_ID, [id])).rows[0];
  return row === undefined ? null : toApiToken(row);
}

export async function touchToken(db: Queryable, id: string, now: number): Promise<void> {
  await db.query(TOUCH, [now, id]);
}
