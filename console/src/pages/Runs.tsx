/** Runs: the list with filters and paging, starting a run of a workflow, and submitting a plan file in plan mode. */
import { useCallback, useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import examplePlan from '../../../examples/deploy-plan.yaml?raw';
import { api, messageOf, query } from '../api';
import { useLiveRefresh } from '../live';
import { href, navigate } from '../router';
import { RUN_STATUSES, type RunPage, type RunRecord, type StartedRun } from '../types';
import { ErrorText, Panel, useAction } from '../ui';
import { RunTable } from './RunTable';

const PAGE = 20;

/** The runs page; `params` are the hash's query (`status`, `workflow`). */
export function Runs({ params }: { params: URLSearchParams }) {
  const status = params.get('status') ?? '';
  const workflow = params.get('workflow') ?? '';
  return (
    <div className="page">
      <h1>Runs</h1>
      <RunList key={`${status}|${workflow}`} status={status} workflow={workflow} />
      <div className="grid">
        <SubmitPlan />
        <StartRun />
      </div>
    </div>
  );
}

function setFilter(status: string, workflow: string): void {
  window.location.hash = `${href('runs')}${query({ status, workflow })}`;
}

function RunList({ status, workflow }: { status: string; workflow: string }) {
  const [runs, setRuns] = useState<RunRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const count = useRef(PAGE);
  const [workflowText, setWorkflowText] = useState(workflow);

  const refresh = useCallback(() => {
    api<RunPage>('GET', `/v1/runs${query({ status, workflow, limit: Math.max(count.current, PAGE) })}`).then(
      (page) => {
        setRuns(page.runs);
        setCursor(page.nextCursor);
        setError(null);
        setLoaded(true);
      },
      (failure: unknown) => setError(messageOf(failure)),
    );
  }, [status, workflow]);
  useEffect(refresh, [refresh]);
  useLiveRefresh(refresh, (event) => event.type.startsWith('run.'));

  const more = async (): Promise<void> => {
    if (cursor === null) return;
    try {
      const page = await api<RunPage>('GET', `/v1/runs${query({ status, workflow, cursor, limit: PAGE })}`);
      setRuns((old) => {
        const next = [...old, ...page.runs.filter((r) => !old.some((o) => o.id === r.id))];
        count.current = next.length;
        return next;
      });
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <Panel title="Run list">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(status, workflowText.trim());
        }}
      >
        <label>
          Status
          <select value={status} onChange={(e) => setFilter(e.target.value, workflow)}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Workflow
          <input value={workflowText} onChange={(e) => setWorkflowText(e.target.value)} placeholder="any" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorText error={error} />
      {loaded && <RunTable runs={runs} />}
      {cursor !== null && (
        <button type="button" onClick={() => void more()}>
          More
        </button>
      )}
    </Panel>
  );
}

function StartRun() {
  const [workflow, setWorkflow] = useState('');
  const [input, setInput] = useState('{}');
  const [mode, setMode] = useState<'apply' | 'plan'>('apply');
  const action = useAction();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    let started: StartedRun | null = null;
    await action.run(async () => {
      if (workflow.trim() === '') throw new Error('name the workflow to start, such as deploy.release');
      let parsed: unknown;
      try {
        parsed = input.trim() === '' ? null : JSON.parse(input);
      } catch (cause) {
        throw new Error(`the input is not valid JSON (${messageOf(cause)}): write an object such as {"service":"api"}`);
      }
      started = await api<StartedRun>('POST', '/v1/runs', { workflow: workflow.trim(), input: parsed, mode });
    });
    if (started !== null) navigate('runs', (started as StartedRun).id);
  };
  return (
    <Panel title="Start a run">
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label>
          Workflow name
          <input value={workflow} onChange={(e) => setWorkflow(e.target.value)} placeholder="deploy.release" />
        </label>
        <label>
          Input (JSON)
          <textarea rows={5} value={input} onChange={(e) => setInput(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Mode
          <select value={mode} onChange={(e) => setMode(e.target.value === 'plan' ? 'plan' : 'apply')}>
            <option value="apply">apply</option>
            <option value="plan">plan (preview only)</option>
          </select>
        </label>
        <ErrorText error={action.error} />
        <button type="submit" disabled={action.busy}>
          Start run
        </button>
      </form>
    </Panel>
  );
}

function SubmitPlan() {
  const [text, setText] = useState(examplePlan);
  const [goal, setGoal] = useState('');
  const action = useAction();
  const upload = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    if (file !== undefined) setText(await file.text());
  };
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    let started: StartedRun | null = null;
    await action.run(async () => {
      if (text.trim() === '') throw new Error('paste a plan (YAML or JSON) or choose a plan file');
      started = await api<StartedRun>('POST', '/v1/plans', { plan: text, mode: 'plan', ...(goal.trim() === '' ? {} : { goal: goal.trim() }) });
    });
    if (started !== null) navigate('runs', (started as StartedRun).id);
  };
  return (
    <Panel title="Submit a plan">
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label>
          Plan file
          <input type="file" accept=".yaml,.yml,.json,application/json,text/yaml" onChange={(e) => void upload(e)} />
        </label>
        <label>
          Plan (YAML or JSON)
          <textarea rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} className="mono" />
        </label>
        <label>
          Goal (optional)
          <input value={goal} onChange={(e) => setGoal(e.target.value)} placeholder="the plan's own goal when empty" />
        </label>
        <ErrorText error={action.error} />
        <button type="submit" disabled={action.busy}>
          Preview plan
        </button>
      </form>
    </Panel>
  );
}
