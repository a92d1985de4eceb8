/**
 * Live events over Server-Sent Events, on a real loopback socket: a client that disconnects and reconnects with
 * `Last-Event-ID` receives every event exactly once; a run's stream follows it to its end.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { buildServer } from '../../src/server/app.js';
import { createApiToken } from '../../src/server/tokens.js';
import { useSteward } from '../helpers/steward.js';

const echo = defineWorkflow({
  name: 'test.echo',
  input: z.object({ text: z.string() }),
  run: async (ctx, input) => ctx.step('echo', () => input.text),
});

interface SseEvent {
  id: number;
  type: string;
}

/** An SSE client: collects events until `stop()`; `lastId` is the id of the last one received. */
function connect(base: string, path: string, token: string, lastEventId?: number) {
  const events: SseEvent[] = [];
  let response: IncomingMessage | undefined;
  let ended = false;
  const req = httpRequest(`${base}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }) },
  });
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':') && line.includes(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
          );
          if (fields.id !== undefined) events.push({ id: Number(fields.id), type: String(fields.event) });
          if (fields.event === 'end') ended = true;
        }
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  req.end();
  return {
    events,
    opened,
    get ended() {
      return ended;
    },
    stop: () => {
      response?.destroy();
      req.destroy();
    },
  };
}

async function serve() {
  const steward = await useSteward({ workflows: [echo] });
  steward.worker.start();
  const app = await buildServer(steward);
  await app.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(async () => {
    await app.close();
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const token = (await createApiToken(steward.store, { principal: 'User::"viewer"', roles: ['viewer'], by: 'User::"root"' })).secret;
  return { steward, base, token, app };
}

describe('live events over SSE', () => {
  it('a client that reconnects with Last-Event-ID receives every event exactly once', async () => {
    const { steward, base, token } = await serve();
    const first = connect(base, '/v1/events?after=0', token);
    expect((await first.opened).headers['content-type']).toMatch(/^text\/event-stream/);

    for (let i = 0; i < 5; i++) await (await steward.start('test.echo', { text: `a${i}` })).result({ timeoutMs: 15_000 });
    await expect.poll(() => first.events.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    first.stop();
    const lastSeen = first.events[first.events.length - 1]!.id;

    // events keep committing while the client is away
    for (let i = 0; i < 5; i++) await (await steward.start('test.echo', { text: `b${i}` })).result({ timeoutMs: 15_000 });
    const second = connect(base, '/v1/events', token, lastSeen);
    await second.opened;
    const all = async (): Promise<number[]> => (await steward.events({ after: 0, limit: 10_000 })).map((e) => e.id);
    await expect.poll(async () => [...first.events, ...second.events].length === (await all()).length, { timeout: 10_000 }).toBe(true);
    second.stop();

    const received = [...first.events, ...second.events].map((e) => e.id);
    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual(await all());
  });

  it('a run’s stream follows it to its end; without follow its events come as JSON; a bad Last-Event-ID is a 400', async () => {
    const { steward, base, token } = await serve();
    const handle = await steward.start('test.echo', { text: 'hello' });
    const follow = connect(base, `/v1/runs/${handle.id}/events?follow=true&after=0`, token);
    await expect.poll(() => follow.ended, { timeout: 10_000 }).toBe(true);
    follow.stop();
    const ids = (await steward.events({ after: 0, runId: handle.id, limit: 100 })).map((e) => e.id);
    expect(follow.events.map((e) => e.id)).toEqual(ids);
    expect(follow.events.map((e) => e.type)).toContain('run.succeeded');

    const json = await fetch(`${base}/v1/runs/${handle.id}/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await json.json()) as { events: Array<{ id: number }> }).events.map((e) => e.id)).toEqual(ids);

    const bad = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('STEWARD_VALIDATION');
    const anonymous = await fetch(`${base}/v1/events`);
    expect(anonymous.status).toBe(401);
  });

  it('closing the server ends the streams that are open', async () => {
    const { base, token, app } = await serve();
    const client = connect(base, '/v1/events', token);
    const response = await client.opened;
    const ended = new Promise<void>((resolve) => response.on('end', () => resolve()));
    await app.close();
    await ended;
  });
});
