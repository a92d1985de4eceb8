#!/usr/bin/env node
/** The `steward` executable: runs the command line and turns any failure into one line and an exit code. */
import { CommanderError } from 'commander';
import { exitCodeFor, formatErrorLine, UsageError } from './cli-errors.js';
import { buildProgram } from './program.js';

/** Runs the command line and resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (thrown) {
    const error = thrown instanceof CommanderError ? fromCommander(thrown) : thrown;
    if (error === null) return 0;
    process.stderr.write(`${formatErrorLine(error)}\n`);
    if (process.env.STEWARD_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  }
}

/** Commander's own outcomes: help and version are not errors; everything else is a usage error. */
function fromCommander(error: CommanderError): UsageError | null {
  if (error.exitCode === 0) return null;
  if (error.code === 'commander.help') return new UsageError('a command is missing: pick one of the commands listed above');
  const message = error.message.replace(/^error: /, '');
  return new UsageError(`${message}; add --help to see the commands and options`);
}

// stdout closed early (`steward run logs ID | head`) is not a failure
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
