/** Components: what is active and winning for each domain and key; explain one, swap it, pause, resume or drain it. */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useLiveRefresh, usePolling } from '../live';
import { useLoad } from '../load';
import { href } from '../router';
import type { ComponentDetail, ComponentSummary } from '../types';
import { ErrorText, Panel, Status, Time, useAction } from '../ui';

/** How often a components page reads again when no event says anything changed (swaps, drains, in-flight counts). */
const POLL_MS = 5_000;

const isComponentEvent = (event: { type: string }): boolean => event.type.startsWith('component.');

function componentPath(domain: string, key: string): string {
  return `/v1/components/${encodeURIComponent(domain)}/${encodeURIComponent(key)}`;
}

/** The components page: the list, or one component when `domain` and `key` are given. */
export function Components({ domain, componentKey }: { domain?: string; componentKey?: string }) {
  if (domain !== undefined && componentKey !== undefined) return <ComponentPage domain={domain} componentKey={componentKey} />;
  return <ComponentList />;
}

function ComponentList() {
  const list = useLoad(() => api<{ components: ComponentSummary[] }>('GET', '/v1/components'), []);
  useLiveRefresh(list.reload, isComponentEvent);
  usePolling(list.reload, POLL_MS);
  return (
    <div className="page">
      <h1>Components</h1>
      <ErrorText error={list.error} />
      {list.data !== null && (
        <table>
          <thead>
            <tr>
              <th>component</th>
              <th>active</th>
              <th>winner</th>
              <th>state</th>
              <th>candidates</th>
              <th>in flight</th>
            </tr>
          </thead>
          <tbody>
            {list.data.components.map((c) => (
              <tr key={`${c.domain}/${c.key}`}>
                <td>
                  <a href={href('components', c.domain, c.key)} aria-label={`Explain ${c.domain}/${c.key}`}>
                    {c.domain}/{c.key}
                  </a>
                </td>
                <td>{c.active ?? '—'}</td>
                <td>
                  {c.winner ?? '—'}
                  {c.active !== null && c.winner !== null && c.active !== c.winner && <span className="tag">swap pending</span>}
                </td>
                <td>
                  <Status value={c.state} />
                  {c.paused && c.state !== 'paused' && <Status value="paused" />}
                </td>
                <td>{c.candidates}</td>
                <td>{c.inFlight}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data !== null && list.data.components.length === 0 && <p className="muted">No components registered.</p>}
    </div>
  );
}

function ComponentPage({ domain, componentKey }: { domain: string; componentKey: string }) {
  const path = componentPath(domain, componentKey);
  const detail = useLoad(() => api<ComponentDetail>('GET', path), [path]);
  useLiveRefresh(detail.reload, isComponentEvent);
  usePolling(detail.reload, POLL_MS);
  const data = detail.data;
  return (
    <div className="page">
      <p>
        <a href={href('components')}>← Components</a>
      </p>
      <h1>
        {domain}/{componentKey}
      </h1>
      <ErrorText error={detail.error} />
      {data !== null && (
        <>
          <Panel title="Explanation">
            <dl className="facts">
              <dt>State</dt>
              <dd>
                <Status value={data.state} />
              </dd>
              <dt>Active</dt>
              <dd>{data.explanation.active ?? '—'}</dd>
              <dt>Winner</dt>
              <dd>{data.explanation.winner ?? '—'}</dd>
              <dt>Selected</dt>
              <dd>{data.explanation.selected ?? 'none'}</dd>
            </dl>
            <table aria-label="Candidates">
              <thead>
                <tr>
                  <th>rank</th>
                  <th>provider</th>
                  <th>source</th>
                  <th>priority</th>
                  <th>why</th>
                </tr>
              </thead>
              <tbody>
                {data.explanation.candidates.map((c) => (
                  <tr key={c.provider} className={c.winner ? 'winner' : ''}>
                    <td>{c.rank}</td>
                    <td>
                      {c.provider}
                      {c.winner && <span className="tag">winner</span>}
                    </td>
                    <td>{c.source}</td>
                    <td>{c.priority}</td>
                    <td>{c.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
          <ComponentControls path={path} detail={data} onChange={detail.reload} />
          <Panel title="Swap history">
            {data.history.length === 0 ? (
              <p className="muted">No swaps yet.</p>
            ) : (
              <ul>
                {data.history.map((h, i) => (
                  <li key={i}>
                    <Time at={h.startedAt} />: {h.from ?? '—'} → {h.to} ({h.trigger}, {h.outcome}
                    {h.reason !== null ? `: ${h.reason}` : ''})
                  </li>
                ))}
              </ul>
            )}
          </Panel>
        </>
      )}
    </div>
  );
}

function ComponentControls({ path, detail, onChange }: { path: string; detail: ComponentDetail; onChange: () => void }) {
  const providers = detail.explanation.candidates.map((c) => c.provider);
  const [provider, setProvider] = useState(providers.find((p) => p !== detail.explanation.active) ?? providers[0] ?? '');
  const [reason, setReason] = useState('');
  const action = useAction();
  const body = (): { reason?: string } => (reason.trim() === '' ? {} : { reason: reason.trim() });
  const call = (verb: 'pause' | 'resume' | 'drain') => async (): Promise<void> => {
    if (await action.run(() => api('POST', `${path}/${verb}`, verb === 'drain' ? {} : body()))) onChange();
  };
  const swap = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (await action.run(() => api('POST', `${path}/swap`, { provider, ...body() }))) onChange();
  };
  return (
    <Panel title="Controls">
      <form onSubmit={(e) => void swap(e)} className="inline-form">
        <label>
          Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value)}>
            {providers.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" disabled={action.busy || provider === ''}>
          Swap
        </button>
      </form>
      <div className="buttons">
        <button type="button" onClick={() => void call('pause')()} disabled={action.busy}>
          Pause
        </button>
        <button type="button" onClick={() => void call('resume')()} disabled={action.busy}>
          Resume
        </button>
        <button type="button" onClick={() => void call('drain')()} disabled={action.busy}>
          Drain
        </button>
      </div>
      <ErrorText error={action.error} />
    </Panel>
  );
}
