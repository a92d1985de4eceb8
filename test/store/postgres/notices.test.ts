/** The NOTIFY payloads of the PostgreSQL schema, read back as StoreNotices and collapsed per burst. */
import { describe, expect, it } from 'vitest';
import type { StoreNotice } from '../../../src/index.js';
import { NoticeGate } from '../../../src/store/postgres/notice-gate.js';
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

describe('notices and claims in flight', () => {
  const runnable: StoreNotice = { type: 'runnable', queue: 'default', at: 1, priority: 0 };

  it('a notice that arrives while a claim is in flight is told after the claimer has taken the claim’s answer', async () => {
    const order: string[] = [];
    const gate = new NoticeGate(() => order.push('notice'));
    const claim = gate.claimStarted();
    const answered = (async () => {
      await Promise.resolve();
      gate.claimAnswered(claim);
    })();

    gate.deliver([runnable]);
    await answered.then(() => order.push('claimer took the answer'));
    expect(order).toEqual(['claimer took the answer']);
    await new Promise((resolve) => setImmediate(resolve));

    expect(order).toEqual(['claimer took the answer', 'notice']);
  });

  it('a notice waits only for the claims in flight when it arrived, not for claims started after it', async () => {
    const told: StoreNotice[][] = [];
    const gate = new NoticeGate((notices) => told.push([...notices]));
    const first = gate.claimStarted();
    gate.deliver([runnable]);
    const second = gate.claimStarted();

    gate.claimAnswered(first);
    await new Promise((resolve) => setImmediate(resolve));

    expect(told).toEqual([[runnable]]);
    gate.claimAnswered(second);
    gate.deliver([{ type: 'events' }]);
    expect(told).toEqual([[runnable], [{ type: 'events' }]]);
  });
});
