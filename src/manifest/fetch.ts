/**
 * Bounded downloads: a deadline over the whole transfer (headers and body), an idle limit that catches a server that
 * sends headers and then nothing, and a size cap enforced while the body streams, before it is all in memory.
 */
import { fetchFailed, fetchTimeout, tooLarge } from './errors.js';

/** The bounds of one download. */
export interface FetchLimits {
  /** The whole transfer must finish within this. */
  timeoutMs: number;
  /** The transfer fails when no bytes arrive for this long. */
  idleTimeoutMs: number;
  /** The body may hold at most this many bytes. */
  maxBytes: number;
}

/** The `fetch` to use; injectable for tests and proxies. */
export type FetchFunction = typeof fetch;

/**
 * Downloads `url` within `limits` and answers its bytes. Redirects are refused: the URL that was allowed (or signed)
 * is the one read. `what` names the download in errors ("manifest", "artifact").
 */
export async function fetchBounded(url: URL, what: string, limits: FetchLimits, fetchImpl: FetchFunction = fetch): Promise<Buffer> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fetchFailed(what, url.href, `only http and https URLs are fetched, not ${url.protocol}`);
  const controller = new AbortController();
  let expired: 'deadline' | 'idle' | null = null;
  const abortFor = (why: 'deadline' | 'idle') => () => {
    expired = why;
    controller.abort();
  };
  const deadline = setTimeout(abortFor('deadline'), limits.timeoutMs);
  let idle = setTimeout(abortFor('idle'), limits.idleTimeoutMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(abortFor('idle'), limits.idleTimeoutMs);
  };
  const timedOut = () =>
    expired === 'idle'
      ? fetchTimeout(what, url.href, `stalled: no bytes arrived for ${limits.idleTimeoutMs} ms`)
      : fetchTimeout(what, url.href, `did not finish within ${limits.timeoutMs} ms`);
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, redirect: 'error' });
    } catch (cause) {
      if (expired) throw timedOut();
      throw fetchFailed(what, url.href, describe(cause), cause);
    }
    touch();
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw fetchFailed(what, url.href, `the server answered ${response.status} ${response.statusText}`.trim());
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > limits.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(what, url.href, limits.maxBytes);
    }
    return await readCapped(response, what, url, limits.maxBytes, touch, () => (expired ? timedOut() : null));
  } finally {
    clearTimeout(deadline);
    clearTimeout(idle);
  }
}

async function readCapped(
  response: Response,
  what: string,
  url: URL,
  maxBytes: number,
  touch: () => void,
  timeoutError: () => Error | null,
): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (cause) {
        throw timeoutError() ?? fetchFailed(what, url.href, `the download broke off (${describe(cause)})`, cause);
      }
      if (step.done) break;
      total += step.value.byteLength;
      if (total > maxBytes) throw tooLarge(what, url.href, maxBytes);
      chunks.push(Buffer.from(step.value));
      touch();
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  return Buffer.concat(chunks, total);
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}
