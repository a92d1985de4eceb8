/** The pieces around the browser tests and the console's live stream, without a browser. */
import { describe, expect, it } from 'vitest';
import { parseMessages } from '../../console/src/sse-parse.js';
import { launchChromium } from './harness.js';

describe('the browser harness', () => {
  it('fails, saying how to install Chromium, when it is missing', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(/apt-get install -y chromium/);
  });
});

describe("the console's reading of Server-Sent Events", () => {
  it('parses id, event and data lines, skips comments, and keeps an unfinished message for later', () => {
    const text = ': steward events\n\nid: 7\nevent: run.created\ndata: {"id":7}\n\nid: 8\r\nevent: run.running\r\ndata: {"id":8}\r\n\r\nid: 9\nevent: run.succ';
    const { messages, rest } = parseMessages(text);
    expect(messages).toEqual([
      { id: '7', event: 'run.created', data: '{"id":7}' },
      { id: '8', event: 'run.running', data: '{"id":8}' },
    ]);
    expect(rest).toBe('id: 9\nevent: run.succ');
    expect(parseMessages(`${rest}eeded\ndata: {}\n\n`).messages).toEqual([{ id: '9', event: 'run.succeeded', data: '{}' }]);
  });

  it('joins several data lines, and names a message without an event line "message"', () => {
    expect(parseMessages('data: a\ndata: b\n\nevent: end\ndata: {}\n\n').messages).toEqual([
      { id: null, event: 'message', data: 'a\nb' },
      { id: null, event: 'end', data: '{}' },
    ]);
  });
});
