/** How runs, steps and events read in a terminal. */
import type { EventRecord, RunRecord, StepRecord } from '../domain/run.js';
import type { SerializedError } from '../errors.js';
import { formatTable } from './table.js';

/** A time as ISO 8601, or `-`. */
export function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

/** A JSON value on one line. */
export function formatValue(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** The runs of a listing as a table, newest first. */
export function formatRunTable(runs: readonly RunRecord[]): string {
  return formatTable(
    ['ID', 'WORKFLOW', 'STATUS', 'QUEUE', 'CREATED', 'FINISHED'],
    runs.map((r) => [r.id, r.workflow, r.status, r.queue, formatTime(r.createdAt), formatTime(r.finishedAt)]),
  );
}

/** A run's record and its steps, for `run show`. */
export function formatRunDetail(run: RunRecord, steps: readonly StepRecord[]): string {
  const fields: Array<[string, string]> = [
    ['id', run.id],
    ['workflow', `${run.workflow} (version ${run.workflowVersion})`],
    ['status', run.status + (run.waitKind ? ` (waiting for ${run.waitKind}${run.waitRef ? ` ${run.waitRef}` : ''})` : '')],
    ['queue', `${run.queue} (priority ${run.priority})`],
  ];
  if (run.idempotencyKey) fields.push(['idempotency key', run.idempotencyKey]);
  if (run.parentId) fields.push(['parent', run.parentId]);
  fields.push(['created', formatTime(run.createdAt)], ['started', formatTime(run.startedAt)], ['finished', formatTime(run.finishedAt)]);
  fields.push(['input', formatValue(run.input)]);
  if (run.status === 'succeeded') fields.push(['output', formatValue(run.output)]);
  if (run.error) fields.push(['error', formatError(run.error)]);
  const width = Math.max(...fields.map(([name]) => name.length));
  const head = fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
  if (steps.length === 0) return `${head}\n\nno steps yet`;
  const table = formatTable(
    ['SEQ', 'KIND', 'NAME', 'STATUS', 'ATTEMPTS'],
    steps.map((s) => [String(s.seq), s.kind, s.name, s.status, String(s.attempts)]),
  );
  return `${head}\n\n${table}`;
}

/** A stored error on one line: message and code. */
export function formatError(error: SerializedError): string {
  return `${error.message.replace(/\s*\n\s*/g, ' ')} [${error.code}]`;
}

/** One event on one line: time, type and its data as key=value pairs. */
export function formatEvent(event: EventRecord): string {
  const data = Object.entries(event.data)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : formatValue(value)}`)
    .join(' ');
  return `${formatTime(event.at)}  ${event.type.padEnd(20)}${data ? `  ${data}` : ''}`.trimEnd();
}
