/**
 * Serves the built web console (dist/console) beside the API: its files under `/`, index.html for every other path
 * that is not the API's (so that a page's link works when opened directly), hashed assets cached for a year and
 * index.html never, and security headers on every console response (a self-only Content-Security-Policy without
 * inline scripts, no framing, nosniff, no referrer).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths that belong to the API, never answered with the console's index.html. */
const API_PATHS = ['/v1', '/docs', '/metrics', '/healthz', '/readyz'] as const;

/** Hashed build outputs: their names change with their content, so they may be cached for good. */
const LONG_CACHE = 'public, max-age=31536000, immutable';

/** What the console plugin serves. */
export interface ConsoleServeOptions {
  /** The folder of the built console (its index.html and assets/). */
  root: string;
}

/** Whether a path is the API's (`/v1/…`, `/docs…`, `/metrics`, `/healthz`, `/readyz`). */
export function isApiPath(path: string): boolean {
  return API_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** The built console of this package: `dist/console` beside its package.json. */
export function defaultConsoleRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'console');
    const parent = dirname(dir);
    if (parent === dir) return resolve('dist', 'console');
    dir = parent;
  }
}

/** Registers the console's routes (encapsulated: its headers apply to console responses only). */
export async function consolePlugin(app: FastifyInstance, options: ConsoleServeOptions): Promise<void> {
  const root = resolve(options.root);
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // served over plain HTTP on a laptop as often as behind TLS: HSTS is the proxy's to set
    strictTransportSecurity: false,
  });
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false });

  const sendIndex = (reply: FastifyReply): FastifyReply => {
    if (!existsSync(join(root, 'index.html'))) {
      return reply
        .code(503)
        .header('cache-control', 'no-cache')
        .type('text/plain; charset=utf-8')
        .send(`The web console is not built (no index.html in ${root}): run \`npm run build\`, then start the server again.\n`);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };

  const serve = (request: FastifyRequest, reply: FastifyReply): FastifyReply | void => {
    const path = pathOf(request.url);
    if (path === null || isApiPath(path)) return reply.callNotFound();
    const file = fileUnder(root, path);
    if (file !== null) {
      const cache = file.startsWith(`assets${sep}`) || file.startsWith('assets/') ? LONG_CACHE : 'no-cache';
      return reply.header('cache-control', cache).sendFile(file.split(sep).join('/'));
    }
    // a missing asset is missing, not a page
    if (path.startsWith('/assets/')) return reply.callNotFound();
    return sendIndex(reply);
  };
  app.get('/', (_request, reply) => sendIndex(reply));
  app.get('/*', serve);
}

/** The decoded path of a URL, or null when it cannot be decoded. */
function pathOf(url: string): string | null {
  try {
    return decodeURIComponent(url.split('?')[0] ?? url);
  } catch {
    return null;
  }
}

/** The path of an existing file under root for a URL path (relative to root), or null; never a path outside root. */
function fileUnder(root: string, path: string): string | null {
  const target = resolve(root, `.${path}`);
  if (!target.startsWith(`${root}${sep}`)) return null;
  try {
    return statSync(target).isFile() ? relative(root, target) : null;
  } catch {
    return null;
  }
}
