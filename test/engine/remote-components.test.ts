/**
 * A manifest source named in the configuration file: createSteward starts its syncer, and the candidates of the
 * accepted manifest are registered, resolvable and usable like any other.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signManifest } from '../../src/manifest/signing.js';
import { manifestDoc, newKey, startServer, thingEntry, THING_MODULE } from '../manifest/fixtures.js';
import { useSteward } from '../helpers/steward.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('remote components from the configuration file', () => {
  it('registers the candidates of a signed manifest the file names, and a use gets the artifact’s instance', async () => {
    const server = await startServer();
    const key = newKey();
    const manifestUrl = server.url('/manifest.json');
    server.serve('/thing.mjs', THING_MODULE, 'text/javascript');
    server.serve('/manifest.json', JSON.stringify(signManifest(manifestDoc(manifestUrl, [thingEntry(server.url('/thing.mjs'))]), [key.signer])));
    const dir = useTempDir('steward-remote-');
    writeFileSync(join(dir, 'acme.pub'), key.trusted.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      join(dir, 'steward.config.json'),
      JSON.stringify({ manifests: { sources: [{ url: manifestUrl, trust: ['acme.pub'] }], allowSources: [server.base] } }),
    );

    const steward = await useSteward({ configDir: dir });

    await expect.poll(() => steward.registry.candidates('notifier', 'thing').map((c) => `${c.provider}:${c.source}`), { timeout: 10_000 }).toEqual(['acme:remote']);
    const lease = await steward.registry.use<{ hello: string }>('notifier', 'thing');
    expect(lease.instance).toEqual({ hello: 'world' });
    lease.release();
    expect(steward.registry.explain('notifier', 'thing').candidates[0]).toMatchObject({ rank: 1, provider: 'acme', source: 'remote' });
  });
});
