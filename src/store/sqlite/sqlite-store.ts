/**
 * The embedded store: better-sqlite3 in WAL mode with synchronous=FULL, on a thread of its own. Calls made while a
 * batch is committing are gathered into the next batch, which commits as one transaction with one fsync (group
 * commit); every call resolves only after its batch is on disk.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { reviveError, StoreUnavailableError, type SerializedError } from '../../errors.js';
import type { EventRecord, Lease, RunRecord, StepRecord } from '../../domain/run.js';
import type {
  AuditEntry,
  AuditInput,
  AuditQuery,
  BreakerAdmission,
  BreakerAuditTemplate,
  BreakerSettings,
  BreakerStatus,
  CancelResult,
  ClaimRequest,
  ClaimedRun,
  ControlChange,
  Controls,
  ComponentControl,
  ComponentReport,
  ApiToken,
  ApprovalDecision,
  ApprovalDecisionResult,
  ApprovalFilter,
  ApprovalRecord,
  NewApproval,
  PlanApplication,
  CreateRunResult,
  EagerClaim,
  EventQuery,
  LeaseRenewal,
  NewRun,
  QueueSettings,
  QueueState,
  RateTake,
  StoreStats,
  RunFilter,
  RunOutcome,
  RunPage,
  SignalConsumption,
  StepWrite,
  Store,
  StoreNotice,
  Suspension,
} from '../store.js';
import type { BatchOutcome, Call } from './group-commit.js';
import { newRunRecord } from '../new-run.js';
import { openSqliteDatabase, type SqliteOpenOptions } from './open.js';
import type { SqliteOperations } from './operations.js';
import type { ThreadReply, ThreadRequest } from './thread.js';

/** Calls that, gathered in one turn, are sent without waiting for the turn to end. */
const EARLY_BATCH = 256;
/**
 * Batches sent to the thread before the first is answered: with two, the thread starts the next transaction the
 * moment it commits one, while this thread is still handling the answer.
 */
const PIPELINE_DEPTH = 2;
/** Calls from which a batch sent with nothing in flight is split in two. */
const SPLIT_AT = 64;
/** The most calls one transaction takes, to bound the latency of the calls behind it. */
const MAX_BATCH = 4096;

interface PendingCall {
  call: Call;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type OpArgs<K extends keyof SqliteOperations> = SqliteOperations[K] extends (notices: StoreNotice[], ...args: infer A) => unknown ? A : never;
type OpResult<K extends keyof SqliteOperations> = SqliteOperations[K] extends (...args: never[]) => infer R ? R : never;

/** Starts the thread from the compiled JavaScript, or from the TypeScript source (through tsx) when running from source. */
function startThread(workerData: unknown): Worker {
  const js = new URL('./thread.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL('./thread.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** The embedded SQLite store. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly thread: Worker;
  private readonly listeners = new Set<(notice: StoreNotice) => void>();
  private queue: PendingCall[] = [];
  /** Batches sent and not yet answered, oldest first. */
  private inFlight: PendingCall[][] = [];
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  /** Whether a send at the end of this turn is already planned. */
  private scheduled = false;

  private constructor(file: string, busyTimeoutMs: number) {
    this.location = file;
    this.thread = startThread({ file, busyTimeoutMs });
    this.thread.on('message', (message: ThreadReply) => this.onReply(message.outcome));
    this.thread.on('error', (error) => this.onThreadDeath(error));
    this.thread.on('exit', (code) => {
      if (!this.closed) this.onThreadDeath(new Error(`the SQLite thread exited with code ${code}`));
    });
    // the thread must not keep the process alive on its own; pending calls do
    this.thread.unref();
  }

  /**
   * Opens the database file: checks the location, refuses files that are not Steward databases or are newer,
   * applies migrations, then hands the connection over to the database thread.
   */
  static open(file: string, options: SqliteOpenOptions = {}): SqliteStore {
    openSqliteDatabase(file, options).close();
    return new SqliteStore(file, options.busyTimeoutMs ?? 5000);
  }

  /** Resolves once the database thread has opened the database and answered. */
  async ready(): Promise<void> {
    await this.call('ping');
  }

  private call<K extends keyof SqliteOperations>(op: K, ...args: OpArgs<K>): Promise<OpResult<K>> {
    if (this.closed || this.closing) return Promise.reject(new StoreUnavailableError(`store ${this.location} is closed`));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ call: { op, args }, resolve: resolve as (value: unknown) => void, reject });
      if (this.inFlight.length >= PIPELINE_DEPTH) return;
      // a burst of calls in one turn starts committing before the turn ends
      if (this.queue.length >= EARLY_BATCH) this.send();
      else this.schedule();
    });
  }

  /** Sends at the end of this turn, so that the calls of one turn share a batch. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.thread.ref();
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight.length >= PIPELINE_DEPTH || this.queue.length === 0) return;
    let take = Math.min(this.queue.length, MAX_BATCH);
    // with nothing in flight, a large batch goes as two: this thread handles the first answer while the
    // database thread commits the second, instead of the two threads waiting on each other in turn
    if (this.inFlight.length === 0 && take >= SPLIT_AT) take = Math.ceil(take / 2);
    const batch = take === this.queue.length ? this.queue : this.queue.splice(0, take);
    if (batch === this.queue) this.queue = [];
    this.inFlight.push(batch);
    const request: ThreadRequest = { id: this.nextId++, calls: batch.map((p) => p.call) };
    this.thread.postMessage(request);
    if (this.queue.length > 0) this.send();
  }

  private onReply(outcome: BatchOutcome): void {
    const batch = this.inFlight.shift() ?? [];
    // the next batch goes out before this one's callers run, so the thread never waits on the main thread
    if (this.queue.length > 0) this.send();
    else if (this.inFlight.length === 0) this.thread.unref();
    if (!outcome.ok) {
      const error = reviveError(outcome.error);
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const result = outcome.outcomes[i];
      if (result?.ok) p.resolve(result.value);
      else p.reject(reviveError(result?.error ?? missingOutcome()));
    });
    for (const notice of outcome.notices) for (const listener of this.listeners) listener(notice);
  }

  private onThreadDeath(error: Error): void {
    if (this.failure) return;
    this.failure = new StoreUnavailableError(`the SQLite thread of ${this.location} stopped: ${error.message}`, { cause: error });
    const all = [...this.inFlight.flat(), ...this.queue];
    this.inFlight = [];
    this.queue = [];
    for (const p of all) p.reject(this.failure);
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // let everything already asked for commit first
      while ((this.inFlight.length > 0 || this.queue.length > 0) && !this.failure) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.closed = true;
      this.listeners.clear();
      if (!this.failure) {
        // the thread keeps the process alive until it has closed the database and exited
        this.thread.ref();
        const closed = new Promise<void>((resolve) => this.thread.once('exit', () => resolve()));
        this.thread.postMessage({ id: this.nextId++, close: true } satisfies ThreadRequest);
        await closed;
      }
    })();
    return this.closing;
  }

  /** Where this lease's last queued (unsent) step record is, looking back a bounded way; -1 if none. */
  private findQueuedStepRecord(lease: Lease): number {
    for (let i = this.queue.length - 1, seen = 0; i >= 0 && seen < 256; i -= 1, seen += 1) {
      const call = this.queue[i]!.call;
      if (sameLease(call.args[0], lease)) return call.op === 'recordStep' ? i : -1;
    }
    return -1;
  }

  configureQueues(queues: readonly QueueSettings[]): Promise<void> {
    return this.call('configureQueues', queues);
  }
  getQueue(name: string): Promise<QueueState | null> {
    return this.call('getQueue', name);
  }
  stats(): Promise<StoreStats> {
    return this.call('stats');
  }
  async createRun(run: NewRun, eagerClaim?: EagerClaim): Promise<CreateRunResult> {
    const inserted = await this.call('createRun', run, eagerClaim);
    if (inserted.run) return { run: inserted.run, created: inserted.created };
    if (inserted.claimed) return { run: inserted.claimed.run, created: true, claimed: inserted.claimed };
    // most callers only want the id: the new run's record is built when first read
    let record: RunRecord | undefined;
    return {
      created: true,
      get run(): RunRecord {
        return (record ??= newRunRecord(run));
      },
    };
  }
  getRun(id: string): Promise<RunRecord | null> {
    return this.call('getRun', id);
  }
  listRuns(filter: RunFilter): Promise<RunPage> {
    return this.call('listRuns', filter);
  }
  listSteps(runId: string): Promise<StepRecord[]> {
    return this.call('listSteps', runId);
  }
  lastEventId(): Promise<number> {
    return this.call('lastEventId');
  }
  readEvents(query: EventQuery): Promise<EventRecord[]> {
    return this.call('readEvents', query);
  }
  claimRuns(request: ClaimRequest): Promise<ClaimedRun[]> {
    return this.call('claimRuns', request);
  }
  nextRunnableAt(queues: readonly string[], workflows: readonly string[]): Promise<number | null> {
    return this.call('nextRunnableAt', queues, workflows);
  }
  renewLeases(owner: string, leases: readonly Lease[], leaseMs: number, now: number): Promise<LeaseRenewal> {
    return this.call('renewLeases', owner, leases, leaseMs, now);
  }
  releaseRun(lease: Lease, now: number): Promise<void> {
    return this.call('releaseRun', lease, now);
  }
  recordStep(lease: Lease, step: StepWrite): Promise<void> {
    return this.call('recordStep', lease, step);
  }
  suspendRun(lease: Lease, suspension: Suspension): Promise<void> {
    return this.call('suspendRun', lease, suspension);
  }
  finishRun(lease: Lease, outcome: RunOutcome, now: number): Promise<void> {
    // a run's last step and its end usually arrive in the same batch: one call, one fence check. Other runs'
    // calls may stand between them; none of this run's can (its execution makes one call at a time).
    const at = this.findQueuedStepRecord(lease);
    if (at >= 0) {
      const last = this.queue[at]!;
      this.queue.splice(at, 1);
      const step = last.call.args[1] as StepWrite;
      return new Promise<void>((resolve, reject) => {
        this.queue.push({
          call: { op: 'recordStepAndFinish', args: [lease, step, outcome, now] },
          resolve: (value) => {
            last.resolve(value);
            resolve();
          },
          reject: (error) => {
            last.reject(error);
            reject(error);
          },
        });
      });
    }
    return this.call('finishRun', lease, outcome, now);
  }
  consumeSignal(
    lease: Lease,
    wait: { seq: number; name: string; deadline: number | null; startedAt: number; now: number },
  ): Promise<SignalConsumption> {
    return this.call('consumeSignal', lease, wait);
  }
  startChild(lease: Lease, child: NewRun, step: StepWrite): Promise<RunRecord> {
    return this.call('startChild', lease, child, step);
  }
  sendSignal(runId: string, name: string, payloadJson: string, now: number): Promise<void> {
    return this.call('sendSignal', runId, name, payloadJson, now);
  }
  requestCancel(runId: string, reason: SerializedError, now: number): Promise<CancelResult> {
    return this.call('requestCancel', runId, reason, now);
  }
  claimScheduleTick(name: string, cron: string, workflow: string, tickAt: number, now: number): Promise<boolean> {
    return this.call('claimScheduleTick', name, cron, workflow, tickAt, now);
  }
  lastScheduleTick(name: string): Promise<number | null> {
    return this.call('lastScheduleTick', name);
  }
  appendAudit(entries: readonly AuditInput[]): Promise<AuditEntry[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.call('appendAudit', entries);
  }
  acquireLock(lease: Lease, resource: string, now: number): Promise<boolean> {
    return this.call('acquireLock', lease, resource, now);
  }
  releaseLock(lease: Lease, resource: string, now: number): Promise<void> {
    return this.call('releaseLock', lease, resource, now);
  }
  getControls(): Promise<Controls> {
    return this.call('getControls');
  }
  setKillSwitch(on: boolean, change: ControlChange, audit: AuditInput | null): Promise<Controls> {
    return this.call('setKillSwitch', on, change, audit);
  }
  setAutonomy(level: number, change: ControlChange, audit: AuditInput | null): Promise<Controls> {
    return this.call('setAutonomy', level, change, audit);
  }
  pauseRun(lease: Lease, now: number): Promise<void> {
    return this.call('pauseRun', lease, now);
  }
  readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.call('readAudit', query);
  }
  setComponentPaused(domain: string, key: string, paused: boolean, change: ControlChange, audit: AuditInput | null): Promise<ComponentControl> {
    return this.call('setComponentPaused', domain, key, paused, change, audit);
  }
  listComponentControls(): Promise<ComponentControl[]> {
    return this.call('listComponentControls');
  }
  reportComponents(worker: string, reports: ReadonlyArray<Omit<ComponentReport, 'worker' | 'reportedAt'>>, now: number): Promise<void> {
    return this.call('reportComponents', worker, reports, now);
  }
  listComponentReports(since: number): Promise<ComponentReport[]> {
    return this.call('listComponentReports', since);
  }

  createToken(token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'>, audit: AuditInput | null): Promise<ApiToken> {
    return this.call('createToken', token, audit);
  }
  findTokenByHash(hash: string): Promise<ApiToken | null> {
    return this.call('findTokenByHash', hash);
  }
  listTokens(): Promise<ApiToken[]> {
    return this.call('listTokens');
  }
  revokeToken(id: string, change: ControlChange, audit: AuditInput | null): Promise<ApiToken | null> {
    return this.call('revokeToken', id, change, audit);
  }
  touchToken(id: string, now: number): Promise<void> {
    return this.call('touchToken', id, now);
  }
  requestApproval(lease: Lease, approval: NewApproval, audit: { requested: AuditInput; expired: AuditInput }, now: number): Promise<ApprovalRecord> {
    return this.call('requestApproval', lease, approval, audit, now);
  }
  decideApproval(id: string, decision: ApprovalDecision, audit: { decided: AuditInput; expired: AuditInput }): Promise<ApprovalDecisionResult> {
    return this.call('decideApproval', id, decision, audit);
  }
  getApproval(id: string): Promise<ApprovalRecord | null> {
    return this.call('getApproval', id);
  }
  listApprovals(filter: ApprovalFilter): Promise<ApprovalRecord[]> {
    return this.call('listApprovals', filter);
  }
  applyPlan(runId: string, review: { hash: string; by: string | null; reason: string | null; now: number }, audit: AuditInput): Promise<PlanApplication> {
    return this.call('applyPlan', runId, review, audit);
  }
  takeRateToken(action: string, ratePerMinute: number, now: number): Promise<RateTake> {
    return this.call('takeRateToken', action, ratePerMinute, now);
  }
  breakerAdmit(action: string, settings: BreakerSettings, now: number): Promise<BreakerAdmission> {
    return this.call('breakerAdmit', action, settings, now);
  }
  breakerRecord(
    action: string,
    ok: boolean,
    settings: BreakerSettings,
    now: number,
    error: string | null,
    audit: BreakerAuditTemplate | null,
  ): Promise<BreakerStatus> {
    return this.call('breakerRecord', action, ok, settings, now, error, audit);
  }
  getBreaker(action: string): Promise<BreakerStatus | null> {
    return this.call('getBreaker', action);
  }
  listBreakers(): Promise<BreakerStatus[]> {
    return this.call('listBreakers');
  }
  resetBreaker(action: string, change: ControlChange, audit: AuditInput | null): Promise<BreakerStatus | null> {
    return this.call('resetBreaker', action, change, audit);
  }
}

function sameLease(a: unknown, b: Lease): boolean {
  if (typeof a !== 'object' || a === null) return false;
  const lease = a as Partial<Lease>;
  return lease.runId === b.runId && lease.owner === b.owner && lease.epoch === b.epoch;
}

function missingOutcome(): SerializedError {
  return { code: 'STEWARD_STORE_UNAVAILABLE', name: 'StoreUnavailableError', message: 'the SQLite thread answered without an outcome' };
}
