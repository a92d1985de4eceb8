/**
 * Server-Sent Events read with `fetch` (EventSource cannot send an Authorization header): the stream's
 * `id:`/`event:`/`data:` lines are parsed by sse-parse.ts, and a dropped stream is reopened with `Last-Event-ID`.
 */
import { errorOf, refuseSession, storedToken } from './api';
import { parseMessages } from './sse-parse';
import type { EventRecord } from './types';

/** What `openEventStream` is told. */
export interface StreamHandlers {
  /** Each event (not the `end` marker). */
  onEvent: (event: EventRecord) => void;
  /** The stream ended for good (a run's stream ends with its run). */
  onEnd?: () => void;
  /** The stream failed; it is retried unless the error is a client error (401, 403, 404). */
  onError?: (message: string) => void;
  /** The stream is open (again). */
  onOpen?: () => void;
}

/** Opens a live stream at `path` and keeps it open until the answered function is called. */
export function openEventStream(path: string, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let lastId: string | null = null;
  let delay = 500;
  let stopped = false;

  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        const token = storedToken();
        if (token !== null) headers['authorization'] = `Bearer ${token}`;
        if (lastId !== null) headers['last-event-id'] = lastId;
        const response = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
        if (!response.ok || response.body === null) {
          const error = await errorOf(response);
          handlers.onError?.(error.message);
          if (response.status === 401 && token !== null) refuseSession(error.message);
          if (response.status >= 400 && response.status < 500 && response.status !== 429) return;
          throw error;
        }
        handlers.onOpen?.();
        delay = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const parsed = parseMessages(buffer);
          buffer = parsed.rest;
          for (const message of parsed.messages) {
            if (message.event === 'end') {
              stopped = true;
              handlers.onEnd?.();
              return;
            }
            if (message.id !== null) lastId = message.id;
            try {
              handlers.onEvent(JSON.parse(message.data) as EventRecord);
            } catch {
              // a message that is not an event record is not for the console
            }
          }
        }
      } catch (error) {
        if (stopped || controller.signal.aborted) return;
        handlers.onError?.(error instanceof Error ? error.message : String(error));
      }
      if (stopped) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
