/**
 * Claiming runs for a worker, in one transaction: first runs whose lease expired (their worker died), then runnable
 * runs queue by queue, highest priority first and oldest first within a priority, skipping rows other claimers hold
 * (FOR UPDATE SKIP LOCKED). For a queue with a concurrency limit, claimers take turns on the queue's row and count
 * its running runs under that lock, so that the limit holds across every process and machine.
 */
import type { ClaimRequest } from '../../store.js';
import type { Queryable } from '../connection.js';
import type { RunRow, StepRow } from '../../rows.js';

/** A claimed run's row and its steps (none for a first claim). */
export interface ClaimedRow {
  row: RunRow;
  steps: StepRow[];
}

const RECLAIM_EXPIRED = `
  WITH expired AS (
    SELECT seq, lease_owner FROM runs
    WHERE status = 'running' AND lease_expires_at <= $3 AND queue = ANY($4::text[]) AND workflow = ANY($5::text[])
    ORDER BY seq LIMIT $6
    FOR UPDATE SKIP LOCKED
  ), reclaimed AS (
    UPDATE runs SET lease_owner = $1, lease_epoch = runs.lease_epoch + 1, lease_expires_at = $2, claims = runs.claims + 1,
      updated_at = $3
    FROM expired WHERE runs.seq = expired.seq
    RETURNING runs.*, expired.lease_owner AS previous_owner
  ), noted AS (
    INSERT INTO events (run_id, type, data, created_at)
    SELECT id, 'run.reclaimed', json_build_object('from', previous_owner, 'to', $1::text)::text, $3 FROM reclaimed
  )
  SELECT * FROM reclaimed ORDER BY seq`;

const LIMITED_QUEUES = 'SELECT name FROM queues WHERE name = ANY($1::text[]) AND concurrency IS NOT NULL';
const LOCK_QUEUE = 'SELECT concurrency FROM queues WHERE name = $1 FOR UPDATE';
const COUNT_RUNNING = `SELECT count(*)::int AS running FROM runs WHERE status = 'running' AND queue = $1`;

const CLAIM = `
  WITH picked AS (
    SELECT seq FROM runs
    WHERE queue = $1 AND runnable_at IS NOT NULL AND runnable_at <= $2 AND workflow = ANY($3::text[])
    ORDER BY priority DESC, seq LIMIT $4
    FOR UPDATE SKIP LOCKED
  )
  UPDATE runs SET status = 'running', lease_owner = $5, lease_epoch = runs.lease_epoch + 1, lease_expires_at = $6,
    runnable_at = NULL, wait_kind = NULL, wait_ref = NULL, claims = runs.claims + 1,
    started_at = coalesce(runs.started_at, $2), updated_at = $2
  FROM picked WHERE runs.seq = picked.seq
  RETURNING runs.*`;

const STEPS_OF = 'SELECT * FROM steps WHERE run_id = ANY($1::text[]) ORDER BY run_id, seq';

/**
 * The claim of a queue without a concurrency limit, in one statement (a transaction of its own): no lock on the
 * queue's row, no count. When the queue turns out to have a limit, it claims nothing and says so.
 */
const CLAIM_UNLIMITED = `
  WITH queue_limit AS (
    SELECT EXISTS (SELECT 1 FROM queues WHERE name = $1 AND concurrency IS NOT NULL) AS limited
  ), picked AS (
    SELECT seq FROM runs
    WHERE queue = $1 AND runnable_at IS NOT NULL AND runnable_at <= $2 AND workflow = ANY($3::text[])
      AND NOT (SELECT limited FROM queue_limit)
    ORDER BY priority DESC, seq LIMIT $4
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE runs SET status = 'running', lease_owner = $5, lease_epoch = runs.lease_epoch + 1, lease_expires_at = $6,
      runnable_at = NULL, wait_kind = NULL, wait_ref = NULL, claims = runs.claims + 1,
      started_at = coalesce(runs.started_at, $2), updated_at = $2
    FROM picked WHERE runs.seq = picked.seq
    RETURNING runs.*
  )
  SELECT (SELECT limited FROM queue_limit) AS queue_limited, claimed.* FROM (SELECT 1) AS one LEFT JOIN claimed ON true`;

/** What the claims of queues without a limit took, and what is left for the claim in a transaction (or null). */
export interface UnlimitedClaims {
  rows: ClaimedRow[];
  rest: ClaimRequest | null;
}

/**
 * Claims from the request's queues in order, one statement per queue, while they have no concurrency limit: a
 * worker's usual claim in one round trip. At the first queue with a limit it stops, and leaves that queue and the
 * ones after it (and what is still wanted) to `claimRuns`, which takes the queue's lock.
 */
export async function claimUnlimited(db: Queryable, request: ClaimRequest): Promise<UnlimitedClaims> {
  const rows: RunRow[] = [];
  const expiresAt = request.now + request.leaseMs;
  let rest: ClaimRequest | null = null;
  for (const [index, queue] of request.queues.entries()) {
    const wanted = request.limit - rows.length;
    if (wanted <= 0) break;
    const result = await db.query<RunRow & { queue_limited: boolean }>(CLAIM_UNLIMITED, [
      queue,
      request.now,
      request.workflows,
      wanted,
      request.owner,
      expiresAt,
    ]);
    if (result.rows[0]?.queue_limited === true) {
      rest = { ...request, queues: request.queues.slice(index), limit: wanted };
      break;
    }
    const claimed = result.rows.filter((r) => r.id !== null).map(({ queue_limited: _limited, ...row }) => row as RunRow);
    rows.push(...claimed.sort((a, b) => b.priority - a.priority || a.seq - b.seq));
  }
  return { rows: await withSteps(db, rows), rest };
}

/** Each row with its recorded steps: none for a first claim, read in one query for the rest. */
async function withSteps(db: Queryable, rows: RunRow[]): Promise<ClaimedRow[]> {
  const again = rows.filter((r) => r.claims > 1).map((r) => r.id);
  const steps = new Map<string, StepRow[]>();
  if (again.length > 0) {
    for (const step of (await db.query<StepRow>(STEPS_OF, [again])).rows) {
      const list = steps.get(step.run_id);
      if (list) list.push(step);
      else steps.set(step.run_id, [step]);
    }
  }
  return rows.map((row) => ({ row, steps: steps.get(row.id) ?? [] }));
}

/** Claims runs (call inside a transaction); returns them in claim order. */
export async function claimRuns(db: Queryable, request: ClaimRequest): Promise<ClaimedRow[]> {
  const rows: RunRow[] = [];
  const expiresAt = request.now + request.leaseMs;
  if (request.reclaimExpired !== false && request.limit > 0) {
    const expired = await db.query<RunRow & { previous_owner: string | null }>(RECLAIM_EXPIRED, [
      request.owner,
      expiresAt,
      request.now,
      request.queues,
      request.workflows,
      request.limit,
    ]);
    for (const { previous_owner: _previous, ...row } of expired.rows) rows.push(row);
  }
  const limited = new Set((await db.query<{ name: string }>(LIMITED_QUEUES, [request.queues])).rows.map((r) => r.name));
  for (const queue of request.queues) {
    const wanted = request.limit - rows.length;
    if (wanted <= 0) break;
    let take = wanted;
    if (limited.has(queue)) {
      const concurrency = (await db.query<{ concurrency: number | null }>(LOCK_QUEUE, [queue])).rows[0]?.concurrency ?? null;
      if (concurrency !== null) {
        const running = (await db.query<{ running: number }>(COUNT_RUNNING, [queue])).rows[0]?.running ?? 0;
        // runs of a limited queue only for slots free now, never ahead
        const now = request.limit - (request.ahead ?? 0) - rows.length;
        take = Math.min(wanted, Math.max(0, concurrency - running), now);
      }
    }
    if (take <= 0) continue;
    const claimed = await db.query<RunRow>(CLAIM, [queue, request.now, request.workflows, take, request.owner, expiresAt]);
    rows.push(...claimed.rows.sort((a, b) => b.priority - a.priority || a.seq - b.seq));
  }
  return withSteps(db, rows);
}
