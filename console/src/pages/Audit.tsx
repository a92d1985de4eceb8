/** Audit: the hash-chained log with paging and filters, and the chain's verdict. */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, messageOf, query } from '../api';
import { useLiveRefresh } from '../live';
import { useLoad } from '../load';
import { href } from '../router';
import type { AuditEntry, AuditPage, AuditVerdict } from '../types';
import { ErrorText, Json, Panel, Time } from '../ui';

const PAGE = 50;

/** An entry's place in the log (the API sends it as both `seq` and `id`). */
function seqOf(entry: AuditEntry): number {
  return entry.seq ?? entry.id ?? 0;
}

/** The audit page. */
export function Audit({ params }: { params: URLSearchParams }) {
  const runId = params.get('runId') ?? '';
  const kind = params.get('kind') ?? '';
  const verdict = useLoad(() => api<AuditVerdict>('GET', '/v1/audit/verify'), []);
  return (
    <div className="page">
      <h1>Audit</h1>
      <Panel title="Chain" actions={<button type="button" onClick={verdict.reload}>Verify again</button>}>
        <ErrorText error={verdict.error} />
        {verdict.data !== null && (
          <p className={verdict.data.ok ? 'ok' : 'error'} data-testid="chain-status" role="status">
            {verdict.data.ok
              ? `intact: ${verdict.data.checked} entries checked`
              : `broken at entry ${verdict.data.brokenId ?? '?'}: ${verdict.data.detail ?? verdict.data.reason ?? 'see the server'}`}
          </p>
        )}
      </Panel>
      <AuditList key={`${runId}|${kind}`} runId={runId} kind={kind} />
    </div>
  );
}

function AuditList({ runId, kind }: { runId: string; kind: string }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [runText, setRunText] = useState(runId);
  const [kindText, setKindText] = useState(kind);
  const load = useCallback(
    async (after: string | null) => {
      try {
        const page = await api<AuditPage>('GET', `/v1/audit${query({ runId, kind, after, limit: PAGE })}`);
        // a page read twice (two live refreshes crossing) adds each entry once
        setEntries((old) => (after === null ? page.entries : [...old, ...page.entries.filter((e) => seqOf(e) > (old.length === 0 ? 0 : seqOf(old[old.length - 1]!)))]));
        setCursor(page.nextCursor);
        setError(null);
      } catch (failure) {
        setError(messageOf(failure));
      }
    },
    [runId, kind],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  // at the end of the log, new entries are read as they come (an event accompanies every change worth auditing)
  const tail = useRef({ cursor, last: null as number | null });
  tail.current = { cursor, last: entries.length === 0 ? null : seqOf(entries[entries.length - 1]!) };
  useLiveRefresh(() => {
    const { cursor: next, last } = tail.current;
    if (next === null) void load(last === null ? null : String(last));
  });
  const filter = (event: FormEvent): void => {
    event.preventDefault();
    window.location.hash = `${href('audit')}${query({ runId: runText.trim(), kind: kindText.trim() })}`;
  };
  return (
    <Panel title="Entries">
      <form className="filters" onSubmit={filter}>
        <label>
          Run id
          <input value={runText} onChange={(e) => setRunText(e.target.value)} placeholder="any" />
        </label>
        <label>
          Kind
          <input value={kindText} onChange={(e) => setKindText(e.target.value)} placeholder="e.g. approval.decided" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorText error={error} />
      <table className="audit">
        <thead>
          <tr>
            <th>#</th>
            <th>at</th>
            <th>kind</th>
            <th>actor</th>
            <th>run</th>
            <th>subject</th>
            <th>data</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const seq = seqOf(entry);
            return (
              <tr key={seq}>
                <td>{seq}</td>
                <td>
                  <Time at={entry.at} />
                </td>
                <td className="mono">{entry.kind}</td>
                <td>{entry.actor ?? '—'}</td>
                <td>
                  {entry.runId === null ? (
                    '—'
                  ) : (
                    <a href={href('runs', entry.runId)} className="mono">
                      {entry.runId}
                    </a>
                  )}
                </td>
                <td>{entry.subject ?? '—'}</td>
                <td>
                  <details>
                    <summary>data</summary>
                    <Json value={entry.data} />
                    <p className="mono hash">{entry.hash}</p>
                  </details>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {entries.length === 0 && error === null && <p className="muted">No entries.</p>}
      {cursor !== null && (
        <button type="button" onClick={() => void load(cursor)}>
          More
        </button>
      )}
    </Panel>
  );
}
