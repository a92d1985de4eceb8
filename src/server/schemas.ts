/**
 * The shapes the API answers with, as zod schemas: what the OpenAPI document shows of runs, steps, approvals,
 * controls, components, audit entries and tokens. Records list their main fields; clients ignore fields they do not know.
 */
import { z } from 'zod';
import { RUN_STATUSES } from '../domain/run.js';

const principal = z.string().describe('a principal, e.g. User::"alice"');
const epochMs = z.number().int().describe('epoch milliseconds');
const hash = z.string().describe('sha256, lowercase hex');

/** A Steward error as stored on a run or a step. */
export const serializedErrorSchema = z.object({ code: z.string(), name: z.string(), message: z.string() });

/** A run as stored. */
export const runSchema = z.object({
  id: z.string(),
  workflow: z.string(),
  workflowVersion: z.string(),
  input: z.unknown(),
  status: z.enum(RUN_STATUSES),
  mode: z.enum(['apply', 'plan']),
  subject: principal.nullable(),
  goal: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  queue: z.string(),
  priority: z.number().int(),
  output: z.unknown(),
  error: z.unknown().describe('the error the run failed with, or null'),
  waitKind: z.string().nullable(),
  waitRef: z.string().nullable(),
  createdAt: epochMs,
  startedAt: epochMs.nullable(),
  updatedAt: epochMs,
  finishedAt: epochMs.nullable(),
});

/** A step of a run as recorded. */
export const stepSchema = z.object({
  runId: z.string(),
  seq: z.number().int(),
  kind: z.string(),
  name: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  result: z.unknown(),
  error: z.unknown(),
  startedAt: epochMs,
  finishedAt: epochMs.nullable(),
});

/** An event of the events table. */
export const eventSchema = z.object({ id: z.number().int(), runId: z.string().nullable(), type: z.string(), data: z.record(z.string(), z.unknown()), at: epochMs });

/** An approval request. */
export const approvalSchema = z.object({
  id: z.string(),
  runId: z.string(),
  seq: z.number().int(),
  action: z.string(),
  category: z.string(),
  resource: z.string(),
  plan: z.unknown(),
  planHash: hash,
  requester: principal.nullable(),
  reasons: z.array(z.string()),
  status: z.enum(['pending', 'approved', 'denied', 'expired']),
  decidedBy: principal.nullable(),
  reason: z.string().nullable(),
  decidedAt: epochMs.nullable(),
  createdAt: epochMs,
  expiresAt: epochMs,
});

/** The kill switch. */
export const killSwitchSchema = z.object({ on: z.boolean(), by: principal.nullable(), reason: z.string().nullable(), at: epochMs.nullable() });

/** The start of a run: its id, whether it is new, and the run. */
export const startedRunSchema = z.object({ id: z.string(), created: z.boolean(), run: runSchema });

/** A component's operator control (paused or not, by whom). */
export const componentControlSchema = z.object({
  domain: z.string(),
  key: z.string(),
  paused: z.boolean(),
  by: principal.nullable(),
  reason: z.string().nullable(),
  updatedAt: epochMs,
});

/** What a worker reported of one of its components. */
export const componentReportSchema = z.object({
  worker: z.string(),
  domain: z.string(),
  key: z.string(),
  provider: z.string().nullable(),
  state: z.string(),
  inFlight: z.number().int(),
  reportedAt: epochMs,
});

/** One swap of a component. */
export const swapRecordSchema = z.object({
  domain: z.string(),
  key: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  trigger: z.enum(['swap', 'first-use']),
  outcome: z.enum(['swapped', 'rolled-back', 'vetoed']),
  stage: z.enum(['hook', 'factory', 'health']).nullable(),
  reason: z.string().nullable(),
  startedAt: epochMs,
  endedAt: epochMs,
  drained: z.boolean(),
  usesLeftInFlight: z.number().int(),
  disposeError: z.string().nullable(),
  hookErrors: z.array(z.string()),
});

/** A health report of a component. */
export const healthReportSchema = z.object({
  domain: z.string(),
  key: z.string(),
  state: z.string(),
  provider: z.string().nullable(),
  healthy: z.boolean().nullable(),
  reason: z.string().nullable(),
  checkedAt: epochMs.nullable(),
  probed: z.boolean(),
  inFlight: z.number().int(),
});

/** An audit entry: its place in the chain (`seq`, the same as `id`) and the hash that seals it. */
export const auditEntrySchema = z.object({
  id: z.number().int(),
  seq: z.number().int(),
  at: epochMs,
  kind: z.string(),
  actor: principal.nullable(),
  runId: z.string().nullable(),
  subject: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  prevHash: hash,
  hash,
});

/** A token as shown: never its secret or its hash. */
export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  principal,
  roles: z.array(z.string()),
  createdAt: epochMs,
  createdBy: principal.nullable(),
  lastUsedAt: epochMs.nullable(),
  revokedAt: epochMs.nullable(),
});
