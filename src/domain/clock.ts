/** Sources of time and identity, injectable so that tests are deterministic. */
import { randomBytes, randomUUID } from 'node:crypto';

/** Where Steward reads the time from. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Where Steward takes new identifiers and random numbers from. */
export interface IdSource {
  runId(): string;
  uuid(): string;
  random(): number;
}

// random bytes drawn in blocks: one system call per 256 ids instead of one per id
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

function randomHex(chars: number): string {
  const bytes = chars / 2;
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Run ids sort by creation time: a 48-bit millisecond timestamp, a counter within the millisecond, then randomness.
 * Runs created together get neighbouring ids, so the indexes keyed by run id (steps, events) take the writes of a
 * batch on a few pages instead of one page per run.
 */
export const systemIds: IdSource = {
  runId(): string {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      counter = 0;
    } else if (++counter > 0xffff) {
      // more than 65,536 ids in one millisecond: borrow the next one
      lastMs += 1;
      counter = 0;
    }
    return `run_${lastMs.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomHex(12)}`;
  },
  uuid: () => randomUUID(),
  random: () => Math.random(),
};

let lastMs = 0;
let counter = 0;
