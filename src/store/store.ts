/**
 * The one seam between Steward and its database. Every implementation (SQLite, PostgreSQL) passes the conformance
 * suite in test/conformance. All methods are async; writes that carry a `Lease` are refused with `LeaseLostError`
 * when the lease moved on (fencing), and status changes outside the run lifecycle are refused by the database itself.
 */
import type { SerializedError } from '../errors.js';
import type { EventRecord, Lease, RunMode, RunRecord, RunStatus, StepKind, StepRecord, StepStatus, WaitKind } from '../domain/run.js';

/** A run to create. JSON fields arrive encoded. */
export interface NewRun {
  id: string;
  workflow: string;
  workflowVersion: string;
  inputJson: string;
  status: 'queued' | 'planned';
  mode: RunMode;
  autonomy: number | null;
  subject: string | null;
  goal: string | null;
  idempotencyKey: string | null;
  queue: string;
  priority: number;
  parentId: string | null;
  timeoutMs: number | null;
  /** When the run may first be claimed. */
  runnableAt: number;
  createdAt: number;
  /** An audit entry (already redacted) appended in the same transaction, only when the run is created (not found). */
  audit?: AuditInput;
}

/** What became of a `createRun`. */
export interface CreateRunResult {
  run: RunRecord;
  /** False when a run with the same idempotency key existed and was returned instead. */
  created: boolean;
  /** The new run, already claimed for the worker that asked (`eagerClaim`), when it could be. */
  claimed?: ClaimedRun;
}

/** Asks `createRun` to claim the new run at once for a worker with a free slot, saving a round trip. */
export interface EagerClaim {
  owner: string;
  leaseMs: number;
}

/** Limits of one queue, shared by every worker of the store. */
export interface QueueSettings {
  name: string;
  /** Runs of the queue executing at once across all workers; null for no limit. */
  concurrency: number | null;
  /** Queued runs the queue accepts before `start` is refused; null for no limit. */
  maxQueued: number | null;
}

/** A queue's limits and its current counts. */
export interface QueueState extends QueueSettings {
  queued: number;
  running: number;
}

/** What a worker asks for when it claims runs. */
export interface ClaimRequest {
  owner: string;
  queues: readonly string[];
  workflows: readonly string[];
  /** The most runs to claim. */
  limit: number;
  /**
   * How many of `limit` are claimed ahead, with no slot free for them yet. Runs of queues with a concurrency
   * limit are never claimed ahead, so a worker cannot hold back a limited queue's runs from other workers.
   */
  ahead?: number;
  /** Also take over runs whose lease expired (dead workers' runs); a worker asks for it on its poll, not every claim. */
  reclaimExpired?: boolean;
  leaseMs: number;
  now: number;
}

/** A claimed run with its recorded history, ready to replay. */
export interface ClaimedRun {
  run: RunRecord;
  lease: Lease;
  steps: StepRecord[];
}

/** A step outcome to record. */
export interface StepWrite {
  seq: number;
  kind: StepKind;
  name: string;
  status: StepStatus;
  attempts: number;
  resultJson: string | null;
  error: SerializedError | null;
  wakeAt: number | null;
  startedAt: number;
  finishedAt: number | null;
  /** An audit entry (already redacted) to append in the same transaction as the record: an act's phase. */
  audit?: AuditInput;
}

/** How a run suspends: what it waits for and when a time alone wakes it. */
export interface Suspension {
  kind: WaitKind;
  ref: string | null;
  /** When the run becomes claimable again, or null when only an event (signal, child) wakes it. */
  runnableAt: number | null;
  /** A step row recorded in the same transaction (the sleep, the waiting signal, the retrying step). */
  step: StepWrite | null;
  now: number;
}

/** How a run ends. */
export type RunOutcome =
  | { status: 'succeeded'; outputJson: string }
  /** A plan-mode run reached its end: every act stopped at its plan, which waits for `applyPlan`. */
  | { status: 'planned'; outputJson: string }
  | { status: 'failed'; error: SerializedError }
  | { status: 'cancelled'; error: SerializedError | null }
  /** The run failed and its applied actions were rolled back: it passes through `compensating` to `rolled_back`. */
  | { status: 'rolled_back'; error: SerializedError };

/** What `consumeSignal` found. */
export type SignalConsumption =
  | { kind: 'received'; payload: unknown }
  | { kind: 'timed_out' }
  | { kind: 'suspended' };

/** Which runs to list; `cursor` is the `nextCursor` of the previous page. */
export interface RunFilter {
  status?: RunStatus | readonly RunStatus[];
  workflow?: string;
  queue?: string;
  parentId?: string;
  cursor?: string;
  limit: number;
}

/** A page of runs, newest first. */
export interface RunPage {
  runs: RunRecord[];
  nextCursor: string | null;
}

/** Which events to read. */
export interface EventQuery {
  after: number;
  runId?: string;
  limit: number;
}

/** The result of renewing a worker's leases. */
export interface LeaseRenewal {
  /** Runs whose lease this worker no longer holds. */
  lost: string[];
  /** Runs someone asked to cancel. */
  cancelRequested: string[];
}

/** What a cancel request did. */
export interface CancelResult {
  /** The run's status after the request: `cancelled` at once, or still `running` until its worker stops it. */
  status: RunStatus;
  /** True when the run had already ended and nothing changed. */
  alreadyEnded: boolean;
}

/** The store-wide controls: the kill switch and the global autonomy level. */
export interface Controls {
  killSwitch: { on: boolean; by: string | null; reason: string | null; at: number | null };
  /** 0 observe … 3 everything applies alone (design §3); a run's own level is capped by it. */
  autonomy: number;
}

/** Who changes a control, why, and when. */
export interface ControlChange {
  by: string | null;
  reason: string | null;
  now: number;
}

/** A change that committed, told to listeners in this process after the commit. */
export type StoreNotice =
  /** The controls changed (the kill switch, the autonomy level); read them again. */
  | { type: 'controls' }
  /** Runs of `queue` become claimable at `at`; `priority` is the highest among them when the store knows it. */
  | { type: 'runnable'; queue: string; at: number; priority: number | null }
  | { type: 'finished'; runId: string; status: RunStatus }
  | { type: 'cancel_requested'; runId: string }
  | { type: 'events' };

/** An audit entry to append: what happened, when, by whom, about what. Redact it before it gets here (src/audit). */
export interface AuditInput {
  /** What happened, as `area.verb`: `run.started`, `policy.decided`, `approval.decided`, `killswitch.changed`… */
  kind: string;
  /** When it happened, epoch milliseconds. */
  at: number;
  /** Who did it, as a Cedar entity (`User::"alice"`), or null for Steward itself. */
  actor: string | null;
  /** The run it belongs to, or null. */
  runId: string | null;
  /** What it was done to, as a Cedar entity (`service::"api"`), or null. */
  subject: string | null;
  /** The details; plain JSON (no undefined, no non-finite numbers). */
  data: Record<string, unknown>;
}

/** An appended audit entry: its place in the chain and the hash that seals it. */
export interface AuditEntry extends AuditInput {
  /** 1, 2, 3…: the position in the chain, without gaps. */
  id: number;
  /** The previous entry's hash; 64 zeros for the first. */
  prevHash: string;
  /** sha256(prevHash ‖ canonical JSON of the entry without `hash`), lowercase hex. */
  hash: string;
}

/** Which audit entries to read: those with `id > after`, oldest first. */
export interface AuditQuery {
  after: number;
  limit: number;
}

/** Where an approval request stands; every status but `pending` is final. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** An approval request as an act files it: the plan it is for, its hash, who asks and why it is needed. */
export interface NewApproval {
  id: string;
  runId: string;
  /** The sequence number of the act's approval checkpoint: one request per act, and an approval serves that act only. */
  seq: number;
  action: string;
  actionVersion: string;
  category: 'read' | 'write' | 'deploy' | 'rollback';
  resource: string;
  /** The network the action reaches (its `budgets.network`), for the approver's policy decision. */
  network: string;
  planJson: string;
  planHash: string;
  /** The run's subject, as a principal (`Agent::"planner"`), or null. */
  requester: string | null;
  /** Why approval is needed: `action-requires-approval`, `above-autonomy`, `no-permit`. */
  reasons: string[];
  createdAt: number;
  /** An approval still pending then is expired: a denial. */
  expiresAt: number;
}

/** An approval request as stored. */
export interface ApprovalRecord {
  id: string;
  runId: string;
  seq: number;
  action: string;
  actionVersion: string;
  category: NewApproval['category'];
  resource: string;
  network: string;
  plan: unknown;
  planHash: string;
  requester: string | null;
  reasons: string[];
  status: ApprovalStatus;
  decidedBy: string | null;
  /** The approver's reason-for-access, or the denier's reason. */
  reason: string | null;
  decidedAt: number | null;
  createdAt: number;
  expiresAt: number;
  /** When the act took the approval (it serves one act, once). */
  consumedAt: number | null;
}

/** A person's decision on an approval request. */
export interface ApprovalDecision {
  status: 'approved' | 'denied';
  by: string;
  reason: string | null;
  now: number;
}

/** What a decision did: recorded, found the request expired (and recorded that), or found it decided already. */
export interface ApprovalDecisionResult {
  outcome: 'decided' | 'expired' | 'already_decided';
  approval: ApprovalRecord;
}

/** Which approvals to list: oldest first. */
export interface ApprovalFilter {
  status?: readonly ApprovalStatus[];
  runId?: string;
  limit: number;
}

/** What `applyPlan` found: the run turned to apply mode, or the status that prevented it. */
export type PlanApplication = { applied: true; run: RunRecord } | { applied: false; status: RunStatus | null };
/** What a rate token request answers: taken, or refused until `retryAt` (epoch ms), when a token will be free. */
export type RateTake = { ok: true } | { ok: false; retryAt: number };

/** Where an action's circuit breaker stands: letting applies through, refusing them, or letting one probe through. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** How an action's breaker trips and recovers, with its defaults applied (see src/engine/budgets.ts). */
export interface BreakerSettings {
  /** Consecutive failed applies that open it. */
  failures: number;
  /** How long it stays open before one probe may go, and how long a probe may stay silent before it is forgotten. */
  coolDownMs: number;
}

/**
 * What the breaker answers to an apply about to start: go (`probe` when it is the one trial apply after the
 * cool-down), or not before `retryAt` (epoch ms).
 */
export type BreakerAdmission = { admitted: true; probe: boolean } | { admitted: false; retryAt: number; state: BreakerState };

/** An action's breaker as stored. */
export interface BreakerStatus {
  action: string;
  state: BreakerState;
  /** Consecutive failed applies since the last success. */
  failures: number;
  /** When it last opened, or null when it never did (or was closed since). */
  openedAt: number | null;
  /** While open: when one probe may go. While half-open: when the probe in flight is forgotten. Else null. */
  probeAt: number | null;
  updatedAt: number;
  /** The message of the last failed apply (redacted), or null. */
  lastError: string | null;
}

/**
 * The audit entry of a breaker's state change, less what only the store knows when it commits: the store sets `kind`
 * (`breaker.opened` or `breaker.closed`) and adds `action`, `from`, `to` and `failures` to `data` (and `error` when
 * it opens). Used only when the state changes.
 */
export type BreakerAuditTemplate = Omit<AuditInput, 'kind'>;

/** An operator's control of a component, applied by every process of the store to its own registry. */
export interface ComponentControl {
  domain: string;
  key: string;
  paused: boolean;
  by: string | null;
  reason: string | null;
  updatedAt: number;
}

/** What one worker process says of one of its components. */
export interface ComponentReport {
  worker: string;
  domain: string;
  key: string;
  provider: string | null;
  state: string;
  inFlight: number;
  reportedAt: number;
}

/** A bearer token of the HTTP API as stored: only the sha256 of its secret is kept. */
export interface ApiToken {
  id: string;
  /** A label for people: what the token is for. */
  name: string;
  /** sha256 of the secret, lowercase hex. */
  tokenHash: string;
  /** Who the token speaks for, as a principal: `User::"alice"`. */
  principal: string;
  /** The principal's roles, for policy: `viewer`, `operator`, `approver`, `admin`… */
  roles: string[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  createdBy: string | null;
}

/** One queue's runs waiting to start and executing now. */
export interface QueueCount {
  queue: string;
  queued: number;
  running: number;
}

/** The store's counts at one moment: what an overview shows and what metrics report as state. */
export interface StoreStats {
  /** Runs in each status (every status present, 0 when none). */
  runsByStatus: Record<RunStatus, number>;
  /**
   * Every queue the store knows of with its queued and running runs, by name: those with runs queued or running,
   * and those configured; a queue without either may be listed with zeros.
   */
  queues: QueueCount[];
  /** Approval requests still pending (some may be past their expiry and not yet expired by their act). */
  approvalsPending: number;
}

/** The store seam. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, safe to print (no password). */
  readonly location: string;

  configureQueues(queues: readonly QueueSettings[]): Promise<void>;
  getQueue(name: string): Promise<QueueState | null>;
  /** The counts of runs by status, of queued and running runs by queue, and of pending approvals, in one read. */
  stats(): Promise<StoreStats>;

  /**
   * Creates a run; with `eagerClaim`, a new run that is runnable now, of a queue without a concurrency limit, is
   * claimed in the same transaction.
   */
  createRun(run: NewRun, eagerClaim?: EagerClaim): Promise<CreateRunResult>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(filter: RunFilter): Promise<RunPage>;
  listSteps(runId: string): Promise<StepRecord[]>;
  readEvents(query: EventQuery): Promise<EventRecord[]>;
  /** The id of the newest event, or 0 when there is none (where a live stream of new events starts). */
  lastEventId(): Promise<number>;

  claimRuns(request: ClaimRequest): Promise<ClaimedRun[]>;
  /** The earliest time a run of these queues and workflows becomes claimable, or null. */
  nextRunnableAt(queues: readonly string[], workflows: readonly string[]): Promise<number | null>;
  renewLeases(owner: string, leases: readonly Lease[], leaseMs: number, now: number): Promise<LeaseRenewal>;
  /** Gives a running run back to its queue (a stopping worker). */
  releaseRun(lease: Lease, now: number): Promise<void>;
  /** Records a step outcome exactly once; a step already completed or failed is refused. */
  recordStep(lease: Lease, step: StepWrite): Promise<void>;
  suspendRun(lease: Lease, suspension: Suspension): Promise<void>;
  finishRun(lease: Lease, outcome: RunOutcome, now: number): Promise<void>;
  /** Takes the oldest pending signal of that name, or records the wait (and suspends the run), or times it out. */
  consumeSignal(
    lease: Lease,
    wait: { seq: number; name: string; deadline: number | null; startedAt: number; now: number },
  ): Promise<SignalConsumption>;
  /** Creates the child run (idempotently), records the waiting step and suspends the parent. */
  startChild(lease: Lease, child: NewRun, step: StepWrite): Promise<RunRecord>;

  sendSignal(runId: string, name: string, payloadJson: string, now: number): Promise<void>;
  requestCancel(runId: string, reason: SerializedError, now: number): Promise<CancelResult>;

  /** Records a schedule's tick if it is newer than the last one; true when this caller should start its run. */
  claimScheduleTick(name: string, cron: string, workflow: string, tickAt: number, now: number): Promise<boolean>;
  lastScheduleTick(name: string): Promise<number | null>;

  /**
   * Appends audit entries, in order, as one transaction: the store numbers them after the chain's last entry, links
   * and hashes each (see audit-chain.ts) inside that transaction, so that appends from any number of processes
   * form one chain. Entries must already be redacted. Answers the entries as stored.
   */
  appendAudit(entries: readonly AuditInput[]): Promise<AuditEntry[]>;
  /** Audit entries with `id > after`, oldest first. */
  readAudit(query: AuditQuery): Promise<AuditEntry[]>;

  /**
   * Takes the lock on a resource for a run, under its lease: true when the run holds it now (it may hold it already).
   * A lock whose holder is no longer running under the lease it took it with is free.
   */
  acquireLock(lease: Lease, resource: string, now: number): Promise<boolean>;
  /** Gives the lock back and wakes the runs waiting for it. */
  releaseLock(lease: Lease, resource: string, now: number): Promise<void>;

  getControls(): Promise<Controls>;
  /**
   * Turns the kill switch on or off, with its audit entry in the same transaction. Turning it off gives every
   * paused run back to its queue.
   */
  setKillSwitch(on: boolean, change: ControlChange, audit: AuditInput | null): Promise<Controls>;
  /** Sets the global autonomy level (0–3), with its audit entry in the same transaction. */
  setAutonomy(level: number, change: ControlChange, audit: AuditInput | null): Promise<Controls>;
  /**
   * Pauses a running run under its lease (the kill switch stopped it): it holds no lease and waits for the switch
   * to go off. If the switch is already off again, the run goes back to its queue instead.
   */
  pauseRun(lease: Lease, now: number): Promise<void>;

  /**
   * Files an act's approval request under its lease (idempotently: the same run and seq answer the stored request),
   * with its audit entry. A pending request past its expiry is expired there and then (audited with `expired`), and
   * an approved one is marked consumed. Answers the request as it stands.
   */
  requestApproval(lease: Lease, approval: NewApproval, audit: { requested: AuditInput; expired: AuditInput }, now: number): Promise<ApprovalRecord>;
  /**
   * Decides a pending request, with its audit entry, and wakes the run waiting for it. A request past its expiry is
   * expired instead (audited with `expired`); one decided already is left as it is.
   */
  decideApproval(id: string, decision: ApprovalDecision, audit: { decided: AuditInput; expired: AuditInput }): Promise<ApprovalDecisionResult>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  listApprovals(filter: ApprovalFilter): Promise<ApprovalRecord[]>;
  /**
   * Turns a `planned` run into an apply-mode run that replays its reviewed plans: every record but the plans is
   * dropped, a `plan.reviewed` record (seq 0) holds the hash, and the run goes back to its queue; with its audit
   * entry, in one transaction. Answers the status that prevented it when the run is not `planned`.
   */
  applyPlan(runId: string, review: { hash: string; by: string | null; reason: string | null; now: number }, audit: AuditInput): Promise<PlanApplication>;
  /**
   * Takes one apply of an action's rate budget (GCRA: bursts of up to `ratePerMinute`, refilled at one every
   * 60 000 / ratePerMinute ms), atomically across every process of the store. A refused take changes nothing.
   */
  takeRateToken(action: string, ratePerMinute: number, now: number): Promise<RateTake>;
  /**
   * Asks an action's breaker whether an apply may start. Closed: yes. Open: no until its cool-down ends; then exactly
   * one caller gets the probe and the breaker goes half-open. Half-open: no, while the probe is in flight; a probe
   * that never reports back is forgotten after another cool-down, and the next caller gets a new one.
   */
  breakerAdmit(action: string, settings: BreakerSettings, now: number): Promise<BreakerAdmission>;
  /**
   * Records how an apply ended. A success closes the breaker and forgets its failures; a failure counts, and the
   * `settings.failures`-th in a row opens it (a failure while half-open opens it again). When it opens, or closes
   * from open or half-open, the store appends the audit entry made from `audit` and a `breaker.opened` or
   * `breaker.closed` event, in the same transaction. `error` must be redacted. Answers the breaker after.
   */
  breakerRecord(
    action: string,
    ok: boolean,
    settings: BreakerSettings,
    now: number,
    error: string | null,
    audit: BreakerAuditTemplate | null,
  ): Promise<BreakerStatus>;
  /** An action's breaker, or null when it never failed (a read: it takes no probe). */
  getBreaker(action: string): Promise<BreakerStatus | null>;
  /** Every breaker the store knows (those of actions that ever failed), by action name. */
  listBreakers(): Promise<BreakerStatus[]>;
  /**
   * Closes a breaker by hand and forgets its failures, with its audit entry (and a `breaker.closed` event when it was
   * not closed) in the same transaction. Null, and nothing written, when the store knows no breaker of that action.
   */
  resetBreaker(action: string, change: ControlChange, audit: AuditInput | null): Promise<BreakerStatus | null>;

  /** Pauses or resumes a component in every process of the store, with its audit entry; processes hear of it as a controls change. */
  setComponentPaused(domain: string, key: string, paused: boolean, change: ControlChange, audit: AuditInput | null): Promise<ComponentControl>;
  /** Every component control in force. */
  listComponentControls(): Promise<ComponentControl[]>;
  /** Replaces what `worker` reports of its components (rows of components it no longer has are dropped). */
  reportComponents(worker: string, reports: ReadonlyArray<Omit<ComponentReport, 'worker' | 'reportedAt'>>, now: number): Promise<void>;
  /** Reports made at or after `since`, by worker then component. */
  listComponentReports(since: number): Promise<ComponentReport[]>;

  /** Stores a new API token, with its audit entry in the same transaction. */
  createToken(token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'>, audit: AuditInput | null): Promise<ApiToken>;
  /** The token whose secret has this sha256, revoked or not, or null. */
  findTokenByHash(hash: string): Promise<ApiToken | null>;
  /** Every token, oldest first. */
  listTokens(): Promise<ApiToken[]>;
  /**
   * Revokes a token, with its audit entry in the same transaction; a token revoked already stays as it was (no
   * audit). Null when no token has that id.
   */
  revokeToken(id: string, change: ControlChange, audit: AuditInput | null): Promise<ApiToken | null>;
  /** Records that the token was used at `now`. */
  touchToken(id: string, now: number): Promise<void>;

  /** Listens to changes committed by this process. Returns the unsubscribe function. */
  subscribe(listener: (notice: StoreNotice) => void): () => void;
  /** Finishes pending writes and closes. */
  close(): Promise<void>;
}
