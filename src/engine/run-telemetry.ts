/**
 * What one execution of a run reports as it goes: its span (the root of a trace; a replay after a crash or a
 * suspension is a new span of the same run_id), a child span per step and act phase it executes (not those it
 * replays from history), their durations on the Steward's histograms, and the run's end on its counter. Everything
 * here is in memory: no store call.
 */
import { performance } from 'node:perf_hooks';
import type { Span, Tracer } from '@opentelemetry/api';
import type { RunRecord, StepKind } from '../domain/run.js';
import type { ActPhase, StepOutcome, StewardMetrics } from '../observability/metrics.js';
import { endSpan, startChildSpan, startRootSpan, stewardTracer } from '../observability/tracing.js';

/** The act phases that run the action's code, by step kind. */
const PHASES: Partial<Record<StepKind, ActPhase>> = {
  'act.plan': 'plan',
  'act.apply': 'apply',
  'act.verify': 'verify',
  'act.rollback': 'rollback',
};

/** One executing step or act phase: end it once with how it ended. */
export interface CheckpointProbe {
  end(outcome: StepOutcome, error?: unknown): void;
}

/** What an act phase's span says beside the run's attributes. */
export interface ActAbout {
  resource: string;
  /** The plan task the act runs, or the action's name outside plan runs. */
  taskId: string;
}

/** The telemetry of one execution of one run. */
export class RunTelemetry {
  private readonly tracer: Tracer;
  private readonly span: Span;
  /** Whether the run's span is recorded (a provider is registered and sampled it): its steps and phases are then traced too. */
  private readonly traced: boolean;
  private ended = false;
  /** How the execution ended, once known: the status recorded, or why it stopped short of one. */
  private status: string | null = null;

  constructor(
    private readonly metrics: StewardMetrics,
    private readonly run: Pick<RunRecord, 'id' | 'workflow' | 'mode' | 'claims'>,
  ) {
    this.tracer = stewardTracer();
    this.span = startRootSpan(this.tracer, 'steward.run', {
      run_id: run.id,
      workflow: run.workflow,
      'steward.mode': run.mode,
      'steward.claims': run.claims,
    });
    this.traced = this.span.isRecording();
  }

  /**
   * Starts timing a checkpoint this execution runs: a step, or an act's plan, apply, verify or rollback (null for
   * the other kinds, which wait rather than work).
   */
  checkpoint(kind: StepKind, name: string, seq: number, act?: ActAbout): CheckpointProbe | null {
    const phase = PHASES[kind];
    if (kind !== 'step' && phase === undefined) return null;
    const started = performance.now();
    const span = this.traced ? this.childSpan(phase, name, seq, act) : null;
    let done = false;
    return {
      end: (outcome, error) => {
        if (done) return;
        done = true;
        const seconds = (performance.now() - started) / 1000;
        if (phase === undefined) this.metrics.observeStep(this.run.workflow, outcome, seconds);
        else this.metrics.observeActPhase(name, phase, seconds);
        if (span === null) return;
        span.setAttribute('steward.outcome', outcome);
        endSpan(span, outcome === 'succeeded' ? undefined : error);
      },
    };
  }

  private childSpan(phase: ActPhase | undefined, name: string, seq: number, act: ActAbout | undefined): Span {
    const attributes =
      phase === undefined
        ? { run_id: this.run.id, task_id: name, workflow: this.run.workflow, 'steward.seq': seq }
        : {
            run_id: this.run.id,
            task_id: act?.taskId ?? name,
            workflow: this.run.workflow,
            action: name,
            resource: act?.resource ?? '',
            'steward.seq': seq,
          };
    return startChildSpan(this.tracer, this.span, phase === undefined ? 'steward.step' : `steward.act.${phase}`, attributes);
  }

  /** The run's end (or its planned rest) was recorded: counted once, and kept for the span. */
  finished(status: string, error?: unknown): void {
    this.metrics.runFinished(this.run.workflow, status);
    this.stopped(status, error);
  }

  /** The execution stopped without an end recorded: suspended, paused, its lease lost, or the store failing. */
  stopped(status: string, error?: unknown): void {
    if (this.status !== null) return;
    this.status = status;
    if (this.span.isRecording()) this.span.setAttribute('steward.status', status);
    if (error !== undefined) endSpan(this.span, error);
    else this.span.end();
    this.ended = true;
  }

  /** Ends the run's span when nothing else did (an execution that ended some other way). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.stopped(error === undefined ? 'stopped' : 'error', error);
  }
}
