/**
 * The PostgreSQL store: many workers in many processes on one database. Operations run on a `pg` pool, each write
 * in one transaction (or one statement); claims skip rows other claimers hold; the schema's triggers append events
 * and NOTIFY on commit, and one listening connection turns the notifications of every process into StoreNotices.
 * When PostgreSQL cannot be reached, operations reject with STEWARD_STORE_UNAVAILABLE and the store reconnects by
 * itself; the outage is logged once, and so is the recovery.
 *
 * Modules: settings (URL and options), connection (pool), migrate (schema), listener and notices (LISTEN/NOTIFY),
 * notice-gate (notices told after the claims in flight), health (outage logging), failures (error mapping),
 * run-writes (one run's writes in order), queries/ (the SQL).
 */
import type pg from 'pg';
import { StoreUnavailableError, type SerializedError } from '../../errors.js';
import type { EventRecord, Lease, RunRecord, StepRecord } from '../../domain/run.js';
import { createLogger, type Logger } from '../../observability/logger.js';
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
  StoreStats,
  RateTake,
  RunFilter,
  RunOutcome,
  RunPage,
  SignalConsumption,
  StepWrite,
  Store,
  StoreNotice,
  Suspension,
} from '../store.js';
import { newRunRecord } from '../new-run.js';
import { closedBreaker } from '../budgets.js';
import { Batcher, type BatchResult } from './batcher.js';
import { ClaimCoalescer } from './claim-coalescer.js';
import { createPool, preparedStatements, type Queryable } from './connection.js';
import { isConnectionFailure, isTransientConflict, mapOperationError, openFailure } from './failures.js';
import { ConnectionHealth } from './health.js';
import { NotificationListener } from './listener.js';
import { migrate } from './migrate.js';
import { NoticeGate } from './notice-gate.js';
import { channelOf } from './notices.js';
import { toRun, toStep, type RunRow, type StepRow } from '../rows.js';
import { RunWriteOrder } from './run-writes.js';
import { resolvePostgresSettings, type PostgresSettings, type PostgresStoreOptions } from './settings.js';
import { appendAudit, readAudit } from './queries/audit.js';
import { getControls, pauseRun, setKillSwitch, setAutonomy } from './queries/controls.js';
import { acquireLock, releaseLock } from './queries/locks.js';
import { decideApproval, getApproval, listApprovals, requestApproval } from './queries/approvals.js';
import { applyPlan } from './queries/plans.js';
import { createToken, findTokenByHash, listTokens, revokeToken, touchToken } from './queries/tokens.js';
import { listComponentControls, listComponentReports, reportComponents, setComponentPaused } from './queries/components.js';
import { claimRuns, claimUnlimited, type ClaimedRow } from './queries/claim-runs.js';
import { consumeSignal, type SignalWait } from './queries/consume-signal.js';
import { createBatch } from './queries/create-batch.js';
import { createRun } from './queries/create-run.js';
import { finishRolledBack, finishRun, recordStepAndFinish } from './queries/finish-run.js';
import { configureQueues, getQueue } from './queries/queues.js';
import { readStats } from './queries/stats.js';
import { getRun, listRuns, listSteps, nextRunnableAt, readSettledEvents } from './queries/reads.js';
import { recordStep } from './queries/record-step.js';
import { releaseRun } from './queries/release-run.js';
import { renewLeases } from './queries/renew-leases.js';
import { requestCancel } from './queries/request-cancel.js';
import { claimScheduleTick, lastScheduleTick } from './queries/schedules.js';
import { sendSignal } from './queries/send-signal.js';
import { startChild } from './queries/start-child.js';
import { suspendRun } from './queries/suspend-run.js';
import { writeBatch, type LeaseWrite } from './queries/write-batch.js';
import { breakerAdmit, breakerRecord, listBreakers, readBreaker, resetBreaker, takeRateToken } from './queries/budgets.js';

export type { PostgresStoreOptions } from './settings.js';

/** How an operation uses its connection. */
type Mode =
  /** One read: safe to try again on a fresh connection when the first one turns out broken. */
  | 'read'
  /** One statement, atomic on its own. */
  | 'statement'
  /** Several statements in one transaction. */
  | 'transaction';

/** Transactions rolled back by a deadlock or serialization conflict run again, up to this many times in all. */
const CONFLICT_ATTEMPTS = 4;

/** How long a read of events waits for open transactions that hold back events it can already see. */
const EVENTS_SETTLE_WAIT_MS = 1000;

/** The PostgreSQL store. */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly listeners = new Set<(notice: StoreNotice) => void>();
  /** Queues this store has heard of: after a reconnection each gets a `runnable` notice, so workers look again. */
  private readonly knownQueues = new Set<string>(['default']);
  private readonly order: RunWriteOrder;
  /** Each worker's claims, one at a time, merged while they wait. */
  private readonly claims = new ClaimCoalescer((request) => this.claimOnce(request));
  /** New runs, one statement per turn; each answers whether it was inserted. */
  private readonly newRuns: Batcher<NewRun, boolean>;
  /** Step records and run ends of many runs, one statement per turn. */
  private readonly leaseWrites: Batcher<LeaseWrite, void>;
  private readonly listener: NotificationListener;
  private readonly gate = new NoticeGate((notices) => this.tell(notices));
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly settings: PostgresSettings,
    private readonly pool: pg.Pool,
    private readonly health: ConnectionHealth,
    schema: string,
  ) {
    this.location = settings.location;
    this.leaseWrites = new Batcher((items) => this.writeLeases(items));
    this.newRuns = new Batcher(async (runs) => {
      let inserted: boolean[];
      try {
        inserted = await this.execute('statement', (db) => createBatch(db, runs));
      } catch (error) {
        // refused as a whole (one run the database will not take): each run is then created on its own
        if (runs.length === 1 || error instanceof StoreUnavailableError) throw error;
        inserted = runs.map(() => false);
      }
      return inserted.map((value): BatchResult<boolean> => ({ ok: true, value }));
    });
    this.order = new RunWriteOrder({
      recordStep: (lease, step) => this.leaseWrites.add({ lease, step, outcome: null, now: 0 }),
      finishRun: (lease, outcome, now) => this.leaseWrites.add({ lease, step: null, outcome, now }),
      recordStepAndFinish: (lease, step, outcome, now) => this.leaseWrites.add({ lease, step, outcome, now }),
    });
    this.listener = new NotificationListener(
      settings,
      channelOf(schema),
      health,
      {
        notices: (notices) => this.gate.deliver(notices),
        reconnected: () => {
          // notifications sent while the connection was down were lost: every queue may have runnable runs
          const at = Date.now();
          const runnable = [...this.knownQueues].map((queue): StoreNotice => ({ type: 'runnable', queue, at, priority: null }));
          this.gate.deliver([...runnable, { type: 'events' }]);
        },
      },
    );
  }

  /**
   * Opens the store: connects, applies migrations under an advisory lock, and starts listening. A server that does
   * not answer, a refused login, a missing database or missing privileges fail here with a one-line error.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const settings = resolvePostgresSettings(url, options);
    const logger: Logger = settings.logger ?? createLogger();
    const health = new ConnectionHealth(logger, settings.location);
    const pool = createPool(settings, (error) =>
      logger.debug({ store: settings.location, err: error.message }, 'an idle PostgreSQL connection closed'),
    );
    try {
      const client = await pool.connect();
      let schema: string;
      try {
        schema = await migrate(client, settings);
      } finally {
        client.release();
      }
      const store = new PostgresStore(settings, pool, health, schema);
      await store.listener.start();
      return store;
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw openFailure(settings, error);
    }
  }

  private tell(notices: readonly StoreNotice[]): void {
    for (const notice of notices) for (const listener of this.listeners) listener(notice);
  }

  /** Runs an operation on a pooled connection and maps what went wrong to an error a caller can act on. */
  private async execute<T>(mode: Mode, work: (db: Queryable) => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      for (let attempt = 1; ; attempt += 1) {
        let client: pg.PoolClient;
        try {
          client = await this.pool.connect();
        } catch (error) {
          if (isConnectionFailure(error)) this.health.down(error);
          throw mapOperationError(error, this.settings, 'connecting');
        }
        try {
          if (mode === 'transaction') await client.query('BEGIN');
          const result = await work(preparedStatements(client));
          if (mode === 'transaction') await client.query('COMMIT');
          client.release();
          this.health.up();
          return result;
        } catch (error) {
          await this.abandon(client, mode, error);
          if (isConnectionFailure(error)) {
            this.health.down(error);
            // a read on a connection that broke while idle in the pool is tried once more, on a new one
            if (mode === 'read' && attempt === 1) continue;
          } else {
            this.health.up();
            if (isTransientConflict(error) && attempt < CONFLICT_ATTEMPTS) continue;
          }
          throw mapOperationError(error, this.settings, 'during');
        }
      }
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  /** Rolls back what an operation left open and gives its connection back, or drops it when it is broken. */
  private async abandon(client: pg.PoolClient, mode: Mode, error: unknown): Promise<void> {
    if (isConnectionFailure(error)) {
      client.release(error instanceof Error ? error : true);
      return;
    }
    if (mode !== 'transaction') {
      client.release();
      return;
    }
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackError) {
      client.release(rollbackError instanceof Error ? rollbackError : true);
    }
  }

  /**
   * Writes a batch of step records and run ends in one statement. Should the database refuse the statement as a
   * whole (not the connection failing), each write is made on its own, so that only the refused one fails.
   */
  private async writeLeases(items: LeaseWrite[]): Promise<Array<BatchResult<void>>> {
    // a run ending rolled back changes status twice, which one statement cannot, and an act's record takes the audit
    // chain's lock: such writes go on their own
    if (items.some((item) => item.outcome?.status === 'rolled_back' || item.step?.audit !== undefined)) return this.writeEach(items);
    try {
      return await this.execute('statement', (db) => writeBatch(db, items));
    } catch (error) {
      if (items.length === 1 || error instanceof StoreUnavailableError) throw error;
      return this.writeEach(items);
    }
  }

  /** Writes each item on its own, answering for each. */
  private writeEach(items: LeaseWrite[]): Promise<Array<BatchResult<void>>> {
    return Promise.all(
      items.map((item) =>
        this.writeLease(item).then(
          (): BatchResult<void> => ({ ok: true, value: undefined }),
          (failure: unknown): BatchResult<void> => ({ ok: false, error: failure }),
        ),
      ),
    );
  }

  private writeLease({ lease, step, outcome, now }: LeaseWrite): Promise<void> {
    if (outcome?.status === 'rolled_back' || step?.audit !== undefined) {
      return this.execute('transaction', async (db) => {
        if (step !== null && outcome !== null && outcome.status !== 'rolled_back') await recordStepAndFinish(db, lease, step, outcome, now);
        else if (step !== null) await recordStep(db, lease, step);
        if (outcome?.status === 'rolled_back') await finishRolledBack(db, lease, outcome, now);
        else if (step === null && outcome !== null) await finishRun(db, lease, outcome, now);
        if (step?.audit !== undefined) await appendAudit(db, [step.audit]);
      });
    }
    if (step !== null && outcome !== null) return this.execute('statement', (db) => recordStepAndFinish(db, lease, step, outcome, now));
    if (step !== null) return this.execute('statement', (db) => recordStep(db, lease, step));
    if (outcome !== null) return this.execute('statement', (db) => finishRun(db, lease, outcome, now));
    return Promise.resolve();
  }

  /** Rejects calls made after `close()`. */
  private open(): void {
    if (this.closed) throw new StoreUnavailableError(`store ${this.location} is closed`);
  }

  private claimed(row: RunRow, owner: string, steps: StepRow[]): ClaimedRun {
    return { run: toRun(row), lease: { runId: row.id, owner, epoch: row.lease_epoch }, steps: steps.map(toStep) };
  }

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    // idle connections do not keep the process alive, and closing them must not let it exit half way
    const keepAlive = setInterval(() => undefined, 1 << 30);
    this.closing = (async () => {
      // let everything already asked for finish first
      while (this.inFlight > 0 || !this.order.idle) {
        await new Promise<void>((resolve) => {
          if (this.inFlight > 0) this.drainWaiters.push(resolve);
          else setImmediate(resolve);
        });
      }
      this.listeners.clear();
      await this.listener.stop();
      await this.pool.end();
    })().finally(() => clearInterval(keepAlive));
    return this.closing;
  }

  async configureQueues(queues: readonly QueueSettings[]): Promise<void> {
    this.open();
    for (const queue of queues) this.knownQueues.add(queue.name);
    await this.execute('statement', (db) => configureQueues(db, queues));
  }

  async getQueue(name: string): Promise<QueueState | null> {
    this.open();
    return this.execute('read', (db) => getQueue(db, name));
  }

  async stats(): Promise<StoreStats> {
    this.open();
    return this.execute('read', (db) => readStats(db));
  }

  async createRun(run: NewRun, eagerClaim?: EagerClaim): Promise<CreateRunResult> {
    this.open();
    this.knownQueues.add(run.queue);
    // most runs are created by a batch of this turn; one to claim at once, or one the batch left alone, on its own
    // (a run with an audit entry takes the audit chain's lock, in a transaction of its own)
    if (eagerClaim === undefined && run.audit === undefined && (await this.newRuns.add(run))) return this.createdRun(run);
    const created = await this.execute('transaction', (db) => createRun(db, run, eagerClaim));
    if (created.existing) return { run: toRun(created.existing), created: false };
    if (created.claimed && eagerClaim) {
      const claimed = this.claimed(created.claimed, eagerClaim.owner, []);
      return { run: claimed.run, created: true, claimed };
    }
    return this.createdRun(run);
  }

  /** What a create of a new run answers; most callers only want the id, so the record is built when first read. */
  private createdRun(run: NewRun): CreateRunResult {
    let record: RunRecord | undefined;
    return {
      created: true,
      get run(): RunRecord {
        return (record ??= newRunRecord(run));
      },
    };
  }

  async getRun(id: string): Promise<RunRecord | null> {
    this.open();
    return this.execute('read', (db) => getRun(db, id));
  }

  async listRuns(filter: RunFilter): Promise<RunPage> {
    this.open();
    return this.execute('read', (db) => listRuns(db, filter));
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    this.open();
    return this.execute('read', (db) => listSteps(db, runId));
  }

  /**
   * Events after a cursor. Events that transactions still open may yet be numbered below are held back; a read that
   * sees some waits (briefly) for those transactions to end, so that a caller reads what was committed before it
   * asked, as on SQLite, unless a transaction stays open longer than the wait.
   */
  async lastEventId(): Promise<number> {
    this.open();
    return this.execute('read', async (db) => Number((await db.query<{ id: string | number | null }>('SELECT max(id) AS id FROM events')).rows[0]?.id ?? 0));
  }

  async readEvents(query: EventQuery): Promise<EventRecord[]> {
    this.open();
    const deadline = Date.now() + EVENTS_SETTLE_WAIT_MS;
    for (let pause = 1; ; pause = Math.min(pause * 2, 25)) {
      const { events, unsettled } = await this.execute('read', (db) => readSettledEvents(db, query));
      if (!unsettled || Date.now() >= deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async claimRuns(request: ClaimRequest): Promise<ClaimedRun[]> {
    this.open();
    for (const queue of request.queues) this.knownQueues.add(queue);
    const claim = this.gate.claimStarted();
    try {
      const rows = await this.claims.run(request);
      return rows.map(({ row, steps }) => this.claimed(row, request.owner, steps));
    } finally {
      this.gate.claimAnswered(claim);
    }
  }

  /**
   * One claim: the usual one (no dead workers to look for, no queue with a limit) is one statement; the rest takes a
   * transaction with the limited queue's lock.
   */
  private async claimOnce(request: ClaimRequest): Promise<ClaimedRow[]> {
    let rows: ClaimedRow[] = [];
    let rest: ClaimRequest | null = request;
    if (request.reclaimExpired === false) ({ rows, rest } = await this.execute('statement', (db) => claimUnlimited(db, request)));
    if (rest === null) return rows;
    const remaining = rest;
    return rows.concat(await this.execute('transaction', (db) => claimRuns(db, remaining)));
  }

  async nextRunnableAt(queues: readonly string[], _workflows: readonly string[]): Promise<number | null> {
    this.open();
    return this.execute('read', (db) => nextRunnableAt(db, queues));
  }

  async renewLeases(owner: string, leases: readonly Lease[], leaseMs: number, now: number): Promise<LeaseRenewal> {
    this.open();
    return this.execute('statement', (db) => renewLeases(db, owner, leases, leaseMs, now));
  }

  async releaseRun(lease: Lease, now: number): Promise<void> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('statement', (db) => releaseRun(db, lease, now)));
  }

  async recordStep(lease: Lease, step: StepWrite): Promise<void> {
    this.open();
    return this.order.recordStep(lease, step);
  }

  async suspendRun(lease: Lease, suspension: Suspension): Promise<void> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('transaction', (db) => suspendRun(db, lease, suspension)));
  }

  async finishRun(lease: Lease, outcome: RunOutcome, now: number): Promise<void> {
    this.open();
    return this.order.finishRun(lease, outcome, now);
  }

  async consumeSignal(lease: Lease, wait: SignalWait): Promise<SignalConsumption> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('transaction', (db) => consumeSignal(db, lease, wait)));
  }

  async startChild(lease: Lease, child: NewRun, step: StepWrite): Promise<RunRecord> {
    this.open();
    this.knownQueues.add(child.queue);
    return this.order.other(lease.runId, () => this.execute('transaction', (db) => startChild(db, lease, child, step)));
  }

  async sendSignal(runId: string, name: string, payloadJson: string, now: number): Promise<void> {
    this.open();
    return this.execute('transaction', (db) => sendSignal(db, runId, name, payloadJson, now));
  }

  async requestCancel(runId: string, reason: SerializedError, now: number): Promise<CancelResult> {
    this.open();
    return this.execute('transaction', (db) => requestCancel(db, runId, reason, now));
  }

  async claimScheduleTick(name: string, cron: string, workflow: string, tickAt: number, now: number): Promise<boolean> {
    this.open();
    return this.execute('transaction', (db) => claimScheduleTick(db, name, cron, workflow, tickAt, now));
  }

  async lastScheduleTick(name: string): Promise<number | null> {
    this.open();
    return this.execute('read', (db) => lastScheduleTick(db, name));
  }

  async appendAudit(entries: readonly AuditInput[]): Promise<AuditEntry[]> {
    this.open();
    if (entries.length === 0) return [];
    return this.execute('transaction', (db) => appendAudit(db, entries));
  }

  async acquireLock(lease: Lease, resource: string, now: number): Promise<boolean> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('statement', (db) => acquireLock(db, lease, resource, now)));
  }

  async releaseLock(lease: Lease, resource: string, now: number): Promise<void> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('statement', (db) => releaseLock(db, lease, resource, now)));
  }

  async getControls(): Promise<Controls> {
    this.open();
    return this.execute('read', (db) => getControls(db));
  }

  async setKillSwitch(on: boolean, change: ControlChange, audit: AuditInput | null): Promise<Controls> {
    this.open();
    return this.execute('transaction', (db) => setKillSwitch(db, on, change, audit));
  }

  async setAutonomy(level: number, change: ControlChange, audit: AuditInput | null): Promise<Controls> {
    this.open();
    return this.execute('transaction', (db) => setAutonomy(db, level, change, audit));
  }

  async pauseRun(lease: Lease, now: number): Promise<void> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('statement', (db) => pauseRun(db, lease, now)));
  }

  async readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    this.open();
    return this.execute('read', (db) => readAudit(db, query));
  }

  async setComponentPaused(domain: string, key: string, paused: boolean, change: ControlChange, audit: AuditInput | null): Promise<ComponentControl> {
    this.open();
    return this.execute('transaction', (db) => setComponentPaused(db, domain, key, paused, change, audit));
  }

  async listComponentControls(): Promise<ComponentControl[]> {
    this.open();
    return this.execute('read', (db) => listComponentControls(db));
  }

  async reportComponents(worker: string, reports: ReadonlyArray<Omit<ComponentReport, 'worker' | 'reportedAt'>>, now: number): Promise<void> {
    this.open();
    return this.execute('transaction', (db) => reportComponents(db, worker, reports, now));
  }

  async listComponentReports(since: number): Promise<ComponentReport[]> {
    this.open();
    return this.execute('read', (db) => listComponentReports(db, since));
  }

  async createToken(token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'>, audit: AuditInput | null): Promise<ApiToken> {
    this.open();
    return this.execute('transaction', (db) => createToken(db, token, audit));
  }

  async findTokenByHash(hash: string): Promise<ApiToken | null> {
    this.open();
    return this.execute('read', (db) => findTokenByHash(db, hash));
  }

  async listTokens(): Promise<ApiToken[]> {
    this.open();
    return this.execute('read', (db) => listTokens(db));
  }

  async revokeToken(id: string, change: ControlChange, audit: AuditInput | null): Promise<ApiToken | null> {
    this.open();
    return this.execute('transaction', (db) => revokeToken(db, id, change, audit));
  }

  async touchToken(id: string, now: number): Promise<void> {
    this.open();
    return this.execute('statement', (db) => touchToken(db, id, now));
  }

  async requestApproval(lease: Lease, approval: NewApproval, audit: { requested: AuditInput; expired: AuditInput }, now: number): Promise<ApprovalRecord> {
    this.open();
    return this.order.other(lease.runId, () => this.execute('transaction', (db) => requestApproval(db, lease, approval, audit, now)));
  }

  async decideApproval(id: string, decision: ApprovalDecision, audit: { decided: AuditInput; expired: AuditInput }): Promise<ApprovalDecisionResult> {
    this.open();
    return this.execute('transaction', (db) => decideApproval(db, id, decision, audit));
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    this.open();
    return this.execute('read', (db) => getApproval(db, id));
  }

  async listApprovals(filter: ApprovalFilter): Promise<ApprovalRecord[]> {
    this.open();
    return this.execute('read', (db) => listApprovals(db, filter));
  }

  async applyPlan(runId: string, review: { hash: string; by: string | null; reason: string | null; now: number }, audit: AuditInput): Promise<PlanApplication> {
    this.open();
    return this.execute('transaction', (db) => applyPlan(db, runId, review, audit));
  }

  async takeRateToken(action: string, ratePerMinute: number, now: number): Promise<RateTake> {
    this.open();
    // a take is one upsert (a refusal reads the row after it): no transaction needed
    return this.execute('statement', (db) => takeRateToken(db, action, ratePerMinute, now));
  }

  async breakerAdmit(action: string, settings: BreakerSettings, now: number): Promise<BreakerAdmission> {
    this.open();
    // a closed breaker (the usual case) admits on one read; an open one is decided under its row's lock
    const current = await this.execute('read', (db) => readBreaker(db, action));
    if (current === null || current.state === 'closed') return { admitted: true, probe: false };
    return this.execute('transaction', (db) => breakerAdmit(db, action, settings, now));
  }

  async breakerRecord(
    action: string,
    ok: boolean,
    settings: BreakerSettings,
    now: number,
    error: string | null,
    audit: BreakerAuditTemplate | null,
  ): Promise<BreakerStatus> {
    this.open();
    if (ok) {
      // a success on a closed breaker with no failures (the usual case) changes nothing
      const current = await this.execute('read', (db) => readBreaker(db, action));
      if (current === null) return closedBreaker(action, now);
      if (current.state === 'closed' && current.failures === 0) return current;
    }
    return this.execute('transaction', (db) => breakerRecord(db, action, ok, settings, now, error, audit));
  }

  async getBreaker(action: string): Promise<BreakerStatus | null> {
    this.open();
    return this.execute('read', (db) => readBreaker(db, action));
  }

  async listBreakers(): Promise<BreakerStatus[]> {
    this.open();
    return this.execute('read', (db) => listBreakers(db));
  }

  async resetBreaker(action: string, change: ControlChange, audit: AuditInput | null): Promise<BreakerStatus | null> {
    this.open();
    return this.execute('transaction', (db) => resetBreaker(db, action, change, audit));
  }
}
