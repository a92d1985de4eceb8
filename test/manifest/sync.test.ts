import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import type { ManifestEntry } from '../../src/manifest/manifest.js';
import { signManifest } from '../../src/manifest/signing.js';
import { ManifestStateFile } from '../../src/manifest/state.js';
import { attemptManifestSync, resolveManifestSyncConfig, syncManifest, type ManifestSyncOptions } from '../../src/manifest/sync.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';
import { cachedArtifacts, manifestDoc, newKey, sha256, startServer, THING_MODULE, thingEntry, type TestServer } from './fixtures.js';

/** A server publishing a manifest signed by a fresh key, and the options that sync it into a fresh cache. */
async function publish(entries?: (server: TestServer) => ManifestEntry[], docOverrides = {}) {
  const server = await startServer();
  const key = newKey();
  const url = server.url('/manifest.json');
  server.serve('/artifacts/thing.mjs', THING_MODULE, 'text/javascript');
  const list = entries ? entries(server) : [thingEntry(server.url('/artifacts/thing.mjs'))];
  const signed = signManifest(manifestDoc(url, list, docOverrides), [key.signer]);
  server.serve('/manifest.json', JSON.stringify(signed));
  const cacheDir = join(useTempDir(), 'cache');
  const options: ManifestSyncOptions = { url, trusted: [key.trusted], allowedSources: [url], cacheDir };
  return { server, key, url, signed, cacheDir, options };
}

/** Asserts that a sync was refused with `code`, and that it left no artifact in the cache and no accepted version. */
async function expectRefused(options: ManifestSyncOptions, code: string) {
  const attempt = await attemptManifestSync(resolveManifestSyncConfig(options));
  expect(attempt.ok).toBe(false);
  const error = (attempt as { error: { code: string; message: string } }).error;
  expect(error.code).toBe(code);
  expect(attempt.status.error?.code).toBe(code);
  expect(attempt.status.consecutiveFailures).toBe(1);
  expect(cachedArtifacts(options.cacheDir)).toEqual([]);
  expect((await new ManifestStateFile(options.cacheDir).source(options.url)).accepted).toBeNull();
  return error;
}

describe('syncing a remote manifest', () => {
  it('returns candidates whose factory builds the provider, cached under the artifact digest', async () => {
    const { options, url } = await publish();
    const result = await syncManifest(options);
    expect(result.version).toBe(1);
    expect(result.candidates).toHaveLength(1);
    const [candidate] = result.candidates;
    expect(candidate).toMatchObject({ domain: 'notifier', key: 'thing', provider: 'acme', priority: 10, stackLevel: 1, source: 'remote' });
    expect(candidate?.capabilities).toEqual(['notify']);
    expect(candidate?.metadata).toEqual({ owner: 'platform' });
    expect(candidate?.factory()).toEqual({ hello: 'world' });
    expect(cachedArtifacts(options.cacheDir)).toEqual([`${sha256(THING_MODULE)}.mjs`]);
    const state = await new ManifestStateFile(options.cacheDir).source(url);
    expect(state.accepted?.version).toBe(1);
    expect(state.status).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, version: 1, error: null });
  });

  it('resolves a relative artifact uri against the manifest URL', async () => {
    const { options } = await publish(() => [thingEntry('artifacts/thing.mjs')]);
    const result = await syncManifest(options);
    expect(result.entries[0]?.uri).toMatch(/\/artifacts\/thing\.mjs$/);
  });

  it('syncs the same manifest again, and replaces a cached file whose bytes no longer match its name', async () => {
    const { options } = await publish();
    await syncManifest(options);
    const file = join(options.cacheDir, `${sha256(THING_MODULE)}.mjs`);
    writeFileSync(file, 'export function makeThing() { return "tampered" }\n');
    const again = await syncManifest(options);
    expect(readFileSync(file, 'utf8')).toBe(THING_MODULE);
    expect(again.candidates).toHaveLength(1);
  });

  it('refuses an unsigned manifest', async () => {
    const { server, url, signed, options } = await publish();
    server.serve('/manifest.json', JSON.stringify({ ...signed, signatures: [] }));
    await expectRefused(options, ErrorCodes.MANIFEST_UNSIGNED);
    expect(server.hits.get('/artifacts/thing.mjs')).toBeUndefined();
    expect(url).toBe(options.url);
  });

  it('refuses a manifest whose signature does not verify', async () => {
    const { server, signed, options } = await publish();
    server.serve('/manifest.json', JSON.stringify({ ...signed, version: 7 }));
    await expectRefused(options, ErrorCodes.MANIFEST_SIGNATURE_INVALID);
  });

  it('refuses a manifest signed by an unknown key', async () => {
    const { options } = await publish();
    await expectRefused({ ...options, trusted: [newKey().trusted] }, ErrorCodes.MANIFEST_UNKNOWN_KEY);
  });

  it('refuses a threshold of two met by one key signing twice', async () => {
    const { server, signed, options } = await publish();
    server.serve('/manifest.json', JSON.stringify({ ...signed, signatures: [...signed.signatures!, ...signed.signatures!] }));
    await expectRefused({ ...options, trusted: [...options.trusted, newKey().trusted], threshold: 2 }, ErrorCodes.MANIFEST_THRESHOLD_NOT_MET);
  });

  it('refuses an expired manifest', async () => {
    const { options } = await publish(undefined, { issuedAt: '2020-01-01T00:00:00Z', expiresAt: '2020-01-02T00:00:00Z' });
    await expectRefused(options, ErrorCodes.MANIFEST_EXPIRED);
  });

  it('refuses an older version than the one accepted before, even signed by a trusted key', async () => {
    const { server, key, url, options } = await publish(undefined, { version: 5 });
    await syncManifest(options);
    const cacheBefore = cachedArtifacts(options.cacheDir);
    server.serve('/manifest.json', JSON.stringify(signManifest(manifestDoc(url, [thingEntry('other.mjs')], { version: 4 }), [key.signer])));
    const error = await rejectionOf(syncManifest(options));
    expect(error.code).toBe(ErrorCodes.MANIFEST_ROLLBACK);
    expect(error.message).toMatch(/version 4 is older than version 5/);
    expect(cachedArtifacts(options.cacheDir)).toEqual(cacheBefore);
    expect((await new ManifestStateFile(options.cacheDir).source(url)).accepted?.version).toBe(5);
  });

  it('refuses a URL off the allowlist without fetching it', async () => {
    const { server, options } = await publish();
    await expectRefused({ ...options, allowedSources: ['https://elsewhere.example.com/m.json'] }, ErrorCodes.MANIFEST_SOURCE_NOT_ALLOWED);
    expect(server.hits.size).toBe(0);
  });

  it('refuses a manifest that names another source than the URL it is served from', async () => {
    const { server, key, options } = await publish();
    const other = 'https://elsewhere.example.com/m.json';
    server.serve('/manifest.json', JSON.stringify(signManifest(manifestDoc(other, [thingEntry('artifacts/thing.mjs')]), [key.signer])));
    await expectRefused({ ...options, allowedSources: [options.url, other] }, ErrorCodes.MANIFEST_SOURCE_NOT_ALLOWED);
  });

  it('refuses an artifact whose sha256 differs from its entry, and stores nothing', async () => {
    const { server, options } = await publish((s) => [
      thingEntry(s.url('/artifacts/thing.mjs'), { key: 'good' }),
      thingEntry(s.url('/artifacts/evil.mjs'), { key: 'evil' }),
    ]);
    server.serve('/artifacts/evil.mjs', "export function makeThing() { return 'evil' }\n", 'text/javascript');
    const error = await expectRefused(options, ErrorCodes.MANIFEST_DIGEST_MISMATCH);
    expect(error.message).toContain('/artifacts/evil.mjs');
  });

  it('refuses an artifact over the size cap while it streams', async () => {
    const big = `${THING_MODULE}//${'x'.repeat(10_000)}\n`;
    const { server, options } = await publish((s) => [thingEntry(s.url('/artifacts/big.mjs'), { sha256: sha256(big) })]);
    // chunked, with no content-length: the cap must hold while the body streams
    server.routes.set('/artifacts/big.mjs', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      for (let i = 0; i < big.length; i += 1000) res.write(big.slice(i, i + 1000));
      res.end();
    });
    const error = await expectRefused({ ...options, artifactLimits: { maxBytes: 4096 } }, ErrorCodes.MANIFEST_TOO_LARGE);
    expect(error.message).toMatch(/4096-byte cap/);
  });

  it('refuses a download that stalls after the headers and one byte', async () => {
    const { server, options } = await publish((s) => [thingEntry(s.url('/artifacts/stall.mjs'))]);
    server.routes.set('/artifacts/stall.mjs', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript', 'content-length': String(THING_MODULE.length) });
      res.write(THING_MODULE.slice(0, 1)); // then nothing, ever
    });
    const error = await expectRefused({ ...options, artifactLimits: { timeoutMs: 5000, idleTimeoutMs: 300 } }, ErrorCodes.MANIFEST_FETCH_TIMEOUT);
    expect(error.message).toMatch(/stalled/);
  });

  it('refuses a download that trickles past its deadline', async () => {
    const { server, options } = await publish((s) => [thingEntry(s.url('/artifacts/slow.mjs'))]);
    server.routes.set('/artifacts/slow.mjs', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const error = await expectRefused({ ...options, artifactLimits: { timeoutMs: 400, idleTimeoutMs: 300 } }, ErrorCodes.MANIFEST_FETCH_TIMEOUT);
    expect(error.message).toMatch(/did not finish within 400 ms/);
  });

  it('refuses a manifest whose export names a module path, before fetching any artifact', async () => {
    const { server, key, url, options } = await publish();
    const doc = manifestDoc(url, [thingEntry(server.url('/artifacts/thing.mjs'))]);
    const signedDoc = signManifest(doc, [key.signer]);
    // re-signing cannot help: the format itself refuses it, so it is written by hand
    const evil = { ...signedDoc, entries: [{ ...signedDoc.entries[0]!, export: 'node:child_process' }] };
    server.serve('/manifest.json', JSON.stringify(evil));
    const error = await expectRefused(options, ErrorCodes.MANIFEST_INVALID);
    expect(error.message).toMatch(/never a module path/);
    expect(server.hits.get('/artifacts/thing.mjs')).toBeUndefined();
  });

  it('refuses a manifest whose key has ../ in it', async () => {
    const { server, signed, options } = await publish();
    server.serve('/manifest.json', JSON.stringify({ ...signed, entries: [{ ...signed.entries[0]!, key: '../../etc' }] }));
    await expectRefused(options, ErrorCodes.MANIFEST_INVALID);
  });

  it('refuses an artifact whose export is not a function, and removes what it cached', async () => {
    const notFactory = 'export const makeThing = 42;\n';
    const { server, options } = await publish((s) => [thingEntry(s.url('/artifacts/num.mjs'), { sha256: sha256(notFactory) })]);
    server.serve('/artifacts/num.mjs', notFactory, 'text/javascript');
    const error = await expectRefused(options, ErrorCodes.MANIFEST_ARTIFACT_INVALID);
    expect(error.message).toMatch(/the export is a number/);
  });

  it('refuses a manifest over its size cap, and a server error', async () => {
    const { server, options } = await publish();
    await expectRefused({ ...options, manifestLimits: { maxBytes: 100 } }, ErrorCodes.MANIFEST_TOO_LARGE);
    server.routes.set('/manifest.json', (_req, res) => res.writeHead(503).end());
    const error = await rejectionOf(syncManifest(options));
    expect(error.code).toBe(ErrorCodes.MANIFEST_FETCH_FAILED);
    expect(error.message).toMatch(/503/);
    expect(existsSync(join(options.cacheDir, 'manifest-state.json'))).toBe(true);
  });
});
