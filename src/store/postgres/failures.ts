/**
 * What a failure of PostgreSQL or of the connection to it means for Steward: a lost connection, a conflict worth one
 * more try, a refused status change, or (when opening) a URL that needs mending. Messages never carry the password.
 */
import {
  IllegalTransitionError,
  StewardError,
  StoreUnavailableError,
  StoreUrlError,
} from '../../errors.js';
import type { PostgresSettings } from './settings.js';

/** Node socket codes of a connection that failed or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** Messages of the driver (pg, pg-pool) for a connection that failed, broke or timed out. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'the database system is',
];

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether the error says the server cannot be reached or the connection broke (rather than a statement being
 * refused): socket errors, the driver's connection errors, class 08 (connection exception), and the server shutting
 * down, starting up or out of connection slots.
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  if (SOCKET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') {
    return true;
  }
  const message = messageOf(error);
  return DRIVER_MESSAGES.some((m) => message.includes(m));
}

/** Whether a transaction was rolled back by a deadlock or a serialization conflict, so that running it again may succeed. */
export function isTransientConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40P01' || code === '40001';
}

/** Where in an operation the connection failed: before anything was sent, or while the operation was under way. */
export type FailurePoint = 'connecting' | 'during';

/** The error an operation rejects with when PostgreSQL cannot be reached. */
export function unreachableError(settings: PostgresSettings, error: unknown, point: FailurePoint): StoreUnavailableError {
  const reason = describeConnectionFailure(error);
  const outcome =
    point === 'connecting'
      ? 'nothing was done'
      : 'the operation may or may not have been applied (a write that committed stays committed)';
  return new StoreUnavailableError(
    `PostgreSQL store ${settings.location} is unreachable (${reason}); ${outcome}. ` +
      `Retry once the database is back: the store reconnects by itself`,
    { cause: error, details: { location: settings.location } },
  );
}

function describeConnectionFailure(error: unknown): string {
  const code = codeOf(error);
  const message = messageOf(error);
  return code && !message.includes(code) ? `${message} [${code}]` : message;
}

/** Maps an error of an operation to the Steward error a caller can act on; other errors pass through unchanged. */
export function mapOperationError(error: unknown, settings: PostgresSettings, point: FailurePoint): unknown {
  if (error instanceof StewardError) return error;
  const message = messageOf(error);
  if (message.includes('STEWARD_ILLEGAL_TRANSITION')) {
    return new IllegalTransitionError(`the store refused a run status change that the run lifecycle does not allow (${message})`);
  }
  if (isConnectionFailure(error)) return unreachableError(settings, error, point);
  return error;
}

/**
 * The one-line error for a store that could not be opened: a server that does not answer, a refused login, a
 * database or privilege that is missing. Each says what to mend.
 */
export function openFailure(settings: PostgresSettings, error: unknown): StewardError {
  if (error instanceof StewardError) return error;
  const code = codeOf(error);
  const message = messageOf(error);
  const [hostPort] = settings.target.split('/');
  switch (code) {
    case 'ECONNREFUSED':
      return new StoreUnavailableError(
        `cannot open PostgreSQL store ${settings.location}: nothing accepts connections at ${hostPort} (ECONNREFUSED); ` +
          `start PostgreSQL, or fix the host and port in the URL`,
        { cause: error },
      );
    case 'ENOTFOUND':
      return new StoreUrlError(settings.location, `host "${settings.host}" is not known (ENOTFOUND): fix the host name in the URL`);
    case '28P01':
      return new StoreUrlError(
        settings.location,
        `PostgreSQL refused the password of user "${settings.user}" (28P01): fix the user name or password in the URL`,
      );
    case '28000':
      return new StoreUrlError(
        settings.location,
        `PostgreSQL refused the login (${message}) [28000]: check the user name, and that pg_hba.conf lets it connect from this host`,
      );
    case '3D000':
      return new StoreUrlError(
        settings.location,
        `database "${settings.database}" does not exist (3D000): create it (createdb ${settings.database}) or name another database in the URL`,
      );
    case '42501':
      return new StoreUrlError(
        settings.location,
        `user "${settings.user}" may not create Steward's tables (${message}) [42501]: grant it CREATE on the schema ` +
          `(and on the database, to create a schema named with ?schema=), or open the store once as the schema's owner to apply the migrations`,
      );
    default:
      if (isConnectionFailure(error)) {
        return new StoreUnavailableError(
          `cannot open PostgreSQL store ${settings.location}: ${describeConnectionFailure(error)}; check that PostgreSQL runs at ${hostPort} and accepts connections`,
          { cause: error },
        );
      }
      return new StoreUnavailableError(`cannot open PostgreSQL store ${settings.location}: ${describeConnectionFailure(error)}`, {
        cause: error,
      });
  }
}
