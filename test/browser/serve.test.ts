/**
 * How the server serves the console (over inject, no browser): the files, index.html for a page's path but never for
 * the API's, the caching of each, the security headers, and what it says when the console is not built.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { defaultConsoleRoot, isApiPath } from '../../src/server/console.js';
import { createApiToken } from '../../src/server/tokens.js';
import { useSteward } from '../helpers/steward.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { buildConsole } from './harness.js';

let temp: { dir: string; remove(): void };
let root: string;

beforeAll(() => {
  temp = makeTempDir('steward-console-');
  root = buildConsole(join(temp.dir, 'console'));
});
afterAll(() => temp.remove());

async function serve(consoleOption: boolean | { root: string } | null = { root }) {
  const steward = await useSteward();
  return { steward, app: await buildServer(steward, consoleOption === null ? {} : { console: consoleOption }) };
}

describe('the console server', () => {
  it('serves index.html at / without caching, under a self-only Content-Security-Policy', async () => {
    const { app } = await serve();
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<div id="root"></div>');
    expect(response.headers['cache-control']).toBe('no-cache');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('has no inline script in index.html, so the policy lets it run', async () => {
    const { app } = await serve();
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\//);
      expect(body?.trim()).toBe('');
    }
  });

  it('caches hashed assets for a year', async () => {
    const { app } = await serve();
    const script = readdirSync(join(root, 'assets')).find((f) => f.endsWith('.js'));
    const response = await app.inject({ method: 'GET', url: `/assets/${script}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it("answers a page's path with index.html, and a missing asset with 404", async () => {
    const { app } = await serve();
    const page = await app.inject({ method: 'GET', url: '/runs/run_123?x=1' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root"></div>');
    const asset = await app.inject({ method: 'GET', url: '/assets/missing-abc.js' });
    expect(asset.statusCode).toBe(404);
  });

  it('never answers an API path with index.html', async () => {
    const { steward, app } = await serve();
    const secret = (await createApiToken(steward.store, { principal: 'User::"v"', roles: ['viewer'], by: 'User::"root"' })).secret;
    for (const url of ['/v1/nothing-here', '/docs/nothing-here', '/metrics/x', '/healthz/x', '/readyz/x']) {
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(response.json().code, url).toBe('STEWARD_ROUTE_NOT_FOUND');
    }
    const runs = await app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${secret}` } });
    expect(runs.statusCode).toBe(200);
    expect(runs.headers['content-security-policy']).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).not.toContain('<div id="root">');
    const openapi = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(openapi.json()).toHaveProperty('openapi');
  });

  it('does not serve a path outside its folder', async () => {
    const { app } = await serve();
    const response = await app.inject({ method: 'GET', url: '/%2e%2e/%2e%2e/package.json' });
    expect(response.body).not.toContain('"name"');
  });

  it('says to run npm run build when the console is not built', async () => {
    const empty = makeTempDir('steward-console-empty-');
    try {
      const { app } = await serve({ root: empty.dir });
      const response = await app.inject({ method: 'GET', url: '/runs' });
      expect(response.statusCode).toBe(503);
      expect(response.body).toContain('npm run build');
    } finally {
      empty.remove();
    }
  });

  it('serves nothing under / unless asked', async () => {
    for (const option of [null, false] as const) {
      const { app } = await serve(option);
      const response = await app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('STEWARD_ROUTE_NOT_FOUND');
    }
  });

  it("serves the package's own dist/console with console: true", () => {
    expect(defaultConsoleRoot()).toBe(join(process.cwd(), 'dist', 'console'));
  });

  it('counts /v1, /docs, /metrics, /healthz and /readyz, and nothing else, as the API', () => {
    for (const path of ['/v1', '/v1/runs', '/docs', '/docs/json', '/metrics', '/healthz', '/readyz']) expect(isApiPath(path), path).toBe(true);
    for (const path of ['/', '/runs', '/v1x', '/documents', '/assets/index.js']) expect(isApiPath(path), path).toBe(false);
  });

  it('refuses a console option that is not true, false or { root }', async () => {
    const steward = await useSteward();
    await expect(buildServer(steward, { console: { root: '' } })).rejects.toThrow(/console\.root/);
  });
});
