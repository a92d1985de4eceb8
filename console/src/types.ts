/** The shapes the console reads from the HTTP API (docs/api.md). The console only speaks HTTP, so it keeps its own copy of them. */

// runs, steps and their statuses are the engine's own (a module without runtime imports), so the console cannot drift
export { RUN_STATUSES, TERMINAL_STATUSES as TERMINAL } from '../../src/domain/run.js';
import type { EventRecord, RunRecord, RunStatus, StepRecord } from '../../src/domain/run.js';
// a run, its steps and its events travel as JSON exactly as the engine records them
export type { EventRecord, RunRecord, RunStatus, StepRecord };

/** An error as the API serialises it on runs and steps. */
export interface SerializedError {
  name?: string;
  code?: string;
  message: string;
  [key: string]: unknown;
}



/** `GET /v1/runs/:id`. */
export type RunWithSteps = RunRecord & { steps: StepRecord[] };

/** `GET /v1/runs`. */
export interface RunPage {
  runs: RunRecord[];
  nextCursor: string | null;
}

/** `POST /v1/runs` and `POST /v1/plans`. */
export interface StartedRun {
  id: string;
  created: boolean;
  run: RunRecord;
}

/** An approval request. */
export interface ApprovalRecord {
  id: string;
  runId: string;
  seq: number;
  action: string;
  category: string;
  resource: string;
  plan: unknown;
  planHash: string;
  requester: string | null;
  reasons: string[];
  status: 'pending' | 'approved' | 'denied' | 'expired';
  decidedBy: string | null;
  reason: string | null;
  createdAt: number;
  expiresAt: number;
}

/** The kill switch. */
export interface KillSwitch {
  on: boolean;
  by: string | null;
  reason: string | null;
  at: number | null;
}

/** `GET /v1/overview`. */
export interface Overview {
  runs: { byStatus: Partial<Record<RunStatus, number>>; total: number };
  approvalsPending: number;
  killSwitch: KillSwitch;
  autonomy: number;
  queues: Array<{ queue: string; queued: number; running: number }>;
}

/** One act's plan in a plan preview. */
export interface PlannedAct {
  seq: number;
  action: string;
  resource: string;
  plan: unknown;
  hash: string;
}

/** `GET /v1/plans/:runId`. */
export interface PlanPreview {
  runId: string;
  status: RunStatus;
  mode: 'apply' | 'plan';
  hash: string;
  acts: PlannedAct[];
}

/** One line of `GET /v1/components`. */
export interface ComponentSummary {
  domain: string;
  key: string;
  winner: string | null;
  active: string | null;
  selected: string | null;
  state: string;
  candidates: number;
  inFlight: number;
  paused: boolean;
}

/** One ranked candidate of an explanation. */
export interface ExplainedCandidate {
  rank: number;
  provider: string;
  source: string;
  priority: number;
  stackLevel: number;
  winner: boolean;
  selected: boolean;
  decidedBy: string;
  reason: string;
}

/** `GET /v1/components/:domain/:key`. */
export interface ComponentDetail {
  explanation: {
    domain: string;
    key: string;
    selected: string | null;
    winner: string | null;
    active: string | null;
    candidates: ExplainedCandidate[];
  };
  state: string;
  history: Array<{ from: string | null; to: string; trigger: string; outcome: string; reason: string | null; startedAt: number }>;
}

/** One audit entry. */
export interface AuditEntry {
  id?: number;
  seq?: number;
  at: number;
  kind: string;
  actor: string | null;
  runId: string | null;
  subject: string | null;
  data: Record<string, unknown>;
  hash: string;
}

/** `GET /v1/audit`. */
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

/** `GET /v1/audit/verify`. */
export interface AuditVerdict {
  ok: boolean;
  checked: number;
  brokenId?: number;
  reason?: string;
  detail?: string;
}
