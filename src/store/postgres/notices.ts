/**
 * The payloads the schema's triggers send with pg_notify (see 0001_init.postgres.sql), read back as StoreNotices,
 * and bursts of them collapsed into the few notices a listener needs.
 */
import { RUN_STATUSES, type RunStatus } from '../../domain/run.js';
import type { StoreNotice } from '../store.js';

/** The notification channel of the tables in `schema`. */
export function channelOf(schema: string): string {
  return `steward:${schema}`;
}

const STATUSES: ReadonlySet<string> = new Set(RUN_STATUSES);

/** Reads one payload; null for one this version does not know (a newer Steward may send more kinds). */
export function parseNotification(payload: string): StoreNotice | null {
  const kind = payload.charAt(0);
  switch (kind) {
    case 'e':
      return { type: 'events' };
    case 'k':
      return { type: 'controls' };
    case 'c':
      return payload.length > 2 ? { type: 'cancel_requested', runId: payload.slice(2) } : null;
    case 'f': {
      const space = payload.indexOf(' ', 2);
      const status = payload.slice(2, space);
      if (space < 0 || !STATUSES.has(status)) return null;
      return { type: 'finished', runId: payload.slice(space + 1), status: status as RunStatus };
    }
    case 'r': {
      const match = /^r (-?\d+) (-?\d+) (.+)$/s.exec(payload);
      if (!match) return null;
      return { type: 'runnable', queue: match[3]!, at: Number(match[1]), priority: Number(match[2]) };
    }
    default:
      return null;
  }
}

/**
 * One `events` notice per burst and one `runnable` notice per queue (the earliest time, the highest priority) are
 * enough for every listener; `finished` and `cancel_requested` notices are kept, once per run.
 */
export function collapseNotices(notices: readonly StoreNotice[]): StoreNotice[] {
  const out: StoreNotice[] = [];
  const runnable = new Map<string, Extract<StoreNotice, { type: 'runnable' }>>();
  const seen = new Set<string>();
  let events = false;
  let controls = false;
  for (const notice of notices) {
    switch (notice.type) {
      case 'controls':
        controls = true;
        break;
      case 'events':
        events = true;
        break;
      case 'runnable': {
        const known = runnable.get(notice.queue);
        if (!known) runnable.set(notice.queue, { ...notice });
        else {
          known.at = Math.min(known.at, notice.at);
          if (notice.priority !== null && (known.priority === null || notice.priority > known.priority)) known.priority = notice.priority;
        }
        break;
      }
      case 'finished':
      case 'cancel_requested': {
        const key = `${notice.type}:${notice.runId}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(notice);
        }
        break;
      }
      default: {
        const never: never = notice;
        throw new Error(`unknown store notice ${JSON.stringify(never)}`);
      }
    }
  }
  // the controls first: a worker should know the kill switch is on before it hears of runs to claim
  if (controls) out.unshift({ type: 'controls' });
  out.push(...runnable.values());
  if (events) out.push({ type: 'events' });
  return out;
}
