/** The text format of Server-Sent Events: messages of `id:`, `event:` and `data:` lines, ended by a blank line. */

/** One parsed message. */
export interface StreamMessage {
  id: string | null;
  event: string;
  data: string;
}

/** Splits a buffer of SSE text into complete messages, answering them and the incomplete rest. */
export function parseMessages(buffer: string): { messages: StreamMessage[]; rest: string } {
  const messages: StreamMessage[] = [];
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || id !== null) messages.push({ id, event, data: data.join('\n') });
  }
  return { messages, rest };
}
