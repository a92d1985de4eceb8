/** The rows of `api_tokens`, the same in both stores, and their mapping. */
import type { ApiToken } from './store.js';

/** An `api_tokens` row (PostgreSQL answers bigints as strings unless parsed; the store parses them). */
export interface ApiTokenRow {
  id: string;
  name: string;
  token_hash: string;
  principal: string;
  roles: string;
  created_at: number | string;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
  created_by: string | null;
}

const time = (value: number | string | null): number | null => (value === null ? null : Number(value));

export function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    tokenHash: row.token_hash,
    principal: row.principal,
    roles: JSON.parse(row.roles) as string[],
    createdAt: Number(row.created_at),
    lastUsedAt: time(row.last_used_at),
    revokedAt: time(row.revoked_at),
    createdBy: row.created_by,
  };
}
