/**
 * How the CLI reports failure: one line on standard error, `error: <message> [<CODE>]`, and an exit code —
 * 2 when the command line itself is wrong, 1 for everything that went wrong while doing what it asked.
 */
import { ErrorCodes, StewardError } from '../errors.js';

export { UsageError } from '../errors.js';

/** The exit code of a command line that could not be understood. */
export const EXIT_USAGE = 2;

/** The exit code of a command that was understood but failed. */
export const EXIT_FAILURE = 1;

/** The exit code for an error, decided by its code. */
export function exitCodeFor(error: unknown): number {
  return codeOf(error) === ErrorCodes.USAGE ? EXIT_USAGE : EXIT_FAILURE;
}

/** The one line the CLI prints for an error. */
export function formatErrorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const known = codeOf(error) !== ErrorCodes.INTERNAL;
  const text = known ? message : `unexpected failure: ${message} (set STEWARD_DEBUG=1 to print the stack)`;
  return `error: ${oneLine(text)} [${codeOf(error)}]`;
}

function codeOf(error: unknown): string {
  if (error instanceof StewardError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('STEWARD_') ? code : ErrorCodes.INTERNAL;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
