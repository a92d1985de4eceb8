/**
 * The query set of the embedded store. One file holds it, since every write shares the fencing, step and event
 * helpers below. It runs on the database thread (see thread.ts); the Store facade is sqlite-store.ts.
 */
import type Database from 'better-sqlite3';
import {
  ApprovalNotFoundError,
  IllegalTransitionError,
  LeaseLostError,
  QueueFullError,
  RunFinishedError,
  RunNotFoundError,
  StepAlreadyRecordedError,
  StewardError,
  StoreCorruptError,
  StoreUnavailableError,
  type SerializedError,
} from '../../errors.js';
import { TERMINAL_STATUSES, type EventRecord, type Lease, type RunRecord, type RunStatus, type StepRecord } from '../../domain/run.js';
import type {
  ComponentControl,
  ComponentReport,
  ApiToken,
  ApprovalDecision,
  ApprovalDecisionResult,
  ApprovalFilter,
  ApprovalRecord,
  NewApproval,
  PlanApplication,
  AuditEntry,
  AuditInput,
  AuditQuery,
  BreakerAdmission,
  BreakerAuditTemplate,
  BreakerSettings,
  BreakerStatus,
  CancelResult,
  ClaimRequest,
  ControlChange,
  Controls,
  EagerClaim,
  ClaimedRun,
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
  StoreNotice,
  Suspension,
} from '../store.js';
import { toEvent, toRun, toStep, type EventRow, type RunRow, type StepRow } from '../rows.js';
import { newRunRecord, runColumnValues } from '../new-run.js';
import { autonomyEvent, componentControlEvent, killSwitchEvent, toControls, type ControlEvent, type ControlsRow } from '../controls-row.js';
import { canonicalJson, EMPTY_HEAD, sealAuditEntries, type AuditHead } from '../audit-chain.js';
import { toAuditEntry, type AuditRow } from '../audit-rows.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { stepEvent } from '../step-event.js';
import { reviewedPlanStep } from '../reviewed-plan.js';
import { toStoreStats, type QueueCountRow, type StatusCountRow } from '../stats-rows.js';
import { toApiToken, type ApiTokenRow } from '../token-rows.js';
import { toComponentControl, toComponentReport, type ComponentControlRow, type ComponentReportRow } from '../component-rows.js';
import { APPROVAL_INSERT_COLUMNS, approvalValues, toApproval, type ApprovalRow } from '../approval-rows.js';
import {
  breakerAuditEntry,
  breakerColumns,
  breakerEvent,
  decideAdmission,
  decideRecord,
  decideReset,
  rateParameters,
  rateRetryAt,
  toBreakerStatus,
  type BreakerChange,
  type BreakerRow,
} from '../budgets.js';

/**
 * Operations that only read, or can only fail before their first write (their checks come first, and each later
 * statement cannot be refused), so they run without a savepoint of their own. Keep this in step with the code.
 */
export const FAIL_BEFORE_WRITE: ReadonlySet<keyof SqliteOperations> = new Set<keyof SqliteOperations>([
  'ping',
  'getQueue',
  'stats',
  'getRun',
  'listRuns',
  'listSteps',
  'readEvents',
  'lastEventId',
  'nextRunnableAt',
  'lastScheduleTick',
  'readAudit',
  'getControls',
  'pauseRun',
  'acquireLock',
  'createRun',
  'recordStep',
  'finishRun',
  'recordStepAndFinish',
  'getApproval',
  'listApprovals',
  'listComponentControls',
  'listComponentReports',
  'findTokenByHash',
  'listTokens',
  'touchToken',
  // the budgets seal their audit entries before their first write, and each later statement cannot be refused
  'takeRateToken',
  'breakerAdmit',
  'breakerRecord',
  'getBreaker',
  'listBreakers',
  'resetBreaker',
]);

/** What the thread answers to a create: the existing run when the idempotency key found one, else nothing. */
export interface InsertedRun {
  run: RunRecord | null;
  created: boolean;
  claimed?: ClaimedRun;
}

const TERMINAL_JSON = JSON.stringify([...TERMINAL_STATUSES]);

interface FenceRow {
  status: string;
  lease_owner: string | null;
  lease_epoch: number;
  cancel_requested: number;
  deadline_at: number | null;
  parent_id: string | null;
  queue: string;
}

interface QueueRow {
  name: string;
  concurrency: number | null;
  max_queued: number | null;
  queued: number;
  running: number;
}

/**
 * The store's operations, run synchronously inside a group transaction on the database thread. Every method takes
 * the batch's notice list first; the facade calls them by name.
 */
export class SqliteOperations {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.q = prepare(db);
  }

  /** Answers once the thread is up; the facade waits for it before the store is handed out. */
  ping(_notices: StoreNotice[]): true {
    return true;
  }

  // ---- queues

  configureQueues(_notices: StoreNotice[], queues: readonly QueueSettings[]): void {
    for (const queue of queues) this.q.upsertQueue.run(queue.name, queue.concurrency, queue.maxQueued);
  }

  getQueue(_notices: StoreNotice[], name: string): QueueState | null {
    const row = this.q.queue.get(name) as QueueRow | undefined;
    return row
      ? { name: row.name, concurrency: row.concurrency, maxQueued: row.max_queued, queued: row.queued, running: row.running }
      : null;
  }

  stats(_notices: StoreNotice[]): StoreStats {
    return toStoreStats(
      this.q.runsByStatus.all() as StatusCountRow[],
      this.q.queueCounts.all() as QueueCountRow[],
      (this.q.pendingApprovals.get() as { n: number }).n,
    );
  }

  // ---- runs

  createRun(notices: StoreNotice[], run: NewRun, eager?: EagerClaim): InsertedRun {
    const inserted = this.insertRun(run, notices, true);
    if (!inserted.created || !eager || run.status !== 'queued' || run.runnableAt > run.createdAt) return inserted;
    const queue = this.q.queue.get(run.queue) as QueueRow | undefined;
    if (queue !== undefined && queue.concurrency !== null) return inserted;
    const expiresAt = run.createdAt + eager.leaseMs;
    this.q.claimOne.run(eager.owner, expiresAt, run.createdAt, run.createdAt, run.id);
    const row = this.q.runById.get(run.id) as RunRow;
    return { run: null, created: true, claimed: this.claimed(row, eager.owner) };
  }

  private insertRun(run: NewRun, notices: StoreNotice[], enforceMaxQueued: boolean): InsertedRun {
    if (run.idempotencyKey !== null) {
      const existing = this.q.runByKey.get(run.idempotencyKey) as RunRow | undefined;
      if (existing) return { run: toRun(existing), created: false };
    }
    if (enforceMaxQueued && run.status === 'queued') {
      const queue = this.q.queue.get(run.queue) as QueueRow | undefined;
      if (queue && queue.max_queued !== null && queue.queued >= queue.max_queued) throw new QueueFullError(run.queue, queue.max_queued);
    }
    // the audit entry is sealed before anything is written (createRun may fail only before its first write)
    const sealed = run.audit === undefined ? null : this.sealAudit([run.audit]);
    this.q.insertRun.run(...runColumnValues(run), run.createdAt);
    if (sealed !== null) this.insertAudit(sealed);
    if (run.status === 'queued') notices.push({ type: 'runnable', queue: run.queue, at: run.runnableAt, priority: run.priority });
    notices.push({ type: 'events' });
    // the facade builds the new run's record from what it sent; only a found run crosses back whole
    return { run: null, created: true };
  }

  getRun(_notices: StoreNotice[], id: string): RunRecord | null {
    const row = this.q.runById.get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  listRuns(_notices: StoreNotice[], filter: RunFilter): RunPage {
    const statuses = filter.status === undefined ? null : JSON.stringify(Array.isArray(filter.status) ? filter.status : [filter.status]);
    const before = filter.cursor === undefined ? null : decodeCursor(filter.cursor);
    const rows = this.q.listRuns.all({
      statuses,
      workflow: filter.workflow ?? null,
      queue: filter.queue ?? null,
      parent: filter.parentId ?? null,
      before,
      limit: filter.limit + 1,
    }) as RunRow[];
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return { runs: page.map(toRun), nextCursor: rows.length > filter.limit && last ? encodeCursor(last.seq) : null };
  }

  listSteps(_notices: StoreNotice[], runId: string): StepRecord[] {
    return (this.q.steps.all(runId) as StepRow[]).map(toStep);
  }

  lastEventId(_notices: StoreNotice[]): number {
    return (this.q.lastEventId.pluck().get() as number | null) ?? 0;
  }

  readEvents(_notices: StoreNotice[], query: EventQuery): EventRecord[] {
    const rows =
      query.runId === undefined
        ? (this.q.events.all(query.after, query.limit) as EventRow[])
        : (this.q.runEvents.all(query.runId, query.after, query.limit) as EventRow[]);
    return rows.map(toEvent);
  }

  // ---- workers

  claimRuns(notices: StoreNotice[], request: ClaimRequest): ClaimedRun[] {
    const claimed: ClaimedRun[] = [];
    const workflows = JSON.stringify(request.workflows);
    const queues = JSON.stringify(request.queues);
    const expiresAt = request.now + request.leaseMs;
    // runs whose worker died: take them over; they already count against their queue's concurrency
    const expired =
      request.reclaimExpired === false
        ? []
        : (this.q.expiredLeases.all(request.now, queues, workflows, request.limit) as Array<{ id: string; lease_owner: string | null }>);
    for (const run of expired) {
      const row = this.q.reclaim.get(request.owner, expiresAt, request.now, run.id, request.now) as RunRow | undefined;
      if (!row) continue;
      this.q.insertEvent.run(run.id, 'run.reclaimed', JSON.stringify({ from: run.lease_owner, to: request.owner }), request.now);
      claimed.push(this.claimed(row, request.owner));
    }
    for (const queueName of request.queues) {
      const wanted = request.limit - claimed.length;
      if (wanted <= 0) break;
      const queue = this.q.queue.get(queueName) as QueueRow | undefined;
      const limited = queue !== undefined && queue.concurrency !== null;
      const slots = limited ? Math.max(0, queue.concurrency! - queue.running) : wanted;
      // runs of a limited queue only for slots free now, never ahead
      const now = limited ? request.limit - (request.ahead ?? 0) - claimed.length : wanted;
      const limit = Math.min(wanted, slots, now);
      if (limit <= 0) continue;
      const rows = this.q.claimable.all(queueName, request.now, workflows, limit) as RunRow[];
      if (rows.length === 0) continue;
      this.q.claim.run(request.owner, expiresAt, request.now, request.now, JSON.stringify(rows.map((r) => r.seq)));
      for (const row of rows) {
        // the row as the claim above left it, without reading it back
        row.status = 'running';
        row.lease_owner = request.owner;
        row.lease_epoch += 1;
        row.lease_expires_at = expiresAt;
        row.runnable_at = null;
        row.wait_kind = null;
        row.wait_ref = null;
        row.claims += 1;
        row.started_at ??= request.now;
        row.updated_at = request.now;
        claimed.push(this.claimed(row, request.owner));
      }
    }
    if (claimed.length > 0) notices.push({ type: 'events' });
    return claimed;
  }

  private claimed(row: RunRow, owner: string): ClaimedRun {
    return {
      run: toRun(row),
      lease: { runId: row.id, owner, epoch: row.lease_epoch },
      // a run claimed for the first time has no history yet
      steps: row.claims === 1 ? [] : (this.q.steps.all(row.id) as StepRow[]).map(toStep),
    };
  }

  nextRunnableAt(_notices: StoreNotice[], queues: readonly string[], _workflows: readonly string[]): number | null {
    // a dead worker's lease expiring makes its run claimable too
    let next = (this.q.nextLeaseExpiry.pluck().get() as number | null | undefined) ?? null;
    for (const queue of queues) {
      const at = this.q.nextRunnable.pluck().get(queue) as number | null | undefined;
      if (at !== null && at !== undefined && (next === null || at < next)) next = at;
    }
    return next;
  }

  renewLeases(_notices: StoreNotice[], owner: string, leases: readonly Lease[], leaseMs: number, now: number): LeaseRenewal {
    const lost: string[] = [];
    const cancelRequested: string[] = [];
    const expiresAt = now + leaseMs;
    for (const lease of leases) {
      const changed = this.q.renew.run(expiresAt, lease.runId, owner, lease.epoch).changes;
      if (changed === 0) lost.push(lease.runId);
      else if ((this.q.cancelFlag.pluck().get(lease.runId) as number) === 1) cancelRequested.push(lease.runId);
    }
    return { lost, cancelRequested };
  }

  /** Refuses the write unless `lease` is still the run's current lease. */
  private fence(lease: Lease): FenceRow {
    const row = this.q.fence.get(lease.runId) as FenceRow | undefined;
    if (!row || row.lease_owner !== lease.owner || row.lease_epoch !== lease.epoch || row.status !== 'running') {
      throw new LeaseLostError(lease.runId, lease.epoch);
    }
    return row;
  }

  releaseRun(notices: StoreNotice[], lease: Lease, now: number): void {
    const row = this.fence(lease);
    this.q.release.run(now, now, lease.runId);
    notices.push({ type: 'runnable', queue: row.queue, at: now, priority: null }, { type: 'events' });
  }

  private upsertStep(runId: string, step: StepWrite): void {
    // an act's audit entry is sealed (checked and hashed) before anything is written, so that it cannot fail after
    const sealed = step.audit === undefined ? null : this.sealAudit([step.audit]);
    const changed = this.q.upsertStep.run(
      runId,
      step.seq,
      step.kind,
      step.name,
      step.status,
      step.attempts,
      step.resultJson,
      step.error === null ? null : JSON.stringify(step.error),
      step.wakeAt,
      step.startedAt,
      step.finishedAt,
    ).changes;
    if (changed === 0) throw new StepAlreadyRecordedError(runId, step.seq);
    if (sealed !== null) this.insertAudit(sealed);
    this.q.insertEvent.run(runId, ...stepEvent(step));
  }

  recordStep(notices: StoreNotice[], lease: Lease, step: StepWrite): void {
    this.fence(lease);
    this.upsertStep(lease.runId, step);
    notices.push({ type: 'events' });
  }

  private suspend(lease: Lease, row: FenceRow, suspension: Suspension, notices: StoreNotice[]): void {
    if (suspension.step) this.upsertStep(lease.runId, suspension.step);
    let at = suspension.runnableAt;
    if (row.deadline_at !== null && (at === null || row.deadline_at < at)) at = row.deadline_at;
    // a cancel asked for while the run was executing must not sleep with it
    if (row.cancel_requested === 1) at = suspension.now;
    // nor a run whose approval was decided between its request and this suspension
    if (suspension.kind === 'approval' && this.q.approvalDecided.get(lease.runId) !== undefined) at = suspension.now;
    this.q.suspend.run(suspension.kind, suspension.ref, at, suspension.now, lease.runId);
    if (at !== null) notices.push({ type: 'runnable', queue: row.queue, at, priority: null });
    notices.push({ type: 'events' });
  }

  suspendRun(notices: StoreNotice[], lease: Lease, suspension: Suspension): void {
    return this.suspend(lease, this.fence(lease), suspension, notices);
  }

  finishRun(notices: StoreNotice[], lease: Lease, outcome: RunOutcome, now: number): void {
    const row = this.fence(lease);
    this.finish(lease.runId, row, outcome, now, notices);
  }

  /** A step's record and its run's end in one call: the facade joins the two when they meet in one batch. */
  recordStepAndFinish(notices: StoreNotice[], lease: Lease, step: StepWrite, outcome: RunOutcome, now: number): void {
    const row = this.fence(lease);
    this.upsertStep(lease.runId, step);
    this.finish(lease.runId, row, outcome, now, notices);
  }

  private finish(runId: string, row: FenceRow, outcome: RunOutcome, now: number, notices: StoreNotice[]): void {
    const output = 'outputJson' in outcome ? outcome.outputJson : null;
    const error = 'outputJson' in outcome || outcome.error === null ? null : JSON.stringify(outcome.error);
    // the lifecycle reaches rolled_back only through compensating: both changes land in this transaction
    if (outcome.status === 'rolled_back') this.q.compensating.run(now, runId);
    this.q.finish.run(outcome.status, output, error, now, now, runId);
    if (row.parent_id !== null) {
      const parent = this.q.wakeParent.get(now, now, row.parent_id, runId) as { queue: string } | undefined;
      if (parent) notices.push({ type: 'runnable', queue: parent.queue, at: now, priority: null });
    }
    notices.push({ type: 'finished', runId, status: outcome.status }, { type: 'events' });
  }

  consumeSignal(
    notices: StoreNotice[],
    lease: Lease,
    wait: { seq: number; name: string; deadline: number | null; startedAt: number; now: number },
  ): SignalConsumption {
    const row = this.fence(lease);
    const signal = this.q.pendingSignal.get(lease.runId, wait.name) as { id: number; payload: string } | undefined;
    if (signal) {
      this.q.consumeSignal.run(wait.seq, signal.id);
      this.upsertStep(lease.runId, {
        seq: wait.seq,
        kind: 'signal',
        name: wait.name,
        status: 'completed',
        attempts: 1,
        resultJson: signal.payload,
        error: null,
        wakeAt: wait.deadline,
        startedAt: wait.startedAt,
        finishedAt: wait.now,
      });
      notices.push({ type: 'events' });
      return { kind: 'received', payload: JSON.parse(signal.payload) as unknown };
    }
    if (wait.deadline !== null && wait.now >= wait.deadline) return { kind: 'timed_out' };
    const existing = this.q.stepStatus.pluck().get(lease.runId, wait.seq) as string | undefined;
    this.suspend(
      lease,
      row,
      {
        kind: 'signal',
        ref: wait.name,
        runnableAt: wait.deadline,
        now: wait.now,
        step:
          existing === 'waiting'
            ? null
            : {
                seq: wait.seq,
                kind: 'signal',
                name: wait.name,
                status: 'waiting',
                attempts: 1,
                resultJson: null,
                error: null,
                wakeAt: wait.deadline,
                startedAt: wait.startedAt,
                finishedAt: null,
              },
      },
      notices,
    );
    return { kind: 'suspended' };
  }

  startChild(notices: StoreNotice[], lease: Lease, child: NewRun, step: StepWrite): RunRecord {
    const row = this.fence(lease);
    const run = this.insertRun(child, notices, false).run ?? newRunRecord(child);
    const existing = this.q.stepStatus.pluck().get(lease.runId, step.seq) as string | undefined;
    const done = TERMINAL_STATUSES.has(run.status);
    this.suspend(
      lease,
      row,
      { kind: 'child', ref: run.id, runnableAt: done ? step.startedAt : null, now: step.startedAt, step: existing === 'waiting' ? null : step },
      notices,
    );
    return run;
  }

  // ---- clients

  sendSignal(notices: StoreNotice[], runId: string, name: string, payloadJson: string, now: number): void {
    const row = this.q.fence.get(runId) as FenceRow | undefined;
    if (!row) throw new RunNotFoundError(runId);
    if (TERMINAL_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status);
    this.q.insertSignal.run(runId, name, payloadJson, now);
    this.q.insertEvent.run(runId, 'signal.received', JSON.stringify({ name }), now);
    const woken = this.q.wakeForSignal.run(now, now, runId, name).changes;
    if (woken > 0) notices.push({ type: 'runnable', queue: row.queue, at: now, priority: null });
    notices.push({ type: 'events' });
  }

  requestCancel(notices: StoreNotice[], runId: string, reason: SerializedError, now: number): CancelResult {
    return this.cancel(runId, reason, now, notices);
  }

  private cancel(runId: string, reason: SerializedError, now: number, notices: StoreNotice[]): CancelResult {
    const row = this.q.fence.get(runId) as FenceRow | undefined;
    if (!row) throw new RunNotFoundError(runId);
    const status = row.status as RunStatus;
    if (TERMINAL_STATUSES.has(status)) return { status, alreadyEnded: true };
    for (const child of this.q.openChildren.pluck().all(runId, TERMINAL_JSON) as string[]) this.cancel(child, reason, now, notices);
    if (status === 'running' || status === 'compensating') {
      if (row.cancel_requested === 0) {
        this.q.flagCancel.run(now, runId);
        this.q.insertEvent.run(runId, 'run.cancel_requested', JSON.stringify({ reason: reason.message }), now);
        notices.push({ type: 'cancel_requested', runId }, { type: 'events' });
      }
      return { status, alreadyEnded: false };
    }
    this.finish(runId, row, { status: 'cancelled', error: reason }, now, notices);
    return { status: 'cancelled', alreadyEnded: false };
  }

  // ---- resource locks

  acquireLock(_notices: StoreNotice[], lease: Lease, resource: string, now: number): boolean {
    this.fence(lease);
    return this.q.acquireLock.run({ resource, run: lease.runId, epoch: lease.epoch, now }).changes > 0;
  }

  releaseLock(notices: StoreNotice[], lease: Lease, resource: string, now: number): void {
    this.fence(lease);
    this.q.releaseLock.run(resource, lease.runId);
    for (const { queue } of this.q.wakeLockWaiters.all(now, now, resource) as Array<{ queue: string }>) {
      notices.push({ type: 'runnable', queue, at: now, priority: null });
    }
  }

  // ---- controls

  getControls(_notices: StoreNotice[]): Controls {
    return toControls(this.q.controls.get() as ControlsRow);
  }

  setKillSwitch(notices: StoreNotice[], on: boolean, change: ControlChange, audit: AuditInput | null): Controls {
    this.q.setKillSwitch.run(on ? 1 : 0, change.by, change.reason, change.now, change.now);
    this.insertControlEvent(killSwitchEvent(on, change.by, change.reason), change.now);
    if (!on) {
      for (const { queue } of this.q.resumePaused.all(change.now, change.now) as Array<{ queue: string }>) {
        notices.push({ type: 'runnable', queue, at: change.now, priority: null });
      }
    }
    if (audit !== null) this.appendAuditEntries([audit]);
    notices.push({ type: 'controls' }, { type: 'events' });
    return toControls(this.q.controls.get() as ControlsRow);
  }

  setAutonomy(notices: StoreNotice[], level: number, change: ControlChange, audit: AuditInput | null): Controls {
    this.q.setAutonomy.run(level, change.now);
    this.insertControlEvent(autonomyEvent(level, change.by, change.reason), change.now);
    if (audit !== null) this.appendAuditEntries([audit]);
    notices.push({ type: 'controls' }, { type: 'events' });
    return toControls(this.q.controls.get() as ControlsRow);
  }

  pauseRun(notices: StoreNotice[], lease: Lease, now: number): void {
    const row = this.fence(lease);
    const stillOn = (this.q.controls.get() as ControlsRow).kill_switch === 1;
    if (stillOn) this.q.pause.run(now, lease.runId);
    else {
      this.q.release.run(now, now, lease.runId);
      notices.push({ type: 'runnable', queue: row.queue, at: now, priority: null });
    }
    notices.push({ type: 'events' });
  }

  // ---- approvals

  requestApproval(
    notices: StoreNotice[],
    lease: Lease,
    approval: NewApproval,
    audit: { requested: AuditInput; expired: AuditInput },
    now: number,
  ): ApprovalRecord {
    this.fence(lease);
    let row = this.q.approvalAt.get(lease.runId, approval.seq) as ApprovalRow | undefined;
    if (row === undefined) {
      this.q.insertApproval.run(...approvalValues(approval));
      this.q.insertEvent.run(lease.runId, 'approval.requested', JSON.stringify({ approvalId: approval.id, seq: approval.seq, action: approval.action }), now);
      this.appendAuditEntries([audit.requested]);
      notices.push({ type: 'events' });
      row = this.q.approvalById.get(approval.id) as ApprovalRow;
    }
    if (row.status === 'pending' && now >= row.expires_at) {
      this.expireApproval(row, audit.expired, now, notices);
      row = this.q.approvalById.get(row.id) as ApprovalRow;
    } else if (row.status === 'approved' && row.consumed_at === null) {
      this.q.consumeApproval.run(now, row.id);
      row = this.q.approvalById.get(row.id) as ApprovalRow;
    }
    return toApproval(row);
  }

  decideApproval(
    notices: StoreNotice[],
    id: string,
    decision: ApprovalDecision,
    audit: { decided: AuditInput; expired: AuditInput },
  ): ApprovalDecisionResult {
    const row = this.q.approvalById.get(id) as ApprovalRow | undefined;
    if (row === undefined) throw new ApprovalNotFoundError(id);
    if (row.status !== 'pending') return { outcome: 'already_decided', approval: toApproval(row) };
    if (decision.now >= row.expires_at) {
      this.expireApproval(row, audit.expired, decision.now, notices);
      return { outcome: 'expired', approval: toApproval(this.q.approvalById.get(id) as ApprovalRow) };
    }
    this.q.decideApproval.run(decision.status, decision.by, decision.reason, decision.now, id);
    this.q.insertEvent.run(
      row.run_id,
      'approval.decided',
      JSON.stringify({ approvalId: id, status: decision.status, by: decision.by, reason: decision.reason }),
      decision.now,
    );
    this.appendAuditEntries([audit.decided]);
    this.wakeForApproval(row.run_id, decision.now, notices);
    return { outcome: 'decided', approval: toApproval(this.q.approvalById.get(id) as ApprovalRow) };
  }

  private expireApproval(row: ApprovalRow, audit: AuditInput, now: number, notices: StoreNotice[]): void {
    this.q.decideApproval.run('expired', null, null, now, row.id);
    this.q.insertEvent.run(row.run_id, 'approval.expired', JSON.stringify({ approvalId: row.id }), now);
    this.appendAuditEntries([audit]);
    this.wakeForApproval(row.run_id, now, notices);
  }

  private wakeForApproval(runId: string, now: number, notices: StoreNotice[]): void {
    const woken = this.q.wakeForApproval.get(now, now, runId) as { queue: string } | undefined;
    if (woken) notices.push({ type: 'runnable', queue: woken.queue, at: now, priority: null });
    notices.push({ type: 'events' });
  }

  getApproval(_notices: StoreNotice[], id: string): ApprovalRecord | null {
    const row = this.q.approvalById.get(id) as ApprovalRow | undefined;
    return row === undefined ? null : toApproval(row);
  }

  listApprovals(_notices: StoreNotice[], filter: ApprovalFilter): ApprovalRecord[] {
    const rows = this.q.listApprovals.all({
      statuses: filter.status === undefined ? null : JSON.stringify(filter.status),
      run: filter.runId ?? null,
      limit: filter.limit,
    }) as ApprovalRow[];
    return rows.map(toApproval);
  }

  // ---- plans

  applyPlan(
    notices: StoreNotice[],
    runId: string,
    review: { hash: string; by: string | null; reason: string | null; now: number },
    audit: AuditInput,
  ): PlanApplication {
    const row = this.q.fence.get(runId) as FenceRow | undefined;
    if (row === undefined) return { applied: false, status: null };
    if (row.status !== 'planned') return { applied: false, status: row.status as RunStatus };
    this.q.dropUnreviewed.run(runId);
    this.upsertStep(runId, reviewedPlanStep(review));
    this.q.requeueForApply.run(review.now, review.now, runId);
    this.q.insertEvent.run(runId, 'run.plan_applied', JSON.stringify({ hash: review.hash, by: review.by }), review.now);
    this.appendAuditEntries([audit]);
    notices.push({ type: 'runnable', queue: row.queue, at: review.now, priority: null }, { type: 'events' });
    return { applied: true, run: toRun(this.q.runById.get(runId) as RunRow) };
  }

  // ---- component controls and reports

  setComponentPaused(notices: StoreNotice[], domain: string, key: string, paused: boolean, change: ControlChange, audit: AuditInput | null): ComponentControl {
    this.q.upsertComponentControl.run({ domain, key, paused: paused ? 1 : 0, by: change.by, reason: change.reason, now: change.now });
    this.insertControlEvent(componentControlEvent(domain, key, paused, change.by, change.reason), change.now);
    if (audit !== null) this.appendAuditEntries([audit]);
    notices.push({ type: 'controls' }, { type: 'events' });
    return toComponentControl(this.q.componentControl.get(domain, key) as ComponentControlRow);
  }

  listComponentControls(_notices: StoreNotice[]): ComponentControl[] {
    return (this.q.componentControls.all() as ComponentControlRow[]).map(toComponentControl);
  }

  reportComponents(_notices: StoreNotice[], worker: string, reports: ReadonlyArray<Omit<ComponentReport, 'worker' | 'reportedAt'>>, now: number): void {
    this.q.dropComponentReports.run(worker);
    for (const r of reports) {
      this.q.insertComponentReport.run({ worker, domain: r.domain, key: r.key, provider: r.provider, state: r.state, inFlight: r.inFlight, now });
    }
  }

  listComponentReports(_notices: StoreNotice[], since: number): ComponentReport[] {
    return (this.q.componentReports.all(since) as ComponentReportRow[]).map(toComponentReport);
  }

  // ---- API tokens

  createToken(_notices: StoreNotice[], token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'>, audit: AuditInput | null): ApiToken {
    this.q.insertToken.run({ ...token, roles: JSON.stringify(token.roles) });
    if (audit !== null) this.appendAuditEntries([audit]);
    return toApiToken(this.q.tokenById.get(token.id) as ApiTokenRow);
  }

  findTokenByHash(_notices: StoreNotice[], hash: string): ApiToken | null {
    const row = this.q.tokenByHash.get(hash) as ApiTokenRow | undefined;
    return row === undefined ? null : toApiToken(row);
  }

  listTokens(_notices: StoreNotice[]): ApiToken[] {
    return (this.q.tokens.all() as ApiTokenRow[]).map(toApiToken);
  }

  revokeToken(_notices: StoreNotice[], id: string, change: ControlChange, audit: AuditInput | null): ApiToken | null {
    const revoked = this.q.revokeToken.run(change.now, id).changes > 0;
    if (revoked && audit !== null) this.appendAuditEntries([audit]);
    const row = this.q.tokenById.get(id) as ApiTokenRow | undefined;
    return row === undefined ? null : toApiToken(row);
  }

  touchToken(_notices: StoreNotice[], id: string, now: number): void {
    this.q.touchToken.run(now, id);
  }

  // ---- schedules

  claimScheduleTick(_notices: StoreNotice[], name: string, cron: string, workflow: string, tickAt: number, now: number): boolean {
    this.q.upsertSchedule.run(name, cron, workflow, now);
    return this.q.tickSchedule.run(tickAt, now, name, tickAt).changes > 0;
  }

  lastScheduleTick(_notices: StoreNotice[], name: string): number | null {
    return (this.q.scheduleTick.pluck().get(name) as number | null | undefined) ?? null;
  }

  // ---- audit

  appendAudit(_notices: StoreNotice[], inputs: readonly AuditInput[]): AuditEntry[] {
    return this.appendAuditEntries(inputs);
  }

  /**
   * Chains entries after the last one and inserts them, in the transaction of the calling operation: an operation
   * that makes a privileged change calls this so that the change and its audit entry commit together. The one
   * database thread (and the write lock of BEGIN IMMEDIATE across processes) makes the head read here the head.
   */
  private appendAuditEntries(inputs: readonly AuditInput[]): AuditEntry[] {
    const sealed = this.sealAudit(inputs);
    this.insertAudit(sealed);
    return sealed;
  }

  /** Checks and chains entries after the current head, writing nothing. */
  private sealAudit(inputs: readonly AuditInput[]): AuditEntry[] {
    const head = (this.q.auditHead.get() as AuditHead | undefined) ?? EMPTY_HEAD;
    return sealAuditEntries(head, inputs);
  }

  private insertAudit(sealed: readonly AuditEntry[]): void {
    for (const e of sealed) {
      this.q.insertAudit.run(e.id, e.at, e.kind, e.actor, e.runId, e.subject, canonicalJson(e.data), e.prevHash, e.hash);
    }
  }

  readAudit(_notices: StoreNotice[], query: AuditQuery): AuditEntry[] {
    return (this.q.audit.all(query.after, query.limit) as AuditRow[]).map(toAuditEntry);
  }

  // ---- action budgets

  takeRateToken(_notices: StoreNotice[], action: string, ratePerMinute: number, now: number): RateTake {
    const { nowUs, intervalUs, toleranceUs } = rateParameters(ratePerMinute, now);
    if (this.q.takeRate.run({ action, now: nowUs, interval: intervalUs, tolerance: toleranceUs }).changes > 0) return { ok: true };
    const tat = this.q.rateTat.pluck().get(action) as number;
    return { ok: false, retryAt: rateRetryAt(tat, toleranceUs) };
  }

  breakerAdmit(_notices: StoreNotice[], action: string, settings: BreakerSettings, now: number): BreakerAdmission {
    const decision = decideAdmission(this.breaker(action), settings, now);
    if (decision.write !== null) this.q.upsertBreaker.run(breakerColumns(decision.write));
    return decision.admission;
  }

  breakerRecord(
    notices: StoreNotice[],
    action: string,
    ok: boolean,
    settings: BreakerSettings,
    now: number,
    error: string | null,
    audit: BreakerAuditTemplate | null,
  ): BreakerStatus {
    const decision = decideRecord(action, this.breaker(action), ok, settings, now, error);
    if (!decision.write) return decision.status;
    const change = decision.change;
    // sealed before the first write, so that a bad entry fails the call with nothing written
    const sealed = change === null || audit === null ? null : this.sealAudit([breakerAuditEntry(audit, change, decision.status)]);
    this.q.upsertBreaker.run(breakerColumns(decision.status));
    if (change !== null) this.tellBreakerChange(change, decision.status, null, notices);
    if (sealed !== null) this.insertAudit(sealed);
    return decision.status;
  }

  getBreaker(_notices: StoreNotice[], action: string): BreakerStatus | null {
    return this.breaker(action);
  }

  listBreakers(_notices: StoreNotice[]): BreakerStatus[] {
    return (this.q.breakers.all() as BreakerRow[]).map(toBreakerStatus);
  }

  resetBreaker(notices: StoreNotice[], action: string, change: ControlChange, audit: AuditInput | null): BreakerStatus | null {
    const current = this.breaker(action);
    if (current === null) return null;
    const reset = decideReset(current, change.now);
    const entry = audit === null ? null : { ...audit, data: { ...audit.data, action, from: current.state, failures: current.failures } };
    const sealed = entry === null ? null : this.sealAudit([entry]);
    this.q.upsertBreaker.run(breakerColumns(reset.status));
    if (reset.change !== null) this.tellBreakerChange(reset.change, reset.status, change.by, notices);
    if (sealed !== null) this.insertAudit(sealed);
    return reset.status;
  }

  private breaker(action: string): BreakerStatus | null {
    const row = this.q.breaker.get(action) as BreakerRow | undefined;
    return row === undefined ? null : toBreakerStatus(row);
  }

  /** A store-wide event for live streams: a control changed. */
  private insertControlEvent(event: ControlEvent, now: number): void {
    this.q.insertEvent.run(null, event.type, event.data, now);
  }

  private tellBreakerChange(change: BreakerChange, status: BreakerStatus, by: string | null, notices: StoreNotice[]): void {
    const event = breakerEvent(change, status, by);
    this.q.insertEvent.run(null, event.type, event.data, status.updatedAt);
    notices.push({ type: 'events' });
  }
}

/** Prepares every statement of the store once. */
function prepare(db: Database.Database) {
  return {
    upsertQueue: db.prepare(
      `INSERT INTO queues (name, concurrency, max_queued) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency, max_queued = excluded.max_queued`,
    ),
    queue: db.prepare('SELECT name, concurrency, max_queued, queued, running FROM queues WHERE name = ?'),
    // the status index answers it without reading the runs; the queue counts are kept by the runs' triggers
    runsByStatus: db.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status'),
    queueCounts: db.prepare('SELECT name AS queue, queued, running FROM queues ORDER BY name'),
    pendingApprovals: db.prepare("SELECT count(*) AS n FROM approvals WHERE status = 'pending'"),
    runById: db.prepare('SELECT * FROM runs WHERE id = ?'),
    runByKey: db.prepare('SELECT * FROM runs WHERE idempotency_key = ?'),
    insertRun: db.prepare(
      `INSERT INTO runs (id, workflow, workflow_version, input, status, mode, autonomy, subject, goal, idempotency_key,
         queue, priority, parent_id, runnable_at, timeout_ms, deadline_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listRuns: db.prepare(
      `SELECT * FROM runs
       WHERE (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
         AND (@workflow IS NULL OR workflow = @workflow)
         AND (@queue IS NULL OR queue = @queue)
         AND (@parent IS NULL OR parent_id = @parent)
         AND (@before IS NULL OR seq < @before)
       ORDER BY seq DESC LIMIT @limit`,
    ),
    steps: db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY seq'),
    stepStatus: db.prepare('SELECT status FROM steps WHERE run_id = ? AND seq = ?'),
    events: db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?'),
    runEvents: db.prepare('SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?'),
    insertEvent: db.prepare('INSERT INTO events (run_id, type, data, created_at) VALUES (?, ?, ?, ?)'),
    claimable: db.prepare(
      `SELECT * FROM runs
       WHERE queue = ? AND runnable_at IS NOT NULL AND runnable_at <= ?
         AND workflow IN (SELECT value FROM json_each(?))
       ORDER BY priority DESC, seq LIMIT ?`,
    ),
    claim: db.prepare(
      `UPDATE runs SET status = 'running', lease_owner = ?, lease_epoch = lease_epoch + 1, lease_expires_at = ?,
         runnable_at = NULL, wait_kind = NULL, wait_ref = NULL, claims = claims + 1,
         started_at = coalesce(started_at, ?), updated_at = ?
       WHERE seq IN (SELECT value FROM json_each(?))`,
    ),
    claimOne: db.prepare(
      `UPDATE runs SET status = 'running', lease_owner = ?, lease_epoch = lease_epoch + 1, lease_expires_at = ?,
         runnable_at = NULL, claims = claims + 1, started_at = coalesce(started_at, ?), updated_at = ?
       WHERE id = ? AND status = 'queued'`,
    ),
    expiredLeases: db.prepare(
      `SELECT id, lease_owner FROM runs INDEXED BY runs_status
       WHERE status = 'running' AND lease_expires_at <= ?
         AND queue IN (SELECT value FROM json_each(?)) AND workflow IN (SELECT value FROM json_each(?))
       LIMIT ?`,
    ),
    reclaim: db.prepare(
      `UPDATE runs SET lease_owner = ?, lease_epoch = lease_epoch + 1, lease_expires_at = ?, claims = claims + 1, updated_at = ?
       WHERE id = ? AND status = 'running' AND lease_expires_at <= ?
       RETURNING *`,
    ),
    nextRunnable: db.prepare('SELECT min(runnable_at) FROM runs WHERE queue = ? AND runnable_at IS NOT NULL'),
    nextLeaseExpiry: db.prepare("SELECT min(lease_expires_at) FROM runs INDEXED BY runs_status WHERE status = 'running'"),
    renew: db.prepare(
      `UPDATE runs SET lease_expires_at = ?
       WHERE id = ? AND lease_owner = ? AND lease_epoch = ? AND status = 'running'`,
    ),
    cancelFlag: db.prepare('SELECT cancel_requested FROM runs WHERE id = ?'),
    fence: db.prepare(
      'SELECT status, lease_owner, lease_epoch, cancel_requested, deadline_at, parent_id, queue FROM runs WHERE id = ?',
    ),
    release: db.prepare(
      `UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, runnable_at = ?, updated_at = ?
       WHERE id = ?`,
    ),
    upsertStep: db.prepare(
      `INSERT INTO steps (run_id, seq, kind, name, status, attempts, result, error, wake_at, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, seq) DO UPDATE SET
         status = excluded.status, attempts = excluded.attempts, result = excluded.result, error = excluded.error,
         wake_at = excluded.wake_at, finished_at = excluded.finished_at
       WHERE steps.status IN ('retrying', 'waiting') AND steps.kind = excluded.kind AND steps.name = excluded.name`,
    ),
    suspend: db.prepare(
      `UPDATE runs SET status = 'waiting', wait_kind = ?, wait_ref = ?, runnable_at = ?, lease_owner = NULL,
         lease_expires_at = NULL, updated_at = ?
       WHERE id = ?`,
    ),
    finish: db.prepare(
      `UPDATE runs SET status = ?, output = ?, error = ?, finished_at = ?, updated_at = ?, runnable_at = NULL,
         lease_owner = NULL, lease_expires_at = NULL, wait_kind = NULL, wait_ref = NULL
       WHERE id = ?`,
    ),
    compensating: db.prepare(`UPDATE runs SET status = 'compensating', updated_at = ? WHERE id = ?`),
    wakeParent: db.prepare(
      `UPDATE runs SET runnable_at = ?, updated_at = ?
       WHERE id = ? AND status = 'waiting' AND wait_kind = 'child' AND wait_ref = ?
       RETURNING queue`,
    ),
    pendingSignal: db.prepare(
      'SELECT id, payload FROM signals WHERE run_id = ? AND name = ? AND consumed_seq IS NULL ORDER BY id LIMIT 1',
    ),
    consumeSignal: db.prepare('UPDATE signals SET consumed_seq = ? WHERE id = ?'),
    insertSignal: db.prepare('INSERT INTO signals (run_id, name, payload, created_at) VALUES (?, ?, ?, ?)'),
    wakeForSignal: db.prepare(
      `UPDATE runs SET runnable_at = ?, updated_at = ?
       WHERE id = ? AND status = 'waiting' AND wait_kind = 'signal' AND wait_ref = ?`,
    ),
    openChildren: db.prepare(
      'SELECT id FROM runs WHERE parent_id = ? AND status NOT IN (SELECT value FROM json_each(?))',
    ),
    flagCancel: db.prepare('UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE id = ?'),
    upsertSchedule: db.prepare(
      `INSERT INTO schedules (name, cron, workflow, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, workflow = excluded.workflow`,
    ),
    tickSchedule: db.prepare(
      'UPDATE schedules SET last_tick_at = ?, updated_at = ? WHERE name = ? AND (last_tick_at IS NULL OR last_tick_at < ?)',
    ),
    scheduleTick: db.prepare('SELECT last_tick_at FROM schedules WHERE name = ?'),
    acquireLock: db.prepare(
      `INSERT INTO resource_locks (resource, run_id, epoch, acquired_at) VALUES (@resource, @run, @epoch, @now)
       ON CONFLICT (resource) DO UPDATE SET run_id = excluded.run_id, epoch = excluded.epoch, acquired_at = excluded.acquired_at
       WHERE resource_locks.run_id = excluded.run_id
          OR NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = resource_locks.run_id AND r.lease_epoch = resource_locks.epoch
                         AND r.status = 'running' AND r.lease_expires_at > @now)`,
    ),
    releaseLock: db.prepare('DELETE FROM resource_locks WHERE resource = ? AND run_id = ?'),
    wakeLockWaiters: db.prepare(
      `UPDATE runs SET runnable_at = ?, updated_at = ? WHERE status = 'waiting' AND wait_kind = 'lock' AND wait_ref = ?
       RETURNING queue`,
    ),
    controls: db.prepare('SELECT kill_switch, kill_by, kill_reason, kill_at, autonomy FROM controls WHERE id = 1'),
    setKillSwitch: db.prepare('UPDATE controls SET kill_switch = ?, kill_by = ?, kill_reason = ?, kill_at = ?, updated_at = ? WHERE id = 1'),
    setAutonomy: db.prepare('UPDATE controls SET autonomy = ?, updated_at = ? WHERE id = 1'),
    resumePaused: db.prepare(
      `UPDATE runs SET status = 'queued', runnable_at = ?, updated_at = ? WHERE status = 'paused' RETURNING queue`,
    ),
    pause: db.prepare(
      `UPDATE runs SET status = 'paused', lease_owner = NULL, lease_expires_at = NULL, runnable_at = NULL, updated_at = ?
       WHERE id = ?`,
    ),
    auditHead: db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1'),
    insertAudit: db.prepare(
      'INSERT INTO audit (id, at, kind, actor, run_id, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    audit: db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?'),
    approvalAt: db.prepare('SELECT * FROM approvals WHERE run_id = ? AND seq = ?'),
    approvalById: db.prepare('SELECT * FROM approvals WHERE id = ?'),
    insertApproval: db.prepare(`INSERT INTO approvals (${APPROVAL_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    consumeApproval: db.prepare('UPDATE approvals SET consumed_at = ? WHERE id = ?'),
    decideApproval: db.prepare(
      "UPDATE approvals SET status = ?, decided_by = ?, reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    ),
    approvalDecided: db.prepare(
      "SELECT 1 FROM approvals WHERE run_id = ? AND status <> 'pending' AND consumed_at IS NULL LIMIT 1",
    ),
    wakeForApproval: db.prepare(
      `UPDATE runs SET runnable_at = ?, updated_at = ? WHERE id = ? AND status = 'waiting' AND wait_kind = 'approval'
       RETURNING queue`,
    ),
    listApprovals: db.prepare(
      `SELECT * FROM approvals
       WHERE (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
         AND (@run IS NULL OR run_id = @run)
       ORDER BY created_at, id LIMIT @limit`,
    ),
    upsertComponentControl: db.prepare(
      `INSERT INTO component_controls (domain, key, paused, by, reason, updated_at) VALUES (@domain, @key, @paused, @by, @reason, @now)
       ON CONFLICT (domain, key) DO UPDATE SET paused = excluded.paused, by = excluded.by, reason = excluded.reason, updated_at = excluded.updated_at`,
    ),
    componentControl: db.prepare('SELECT * FROM component_controls WHERE domain = ? AND key = ?'),
    lastEventId: db.prepare('SELECT max(id) FROM events'),
    componentControls: db.prepare('SELECT * FROM component_controls ORDER BY domain, key'),
    dropComponentReports: db.prepare('DELETE FROM component_reports WHERE worker = ?'),
    insertComponentReport: db.prepare(
      `INSERT INTO component_reports (worker, domain, key, provider, state, in_flight, reported_at)
       VALUES (@worker, @domain, @key, @provider, @state, @inFlight, @now)`,
    ),
    componentReports: db.prepare('SELECT * FROM component_reports WHERE reported_at >= ? ORDER BY worker, domain, key'),
    insertToken: db.prepare(
      `INSERT INTO api_tokens (id, name, token_hash, principal, roles, created_at, created_by)
       VALUES (@id, @name, @tokenHash, @principal, @roles, @createdAt, @createdBy)`,
    ),
    tokenById: db.prepare('SELECT * FROM api_tokens WHERE id = ?'),
    tokenByHash: db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?'),
    tokens: db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id'),
    revokeToken: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touchToken: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    dropUnreviewed: db.prepare("DELETE FROM steps WHERE run_id = ? AND kind <> 'act.plan'"),
    requeueForApply: db.prepare(
      `UPDATE runs SET status = 'queued', mode = 'apply', runnable_at = ?, updated_at = ?, output = NULL, error = NULL,
         finished_at = NULL, wait_kind = NULL, wait_ref = NULL
       WHERE id = ?`,
    ),
    takeRate: db.prepare(
      `INSERT INTO action_rates (action, tat_us) VALUES (@action, @now + @interval)
       ON CONFLICT (action) DO UPDATE SET tat_us = max(action_rates.tat_us, @now) + @interval
       WHERE action_rates.tat_us - @tolerance <= @now`,
    ),
    rateTat: db.prepare('SELECT tat_us FROM action_rates WHERE action = ?'),
    breaker: db.prepare('SELECT * FROM action_breakers WHERE action = ?'),
    breakers: db.prepare('SELECT * FROM action_breakers ORDER BY action'),
    upsertBreaker: db.prepare(
      `INSERT INTO action_breakers (action, state, failures, opened_at, probe_at, updated_at, last_error)
       VALUES (@action, @state, @failures, @openedAt, @probeAt, @updatedAt, @lastError)
       ON CONFLICT (action) DO UPDATE SET state = excluded.state, failures = excluded.failures, opened_at = excluded.opened_at,
         probe_at = excluded.probe_at, updated_at = excluded.updated_at, last_error = excluded.last_error`,
    ),
  };
}

/** Maps a SQLite error to the Steward error a caller can act on. */
export function mapSqliteError(error: unknown): unknown {
  if (error instanceof StewardError) return error;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('STEWARD_ILLEGAL_TRANSITION')) {
    return new IllegalTransitionError('the store refused a run status change that the run lifecycle does not allow');
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new StoreCorruptError(`the database is corrupt (${message}): restore it from a backup`, { cause: error });
  }
  if (code === 'SQLITE_FULL') return new StoreUnavailableError(`the disk is full (${message}): free space and retry`, { cause: error });
  if (code === 'SQLITE_BUSY') {
    return new StoreUnavailableError(`the database is locked by another process (${message}): retry, or stop the other writer`, {
      cause: error,
    });
  }
  if (code?.startsWith('SQLITE_IOERR') || code === 'SQLITE_READONLY') {
    return new StoreUnavailableError(`the database cannot be written (${message})`, { cause: error });
  }
  return error;
}
