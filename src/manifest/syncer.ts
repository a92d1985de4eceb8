/**
 * The refresh loop of one manifest source: syncs on start, then every interval; after a failure it retries with
 * exponential backoff and jitter, and after N consecutive failures its circuit breaker opens and it waits out a
 * cool-down before one probe. New candidates go to `onCandidates` only when the accepted manifest changed.
 */
import type { AuditRecord } from '../audit/audit-log.js';
import { ManifestStateFile } from './state.js';
import {
  attemptManifestSync,
  resolveManifestSyncConfig,
  type ManifestSyncConfig,
  type ManifestSyncOptions,
  type ManifestSyncResult,
  type RemoteCandidate,
  type SyncAttempt,
} from './sync.js';
import { initialSyncStatus, type SyncStatus } from './sync-status.js';

/** Where the loop records accepted and refused manifests (an `AuditLog` fits). */
export interface ManifestAuditSink {
  append(...records: AuditRecord[]): Promise<unknown>;
}

/** Options of the refresh loop: those of one sync, plus where its results go. */
export interface ManifestSyncerOptions extends ManifestSyncOptions {
  /** Called with every candidate of a newly accepted manifest (not again while the same manifest is re-synced). */
  onCandidates(candidates: RemoteCandidate[], result: ManifestSyncResult): void | Promise<void>;
  /** Called when an attempt fails, or when `onCandidates` or the audit sink throws; the status holds the sync error too. */
  onError?(error: unknown, status: SyncStatus): void;
  /** Records `manifest.accepted` and `manifest.refused` entries. */
  audit?: ManifestAuditSink;
}

/** Keeps one source's candidates fresh. */
export class ManifestSyncer {
  private readonly config: ManifestSyncConfig;
  private readonly options: ManifestSyncerOptions;
  private current: SyncStatus;
  private delivered: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<SyncAttempt | null> = Promise.resolve(null);

  constructor(options: ManifestSyncerOptions) {
    this.options = options;
    this.config = resolveManifestSyncConfig(options);
    this.current = initialSyncStatus(this.config.url);
  }

  /** The status of the last attempt (in memory; the state file holds the same). */
  status(): SyncStatus {
    return { ...this.current };
  }

  /** Starts the loop: the first attempt runs at once, unless the recorded breaker is open and cooling down. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0, true);
  }

  /** Stops the loop and waits for an attempt in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Runs one attempt now (after any in flight), whatever the schedule and the breaker say. */
  syncNow(): Promise<SyncAttempt> {
    const next = this.inFlight.then(() => this.attempt());
    this.inFlight = next.catch(() => null);
    return next;
  }

  private schedule(delayMs: number, first = false): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(first), Math.max(0, delayMs));
    this.timer.unref();
  }

  private async tick(first: boolean): Promise<void> {
    if (!this.running) return;
    if (first) {
      const recorded = await new ManifestStateFile(this.config.cacheDir).source(this.config.url).catch(() => null);
      const status = recorded?.status;
      if (status) this.current = status;
      const now = this.config.clock.now();
      if (status?.breaker === 'open' && status.nextAttemptAt !== null && status.nextAttemptAt > now) {
        this.schedule(status.nextAttemptAt - now);
        return;
      }
    }
    let attempt: SyncAttempt | null = null;
    try {
      attempt = await this.syncNow();
    } catch (error) {
      this.options.onError?.(error, this.status());
    }
    const next = attempt?.status.nextAttemptAt ?? this.config.clock.now() + this.config.schedule.intervalMs;
    this.schedule(next - this.config.clock.now());
  }

  private async attempt(): Promise<SyncAttempt> {
    const previous = this.current;
    const attempt = await attemptManifestSync(this.config);
    this.current = attempt.status;
    if (!attempt.ok) {
      this.options.onError?.(attempt.error, attempt.status);
      if (previous.error?.code !== attempt.status.error?.code) await this.record(refusedRecord(attempt.status));
      return attempt;
    }
    if (attempt.result.digest !== this.delivered) {
      await this.record(acceptedRecord(attempt.result));
      try {
        await this.options.onCandidates(attempt.result.candidates, attempt.result);
        this.delivered = attempt.result.digest;
      } catch (error) {
        this.options.onError?.(error, attempt.status);
      }
    }
    return attempt;
  }

  private async record(record: AuditRecord): Promise<void> {
    if (!this.options.audit) return;
    try {
      await this.options.audit.append(record);
    } catch (error) {
      this.options.onError?.(error, this.status());
    }
  }
}

function acceptedRecord(result: ManifestSyncResult): AuditRecord {
  return {
    kind: 'manifest.accepted',
    data: {
      source: result.source,
      version: result.version,
      digest: result.digest,
      signedBy: result.signedBy,
      entries: result.entries.map((e) => ({
        domain: e.candidate.domain,
        key: e.candidate.key,
        provider: e.candidate.provider,
        sha256: e.sha256,
        export: e.export,
      })),
    },
  };
}

function refusedRecord(status: SyncStatus): AuditRecord {
  return {
    kind: 'manifest.refused',
    data: {
      source: status.source,
      code: status.error?.code ?? null,
      message: status.error?.message ?? null,
      consecutiveFailures: status.consecutiveFailures,
      breaker: status.breaker,
    },
  };
}
