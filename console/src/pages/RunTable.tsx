/** A table of runs, each linking to its timeline. */
import { href } from '../router';
import type { RunRecord } from '../types';
import { Status, Time } from '../ui';

/** Runs as a table (a list of cards on a phone). */
export function RunTable({ runs }: { runs: readonly RunRecord[] }) {
  if (runs.length === 0) return <p className="muted">No runs.</p>;
  return (
    <table className="runs">
      <thead>
        <tr>
          <th>run</th>
          <th>workflow</th>
          <th>status</th>
          <th>subject</th>
          <th>created</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>
              <a href={href('runs', run.id)} className="mono">
                {run.id}
              </a>
            </td>
            <td>{run.workflow}</td>
            <td>
              <Status value={run.status} />
              {run.mode === 'plan' && <span className="tag">plan</span>}
            </td>
            <td>{run.subject ?? '—'}</td>
            <td>
              <Time at={run.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
