/** The structured logger (pino, JSON lines). Log records about a run carry `runId`. */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { Redactor, redactForLog } from '../audit/redactor.js';

export type { Logger } from 'pino';

/** Options for the default logger. */
export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where log lines go (default: standard error, so that standard output stays for command results). */
  destination?: NodeJS.WritableStream;
  /** What keeps secrets out of log lines (share the audit log's to redact its registered values too); default: secret key names only. */
  redactor?: Redactor;
}

/**
 * Creates Steward's logger: JSON to standard error at `STEWARD_LOG_LEVEL` (default info). Every record is redacted
 * (values under secret keys, registered secret values in the message and the fields) before it is written.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.STEWARD_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const redactor = options.redactor ?? new Redactor();
  return pino(
    {
      name: 'steward',
      level,
      base: { pid: process.pid },
      formatters: { log: (record) => redactForLog(record, redactor) },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((arg: unknown) => (typeof arg === 'string' ? redactor.redactString(arg) : arg));
          return method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
