/** Parsing of option values given on the command line: numbers, lists and JSON, each checked with zod. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from './cli-errors.js';

/** Parses a whole number option within bounds; a bad value is a `UsageError` naming the flag. */
export function parseInteger(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(value.trim() === '' ? Number.NaN : value);
  if (!parsed.success) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${value}"`);
  return parsed.data;
}

/** Splits a comma-separated option into its non-empty parts. */
export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** Parses a list option whose parts must come from `allowed`. */
export function parseChoices<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] | undefined {
  const parts = parseList(value);
  if (parts === undefined) return undefined;
  const schema = z.array(z.enum(allowed as [T, ...T[]])).min(1);
  const parsed = schema.safeParse(parts);
  if (!parsed.success) throw new UsageError(`${flag} takes a comma-separated list of ${allowed.join(', ')}; got "${value}"`);
  return parsed.data;
}

/** Parses a JSON option, or reads it from a file when it starts with `@` (`--input @input.json`). */
export function parseJsonOption(flag: string, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  let text = value;
  let source = `${flag}`;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    source = `${flag} ${value}`;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new UsageError(`${source}: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new UsageError(
      `${source} is not valid JSON (${(cause as Error).message}); quote it for the shell, e.g. ${flag} '{"name":"world"}', or pass ${flag} @file.json`,
      { cause },
    );
  }
}
