/** The approvals inbox: pending requests with their plan, requester, category and why; approve or deny, live. */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useLiveRefresh } from '../live';
import { useLoad } from '../load';
import { href } from '../router';
import type { ApprovalRecord } from '../types';
import { ErrorText, Json, Time, useAction } from '../ui';

const WHY: Readonly<Record<string, string>> = {
  'action-requires-approval': 'the action always needs approval',
  'above-autonomy': 'its category is above the autonomy level',
  'no-permit': 'no policy permits it alone',
};

/** The approvals page. */
export function Approvals() {
  const inbox = useLoad(() => api<{ approvals: ApprovalRecord[] }>('GET', '/v1/approvals?status=pending&limit=200'), []);
  useLiveRefresh(inbox.reload, (event) => event.type.startsWith('approval.') || event.type.startsWith('run.'));
  const approvals = inbox.data?.approvals ?? [];
  return (
    <div className="page">
      <h1>Approvals</h1>
      <ErrorText error={inbox.error} />
      {inbox.data !== null && approvals.length === 0 && <p className="muted">No pending approvals.</p>}
      <ul className="cards" aria-label="Pending approvals">
        {approvals.map((approval) => (
          <ApprovalCard key={approval.id} approval={approval} onDecided={inbox.reload} />
        ))}
      </ul>
    </div>
  );
}

function ApprovalCard({ approval, onDecided }: { approval: ApprovalRecord; onDecided: () => void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const needsReason = approval.category !== 'read';
  const decide = (verb: 'approve' | 'deny') => async (): Promise<void> => {
    const ok = await action.run(async () => {
      if (needsReason && reason.trim() === '') throw new Error(`give a reason to ${verb} a ${approval.category}: it is written to the audit log`);
      await api('POST', `/v1/approvals/${encodeURIComponent(approval.id)}/${verb}`, {
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
        ...(verb === 'approve' ? { planHash: approval.planHash } : {}),
      });
    });
    if (ok) onDecided();
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void decide('approve')();
  };
  return (
    <li className="panel card" aria-label={`Approval of ${approval.action} on ${approval.resource}`}>
      <h2>
        {approval.action} <span className="tag">{approval.category}</span>
      </h2>
      <dl className="facts">
        <dt>Resource</dt>
        <dd className="mono">{approval.resource}</dd>
        <dt>Requester</dt>
        <dd>{approval.requester ?? '—'}</dd>
        <dt>Run</dt>
        <dd>
          <a href={href('runs', approval.runId)} className="mono">
            {approval.runId}
          </a>
        </dd>
        <dt>Why</dt>
        <dd>{approval.reasons.map((r) => WHY[r] ?? r).join('; ') || '—'}</dd>
        <dt>Requested</dt>
        <dd>
          <Time at={approval.createdAt} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <Time at={approval.expiresAt} />
        </dd>
      </dl>
      <Json value={approval.plan} label={`Plan of ${approval.action}`} />
      <p className="muted">
        plan hash <code className="mono hash">{approval.planHash}</code>
      </p>
      <form onSubmit={submit} className="inline-form">
        <label>
          Reason{needsReason ? ' (required)' : ''}
          <input value={reason} onChange={(e) => setReason(e.target.value)} required={needsReason} aria-required={needsReason} />
        </label>
        <button type="submit" disabled={action.busy}>
          Approve
        </button>
        <button type="button" className="danger" disabled={action.busy} onClick={() => void decide('deny')()}>
          Deny
        </button>
      </form>
      <ErrorText error={action.error} />
    </li>
  );
}
