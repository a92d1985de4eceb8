/** The listing cursor of both stores: the last listed run's seq, opaque to callers. */
import { ValidationError } from '../errors.js';

/** Encodes a listing cursor (the last row's seq). */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

/** The seq a cursor names; a cursor no store issued is a `ValidationError`. */
export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const seq = text.startsWith('s:') ? Number(text.slice(2)) : NaN;
  if (!Number.isSafeInteger(seq)) {
    throw new ValidationError(`cursor "${cursor}" is not one this store issued: pass the nextCursor of a previous page`);
  }
  return seq;
}
