/**
 * A run's timeline: its header, its steps and acts phase by phase, the plan of a plan-mode run with "apply this plan",
 * cancel and signal; live over the run's event stream, re-reading the run on each event.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, messageOf } from '../api';
import { useLoad } from '../load';
import { openEventStream } from '../sse';
import { TERMINAL, type EventRecord, type PlanPreview, type RunWithSteps, type StepRecord } from '../types';
import { ErrorText, Json, Panel, Status, Time, useAction } from '../ui';

const PHASES = ['plan', 'approval', 'apply', 'verify', 'rollback'] as const;
type Phase = (typeof PHASES)[number];

/** One act: its phases' steps, by phase. */
interface Act {
  base: number;
  action: string;
  phases: Partial<Record<Phase, StepRecord>>;
}

type Entry = { type: 'step'; step: StepRecord } | { type: 'act'; act: Act };

/** Groups the act.* steps of each act (the five sequence numbers after the act's own) and keeps the rest as steps. */
export function timelineOf(steps: readonly StepRecord[]): Entry[] {
  const entries: Entry[] = [];
  const acts = new Map<number, Act>();
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) {
    const phase = step.kind.startsWith('act.') ? (step.kind.slice(4) as Phase) : null;
    if (phase === null || !PHASES.includes(phase)) {
      entries.push({ type: 'step', step });
      continue;
    }
    const base = step.seq - 1 - PHASES.indexOf(phase);
    let act = acts.get(base);
    if (act === undefined) {
      act = { base, action: step.name, phases: {} };
      acts.set(base, act);
      entries.push({ type: 'act', act });
    }
    act.phases[phase] = step;
  }
  return entries;
}

/** The run timeline page. */
export function RunTimeline({ id }: { id: string }) {
  const run = useLoad(() => api<RunWithSteps>('GET', `/v1/runs/${encodeURIComponent(id)}`), [id]);
  const isPlan = run.data !== null && (run.data.mode === 'plan' || run.data.steps.some((s) => s.kind === 'plan.reviewed'));
  const plan = useLoad(async () => (isPlan ? api<PlanPreview>('GET', `/v1/plans/${encodeURIComponent(id)}`) : null), [id, isPlan, run.data?.status]);
  const [events, setEvents] = useState<EventRecord[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'ended' | 'error'>('connecting');
  const reload = useRef(run.reload);
  reload.current = run.reload;

  useEffect(() => {
    setEvents([]);
    setLive('connecting');
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = (): void => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        reload.current();
      }, 150);
    };
    const stop = openEventStream(`/v1/runs/${encodeURIComponent(id)}/events?follow=true`, {
      onOpen: () => setLive('live'),
      onError: () => setLive('error'),
      onEnd: () => {
        setLive('ended');
        reload.current();
      },
      onEvent: (event) => {
        setEvents((old) => (old.some((e) => e.id === event.id) ? old : [...old, event].slice(-200)));
        refresh();
      },
    });
    return () => {
      stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [id]);

  const data = run.data;
  return (
    <div className="page">
      <h1>
        Run <span className="mono">{id}</span>
      </h1>
      <p className="muted" aria-live="polite">
        {live === 'live' ? 'live: updates as the run moves' : live === 'ended' ? 'the run has ended' : live === 'error' ? 'live updates interrupted; retrying' : 'connecting…'}
      </p>
      <ErrorText error={run.error} />
      {data !== null && (
        <>
          <RunHeader run={data} onChange={run.reload} />
          {isPlan && <PlanPanel runId={id} preview={plan.data} error={plan.error} status={data.status} onApplied={run.reload} />}
          <Panel title="Timeline">
            <ol className="timeline">
              {timelineOf(data.steps).map((entry) =>
                entry.type === 'act' ? <ActItem key={`a${entry.act.base}`} act={entry.act} /> : <StepItem key={`s${entry.step.seq}`} step={entry.step} />,
              )}
              {data.steps.length === 0 && <li className="muted">No steps yet.</li>}
            </ol>
          </Panel>
        </>
      )}
      <Panel title="Events">
        <ol className="events" aria-label="Run events">
          {events.map((e) => (
            <li key={e.id}>
              <span className="mono">{e.type}</span> <Time at={e.at} />
            </li>
          ))}
        </ol>
      </Panel>
    </div>
  );
}

function RunHeader({ run, onChange }: { run: RunWithSteps; onChange: () => void }) {
  const ended = TERMINAL.has(run.status);
  return (
    <Panel title="Run">
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="run-status">
          <Status value={run.status} />
          {run.mode === 'plan' && <span className="tag">plan mode</span>}
          {run.waitKind !== null && run.status === 'waiting' && <span className="muted"> waiting for {run.waitKind}</span>}
        </dd>
        <dt>Workflow</dt>
        <dd>{run.workflow}</dd>
        <dt>Subject</dt>
        <dd>{run.subject ?? '—'}</dd>
        {run.goal !== null && (
          <>
            <dt>Goal</dt>
            <dd>{run.goal}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          <Time at={run.createdAt} />
        </dd>
        <dt>Started</dt>
        <dd>
          <Time at={run.startedAt} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Time at={run.finishedAt} />
        </dd>
      </dl>
      {run.error !== null && (
        <p className="error" role="alert">
          {run.error.code !== undefined ? `${run.error.code}: ` : ''}
          {run.error.message}
        </p>
      )}
      {run.output !== null && run.output !== undefined && (
        // a planned run's output is its plan, which the Plan panel shows: folded here
        <details open={run.status !== 'planned'}>
          <summary>Output</summary>
          <Json value={run.output} label="Run output" />
        </details>
      )}
      <details>
        <summary>Input</summary>
        <Json value={run.input} label="Run input" />
      </details>
      {/* a planned run waits for nobody's signal: it can be applied (below) or cancelled */}
      {!ended && <RunControls runId={run.id} canSignal={run.status !== 'planned'} onChange={onChange} />}
    </Panel>
  );
}

function RunControls({ runId, canSignal, onChange }: { runId: string; canSignal: boolean; onChange: () => void }) {
  const [reason, setReason] = useState('');
  const [signal, setSignal] = useState('');
  const [payload, setPayload] = useState('');
  const cancel = useAction();
  const send = useAction();
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  const doCancel = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (await cancel.run(() => api('POST', `${path}/cancel`, reason.trim() === '' ? {} : { reason: reason.trim() }))) onChange();
  };
  const doSignal = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const ok = await send.run(async () => {
      if (signal.trim() === '') throw new Error('name the signal to send, as the workflow waits for it');
      let parsed: unknown = null;
      if (payload.trim() !== '') {
        try {
          parsed = JSON.parse(payload);
        } catch (cause) {
          throw new Error(`the payload is not valid JSON (${messageOf(cause)})`);
        }
      }
      await api('POST', `${path}/signal`, { name: signal.trim(), payload: parsed });
    });
    if (ok) onChange();
  };
  return (
    <div className="grid">
      <form onSubmit={(e) => void doCancel(e)} className="inline-form">
        <label>
          Cancel reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" className="danger" disabled={cancel.busy}>
          Cancel run
        </button>
        <ErrorText error={cancel.error} />
      </form>
      {canSignal && (
        <form onSubmit={(e) => void doSignal(e)} className="inline-form">
          <label>
            Signal name
            <input value={signal} onChange={(e) => setSignal(e.target.value)} />
          </label>
          <label>
            Signal payload (JSON)
            <input value={payload} onChange={(e) => setPayload(e.target.value)} className="mono" />
          </label>
          <button type="submit" disabled={send.busy}>
            Send signal
          </button>
          <ErrorText error={send.error} />
        </form>
      )}
    </div>
  );
}

function PlanPanel({ runId, preview, error, status, onApplied }: { runId: string; preview: PlanPreview | null; error: string | null; status: string; onApplied: () => void }) {
  const action = useAction();
  const apply = async (): Promise<void> => {
    if (preview === null) return;
    if (await action.run(() => api('POST', `/v1/plans/${encodeURIComponent(runId)}/apply`, { expectHash: preview.hash }))) onApplied();
  };
  return (
    <Panel title="Plan">
      <ErrorText error={error} />
      {preview !== null && (
        <>
          <p>
            Plan hash <code className="mono hash" data-testid="plan-hash">{preview.hash}</code>
          </p>
          <ol className="plan">
            {preview.acts.map((act) => (
              <li key={act.seq}>
                <strong>{act.action}</strong> on <span className="mono">{act.resource}</span>
                <Json value={act.plan} label={`Plan of ${act.action}`} />
              </li>
            ))}
          </ol>
          {preview.acts.length === 0 && <p className="muted">No acts planned yet.</p>}
          {status === 'planned' && (
            <button type="button" onClick={() => void apply()} disabled={action.busy}>
              Apply this plan
            </button>
          )}
          <ErrorText error={action.error} />
        </>
      )}
    </Panel>
  );
}

function StepItem({ step }: { step: StepRecord }) {
  return (
    <li className="step">
      <div className="step-head">
        <span className="mono">#{step.seq}</span> <span className="tag">{step.kind}</span> <strong>{step.name}</strong> <Status value={step.status} />
        {step.attempts > 1 && <span className="muted"> {step.attempts} attempts</span>}
      </div>
      {step.error !== null && <p className="error">{step.error.message}</p>}
      {step.result !== null && step.result !== undefined && (
        <details>
          <summary>Result</summary>
          <Json value={step.result} />
        </details>
      )}
    </li>
  );
}

function ActItem({ act }: { act: Act }) {
  return (
    <li className="act" aria-label={`Act ${act.action}`}>
      <div className="step-head">
        <span className="mono">#{act.base + 1}</span> <span className="tag">act</span> <strong>{act.action}</strong>
      </div>
      <ol className="phases">
        {PHASES.map((phase) => {
          const step = act.phases[phase];
          if (step === undefined) return null;
          return (
            <li key={phase} className="phase" aria-label={`${act.action} ${phase}`}>
              <span className="phase-name">{phase}</span> <Status value={step.status} />
              {step.attempts > 1 && <span className="muted"> {step.attempts} attempts</span>}
              {step.error !== null && <p className="error">{step.error.message}</p>}
              {step.result !== null && step.result !== undefined && (
                <details>
                  <summary>{phase === 'apply' ? 'Output' : 'Result'}</summary>
                  <Json value={step.result} />
                </details>
              )}
            </li>
          );
        })}
      </ol>
    </li>
  );
}
