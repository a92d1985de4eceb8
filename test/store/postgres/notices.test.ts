/** The NOTIFY payloads of the PostgreSQL schema, read back as StoreNotices and collapsed per burst. */
import { describe, expect, it } from 'vitest';
import { collapseNotices, parseNotification } from '../../../src/store/postgres/notices.js';

describe('PostgreSQL notification payloads', () => {
  it('reads every kind the schema sends, queue names with spaces included', () => {
    expect(parseNotification('r 1700000000123 -5 my queue')).toEqual({ type: 'runnable', queue: 'my queue', at: 1700000000123, priority: -5 });
    expect(parseNotification('f succeeded run_1')).toEqual({ type: 'finished', runId: 'run_1', status: 'succeeded' });
    expect(parseNotification('c run_2')).toEqual({ type: 'cancel_requested', runId: 'run_2' });
    expect(parseNotification('e')).toEqual({ type: 'events' });
  });

  it('ignores payloads it does not know, as a newer Steward may send more', () => {
    expect(['x something', 'f nonsense run_1', 'r soon 1 q', 'c', ''].map(parseNotification)).toEqual([null, null, null, null, null]);
  });

  it('collapses a burst into one runnable notice per queue, one events notice, and each end once', () => {
    const burst = [
      'e', 'r 300 1 a', 'e', 'r 100 0 a', 'r 200 9 b', 'f failed run_1', 'f failed run_1', 'c run_2', 'r 150 4 a', 'e',
    ].map((p) => parseNotification(p)!);

    expect(collapseNotices(burst)).toEqual([
      { type: 'finished', runId: 'run_1', status: 'failed' },
      { type: 'cancel_requested', runId: 'run_2' },
      { type: 'runnable', queue: 'a', at: 100, priority: 4 },
      { type: 'runnable', queue: 'b', at: 200, priority: 9 },
      { type: 'events' },
    ]);
  });
});
