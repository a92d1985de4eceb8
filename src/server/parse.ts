/** Checks a request's params, query or body with zod; a misfit is a `ValidationError` naming each field. */
import type { z } from 'zod';
import { ValidationError, formatIssues } from '../errors.js';

/** The parsed value, or `ValidationError` (HTTP 400) naming the fields, rooted at `body`, `query` or `params`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root: 'body' | 'query' | 'params'): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new ValidationError(`invalid request ${root}: ${formatIssues(parsed.error.issues, root)}`);
  return parsed.data;
}
