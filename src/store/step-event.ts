/** The event both stores append with a step record, in the same transaction. */
import type { StepWrite } from './store.js';

/** The event's type, data (JSON text) and time: `step.<status>` with the step's seq, kind, name and attempts. */
export function stepEvent(step: StepWrite): [type: string, data: string, at: number] {
  return [
    `step.${step.status}`,
    JSON.stringify({ seq: step.seq, kind: step.kind, name: step.name, attempts: step.attempts }),
    step.finishedAt ?? step.startedAt,
  ];
}
