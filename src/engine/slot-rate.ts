/**
 * How fast a worker's slots free up, smoothed over short windows. Each freed slot takes a held run, so the worker
 * holds ready about as many runs as its slots free in a few milliseconds: enough that a freed slot never waits on
 * the store while runs are short, and none held back from other workers while runs are long.
 */
import { performance } from 'node:perf_hooks';

/** Length of one measuring window. */
const WINDOW_MS = 10;

/** Slots freed per millisecond, an average that halves the weight of each older window. */
export class SlotRate {
  private count = 0;
  private windowStart = performance.now();
  private perMs = 0;

  /** Counts one freed slot. */
  mark(): void {
    this.count += 1;
    this.roll();
  }

  /** Slots expected to free in the next `ms` milliseconds at the recent pace. */
  expectedIn(ms: number): number {
    this.roll();
    return this.perMs * ms;
  }

  private roll(): void {
    const now = performance.now();
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    const sample = this.count / elapsed;
    this.perMs = (this.perMs + sample) / 2;
    this.count = 0;
    this.windowStart = now;
  }
}
