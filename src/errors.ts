/**
 * Every error Steward throws on purpose. Each has a stable string `code` (listed in docs/errors.md) and a message
 * that says what happened and how to mend it. Across boundaries (store, process, HTTP) match on `code`.
 */

/** Stable error codes; never reused, never renamed. */
export const ErrorCodes = {
  VALIDATION: 'STEWARD_VALIDATION',
  UNKNOWN_WORKFLOW: 'STEWARD_UNKNOWN_WORKFLOW',
  DUPLICATE_WORKFLOW: 'STEWARD_DUPLICATE_WORKFLOW',
  RUN_NOT_FOUND: 'STEWARD_RUN_NOT_FOUND',
  RUN_FINISHED: 'STEWARD_RUN_FINISHED',
  RUN_FAILED: 'STEWARD_RUN_FAILED',
  RUN_CANCELLED: 'STEWARD_RUN_CANCELLED',
  RUN_TIMEOUT: 'STEWARD_RUN_TIMEOUT',
  NON_DETERMINISM: 'STEWARD_NON_DETERMINISM',
  NON_RETRYABLE: 'STEWARD_NON_RETRYABLE',
  STEP_FAILED: 'STEWARD_STEP_FAILED',
  STEP_TIMEOUT: 'STEWARD_STEP_TIMEOUT',
  STEP_RESULT_NOT_JSON: 'STEWARD_STEP_RESULT_NOT_JSON',
  STEP_RESULT_TOO_LARGE: 'STEWARD_STEP_RESULT_TOO_LARGE',
  WAIT_TIMEOUT: 'STEWARD_WAIT_TIMEOUT',
  CHILD_FAILED: 'STEWARD_CHILD_FAILED',
  LEASE_LOST: 'STEWARD_LEASE_LOST',
  STEP_ALREADY_RECORDED: 'STEWARD_STEP_ALREADY_RECORDED',
  ILLEGAL_TRANSITION: 'STEWARD_ILLEGAL_TRANSITION',
  QUEUE_FULL: 'STEWARD_QUEUE_FULL',
  STORE_UNAVAILABLE: 'STEWARD_STORE_UNAVAILABLE',
  STORE_CORRUPT: 'STEWARD_STORE_CORRUPT',
  STORE_SCHEMA_TOO_NEW: 'STEWARD_STORE_SCHEMA_TOO_NEW',
  STORE_URL: 'STEWARD_STORE_URL',
  CLOSED: 'STEWARD_CLOSED',
  WORKFLOW_ERROR: 'STEWARD_WORKFLOW_ERROR',
  CONFIG: 'STEWARD_CONFIG',
  RESULT_TIMEOUT: 'STEWARD_RESULT_TIMEOUT',
  USAGE: 'STEWARD_USAGE',
  AUDIT_CHAIN_BROKEN: 'STEWARD_AUDIT_CHAIN_BROKEN',
  POLICY_INVALID: 'STEWARD_POLICY_INVALID',
  INTERNAL: 'STEWARD_INTERNAL',
  ACTION_FAILED: 'STEWARD_ACTION_FAILED',
  KILL_SWITCH: 'STEWARD_KILL_SWITCH',
  POLICY_DENIED: 'STEWARD_POLICY_DENIED',
  APPROVAL_DENIED: 'STEWARD_APPROVAL_DENIED',
  APPROVAL_NOT_FOUND: 'STEWARD_APPROVAL_NOT_FOUND',
  APPROVAL_REFUSED: 'STEWARD_APPROVAL_REFUSED',
  PLAN_CHANGED: 'STEWARD_PLAN_CHANGED',
  CIRCUIT_OPEN: 'STEWARD_CIRCUIT_OPEN',
  RATE_LIMITED: 'STEWARD_RATE_LIMITED',
  BREAKER_NOT_FOUND: 'STEWARD_BREAKER_NOT_FOUND',
  DUPLICATE_ACTION: 'STEWARD_DUPLICATE_ACTION',
  PLAN_INVALID: 'STEWARD_PLAN_INVALID',
  PLAN_TASK_FAILED: 'STEWARD_PLAN_TASK_FAILED',
  CONFIG_INVALID: 'STEWARD_CONFIG_INVALID',
  CONFIG_FILE_CONFLICT: 'STEWARD_CONFIG_FILE_CONFLICT',
  PLUGIN_FAILED: 'STEWARD_PLUGIN_FAILED',
  PLUGIN_PATH_REFUSED: 'STEWARD_PLUGIN_PATH_REFUSED',
  KEY_INVALID: 'STEWARD_KEY_INVALID',
  MANIFEST_INVALID: 'STEWARD_MANIFEST_INVALID',
  MANIFEST_UNSIGNED: 'STEWARD_MANIFEST_UNSIGNED',
  MANIFEST_SIGNATURE_INVALID: 'STEWARD_MANIFEST_SIGNATURE_INVALID',
  MANIFEST_UNKNOWN_KEY: 'STEWARD_MANIFEST_UNKNOWN_KEY',
  MANIFEST_THRESHOLD_NOT_MET: 'STEWARD_MANIFEST_THRESHOLD_NOT_MET',
  MANIFEST_EXPIRED: 'STEWARD_MANIFEST_EXPIRED',
  MANIFEST_ROLLBACK: 'STEWARD_MANIFEST_ROLLBACK',
  MANIFEST_SOURCE_NOT_ALLOWED: 'STEWARD_MANIFEST_SOURCE_NOT_ALLOWED',
  MANIFEST_FETCH_FAILED: 'STEWARD_MANIFEST_FETCH_FAILED',
  MANIFEST_FETCH_TIMEOUT: 'STEWARD_MANIFEST_FETCH_TIMEOUT',
  MANIFEST_TOO_LARGE: 'STEWARD_MANIFEST_TOO_LARGE',
  MANIFEST_DIGEST_MISMATCH: 'STEWARD_MANIFEST_DIGEST_MISMATCH',
  MANIFEST_ARTIFACT_INVALID: 'STEWARD_MANIFEST_ARTIFACT_INVALID',
  PROVIDER_INVALID: 'STEWARD_PROVIDER_INVALID',
  PROVIDER_NOT_FOUND: 'STEWARD_PROVIDER_NOT_FOUND',
  PROVIDER_UNAVAILABLE: 'STEWARD_PROVIDER_UNAVAILABLE',
  PROVIDER_PAUSED: 'STEWARD_PROVIDER_PAUSED',
  PROVIDER_SWAP_FAILED: 'STEWARD_PROVIDER_SWAP_FAILED',
  PROVIDER_SWAP_VETOED: 'STEWARD_PROVIDER_SWAP_VETOED',
  PROVIDER_DRAIN_TIMEOUT: 'STEWARD_PROVIDER_DRAIN_TIMEOUT',
  UNAUTHENTICATED: 'STEWARD_UNAUTHENTICATED',
  FORBIDDEN: 'STEWARD_FORBIDDEN',
  REQUEST_TOO_LARGE: 'STEWARD_REQUEST_TOO_LARGE',
  TOO_MANY_REQUESTS: 'STEWARD_TOO_MANY_REQUESTS',
  REQUEST_TIMEOUT: 'STEWARD_REQUEST_TIMEOUT',
  NOT_READY: 'STEWARD_NOT_READY',
  ROUTE_NOT_FOUND: 'STEWARD_ROUTE_NOT_FOUND',
  TOKEN_NOT_FOUND: 'STEWARD_TOKEN_NOT_FOUND',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The plain-data form of an error, as stored on a run or a step and sent across processes. */
export interface SerializedError {
  code: string;
  name: string;
  message: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
  stack?: string;
  cause?: SerializedError;
}

/** Options every Steward error accepts. */
export interface StewardErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** The root of every error Steward throws on purpose. */
export class StewardError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** Whether a step or action that threw this may be attempted again. */
  readonly retryable: boolean = true;

  constructor(code: string, message: string, options: StewardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** Thrown from a step or action to say that another attempt cannot succeed. */
export class NonRetryableError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.NON_RETRYABLE, message, options);
  }
}

/** Input that does not fit its schema; never retried. */
export class ValidationError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.VALIDATION, message, options);
  }
}

/** A run asked for a workflow that no `defineWorkflow` registered. */
export class UnknownWorkflowError extends StewardError {
  override readonly retryable = false;
  constructor(name: string, known: readonly string[]) {
    super(
      ErrorCodes.UNKNOWN_WORKFLOW,
      `unknown workflow "${name}": register it with createSteward({ workflows: [...] }) ` +
        `(registered: ${known.length > 0 ? known.join(', ') : 'none'})`,
      { details: { workflow: name, known: [...known] } },
    );
  }
}

/** No run has the given id. */
export class RunNotFoundError extends StewardError {
  constructor(id: string) {
    super(ErrorCodes.RUN_NOT_FOUND, `no run with id "${id}": check the id with \`steward run list\``, {
      details: { runId: id },
    });
  }
}

/** An operation needs a run that has not finished, and this one has. */
export class RunFinishedError extends StewardError {
  constructor(id: string, status: string) {
    super(ErrorCodes.RUN_FINISHED, `run "${id}" already ended with status ${status}; nothing more can be sent to it`, {
      details: { runId: id, status },
    });
  }
}

/** A replayed run called a different step than the one recorded at the same position. */
export class NonDeterminismError extends StewardError {
  override readonly retryable = false;
  constructor(runId: string, seq: number, recorded: string, called: string) {
    super(
      ErrorCodes.NON_DETERMINISM,
      `run "${runId}" replayed step #${seq} as ${called} but its history recorded ${recorded}; ` +
        `workflow code must call the same steps in the same order on every replay (move changing logic into a new workflow version)`,
      { details: { runId, seq, recorded, called } },
    );
  }
}

/** A step used up its attempts, or threw a non-retryable error. */
export class StepFailedError extends StewardError {
  override readonly retryable = false;
  constructor(stepName: string, attempts: number, cause: SerializedError) {
    super(ErrorCodes.STEP_FAILED, `step "${stepName}" failed after ${attempts} attempt(s): ${cause.message}`, {
      details: { step: stepName, attempts, error: cause },
    });
  }
}

/** An action's apply failed after its attempts, or its verify said the apply did not do what it should. */
export class ActionFailedError extends StewardError {
  override readonly retryable = false;
  constructor(
    action: string,
    phase: 'apply' | 'verify',
    reason: string,
    details: { resource: string; rolledBack: boolean; error?: SerializedError; verification?: unknown },
  ) {
    const undone = details.rolledBack ? '; its apply was rolled back' : '';
    super(ErrorCodes.ACTION_FAILED, `action "${action}" failed at ${phase} on ${details.resource}: ${reason}${undone}`, {
      details: { action, phase, ...details },
    });
  }
}

/** The kill switch is on: no apply starts, and an apply in flight was stopped; its run is paused until it is off. */
export class KillSwitchError extends StewardError {
  override readonly retryable = false;
  constructor(action: string, by: string | null, reason: string | null) {
    const who = by === null ? '' : ` by ${by}`;
    const why = reason === null ? '' : ` (${reason})`;
    super(
      ErrorCodes.KILL_SWITCH,
      `the kill switch is on${who}${why}: action "${action}" did not apply; the run is paused until the switch is turned off`,
      { details: { action, by, reason } },
    );
  }
}

/** Policy forbade a phase of an action (or no policy permitted it): nothing was applied. */
export class PolicyDeniedError extends StewardError {
  override readonly retryable = false;
  constructor(
    action: string,
    phase: 'plan' | 'apply' | 'approve',
    resource: string,
    decision: { policies: readonly string[]; errors: readonly string[]; version: string },
    why?: string,
  ) {
    const deciding =
      decision.policies.length > 0
        ? `forbidden by ${decision.policies.map((p) => `"${p}"`).join(', ')}`
        : 'no policy permits it';
    const mend =
      decision.policies.length > 0
        ? 'change that policy, or the request it matched'
        : 'add a permit policy, raise the autonomy level, or ask for approval';
    super(ErrorCodes.POLICY_DENIED, `policy denied ${phase} of action "${action}" on ${resource}: ${why ?? deciding}; ${mend}`, {
      details: { action, phase, resource, policies: [...decision.policies], errors: [...decision.errors], policyVersion: decision.version },
    });
  }
}

/** The approval an act waited for was denied, or expired before anyone decided. */
export class ApprovalDeniedError extends StewardError {
  override readonly retryable = false;
  constructor(action: string, approvalId: string, status: 'denied' | 'expired', by: string | null, reason: string | null) {
    const what =
      status === 'expired'
        ? 'expired before anyone decided (an expired approval is a denial)'
        : `was denied by ${by ?? 'someone'}${reason ? ` (${reason})` : ''}`;
    super(ErrorCodes.APPROVAL_DENIED, `approval ${approvalId} for action "${action}" ${what}; nothing was applied — start a new run to ask again`, {
      details: { action, approvalId, status, by, reason },
    });
  }
}

/** No approval has that id. */
export class ApprovalNotFoundError extends StewardError {
  constructor(id: string) {
    super(ErrorCodes.APPROVAL_NOT_FOUND, `no approval has id ${id}: list them with \`steward approvals list\``, { details: { approvalId: id } });
  }
}

/** An approve or deny that cannot be accepted: it says why, and nothing was recorded. */
export class ApprovalRefusedError extends StewardError {
  constructor(id: string, message: string, details: Record<string, unknown> = {}) {
    super(ErrorCodes.APPROVAL_REFUSED, `approval ${id}: ${message}`, { details: { approvalId: id, ...details } });
  }
}

/** A run would apply a plan other than the one that was reviewed. */
export class PlanChangedError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCodes.PLAN_CHANGED, message, { details });
  }
}

/** A step attempt ran longer than its `timeoutMs`. */
export class StepTimeoutError extends StewardError {
  constructor(stepName: string, timeoutMs: number) {
    super(ErrorCodes.STEP_TIMEOUT, `step "${stepName}" timed out after ${timeoutMs} ms; raise timeoutMs or make it faster`, {
      details: { step: stepName, timeoutMs },
    });
  }
}

/** A step returned a value that cannot be stored as JSON. */
export class StepResultNotJsonError extends StewardError {
  override readonly retryable = false;
  constructor(stepName: string, reason: string) {
    super(
      ErrorCodes.STEP_RESULT_NOT_JSON,
      `step "${stepName}" returned a value that is not JSON-serialisable (${reason}); return plain objects, arrays, strings, numbers, booleans or null`,
      { details: { step: stepName, reason } },
    );
  }
}

/** A step returned a value larger than the configured limit. */
export class StepResultTooLargeError extends StewardError {
  override readonly retryable = false;
  constructor(stepName: string, bytes: number, limit: number) {
    super(
      ErrorCodes.STEP_RESULT_TOO_LARGE,
      `step "${stepName}" returned ${bytes} bytes of JSON, over the ${limit}-byte limit; store large data elsewhere and return a reference, or raise maxResultBytes`,
      { details: { step: stepName, bytes, limit } },
    );
  }
}

/** `ctx.waitFor` reached its timeout before the signal arrived. */
export class WaitTimeoutError extends StewardError {
  override readonly retryable = false;
  constructor(signal: string, timeoutMs: number) {
    super(ErrorCodes.WAIT_TIMEOUT, `no signal "${signal}" arrived within ${timeoutMs} ms`, {
      details: { signal, timeoutMs },
    });
  }
}

/** A run's `timeoutMs` passed before it ended. */
export class RunTimeoutError extends StewardError {
  override readonly retryable = false;
  constructor(runId: string, timeoutMs: number) {
    super(ErrorCodes.RUN_TIMEOUT, `run "${runId}" passed its ${timeoutMs} ms timeout`, { details: { runId, timeoutMs } });
  }
}

/** A child run ended without success. */
export class ChildFailedError extends StewardError {
  override readonly retryable = false;
  constructor(childId: string, status: string, cause: SerializedError | null) {
    super(ErrorCodes.CHILD_FAILED, `child run "${childId}" ended ${status}${cause ? `: ${cause.message}` : ''}`, {
      details: { childId, status, error: cause },
    });
  }
}

/** The worker's lease on a run moved on (another worker took it over); the write was refused. */
export class LeaseLostError extends StewardError {
  override readonly retryable = false;
  constructor(runId: string, epoch: number) {
    super(
      ErrorCodes.LEASE_LOST,
      `lease on run "${runId}" at epoch ${epoch} is no longer held; another worker owns the run now and this write was refused`,
      { details: { runId, epoch } },
    );
  }
}

/** A step's outcome was already recorded; it is recorded exactly once. */
export class StepAlreadyRecordedError extends StewardError {
  override readonly retryable = false;
  constructor(runId: string, seq: number) {
    super(ErrorCodes.STEP_ALREADY_RECORDED, `step #${seq} of run "${runId}" is already recorded; a step's result is recorded exactly once`, {
      details: { runId, seq },
    });
  }
}

/** The store refused a status change that the run lifecycle does not allow. */
export class IllegalTransitionError extends StewardError {
  override readonly retryable = false;
  constructor(message: string) {
    super(ErrorCodes.ILLEGAL_TRANSITION, message);
  }
}

/** A queue holds as many queued runs as its `maxQueued` allows. */
export class QueueFullError extends StewardError {
  constructor(queue: string, maxQueued: number) {
    super(
      ErrorCodes.QUEUE_FULL,
      `queue "${queue}" already holds ${maxQueued} queued runs (its maxQueued); retry later or raise the limit`,
      { details: { queue, maxQueued } },
    );
  }
}

/** A run ended `failed`; `details.error` holds what made it fail. */
export class RunFailedError extends StewardError {
  override readonly retryable = false;
  constructor(runId: string, cause: SerializedError | null) {
    super(ErrorCodes.RUN_FAILED, `run "${runId}" failed: ${cause?.message ?? 'unknown error'}`, {
      details: { runId, error: cause },
    });
  }
}

/** A run ended `cancelled`. */
export class RunCancelledError extends StewardError {
  override readonly retryable = false;
  constructor(runId: string) {
    super(ErrorCodes.RUN_CANCELLED, `run "${runId}" was cancelled`, { details: { runId } });
  }
}

/** The store cannot be opened or reached. */
export class StoreUnavailableError extends StewardError {
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.STORE_UNAVAILABLE, message, options);
  }
}

/** The store's file is not a database Steward can read. */
export class StoreCorruptError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.STORE_CORRUPT, message, options);
  }
}

/** The store was written by a newer Steward. */
export class StoreSchemaTooNewError extends StewardError {
  override readonly retryable = false;
  constructor(location: string, found: number, known: number) {
    super(
      ErrorCodes.STORE_SCHEMA_TOO_NEW,
      `store ${location} has schema version ${found}, newer than the ${known} this Steward knows; upgrade Steward to open it (nothing was changed)`,
      { details: { found, known } },
    );
  }
}

/** A store URL that Steward cannot parse or does not support. */
export class StoreUrlError extends StewardError {
  override readonly retryable = false;
  constructor(url: string, reason: string) {
    super(ErrorCodes.STORE_URL, `store "${url}" is not usable: ${reason}`, { details: { url } });
  }
}

/** The Steward instance (or its store) was closed. */
export class ClosedError extends StewardError {
  override readonly retryable = false;
  constructor(what: string) {
    super(ErrorCodes.CLOSED, `${what} is closed`);
  }
}

/** Options or configuration that do not fit their schema. */
export class ConfigError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.CONFIG, message, options);
  }
}

/** The same workflow name was registered twice. */
export class DuplicateWorkflowError extends StewardError {
  override readonly retryable = false;
  constructor(name: string) {
    super(ErrorCodes.DUPLICATE_WORKFLOW, `workflow "${name}" is registered twice: give each workflow a unique name`, {
      details: { workflow: name },
    });
  }
}

/** Two different actions with the same name were given to `createSteward({ actions })`. */
export class DuplicateActionError extends StewardError {
  override readonly retryable = false;
  constructor(name: string, first: { index: number; version: string }, second: { index: number; version: string }) {
    super(
      ErrorCodes.DUPLICATE_ACTION,
      `action "${name}" is registered twice, as actions[${first.index}] (version ${first.version}) and actions[${second.index}] (version ${second.version}): ` +
        'give each action a unique name, or register only one of them',
      { details: { action: name, indexes: [first.index, second.index], versions: [first.version, second.version] } },
    );
  }
}

/** One problem of a plan document, located by its JSON path and, when known, its line and column. */
export interface PlanIssue {
  /** The JSON path of the value, like `tasks[2].dependsOn[0]`; empty for the document itself. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** A plan document (YAML or JSON) that cannot be run as written; nothing was started. */
export class PlanInvalidError extends StewardError {
  override readonly retryable = false;
  constructor(source: string, issues: readonly PlanIssue[]) {
    const lines = issues.map((issue) => {
      const at = issue.line === undefined ? '' : ` (line ${issue.line}:${issue.column ?? 1})`;
      return `${issue.path === '' ? 'the document' : issue.path}${at}: ${issue.message}`;
    });
    super(ErrorCodes.PLAN_INVALID, `plan ${source} is invalid: ${lines.join('; ')}`, {
      details: { source, issues: issues.map((issue) => ({ ...issue })) },
    });
  }
}

/** A task of a plan run failed; the cause is the error of its action, kept with its own code. */
export class PlanTaskFailedError extends StewardError {
  override readonly retryable = false;
  constructor(task: string, action: string, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    const code = cause instanceof StewardError ? ` [${cause.code}]` : '';
    super(ErrorCodes.PLAN_TASK_FAILED, `task "${task}" (action "${action}") failed: ${inner}${code}`, {
      cause,
      details: { task, action, error: serializeError(cause) },
    });
  }
}

/** `handle.result({ timeoutMs })` gave up waiting while the run was still going. */
export class ResultTimeoutError extends StewardError {
  constructor(runId: string, status: string, waitedMs: number) {
    super(
      ErrorCodes.RESULT_TIMEOUT,
      `run "${runId}" is still ${status} after waiting ${waitedMs} ms; wait longer, or follow it with \`steward run logs ${runId} --follow\``,
      { details: { runId, status, waitedMs } },
    );
  }
}

/** A command line that cannot be carried out as written: an unknown option, a malformed value. */
export class UsageError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.USAGE, message, options);
  }
}

/** `steward audit verify` found an audit entry that does not hash to its hash or does not link to the one before. */
export class AuditChainBrokenError extends StewardError {
  override readonly retryable = false;
  constructor(entryId: number, reason: string, detail: string) {
    super(
      ErrorCodes.AUDIT_CHAIN_BROKEN,
      `the audit chain is broken at entry ${entryId}: ${reason} (${detail}); the entry or one before it was altered, removed or inserted outside Steward — restore the audit table from a backup and investigate who had write access`,
      { details: { entryId, reason } },
    );
  }
}

/** A Cedar policy file that does not parse, or does not validate against Steward's schema; nothing was loaded. */
export class PolicyError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.POLICY_INVALID, message, options);
  }
}

/** An error from workflow code that is not a StewardError, stored in plain form. */
export class WorkflowError extends StewardError {
  constructor(serialized: SerializedError) {
    super(serialized.code, serialized.message, { details: serialized.details });
    this.name = serialized.name;
    if (serialized.stack) this.stack = serialized.stack;
  }
}

/** An action's circuit breaker is open, or its one probe apply is in flight: the apply did not start. */
export class CircuitOpenError extends StewardError {
  constructor(action: string, state: 'open' | 'half_open', failures: number, retryAt: number, lastError: string | null) {
    const last = lastError === null ? '' : ` (last: ${lastError})`;
    const at = new Date(retryAt).toISOString();
    const when =
      state === 'open'
        ? `it half-opens at ${at} and lets one probe apply through`
        : `its one probe apply is in flight; another may go at ${at} if that one never reports back`;
    super(
      ErrorCodes.CIRCUIT_OPEN,
      `action "${action}" did not apply: its circuit breaker opened after ${failures} consecutive failed applies${last}; ${when}. ` +
        `Fix the target, or once it is fixed close the breaker with \`steward breakers reset ${action} --reason …\``,
      { details: { action, state, failures, retryAt, lastError } },
    );
  }
}

/** An action used up its rate budget (`budgets.ratePerMinute`, across the store): the apply did not start. */
export class RateLimitedError extends StewardError {
  constructor(action: string, ratePerMinute: number, retryAt: number) {
    super(
      ErrorCodes.RATE_LIMITED,
      `action "${action}" did not apply: it used up its budget of ${ratePerMinute} applies a minute across the store; ` +
        `the next may start at ${new Date(retryAt).toISOString()}. Wait, or raise budgets.ratePerMinute if the target allows more`,
      { details: { action, ratePerMinute, retryAt } },
    );
  }
}

/** An operator asked to reset the breaker of an action that has none (it never failed, or the name is wrong). */
export class BreakerNotFoundError extends StewardError {
  override readonly retryable = false;
  constructor(action: string, known: readonly string[]) {
    super(
      ErrorCodes.BREAKER_NOT_FOUND,
      `no circuit breaker is recorded for action "${action}" (an action has one once an apply of it failed); nothing changed. ` +
        `Check the name with \`steward breakers list\` (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
      { details: { action, known: [...known] } },
    );
  }
}

/** A key file that cannot be read or does not hold an Ed25519 key of the expected kind (private or public). */
export class KeyInvalidError extends StewardError {
  override readonly retryable = false;
  constructor(file: string, reason: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.KEY_INVALID, `key ${file} is not usable: ${reason}`, { ...options, details: { file, ...options.details } });
  }
}

/** The codes of the refusals of a signed remote manifest and of its artifacts. */
export type ManifestErrorCode = (typeof ErrorCodes)[
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNSIGNED'
  | 'MANIFEST_SIGNATURE_INVALID'
  | 'MANIFEST_UNKNOWN_KEY'
  | 'MANIFEST_THRESHOLD_NOT_MET'
  | 'MANIFEST_EXPIRED'
  | 'MANIFEST_ROLLBACK'
  | 'MANIFEST_SOURCE_NOT_ALLOWED'
  | 'MANIFEST_FETCH_FAILED'
  | 'MANIFEST_FETCH_TIMEOUT'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_DIGEST_MISMATCH'
  | 'MANIFEST_ARTIFACT_INVALID'];

/**
 * A remote manifest, or one of its artifacts, was refused: nothing of it was registered. The code says which rule
 * refused it (src/manifest/errors.ts builds each one with its message).
 */
export class ManifestError extends StewardError {
  /** Only a failed or timed-out download may go better on another attempt; a refused document or artifact will not. */
  override readonly retryable: boolean;
  constructor(code: ManifestErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, options);
    this.retryable = code === ErrorCodes.MANIFEST_FETCH_FAILED || code === ErrorCodes.MANIFEST_FETCH_TIMEOUT;
  }
}

/** Whether another attempt may succeed after this error. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof StewardError) return error.retryable;
  return true;
}

/** Turns any thrown value into plain data that can be stored and sent. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const out: SerializedError = {
      code: error instanceof StewardError ? error.code : ErrorCodes.WORKFLOW_ERROR,
      name: error.name,
      message: error.message,
    };
    if (error instanceof StewardError) {
      out.retryable = error.retryable;
      if (error.details) out.details = error.details;
    }
    if (error.stack) out.stack = error.stack;
    if (error.cause !== undefined && depth < 4) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  return { code: ErrorCodes.WORKFLOW_ERROR, name: 'Error', message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** One problem of the configuration: where it came from, the key, and the line and column when a file says them. */
export interface ConfigIssue {
  /** The configuration file's path, or the environment variable's name. */
  source: string;
  /** The key path, like `components."store.default".provider`; empty for the file as a whole. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** The configuration file or a `STEWARD_*` variable does not fit its schema; nothing of it was taken. */
export class ConfigInvalidError extends StewardError {
  override readonly retryable = false;
  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => {
      const at = issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`;
      return `${issue.source}${at}: ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
    });
    super(ErrorCodes.CONFIG_INVALID, `invalid configuration: ${lines.join('; ')}`, {
      cause: options.cause,
      details: { issues: issues.map((issue) => ({ ...issue })) },
    });
  }
}

/** More than one configuration file in one directory: Steward will not guess which one is meant. */
export class ConfigFileConflictError extends StewardError {
  override readonly retryable = false;
  constructor(dir: string, files: readonly string[]) {
    super(
      ErrorCodes.CONFIG_FILE_CONFLICT,
      `${dir} holds ${files.length} configuration files (${files.join(', ')}): keep exactly one of them and remove the others`,
      { details: { dir, files: [...files] } },
    );
  }
}

/** An allowed plugin could not be loaded or registered; the other plugins were loaded. */
export class PluginFailedError extends StewardError {
  override readonly retryable = false;
  constructor(pkg: string, entry: string | null, reason: string, cause?: unknown) {
    const where = entry === null ? `package "${pkg}"` : `plugin ${entry} of package "${pkg}"`;
    super(ErrorCodes.PLUGIN_FAILED, `${where} failed: ${reason}`, { cause, details: { package: pkg, entry } });
  }
}

/** A plugin path that would load code from outside its own package; it was not imported. */
export class PluginPathRefusedError extends StewardError {
  override readonly retryable = false;
  constructor(pkg: string, entry: string, reason: string) {
    super(
      ErrorCodes.PLUGIN_PATH_REFUSED,
      `plugin path "${entry}" of package "${pkg}" was refused: ${reason}; a plugin path is relative to its package and stays inside it (like ./dist/plugin.js)`,
      { details: { package: pkg, entry } },
    );
  }
}

/** Formats a zod issue list as one readable line: `input.image: Required; input.replicas: Expected number`. */
export function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, root: string): string {
  return issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${root}${path}: ${issue.message}`;
    })
    .join('; ');
}

/** An HTTP API request without a valid bearer token: none, unknown, or revoked. */
export class UnauthenticatedError extends StewardError {
  override readonly retryable = false;
  constructor(message: string) {
    super(ErrorCodes.UNAUTHENTICATED, message);
  }
}

/** Policy does not let the token's principal use an HTTP API route. */
export class ForbiddenError extends StewardError {
  override readonly retryable = false;
  constructor(message: string, details: { principal: string; route: string; policies: readonly string[] }) {
    super(ErrorCodes.FORBIDDEN, message, { details: { ...details, policies: [...details.policies] } });
  }
}

/** An HTTP request body over the server's limit. */
export class RequestTooLargeError extends StewardError {
  override readonly retryable = false;
  constructor(limitBytes: number) {
    super(ErrorCodes.REQUEST_TOO_LARGE, `the request body is over the limit of ${limitBytes} bytes: send less, or raise the server's bodyLimit`, { details: { limitBytes } });
  }
}

/** A token made more HTTP requests than its rate limit allows. */
export class TooManyRequestsError extends StewardError {
  constructor(retryAfterSeconds: number, reason: 'rate' | 'failed-logins' = 'rate') {
    super(
      ErrorCodes.TOO_MANY_REQUESTS,
      reason === 'rate'
        ? `this token is over its request rate: retry in ${retryAfterSeconds} s, or spread the requests out`
        : `too many requests with a missing or wrong token came from this address: retry in ${retryAfterSeconds} s with a valid token`,
      { details: { retryAfterSeconds, reason } },
    );
  }
}

/** An HTTP request that did not finish within the server's request timeout. */
export class RequestTimeoutError extends StewardError {
  constructor(timeoutMs: number) {
    super(ErrorCodes.REQUEST_TIMEOUT, `the request did not finish within ${timeoutMs} ms: retry, or raise the server's requestTimeoutMs`, { details: { timeoutMs } });
  }
}

/** A server that answers but cannot do its work yet (its worker is not running): `/readyz` says so. */
export class NotReadyError extends StewardError {
  constructor(message: string, options: StewardErrorOptions = {}) {
    super(ErrorCodes.NOT_READY, message, options);
  }
}

/** An HTTP request for a route the API does not have. */
export class RouteNotFoundError extends StewardError {
  override readonly retryable = false;
  constructor(method: string, url: string) {
    super(ErrorCodes.ROUTE_NOT_FOUND, `no route ${method} ${url}: see docs/api.md for the routes`, { details: { method, url } });
  }
}

/** A token id that names no API token. */
export class TokenNotFoundError extends StewardError {
  override readonly retryable = false;
  constructor(id: string) {
    super(ErrorCodes.TOKEN_NOT_FOUND, `no API token with id "${id}": list them with \`steward tokens list\``, { details: { id } });
  }
}

const CLASSES_BY_CODE: Readonly<Record<string, { prototype: StewardError }>> = {
  [ErrorCodes.VALIDATION]: ValidationError,
  [ErrorCodes.NON_RETRYABLE]: NonRetryableError,
  [ErrorCodes.UNKNOWN_WORKFLOW]: UnknownWorkflowError,
  [ErrorCodes.RUN_NOT_FOUND]: RunNotFoundError,
  [ErrorCodes.RUN_FINISHED]: RunFinishedError,
  [ErrorCodes.NON_DETERMINISM]: NonDeterminismError,
  [ErrorCodes.STEP_FAILED]: StepFailedError,
  [ErrorCodes.ACTION_FAILED]: ActionFailedError,
  [ErrorCodes.KILL_SWITCH]: KillSwitchError,
  [ErrorCodes.STEP_TIMEOUT]: StepTimeoutError,
  [ErrorCodes.STEP_RESULT_NOT_JSON]: StepResultNotJsonError,
  [ErrorCodes.STEP_RESULT_TOO_LARGE]: StepResultTooLargeError,
  [ErrorCodes.WAIT_TIMEOUT]: WaitTimeoutError,
  [ErrorCodes.RUN_TIMEOUT]: RunTimeoutError,
  [ErrorCodes.CHILD_FAILED]: ChildFailedError,
  [ErrorCodes.LEASE_LOST]: LeaseLostError,
  [ErrorCodes.STEP_ALREADY_RECORDED]: StepAlreadyRecordedError,
  [ErrorCodes.ILLEGAL_TRANSITION]: IllegalTransitionError,
  [ErrorCodes.QUEUE_FULL]: QueueFullError,
  [ErrorCodes.RUN_FAILED]: RunFailedError,
  [ErrorCodes.RUN_CANCELLED]: RunCancelledError,
  [ErrorCodes.STORE_UNAVAILABLE]: StoreUnavailableError,
  [ErrorCodes.STORE_CORRUPT]: StoreCorruptError,
  [ErrorCodes.STORE_SCHEMA_TOO_NEW]: StoreSchemaTooNewError,
  [ErrorCodes.STORE_URL]: StoreUrlError,
  [ErrorCodes.CLOSED]: ClosedError,
  [ErrorCodes.CONFIG]: ConfigError,
  [ErrorCodes.DUPLICATE_WORKFLOW]: DuplicateWorkflowError,
  [ErrorCodes.RESULT_TIMEOUT]: ResultTimeoutError,
  [ErrorCodes.USAGE]: UsageError,
  [ErrorCodes.AUDIT_CHAIN_BROKEN]: AuditChainBrokenError,
  [ErrorCodes.POLICY_INVALID]: PolicyError,
  [ErrorCodes.CIRCUIT_OPEN]: CircuitOpenError,
  [ErrorCodes.RATE_LIMITED]: RateLimitedError,
  [ErrorCodes.BREAKER_NOT_FOUND]: BreakerNotFoundError,
  [ErrorCodes.DUPLICATE_ACTION]: DuplicateActionError,
  [ErrorCodes.PLAN_INVALID]: PlanInvalidError,
  [ErrorCodes.PLAN_TASK_FAILED]: PlanTaskFailedError,
  [ErrorCodes.POLICY_DENIED]: PolicyDeniedError,
  [ErrorCodes.APPROVAL_DENIED]: ApprovalDeniedError,
  [ErrorCodes.APPROVAL_NOT_FOUND]: ApprovalNotFoundError,
  [ErrorCodes.APPROVAL_REFUSED]: ApprovalRefusedError,
  [ErrorCodes.PLAN_CHANGED]: PlanChangedError,
  [ErrorCodes.CONFIG_INVALID]: ConfigInvalidError,
  [ErrorCodes.CONFIG_FILE_CONFLICT]: ConfigFileConflictError,
  [ErrorCodes.PLUGIN_FAILED]: PluginFailedError,
  [ErrorCodes.PLUGIN_PATH_REFUSED]: PluginPathRefusedError,
  [ErrorCodes.KEY_INVALID]: KeyInvalidError,
  [ErrorCodes.MANIFEST_INVALID]: ManifestError,
  [ErrorCodes.MANIFEST_UNSIGNED]: ManifestError,
  [ErrorCodes.MANIFEST_SIGNATURE_INVALID]: ManifestError,
  [ErrorCodes.MANIFEST_UNKNOWN_KEY]: ManifestError,
  [ErrorCodes.MANIFEST_THRESHOLD_NOT_MET]: ManifestError,
  [ErrorCodes.MANIFEST_EXPIRED]: ManifestError,
  [ErrorCodes.MANIFEST_ROLLBACK]: ManifestError,
  [ErrorCodes.MANIFEST_SOURCE_NOT_ALLOWED]: ManifestError,
  [ErrorCodes.MANIFEST_FETCH_FAILED]: ManifestError,
  [ErrorCodes.MANIFEST_FETCH_TIMEOUT]: ManifestError,
  [ErrorCodes.MANIFEST_TOO_LARGE]: ManifestError,
  [ErrorCodes.MANIFEST_DIGEST_MISMATCH]: ManifestError,
  [ErrorCodes.MANIFEST_ARTIFACT_INVALID]: ManifestError,
  [ErrorCodes.UNAUTHENTICATED]: UnauthenticatedError,
  [ErrorCodes.FORBIDDEN]: ForbiddenError,
  [ErrorCodes.REQUEST_TOO_LARGE]: RequestTooLargeError,
  [ErrorCodes.TOO_MANY_REQUESTS]: TooManyRequestsError,
  [ErrorCodes.REQUEST_TIMEOUT]: RequestTimeoutError,
  [ErrorCodes.NOT_READY]: NotReadyError,
  [ErrorCodes.ROUTE_NOT_FOUND]: RouteNotFoundError,
  [ErrorCodes.TOKEN_NOT_FOUND]: TokenNotFoundError,
};

/**
 * Rebuilds an error that crossed a boundary (a thread, a process, the store) from its plain form, as an instance of
 * the class its code names, so callers may match it by code or by class.
 */
export function reviveError(serialized: SerializedError): StewardError {
  const cls = CLASSES_BY_CODE[serialized.code];
  if (!cls) return new WorkflowError(serialized);
  const error = Object.create(cls.prototype) as StewardError;
  const fields = error as unknown as { code: string; details: Record<string, unknown> | undefined; retryable: boolean };
  Object.defineProperties(error, {
    message: { value: serialized.message, writable: true, configurable: true },
    name: { value: serialized.name, writable: true, configurable: true },
    stack: { value: serialized.stack ?? `${serialized.name}: ${serialized.message}`, writable: true, configurable: true },
  });
  fields.code = serialized.code;
  fields.details = serialized.details;
  fields.retryable = serialized.retryable ?? true;
  if (serialized.cause) Object.defineProperty(error, 'cause', { value: reviveError(serialized.cause), configurable: true });
  return error;
}
