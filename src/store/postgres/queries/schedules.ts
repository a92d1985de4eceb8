/** Schedule ticks: each tick is claimed by one caller across every process (the row update decides). */
import type { Queryable } from '../connection.js';

const UPSERT = `
  INSERT INTO schedules (name, cron, workflow, updated_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, workflow = excluded.workflow`;

const TICK = `
  UPDATE schedules SET last_tick_at = $1, updated_at = $2 WHERE name = $3 AND (last_tick_at IS NULL OR last_tick_at < $1)`;

const LAST_TICK = 'SELECT last_tick_at FROM schedules WHERE name = $1';

/** Records the tick if it is newer than the last one (call inside a transaction); true when this caller claimed it. */
export async function claimScheduleTick(db: Queryable, name: string, cron: string, workflow: string, tickAt: number, now: number): Promise<boolean> {
  await db.query(UPSERT, [name, cron, workflow, now]);
  return ((await db.query(TICK, [tickAt, now, name])).rowCount ?? 0) > 0;
}

/** The last tick claimed, or null. */
export async function lastScheduleTick(db: Queryable, name: string): Promise<number | null> {
  return (await db.query<{ last_tick_at: number | null }>(LAST_TICK, [name])).rows[0]?.last_tick_at ?? null;
}
