/** keys generate → manifest sign → manifest verify → manifest sync, through the built CLI, against a local server. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../e2e/cli-process.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { cachedArtifacts, manifestDoc, sha256, startServer, THING_MODULE, thingEntry } from './fixtures.js';

describe('steward keys and steward manifest', () => {
  it('generates keys, signs, verifies and syncs a manifest whose factory works', async () => {
    const dir = useTempDir();
    const keysDir = join(dir, 'keys');
    const generated = await runCli(['keys', 'generate', '--out', keysDir, '--name', 'release']);
    expect(generated.code, generated.stderr).toBe(0);
    const keyId = generated.stdout.trim();
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    const second = await runCli(['keys', 'generate', '--out', keysDir, '--name', 'backup']);
    const secondId = second.stdout.trim();

    const server = await startServer();
    const url = server.url('/manifest.json');
    server.serve('/artifacts/thing.mjs', THING_MODULE, 'text/javascript');
    const unsigned = join(dir, 'manifest.json');
    writeFileSync(unsigned, JSON.stringify(manifestDoc(url, [thingEntry('artifacts/thing.mjs')]), null, 2));

    const signedFile = join(dir, 'manifest.signed.json');
    const key = (n: string) => join(keysDir, `${n}.key`);
    const pub = (n: string) => join(keysDir, `${n}.pub`);
    const signed = await runCli(['manifest', 'sign', unsigned, '--key', key('release'), '--key', key('backup'), '--out', signedFile]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain(keyId);

    const verified = await runCli(['manifest', 'verify', signedFile, '--trust', pub('release'), '--trust', pub('backup'), '--threshold', '2', '--allow-source', url]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`verified manifest ${url}`);
    expect(verified.stdout).toContain([keyId, secondId].sort().join(', '));

    // the same key trusted twice does not make a threshold of two
    const doubled = await runCli(['manifest', 'verify', signedFile, '--trust', pub('release'), '--trust', pub('release'), '--threshold', '2']);
    expect(doubled.code).toBe(1);
    expect(doubled.stderr).toMatch(/\[STEWARD_CONFIG\]/);

    server.serve('/manifest.json', readFileSync(signedFile, 'utf8'));
    const cache = join(dir, 'cache');
    const synced = await runCli(['manifest', 'sync', url, '--trust', pub('release'), '--cache', cache, '--json']);
    expect(synced.code, synced.stderr).toBe(0);
    const out = JSON.parse(synced.stdout) as { candidates: Array<Record<string, unknown>>; status: Record<string, unknown> };
    expect(out.candidates).toHaveLength(1);
    expect(out.candidates[0]).toMatchObject({ domain: 'notifier', key: 'thing', provider: 'acme', source: 'remote', factory: 'makeThing' });
    expect(out.status).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, version: 1 });
    expect(cachedArtifacts(cache)).toEqual([`${sha256(THING_MODULE)}.mjs`]);
    const module = (await import(pathToFileURL(join(cache, `${sha256(THING_MODULE)}.mjs`)).href)) as { makeThing(): unknown };
    expect(module.makeThing()).toEqual({ hello: 'world' });

    const table = await runCli(['manifest', 'sync', url, '--trust', pub('release'), '--cache', cache]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/1 candidate\(s\) would be registered/);
    expect(table.stdout).toMatch(/notifier\s+thing\s+acme\s+10\s+1\s+makeThing/);

    const status = await runCli(['manifest', 'status', '--cache', cache]);
    expect(status.stdout).toContain(`status of ${url}: last success`);
  });

  it('refuses a tampered manifest with a clear error and exit 1, registering nothing', async () => {
    const dir = useTempDir();
    await runCli(['keys', 'generate', '--out', dir]);
    const server = await startServer();
    const url = server.url('/manifest.json');
    server.serve('/thing.mjs', THING_MODULE, 'text/javascript');
    const file = join(dir, 'm.json');
    writeFileSync(file, JSON.stringify(manifestDoc(url, [thingEntry('thing.mjs')])));
    expect((await runCli(['manifest', 'sign', file, '--key', join(dir, 'manifest.key'), '--out', file])).code).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { entries: Array<{ priority: number }> };
    doc.entries[0]!.priority = 1000;
    server.serve('/manifest.json', JSON.stringify(doc));
    const cache = join(dir, 'cache');
    const result = await runCli(['manifest', 'sync', url, '--trust', join(dir, 'manifest.pub'), '--cache', cache]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/does not verify.*\[STEWARD_MANIFEST_SIGNATURE_INVALID\]/);
    expect(result.stderr).toMatch(/nothing would be registered/);
    expect(cachedArtifacts(cache)).toEqual([]);

    const offList = await runCli(['manifest', 'sync', url, '--trust', join(dir, 'manifest.pub'), '--cache', cache, '--allow-source', 'https://x.example/m.json']);
    expect(offList.stderr).toMatch(/\[STEWARD_MANIFEST_SOURCE_NOT_ALLOWED\]/);
    const noTrust = await runCli(['manifest', 'verify', file]);
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toMatch(/--trust/);
  });
});
