/** How approval requests read in a terminal: the inbox table, one request in full, and the commands that decide it. */
import type { ApprovalRecord } from '../store/store.js';
import { formatTime } from './run-format.js';
import { formatTable } from './table.js';

/** A span of time, coarse enough to read at a glance: `45s`, `3m 12s`, `2h 5m`, `4d 1h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** How long a request has left to be decided: a duration, `expired` when its time is up, `-` once decided. */
export function expiresIn(approval: ApprovalRecord, now: number): string {
  if (approval.status !== 'pending') return '-';
  return approval.expiresAt <= now ? 'expired' : formatDuration(approval.expiresAt - now);
}

/** The requests of a listing as a table, oldest first. */
export function formatApprovalTable(approvals: readonly ApprovalRecord[], now: number): string {
  return formatTable(
    ['ID', 'RUN', 'ACTION', 'CATEGORY', 'RESOURCE', 'REQUESTER', 'AGE', 'EXPIRES IN', 'STATUS'],
    approvals.map((a) => [
      a.id,
      a.runId,
      a.action,
      a.category,
      a.resource,
      a.requester ?? '-',
      formatDuration(now - a.createdAt),
      expiresIn(a, now),
      a.status,
    ]),
  );
}

/** Quotes a value for a POSIX shell, so that a printed command can be pasted as it is. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The approve and deny commands of a request. */
export interface DecisionCommands {
  approve: string;
  deny: string;
}

/**
 * The approve and deny commands for a request, the approval bound to the plan hash that was shown. Who decides, and
 * their roles, are the ones given (`$STEWARD_PRINCIPAL`, `$STEWARD_ROLES`), else a placeholder and the role the
 * default policies want.
 */
export function decisionCommands(approval: ApprovalRecord, who: { principal?: string; roles?: readonly string[] }, storeFlag: string): DecisionCommands {
  const roles = who.roles !== undefined && who.roles.length > 0 ? who.roles : ['approver'];
  const common = `${shellQuote(approval.id)} --as ${shellQuote(who.principal ?? 'User::"you"')}${roles.map((r) => ` --role ${shellQuote(r)}`).join('')}`;
  return {
    approve: `steward approvals approve ${common} --reason "…" --plan-hash ${approval.planHash}${storeFlag}`,
    deny: `steward approvals deny ${common} --reason "…"${storeFlag}`,
  };
}

/** One request in full, for `approvals show`: every field, the plan as indented JSON, and what to type next. */
export function formatApprovalDetail(approval: ApprovalRecord, now: number, commands: DecisionCommands): string {
  const status =
    approval.status === 'pending'
      ? approval.expiresAt <= now
        ? 'pending, but its time is up: it counts as denied'
        : `pending, expires in ${formatDuration(approval.expiresAt - now)}`
      : approval.status;
  const fields: Array<[string, string]> = [
    ['id', approval.id],
    ['status', status],
    ['run', `${approval.runId} (act at seq ${approval.seq})`],
    ['action', `${approval.action} (version ${approval.actionVersion}), category ${approval.category}`],
    ['resource', approval.resource],
    ['network', approval.network],
    ['requester', approval.requester ?? '- (the run has no subject)'],
    ['why asked', approval.reasons.length === 0 ? '-' : approval.reasons.join(', ')],
    ['created', `${formatTime(approval.createdAt)} (${formatDuration(now - approval.createdAt)} ago)`],
    ['expires', formatTime(approval.expiresAt)],
  ];
  if (approval.decidedAt !== null || approval.decidedBy !== null) {
    fields.push(['decided', `${approval.status} by ${approval.decidedBy ?? '-'} at ${formatTime(approval.decidedAt)}`]);
    fields.push(['reason', approval.reason ?? '-']);
  }
  if (approval.consumedAt !== null) fields.push(['consumed', `${formatTime(approval.consumedAt)} (the act took it)`]);
  fields.push(['plan hash', approval.planHash]);
  const width = Math.max(...fields.map(([name]) => name.length));
  const head = fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
  const plan = JSON.stringify(approval.plan, null, 2)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  const next =
    approval.status === 'pending' && approval.expiresAt > now
      ? `Approve exactly this plan with:\n  ${commands.approve}\nor deny it with:\n  ${commands.deny}`
      : `It is ${approval.status === 'pending' ? 'expired' : approval.status}: a decision is final, nothing is left to do.`;
  return `${head}\n\nplan\n${plan}\n\n${next}`;
}
