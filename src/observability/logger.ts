/** The structured logger (pino, JSON lines). Log records about a run carry `runId`. */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Options for the default logger. */
export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where log lines go (default: standard error, so that standard output stays for command results). */
  destination?: NodeJS.WritableStream;
}

/** Creates Steward's logger: JSON to standard error at `STEWARD_LOG_LEVEL` (default info). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.STEWARD_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  return pino(
    { name: 'steward', level, base: { pid: process.pid } },
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
