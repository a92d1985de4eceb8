/**
 * The order of one run's writes. A worker pipelines a run's step records without waiting for each, and the pool runs
 * calls on many connections at once, so two writes of one run could otherwise commit in either order (a run's end
 * before its last step's record, which the fence would then refuse). Here each run's lease writes go one after the
 * other, in the order they were made; and a step record still waiting when its run's end arrives travels with it,
 * as one statement.
 */
import type { Lease } from '../../domain/run.js';
import type { RunOutcome, StepWrite } from '../store.js';

/** The writes that can be joined, and how to run them. */
export interface JoinableWrites {
  recordStep(lease: Lease, step: StepWrite): Promise<void>;
  finishRun(lease: Lease, outcome: RunOutcome, now: number): Promise<void>;
  recordStepAndFinish(lease: Lease, step: StepWrite, outcome: RunOutcome, now: number): Promise<void>;
}

interface Settle {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Pending =
  | { kind: 'step'; lease: Lease; step: StepWrite; settle: Settle }
  | { kind: 'finish'; lease: Lease; outcome: RunOutcome; now: number; settle: Settle }
  | { kind: 'other'; work: () => Promise<unknown>; settle: Settle };

interface Lane {
  pending: Pending[];
  /** A write of this run is under way, or about to start. */
  busy: boolean;
}

function sameLease(a: Lease, b: Lease): boolean {
  return a.runId === b.runId && a.owner === b.owner && a.epoch === b.epoch;
}

/** Runs each run's writes in order. */
export class RunWriteOrder {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly writes: JoinableWrites) {}

  /** Whether any write is waiting or under way. */
  get idle(): boolean {
    return this.lanes.size === 0;
  }

  recordStep(lease: Lease, step: StepWrite): Promise<void> {
    // a lone step record waits for the end of this turn, in case its run's end follows it
    return this.enqueue(lease.runId, (settle) => ({ kind: 'step', lease, step, settle }), true) as Promise<void>;
  }

  finishRun(lease: Lease, outcome: RunOutcome, now: number): Promise<void> {
    return this.enqueue(lease.runId, (settle) => ({ kind: 'finish', lease, outcome, now, settle }), false) as Promise<void>;
  }

  /** Any other write under the run's lease (suspend, release, signal, child), in its turn. */
  other<T>(runId: string, work: () => Promise<T>): Promise<T> {
    return this.enqueue(runId, (settle) => ({ kind: 'other', work, settle }), false) as Promise<T>;
  }

  private enqueue(runId: string, make: (settle: Settle) => Pending, deferred: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let lane = this.lanes.get(runId);
      if (!lane) {
        lane = { pending: [], busy: false };
        this.lanes.set(runId, lane);
      }
      lane.pending.push(make({ resolve, reject }));
      if (lane.busy) return;
      lane.busy = true;
      if (deferred) setImmediate(() => this.next(runId));
      else this.next(runId);
    });
  }

  private next(runId: string): void {
    const lane = this.lanes.get(runId);
    if (!lane) return;
    const head = lane.pending.shift();
    if (!head) {
      this.lanes.delete(runId);
      return;
    }
    const settles: Settle[] = [head.settle];
    let write: Promise<unknown>;
    switch (head.kind) {
      case 'step': {
        const following = lane.pending[0];
        if (following?.kind === 'finish' && sameLease(following.lease, head.lease)) {
          lane.pending.shift();
          settles.push(following.settle);
          write = this.writes.recordStepAndFinish(head.lease, head.step, following.outcome, following.now);
        } else {
          write = this.writes.recordStep(head.lease, head.step);
        }
        break;
      }
      case 'finish':
        write = this.writes.finishRun(head.lease, head.outcome, head.now);
        break;
      case 'other':
        write = head.work();
        break;
      default: {
        const never: never = head;
        throw new Error(`unknown write ${JSON.stringify(never)}`);
      }
    }
    write.then(
      (value) => {
        for (const settle of settles) settle.resolve(value);
        this.next(runId);
      },
      (error: unknown) => {
        for (const settle of settles) settle.reject(error);
        this.next(runId);
      },
    );
  }
}
