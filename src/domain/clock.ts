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
 * Run ids sort by creation time (48-bit millisecond timestamp, then randomness), so listings and logs read in order.
 */
export const systemIds: IdSource = {
  runId(): string {
    const time = Date.now().toString(16).padStart(12, '0');
    return `run_${time}${randomHex(16)}`;
  },
  uuid: () => randomUUID(),
  random: () => Math.random(),
};
