/** The bearer tokens of this API, for admins: list (never secrets), create (the secret shown once), revoke. */
import { z } from 'zod';
import { parsePrincipalText, PRINCIPAL_TYPES } from '../../policy/request.js';
import { createApiToken, publicToken, revokeApiToken } from '../tokens.js';
import { defineRoute, type RouteDefinition } from '../route.js';
import { tokenSchema } from '../schemas.js';

const createBody = z
  .object({
    principal: z
      .string()
      .min(1)
      .max(256)
      .refine((text) => parsePrincipalText(text) !== null, `a principal is written Type::"id" with Type one of ${PRINCIPAL_TYPES.join(', ')}, e.g. User::"alice"`)
      .describe('who the token speaks for, e.g. User::"alice" or Service::"ci"'),
    roles: z
      .array(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'a role is 1–64 letters, digits, . _ : -'))
      .max(32)
      .describe('roles for policy: viewer, operator, approver, admin'),
    name: z.string().min(1).max(200).optional().describe('what the token is for'),
  })
  .strict();
const idParams = z.object({ id: z.string().min(1).max(200).describe('the token id (tok_…)') });
const revokeBody = z.object({ reason: z.string().max(2000).optional().describe('why (recorded in the audit log)') }).strict();

const TAGS = ['tokens'];

/** The token routes; creation and revocation are audited with the caller as the actor. */
export const tokenRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/tokens',
    access: 'admin',
    tags: TAGS,
    summary: 'Every token, oldest first, without secrets or hashes',
    response: z.object({ tokens: z.array(tokenSchema) }),
    handler: async ({ steward }) => ({ tokens: (await steward.store.listTokens()).map(publicToken) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tokens',
    access: 'admin',
    tags: TAGS,
    summary: 'Make a token; its secret is in this answer only',
    body: createBody,
    response: z.object({ token: tokenSchema, secret: z.string().describe('stw_…: send it as Authorization: Bearer …; it is never shown again') }),
    status: 201,
    handler: async ({ steward, body, caller }) =>
      createApiToken(steward.store, { principal: body.principal, roles: body.roles, by: caller.principal, ...(body.name === undefined ? {} : { name: body.name }) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tokens/:id/revoke',
    access: 'admin',
    tags: TAGS,
    summary: 'Revoke a token at once: requests with it are refused from then on',
    params: idParams,
    body: revokeBody,
    response: tokenSchema,
    errors: [404],
    handler: async ({ steward, params, body, caller }) => revokeApiToken(steward.store, params.id, { by: caller.principal, reason: body.reason ?? null }),
  }),
];
