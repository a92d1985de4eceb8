/** The record both stores write at seq 0 of a run applied from a reviewed plan. */
import type { StepWrite } from './store.js';

/** The `plan.reviewed` record: the hash that was reviewed, by whom and why. */
export function reviewedPlanStep(review: { hash: string; by: string | null; reason: string | null; now: number }): StepWrite {
  return {
    seq: 0,
    kind: 'plan.reviewed',
    name: 'plan',
    status: 'completed',
    attempts: 1,
    resultJson: JSON.stringify({ hash: review.hash, by: review.by, reason: review.reason }),
    error: null,
    wakeAt: null,
    startedAt: review.now,
    finishedAt: review.now,
  };
}
