/** A Steward with its HTTP API over `inject`, tokens by role, and the problem+json check every route test uses. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import { createApiToken } from '../../src/server/tokens.js';
import { useSteward, type TestStewardOptions } from '../helpers/steward.js';

/** The methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A Steward, its API, a token maker and a caller. */
export async function useApi(options: TestStewardOptions = {}, server: ServerOptions = {}) {
  const steward = await useSteward(options);
  const app: FastifyInstance = await buildServer(steward, server);
  const token = async (principal: string, roles: string[]): Promise<string> =>
    (await createApiToken(steward.store, { principal, roles, by: 'User::"root"' })).secret;
  const call = (secret: string | null, method: Method, url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    app.inject({
      method,
      url,
      headers: secret === null ? {} : { authorization: `Bearer ${secret}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  return { steward, app, token, call };
}

/** Asserts a problem+json answer with the status and code; answers the problem. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json() as { type: string; title: string; status: number; detail: string; code: string; details?: Record<string, unknown> };
  expect(problem).toMatchObject({ status, code, type: `urn:steward:error:${code}` });
  expect(problem.detail).toEqual(expect.any(String));
  return problem;
}
