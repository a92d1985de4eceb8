/** The audit log over HTTP: its entries page by page, and the verdict of its hash chain. */
import { z } from 'zod';
import { AuditLog } from '../../audit/audit-log.js';
import { readAuditPage } from '../../audit/audit-page.js';
import { defineRoute, type RouteDefinition } from '../route.js';
import { auditEntrySchema } from '../schemas.js';

const listQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional().describe('entries after this one (the previous page’s nextCursor); default from the start'),
    limit: z.coerce.number().int().min(1).max(1000).optional().describe('at most this many entries (default 100)'),
    runId: z.string().min(1).max(200).optional().describe('only the entries of this run'),
    kind: z.string().min(1).max(200).optional().describe('only entries of this kind, e.g. token.created'),
  })
  .strict();

const verdictSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('entries checked (up to and including a broken one)'),
  count: z.number().int(),
  head: z.string().optional().describe('the last hash, when the chain holds'),
  brokenId: z.number().int().optional().describe('the first entry that breaks the chain'),
  reason: z.enum(['hash_mismatch', 'prev_link_mismatch', 'id_gap']).optional(),
  detail: z.string().optional(),
});

const TAGS = ['audit'];

/** The audit routes. */
export const auditRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/audit',
    access: 'read',
    tags: TAGS,
    summary: 'Audit entries, oldest first, page by page',
    description: 'Pass nextCursor as `after` for the next page; it is null at the end of the log.',
    query: listQuery,
    response: z.object({ entries: z.array(auditEntrySchema), nextCursor: z.string().nullable() }),
    handler: async ({ steward, query }) => {
      const page = await readAuditPage(steward.store, {
        after: query.after ?? 0,
        limit: query.limit ?? 100,
        ...(query.runId === undefined ? {} : { runId: query.runId }),
        ...(query.kind === undefined ? {} : { kind: query.kind }),
      });
      return { entries: page.entries.map((entry) => ({ seq: entry.id, ...entry })), nextCursor: page.nextCursor };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/verify',
    access: 'read',
    tags: TAGS,
    summary: 'Recompute the hash chain and name the first broken entry',
    response: verdictSchema,
    handler: async ({ steward }) => {
      const verdict = await new AuditLog({ store: steward.store }).verify();
      return { checked: verdict.count, ...verdict };
    },
  }),
];
