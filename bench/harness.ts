/** What every workload needs: a Steward on a fresh store, a cheap way to see runs finish, and a check of the outcome. */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createSteward, type RunRecord, type RunStatus, type Steward, type StewardOptions } from '../src/index.js';
import type { Progress } from './progress.js';
import type { BenchStore } from './stores.js';

/** A run that makes no finish for this long is a stall, and the workload fails instead of hanging. */
const STALL_MS = 60_000;

/** The store the workloads run on now, and how to tell the person waiting. */
export interface BenchEnv {
  store: BenchStore;
  progress: Progress;
  /** What the workload is doing now (opening, measuring, closing), named when it gets stuck. */
  stage: string;
}

/** Runs `fn` on a Steward with a silent logger over a fresh store of the bench's kind; closes and removes it after. */
export async function withSteward<T>(
  env: BenchEnv,
  name: string,
  workflows: NonNullable<StewardOptions['workflows']>,
  fn: (steward: Steward) => Promise<T>,
): Promise<T> {
  const store = env.store.fresh(name);
  try {
    env.stage = 'opening the store';
    const steward = await createSteward({ store: store.url, workflows, logger: pino({ level: 'silent' }) });
    try {
      env.stage = 'measuring';
      return await fn(steward);
    } catch (error) {
      // said now, in case closing the store never finishes and the workload ends with that instead
      env.progress.line(`failed: ${error instanceof Error ? error.message : String(error)}; closing the store`);
      throw error;
    } finally {
      env.stage = 'closing the store (steward.close())';
      await steward.close();
    }
  } finally {
    env.stage = 'removing the store';
    await store.remove();
  }
}

/** Records when each run finishes, from the store's notices: no polling and no `result()` per run. */
export class FinishTracker {
  private readonly finishedAt = new Map<string, number>();
  private pending = new Set<string>();
  private allFinished: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(steward: Steward) {
    this.unsubscribe = steward.store.subscribe((notice) => {
      if (notice.type !== 'finished') return;
      this.finishedAt.set(notice.runId, performance.now());
      if (this.pending.delete(notice.runId) && this.pending.size === 0) this.allFinished?.();
    });
  }

  /** Runs finished since the tracker began. */
  get count(): number {
    return this.finishedAt.size;
  }

  /** Waits until every run of `ids` has finished and returns when the last did; rejects on a stall. */
  async lastFinish(ids: readonly string[]): Promise<number> {
    this.pending = new Set(ids.filter((id) => !this.finishedAt.has(id)));
    if (this.pending.size > 0) {
      await new Promise<void>((resolve, reject) => {
        let before = this.pending.size;
        const timer = setInterval(() => {
          if (this.pending.size < before) {
            before = this.pending.size;
            return;
          }
          clearInterval(timer);
          reject(new Error(`stalled: ${this.pending.size} of ${ids.length} runs unfinished, none finished in ${STALL_MS / 1000} s`));
        }, STALL_MS);
        // unref'd: a run that can no longer finish shows as an emptied event loop at once (see run.ts)
        timer.unref();
        this.allFinished = () => {
          clearInterval(timer);
          resolve();
        };
      });
    }
    return ids.reduce((last, id) => Math.max(last, this.finishedAt.get(id) ?? 0), 0);
  }

  close(): void {
    this.unsubscribe();
  }
}

/** What a batch of concurrent starts measured, in ms from the first start call. */
export interface BatchTiming {
  ids: string[];
  /** Until every `start` had resolved. */
  startedMs: number;
  /** Until the last run finished. */
  finishedMs: number;
}

/** Starts one run per input at once (one `Promise.all`) and waits until all have finished. */
export async function runBatch(env: BenchEnv, steward: Steward, workflow: string, inputs: readonly unknown[]): Promise<BatchTiming> {
  const tracker = new FinishTracker(steward);
  const n = inputs.length;
  let started = 'starting';
  const ticker = env.progress.every(() => `${started}, finished ${tracker.count}/${n}`);
  try {
    const t0 = performance.now();
    const handles = await Promise.all(inputs.map((input) => steward.start(workflow, input)));
    const startedMs = performance.now() - t0;
    started = `started ${n} in ${(startedMs / 1000).toFixed(2)} s`;
    const ids = handles.map((h) => h.id);
    const finishedMs = (await tracker.lastFinish(ids)) - t0;
    return { ids, startedMs, finishedMs };
  } finally {
    ticker.stop();
    tracker.close();
  }
}

/**
 * Reads the runs back with `list` and throws unless every one of `ids` succeeded (and passes `check`, when given),
 * naming the counts by status it found.
 */
export async function verifySucceeded(
  steward: Steward,
  workflow: string,
  ids: readonly string[],
  check?: (run: RunRecord) => string | null,
): Promise<void> {
  const wanted = new Set(ids);
  const counts = new Map<RunStatus, number>();
  const problems: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await steward.list({ workflow, limit: 1000, ...(cursor === null ? {} : { cursor }) });
    for (const run of page.runs) {
      if (!wanted.has(run.id)) continue;
      counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
      const problem = run.status === 'succeeded' ? (check?.(run) ?? null) : null;
      if (problem !== null) problems.push(`${run.id}: ${problem}`);
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  const succeeded = counts.get('succeeded') ?? 0;
  if (wanted.size !== ids.length || succeeded !== ids.length || problems.length > 0) {
    const found = [...counts].map(([status, count]) => `${count} ${status}`).join(', ') || 'none';
    const wrong = problems.length > 0 ? `; ${problems.length} with a wrong output, e.g. ${problems.slice(0, 3).join('; ')}` : '';
    throw new Error(`expected ${ids.length} distinct succeeded runs of ${workflow}, found ${found}${wrong}`);
  }
}
