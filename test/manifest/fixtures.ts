/** A local HTTP server for manifest tests, and builders of keys, artifacts and manifests. */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { generateSigningKey, type SigningKey, type TrustedKey } from '../../src/manifest/keys.js';
import type { ManifestDocument, ManifestEntry } from '../../src/manifest/manifest.js';

/** The artifact of the tests: a module whose factory builds a small object. */
export const THING_MODULE = "export function makeThing() { return { hello: 'world' } }\n";

/** sha256 hex of text or bytes. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A route handler of the test server. */
export type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A server on 127.0.0.1, closed after the test; `hits` counts requests per path. */
export interface TestServer {
  readonly base: string;
  url(path: string): string;
  routes: Map<string, Route>;
  hits: Map<string, number>;
  /** Serves fixed content at a path (replacing what was there). */
  serve(path: string, body: string | Buffer, contentType?: string): void;
}

/** Starts a server on an ephemeral port of 127.0.0.1; it is closed (with any hanging connection) when the test ends. */
export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    url: (path) => `${base}${path}`,
    routes,
    hits,
    serve(path, body, contentType = 'application/json') {
      routes.set(path, (_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body));
    },
  };
}

/** A signing key and its public half as a trusted key. */
export function newKey(): { signer: SigningKey; trusted: TrustedKey } {
  const signer = generateSigningKey();
  return { signer, trusted: { keyId: signer.keyId, publicKey: signer.publicKey } };
}

/** An entry offering `makeThing` from the artifact at `uri`. */
export function thingEntry(uri: string, overrides: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    domain: 'notifier',
    key: 'thing',
    provider: 'acme',
    priority: 10,
    stackLevel: 1,
    uri,
    sha256: sha256(THING_MODULE),
    export: 'makeThing',
    capabilities: ['notify'],
    metadata: { owner: 'platform' },
    ...overrides,
  };
}

/** A manifest document valid for a day from now. */
export function manifestDoc(source: string, entries: ManifestEntry[], overrides: Partial<ManifestDocument> = {}): ManifestDocument {
  const now = Date.now();
  return {
    version: 1,
    issuedAt: new Date(now - 60_000).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    source,
    entries,
    ...overrides,
  };
}

/** The artifact files (`*.mjs`) in a cache directory; none when it does not exist. */
export function cachedArtifacts(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.mjs'));
  } catch {
    return [];
  }
}
