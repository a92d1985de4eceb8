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

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Run ids sort by creation time (48-bit millisecond timestamp, then randomness), so listings and logs read in order.
 */
export const systemIds: IdSource = {
  runId(): string {
    const time = Date.now().toString(16).padStart(12, '0');
    return `run_${time}${randomBytes(8).toString('hex')}`;
  },
  uuid: () => randomUUID(),
  random: () => Math.random(),
};
