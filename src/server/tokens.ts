/**
 * Bearer tokens of the HTTP API: a secret `stw_` + 32 random bytes (base64url) shown once, stored only as its sha256,
 * and mapped to a Cedar principal with roles. Creation and revocation are audited (`token.created`, `token.revoked`).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, TokenNotFoundError, ValidationError, formatIssues } from '../errors.js';
import { Redactor } from '../audit/redactor.js';
import { parsePrincipalText, PRINCIPAL_TYPES } from '../policy/request.js';
import type { ApiToken, Store } from '../store/store.js';

/** The prefix of every token secret, so that scanners and people recognise one. */
export const TOKEN_PREFIX = 'stw_';

const redactor = new Redactor();

/** A new token secret: the prefix and 32 random bytes, base64url. */
export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The sha256 of a secret, lowercase hex: what the store keeps. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Equal hashes, compared in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

const createSchema = z
  .object({
    principal: z
      .string()
      .min(1)
      .max(256)
      .refine((text) => parsePrincipalText(text) !== null, `a principal is written Type::"id" with Type one of ${PRINCIPAL_TYPES.join(', ')}, e.g. User::"alice"`),
    roles: z.array(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'a role is 1–64 letters, digits, . _ : -')).max(32).default([]),
    name: z.string().min(1).max(200).optional(),
    by: z.string().min(1).max(256).nullable().default(null),
    /** A secret chosen by the operator (e.g. `STEWARD_ADMIN_TOKEN`) instead of a random one. */
    secret: z
      .string()
      .min(24, 'a chosen token secret has at least 24 characters: make one with `openssl rand -base64 32`')
      .max(512)
      .regex(/^[\x21-\x7e]+$/, 'a token secret is printable ASCII without spaces')
      .optional(),
  })
  .strict();

/** What `createApiToken` takes. */
export type NewApiToken = z.input<typeof createSchema>;

/** A token as created: the record (without the hash) and the secret, which is never shown again. */
export interface CreatedApiToken {
  token: PublicApiToken;
  secret: string;
}

/** A token as shown to people and over the API: everything but its hash. */
export type PublicApiToken = Omit<ApiToken, 'tokenHash'>;

/** The token without its hash. */
export function publicToken(token: ApiToken): PublicApiToken {
  const { tokenHash: _hash, ...rest } = token;
  return rest;
}

/** Creates a token for a principal with roles, audited as `token.created` (the secret is not in the audit). */
export async function createApiToken(store: Store, input: NewApiToken, now: number = Date.now()): Promise<CreatedApiToken> {
  const parsed = createSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`invalid token: ${formatIssues(parsed.error.issues, 'token')}`);
  const principal = parsePrincipalText(parsed.data.principal)!;
  const principalText = `${principal.type}::${JSON.stringify(principal.id)}`;
  const roles = [...new Set(parsed.data.roles)].sort();
  const id = `tok_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  const secret = parsed.data.secret ?? newTokenSecret();
  const name = parsed.data.name ?? `${principalText} token`;
  const token = await store.createToken(
    { id, name, tokenHash: hashTokenSecret(secret), principal: principalText, roles, createdAt: now, createdBy: parsed.data.by },
    { kind: 'token.created', at: now, actor: parsed.data.by, runId: null, subject: principalText, data: { tokenId: id, name, roles } },
  );
  return { token: publicToken(token), secret };
}

/**
 * Revokes a token, audited as `token.revoked` the first time (with its id in the clear: it names the token, it is not
 * the secret; the reason is redacted like any free text); `TokenNotFoundError` for an unknown id. */
export async function revokeApiToken(store: Store, id: string, change: { by: string | null; reason: string | null }, now: number = Date.now()): Promise<PublicApiToken> {
  const token = await store.revokeToken(
    id,
    { ...change, now },
    { kind: 'token.revoked', at: now, actor: change.by, runId: null, subject: null, data: { tokenId: id, ...(redactor.redact({ reason: change.reason }) as Record<string, unknown>) } },
  );
  if (token === null) throw new TokenNotFoundError(id);
  return publicToken(token);
}

/** The principal of the admin token `steward up` makes on its first start. */
export const ADMIN_PRINCIPAL = 'User::"admin"';

/** How `steward up` found its admin token. */
export type AdminTokenBootstrap =
  /** Made now with a random secret: print it once. */
  | { kind: 'created'; token: PublicApiToken; secret: string }
  /** `STEWARD_ADMIN_TOKEN`, stored now or already. */
  | { kind: 'from-env'; token: PublicApiToken; created: boolean }
  /** An admin token exists already: its secret is not known any more. */
  | { kind: 'existing'; admins: number };

/**
 * Makes sure someone can log in to a fresh server: the token `STEWARD_ADMIN_TOKEN` names (stored with role admin the
 * first time it is seen), else, when the store has no active admin token, a new one whose secret is shown once.
 */
export async function ensureAdminToken(store: Store, env: NodeJS.ProcessEnv = process.env, now: number = Date.now()): Promise<AdminTokenBootstrap> {
  const chosen = env.STEWARD_ADMIN_TOKEN;
  if (chosen !== undefined && chosen !== '') {
    const found = await store.findTokenByHash(hashTokenSecret(chosen));
    if (found !== null) {
      if (found.revokedAt !== null) {
        throw new ConfigError(`STEWARD_ADMIN_TOKEN names token ${found.id}, which was revoked: set another secret, or unset it to make a new admin token`);
      }
      return { kind: 'from-env', token: publicToken(found), created: false };
    }
    try {
      const created = await createApiToken(store, { principal: ADMIN_PRINCIPAL, roles: ['admin'], name: 'admin (STEWARD_ADMIN_TOKEN)', by: null, secret: chosen }, now);
      return { kind: 'from-env', token: created.token, created: true };
    } catch (error) {
      if (error instanceof ValidationError) throw new ConfigError(`STEWARD_ADMIN_TOKEN is not usable: ${error.message.replace(/^invalid token: /, '')}`);
      throw error;
    }
  }
  const admins = (await store.listTokens()).filter((token) => token.revokedAt === null && token.roles.includes('admin')).length;
  if (admins > 0) return { kind: 'existing', admins };
  const created = await createApiToken(store, { principal: ADMIN_PRINCIPAL, roles: ['admin'], name: 'admin (first start)', by: null }, now);
  return { kind: 'created', ...created };
}
