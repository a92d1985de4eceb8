/**
 * Live events as Server-Sent Events: `/v1/events` (every run's) and `/v1/runs/:id/events?follow` (one run's, until
 * it ends). Each event carries its id from the events table, so a client that reconnects with `Last-Event-ID` (or
 * `?after=`) gets every later event exactly once: nothing is lost across a disconnect or a restart.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isTerminal } from '../../domain/run.js';
import type { Steward } from '../../engine/steward.js';
import { ValidationError } from '../../errors.js';
import { defineRoute, STREAMED, type RouteDefinition } from '../route.js';
import { eventSchema } from '../schemas.js';

/** A comment line is sent this often on a quiet stream, so that proxies and clients keep it open. */
const HEARTBEAT_MS = 15_000;
/** Events read from the store at a time. */
const BATCH = 500;

const idParams = z.object({ id: z.string().min(1).max(200).describe('the run id') });
const streamQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional().describe('start after this event id (Last-Event-ID wins when both are sent)'),
    follow: z
      .union([z.literal(''), z.literal('true'), z.literal('1'), z.literal('false'), z.literal('0')])
      .optional()
      .describe("a run's events: stream them until the run has ended, instead of answering those so far as JSON"),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .strict();

const STREAM_DESCRIPTION =
  'Server-Sent Events: each message has `id:` (the event id), `event:` (the event type) and `data:` (the event as JSON). ' +
  'Resume with the Last-Event-ID header or `?after=`.';

/** The event routes; they are exempt from the request timeout (`stream: true`). */
export const eventRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/events',
    access: 'read',
    tags: ['events'],
    summary: "Every run's events as they commit (Server-Sent Events)",
    description: `${STREAM_DESCRIPTION} Without either, the stream starts at the current end.`,
    query: streamQuery,
    response: eventSchema,
    stream: true,
    handler: async ({ steward, request, reply, query, streams }) => {
      // a new client starts at the end (live events only) unless it says where it was
      const start = resumePoint(request, query.after) ?? (await steward.store.lastEventId());
      await streamEvents(steward, reply, start, null, streams);
      return STREAMED;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/runs/:id/events',
    access: 'read',
    tags: ['events'],
    summary: "A run's events: so far as JSON, or followed to the run's end with ?follow=true (Server-Sent Events)",
    description: `${STREAM_DESCRIPTION} With follow, the stream ends with an \`end\` event once the run has ended.`,
    params: idParams,
    query: streamQuery,
    response: z.object({ events: z.array(eventSchema) }),
    stream: true,
    errors: [404],
    handler: async ({ steward, request, reply, params, query, streams }) => {
      await steward.run(params.id);
      const start = resumePoint(request, query.after) ?? 0;
      if (query.follow === undefined || query.follow === 'false' || query.follow === '0') {
        return { events: await steward.events({ after: start, runId: params.id, limit: query.limit ?? 1000 }) };
      }
      await streamEvents(steward, reply, start, params.id, streams);
      return STREAMED;
    },
  }),
];

/** Where a client resumes: `Last-Event-ID`, else `?after=`, else nothing said. */
function resumePoint(request: FastifyRequest, after: number | undefined): number | null {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    const id = Number(header.trim());
    if (!Number.isSafeInteger(id) || id < 0) throw new ValidationError(`Last-Event-ID must be an event id (a whole number), not ${JSON.stringify(header)}`);
    return id;
  }
  return after ?? null;
}

/**
 * Writes events after `after` as they commit, until the client goes away (or, for one run, the run has ended and its
 * last event is sent). Woken by the store's notices in this process, and by the poll for other processes' events.
 */
async function streamEvents(
  steward: Steward,
  reply: FastifyReply,
  after: number,
  runId: string | null,
  open: Set<() => void>,
): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  out.write(': steward events\n\n');
  let closed = false;
  let wake: (() => void) | null = null;
  // a nudge that comes while events are being read is kept, so the next wait does not miss it
  let nudged = false;
  const nudge = (): void => {
    const w = wake;
    wake = null;
    if (w) w();
    else nudged = true;
  };
  const end = (): void => {
    closed = true;
    nudge();
  };
  // the response's close, not the request's: a request without a body may count as done at once
  out.on('close', end);
  open.add(end);
  const unsubscribe = steward.store.subscribe((notice) => {
    if (notice.type === 'events' || notice.type === 'finished') nudge();
  });
  const poll = setInterval(nudge, steward.config.pollIntervalMs);
  const heartbeat = setInterval(() => {
    if (!closed) out.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  try {
    let cursor = after;
    while (!closed) {
      nudged = false;
      const events = await steward.events({ after: cursor, limit: BATCH, ...(runId === null ? {} : { runId }) });
      for (const event of events) {
        if (closed) break;
        out.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        cursor = event.id;
      }
      if (events.length === BATCH) continue;
      if (runId !== null && isTerminal((await steward.run(runId)).status)) {
        // the run's end committed with its last events: read once more, then the stream is complete
        const rest = await steward.events({ after: cursor, limit: BATCH, runId });
        for (const event of rest) out.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        out.write('event: end\ndata: {}\n\n');
        break;
      }
      if (nudged || closed) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(poll);
    clearInterval(heartbeat);
    unsubscribe();
    open.delete(end);
    out.end();
  }
}
