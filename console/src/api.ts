/** The console's HTTP client: every call carries the session's bearer token, and every error is the problem's detail. */

const TOKEN_KEY = 'steward.token';

/** An API error: the problem document's detail, code and status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** The token of this browser tab, or null when logged out. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps (or, with null, forgets) the token for this tab. */
export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** The window event sent when the session's token is refused (revoked, or the store was reset): the console logs out. */
export const SESSION_REFUSED = 'steward:session-refused';

/** Says that the session's token was refused, with the server's reason. */
export function refuseSession(reason: string): void {
  window.dispatchEvent(new CustomEvent<string>(SESSION_REFUSED, { detail: reason }));
}

/** The problem of a failed response as an ApiError (a body that is not a problem still says what the status was). */
export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { detail?: unknown; code?: unknown };
    if (typeof problem.detail === 'string') {
      return new ApiError(response.status, typeof problem.code === 'string' ? problem.code : 'UNKNOWN', problem.detail);
    }
  } catch {
    // not JSON: described below
  }
  return new ApiError(response.status, 'UNKNOWN', `the server answered ${response.status} ${response.statusText}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
}

/** Calls the API with the given token (the session's when omitted) and answers the parsed JSON body. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, token: string | null = storedToken()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (cause) {
    throw new ApiError(0, 'NETWORK', `the server could not be reached (${cause instanceof Error ? cause.message : String(cause)}): check that it runs`);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && token !== null && token === storedToken()) refuseSession(error.message);
    throw error;
  }
  return (await response.json()) as T;
}

/** A query string of the defined values, with its leading `?` (or empty). */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The message of anything thrown, for showing. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
