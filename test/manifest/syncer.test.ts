import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import type { AuditRecord } from '../../src/audit/audit-log.js';
import { signManifest } from '../../src/manifest/signing.js';
import type { RemoteCandidate } from '../../src/manifest/sync.js';
import { ManifestSyncer } from '../../src/manifest/syncer.js';
import { retryDelay } from '../../src/manifest/sync-status.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { latch, waitUntil } from '../helpers/wait.js';
import { manifestDoc, newKey, startServer, THING_MODULE, thingEntry } from './fixtures.js';

async function setUp() {
  const server = await startServer();
  const key = newKey();
  const url = server.url('/manifest.json');
  server.serve('/thing.mjs', THING_MODULE, 'text/javascript');
  const publish = (version: number) =>
    server.serve('/manifest.json', JSON.stringify(signManifest(manifestDoc(url, [thingEntry('thing.mjs')], { version }), [key.signer])));
  return { server, key, url, publish, cacheDir: join(useTempDir(), 'cache') };
}

describe('the manifest refresh loop', () => {
  it('delivers the candidates of a newly accepted manifest, once per manifest, and audits it', async () => {
    const { url, publish, cacheDir, server, key } = await setUp();
    publish(1);
    const deliveries: RemoteCandidate[][] = [];
    const audited: AuditRecord[] = [];
    const first = latch<RemoteCandidate[]>();
    const syncer = new ManifestSyncer({
      url,
      trusted: [key.trusted],
      allowedSources: [url],
      cacheDir,
      schedule: { intervalMs: 20 },
      onCandidates: (c) => {
        deliveries.push(c);
        first.resolve(c);
      },
      audit: { append: async (...r) => void audited.push(...r) },
    });
    syncer.start();
    const candidates = await first.promise;
    expect(candidates[0]?.factory()).toEqual({ hello: 'world' });
    await waitUntil(() => (server.hits.get('/manifest.json') ?? 0) >= 3, { what: 'three refreshes' });
    await syncer.stop();
    expect(deliveries).toHaveLength(1);
    expect(audited.map((r) => r.kind)).toEqual(['manifest.accepted']);
    expect(syncer.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, version: 1 });
  });

  it('backs off after failures, opens its breaker after N of them, and closes it with a successful probe', async () => {
    const { url, publish, cacheDir, server, key } = await setUp();
    server.routes.set('/manifest.json', (_req, res) => res.writeHead(503).end());
    const errors: string[] = [];
    const delivered = latch<RemoteCandidate[]>();
    const syncer = new ManifestSyncer({
      url,
      trusted: [key.trusted],
      allowedSources: [url],
      cacheDir,
      schedule: { intervalMs: 60_000, backoff: { baseMs: 5, capMs: 20 }, breaker: { failureThreshold: 3, coolDownMs: 300 } },
      onCandidates: (c) => delivered.resolve(c),
      onError: (error) => errors.push((error as { code: string }).code),
    });
    syncer.start();
    await waitUntil(() => syncer.status().breaker === 'open', { what: 'the breaker to open' });
    const open = syncer.status();
    expect(open.consecutiveFailures).toBe(3);
    expect(open.error?.code).toBe(ErrorCodes.MANIFEST_FETCH_FAILED);
    expect(open.nextAttemptAt! - open.lastAttemptAt!).toBe(300);
    expect(server.hits.get('/manifest.json')).toBe(3);

    publish(1);
    const candidates = await delivered.promise;
    await syncer.stop();
    expect(candidates).toHaveLength(1);
    expect(syncer.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, error: null, version: 1 });
    expect(errors).toEqual([ErrorCodes.MANIFEST_FETCH_FAILED, ErrorCodes.MANIFEST_FETCH_FAILED, ErrorCodes.MANIFEST_FETCH_FAILED]);
  });

  it('a failed probe reopens the breaker at once', async () => {
    const { url, cacheDir, server, key } = await setUp();
    server.routes.set('/manifest.json', (_req, res) => res.writeHead(500).end());
    const syncer = new ManifestSyncer({
      url,
      trusted: [key.trusted],
      allowedSources: [url],
      cacheDir,
      schedule: { backoff: { baseMs: 1, capMs: 2 }, breaker: { failureThreshold: 2, coolDownMs: 50 } },
      onCandidates: () => undefined,
    });
    syncer.start();
    await waitUntil(() => syncer.status().consecutiveFailures >= 3, { what: 'a failed probe' });
    await syncer.stop();
    expect(syncer.status().breaker).toBe('open');
  });

  it('waits between retries within [ceiling/2, ceiling), doubling up to the cap', () => {
    const backoff = { baseMs: 100, capMs: 1000 };
    expect(retryDelay(backoff, 1, () => 0)).toBe(50);
    expect(retryDelay(backoff, 3, () => 0.999)).toBe(399);
    expect(retryDelay(backoff, 10, () => 0)).toBe(500);
  });
});

