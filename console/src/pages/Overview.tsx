/** Overview: the kill switch, the autonomy level, runs by status, pending approvals and the latest runs, live. */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useLiveRefresh } from '../live';
import { useLoad } from '../load';
import { href } from '../router';
import { RUN_STATUSES, type KillSwitch, type Overview as OverviewData, type RunPage } from '../types';
import { ErrorText, Panel, Status, Time, useAction } from '../ui';
import { RunTable } from './RunTable';

const AUTONOMY_LEVELS = [
  { level: 0, text: '0: every act waits for approval' },
  { level: 1, text: '1: reads apply alone' },
  { level: 2, text: '2: reads and writes apply alone' },
  { level: 3, text: '3: everything applies alone' },
];

/** The overview page. */
export function Overview() {
  const overview = useLoad(() => api<OverviewData>('GET', '/v1/overview'), []);
  const recent = useLoad(() => api<RunPage>('GET', '/v1/runs?limit=10'), []);
  useLiveRefresh(() => {
    overview.reload();
    recent.reload();
  });
  const data = overview.data;
  return (
    <div className="page">
      <h1>Overview</h1>
      <ErrorText error={overview.error} />
      {data !== null && (
        <div className="grid">
          <KillSwitchPanel state={data.killSwitch} onChange={overview.reload} />
          <AutonomyPanel level={data.autonomy} onChange={overview.reload} />
          <Panel title="Runs by status">
            <dl className="counts">
              {RUN_STATUSES.filter((s) => (data.runs.byStatus[s] ?? 0) > 0 || ['running', 'waiting', 'failed', 'succeeded'].includes(s)).map((status) => (
                <div key={status}>
                  <dt>
                    <a href={`${href('runs')}?status=${status}`}>
                      <Status value={status} />
                    </a>
                  </dt>
                  <dd data-testid={`count-${status}`}>{data.runs.byStatus[status] ?? 0}</dd>
                </div>
              ))}
              <div>
                <dt>total</dt>
                <dd>{data.runs.total}</dd>
              </div>
            </dl>
          </Panel>
          <Panel title="Approvals">
            <p className="big">
              <a href={href('approvals')} aria-label={`${data.approvalsPending} pending approvals`}>
                {data.approvalsPending}
              </a>{' '}
              pending
            </p>
            {data.queues.length > 0 && (
              <table>
                <thead>
                  <tr>
                    <th>queue</th>
                    <th>queued</th>
                    <th>running</th>
                  </tr>
                </thead>
                <tbody>
                  {data.queues.map((q) => (
                    <tr key={q.queue}>
                      <td>{q.queue}</td>
                      <td>{q.queued}</td>
                      <td>{q.running}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Panel>
        </div>
      )}
      <Panel title="Recent runs">
        <ErrorText error={recent.error} />
        {recent.data !== null && <RunTable runs={recent.data.runs} />}
      </Panel>
    </div>
  );
}

function KillSwitchPanel({ state, onChange }: { state: KillSwitch; onChange: () => void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const ok = await action.run(() => api('POST', '/v1/kill-switch', { on: !state.on, ...(reason.trim() === '' ? {} : { reason: reason.trim() }) }));
    if (ok) {
      setReason('');
      onChange();
    }
  };
  return (
    <Panel title="Kill switch">
      <p className={state.on ? 'kill kill-on' : 'kill kill-off'} data-testid="kill-switch-state">
        {state.on ? 'ON: no act applies' : 'off'}
      </p>
      {state.by !== null && (
        <p className="muted">
          {state.on ? 'turned on' : 'last changed'} by {state.by}
          {state.reason !== null && state.reason !== '' ? `: ${state.reason}` : ''} (<Time at={state.at} />)
        </p>
      )}
      <form onSubmit={(e) => void submit(e)} className="inline-form">
        <label>
          Kill switch reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why" />
        </label>
        <button type="submit" className={state.on ? '' : 'danger'} disabled={action.busy}>
          {state.on ? 'Turn kill switch off' : 'Turn kill switch on'}
        </button>
      </form>
      <ErrorText error={action.error} />
    </Panel>
  );
}

function AutonomyPanel({ level, onChange }: { level: number; onChange: () => void }) {
  const [chosen, setChosen] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const action = useAction();
  const value = chosen ?? level;
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const ok = await action.run(() => api('PUT', '/v1/autonomy', { level: value, ...(reason.trim() === '' ? {} : { reason: reason.trim() }) }));
    if (ok) {
      setChosen(null);
      setReason('');
      onChange();
    }
  };
  return (
    <Panel title="Autonomy">
      <p className="big" data-testid="autonomy-level">
        {level}
      </p>
      <form onSubmit={(e) => void submit(e)} className="inline-form">
        <label>
          Autonomy level
          <select value={value} onChange={(e) => setChosen(Number(e.target.value))}>
            {AUTONOMY_LEVELS.map((l) => (
              <option key={l.level} value={l.level}>
                {l.text}
              </option>
            ))}
          </select>
        </label>
        <label>
          Autonomy reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why" />
        </label>
        <button type="submit" disabled={action.busy || value === level}>
          Set autonomy
        </button>
      </form>
      <ErrorText error={action.error} />
    </Panel>
  );
}
