/** The store's reads: a run, a page of runs, a run's steps, events by cursor, and when a run next becomes claimable. */
import type { EventRecord, RunRecord, StepRecord } from '../../../domain/run.js';
import type { EventQuery, RunFilter, RunPage } from '../../store.js';
import type { Queryable } from '../connection.js';
import { toEvent, toRun, toStep, type EventRow, type RunRow, type StepRow } from '../../rows.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';

const RUN_BY_ID = 'SELECT * FROM runs WHERE id = $1';

const LIST_RUNS = `
  SELECT * FROM runs
  WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
    AND ($2::text IS NULL OR workflow = $2)
    AND ($3::text IS NULL OR queue = $3)
    AND ($4::text IS NULL OR parent_id = $4)
    AND ($5::bigint IS NULL OR seq < $5)
  ORDER BY seq DESC LIMIT $6`;

const STEPS = 'SELECT * FROM steps WHERE run_id = $1 ORDER BY seq';
const HORIZON = 'SELECT events_horizon() AS horizon';
const EVENTS = 'SELECT id, run_id, type, data, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2';
const RUN_EVENTS = 'SELECT id, run_id, type, data, created_at FROM events WHERE run_id = $3 AND id > $1 ORDER BY id LIMIT $2';

// a dead worker's lease expiring makes its run claimable too
const NEXT_RUNNABLE = `
  SELECT least(
    (SELECT min(lease_expires_at) FROM runs WHERE status = 'running'),
    (SELECT min(runnable_at) FROM runs WHERE queue = ANY($1::text[]) AND runnable_at IS NOT NULL)
  ) AS next`;

/** A run, or null. */
export async function getRun(db: Queryable, id: string): Promise<RunRecord | null> {
  const row = (await db.query<RunRow>(RUN_BY_ID, [id])).rows[0];
  return row ? toRun(row) : null;
}

/** A page of runs, newest first. */
export async function listRuns(db: Queryable, filter: RunFilter): Promise<RunPage> {
  const statuses = filter.status === undefined ? null : Array.isArray(filter.status) ? [...filter.status] : [filter.status];
  const before = filter.cursor === undefined ? null : decodeCursor(filter.cursor);
  const rows = (
    await db.query<RunRow>(LIST_RUNS, [statuses, filter.workflow ?? null, filter.queue ?? null, filter.parentId ?? null, before, filter.limit + 1])
  ).rows;
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return { runs: page.map(toRun), nextCursor: rows.length > filter.limit && last ? encodeCursor(last.seq) : null };
}

/** A run's steps in order. */
export async function listSteps(db: Queryable, runId: string): Promise<StepRecord[]> {
  return (await db.query<StepRow>(STEPS, [runId])).rows.map(toStep);
}

/** Events read by cursor: those no event can appear below any more, and whether later ones are visible already. */
export interface SettledEvents {
  events: EventRecord[];
  /** Events past the horizon were visible: transactions still open may add events below them, soon. */
  unsettled: boolean;
}

/**
 * Events after a cursor, oldest first, up to the horizon below which no event can appear any more (see
 * events_horizon in the schema). The horizon is read first, in a statement of its own, so that every event below
 * it that will ever exist is visible to the read that follows.
 */
export async function readSettledEvents(db: Queryable, query: EventQuery): Promise<SettledEvents> {
  const horizon = (await db.query<{ horizon: number | null }>(HORIZON)).rows[0]?.horizon ?? 0;
  const rows =
    query.runId === undefined
      ? (await db.query<EventRow>(EVENTS, [query.after, query.limit])).rows
      : (await db.query<EventRow>(RUN_EVENTS, [query.after, query.limit, query.runId])).rows;
  const settled = rows.filter((row) => row.id <= horizon);
  return { events: settled.map(toEvent), unsettled: settled.length < rows.length };
}

/** The earliest time a run of these queues becomes claimable, or null. */
export async function nextRunnableAt(db: Queryable, queues: readonly string[]): Promise<number | null> {
  return (await db.query<{ next: number | null }>(NEXT_RUNNABLE, [queues])).rows[0]?.next ?? null;
}
