import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { signManifest, verifyManifest } from '../../src/manifest/signing.js';
import { manifestDigest, parseManifest } from '../../src/manifest/manifest.js';
import { rejectionOf } from '../helpers/wait.js';
import { manifestDoc, newKey, thingEntry } from './fixtures.js';

const SOURCE = 'https://providers.example.com/manifest.json';
const doc = (overrides = {}) => manifestDoc(SOURCE, [thingEntry('thing.mjs')], overrides);
const refusal = (fn: () => unknown) => rejectionOf(async () => fn());

/** The same data with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

describe('signing and verifying a manifest', () => {
  it('a manifest signed with a key verifies with its public key', () => {
    const a = newKey();
    const signed = signManifest(doc(), [a.signer]);
    const verified = verifyManifest(signed, { trusted: [a.trusted], allowedSources: [SOURCE] });
    expect(verified.signedBy).toEqual([a.signer.keyId]);
    expect(verified.document.entries[0]?.export).toBe('makeThing');
    expect(verified.digest).toBe(manifestDigest(signed));
  });

  it('the signature covers the canonical JSON, so key order and whitespace of the published file do not matter', () => {
    const a = newKey();
    const signed = signManifest(doc(), [a.signer]);
    const text = JSON.stringify(reverseKeys(signed), null, 4);
    expect(text.indexOf('"signatures"')).toBeLessThan(text.indexOf('"version"'));
    expect(verifyManifest(text, { trusted: [a.trusted], allowedSources: [SOURCE] }).signedBy).toEqual([a.signer.keyId]);
  });

  it('two distinct trusted keys meet a threshold of two', () => {
    const a = newKey();
    const b = newKey();
    const signed = signManifest(signManifest(doc(), [a.signer]), [b.signer]);
    const verified = verifyManifest(signed, { trusted: [a.trusted, b.trusted], threshold: 2, allowedSources: [SOURCE] });
    expect(verified.signedBy).toEqual([a.signer.keyId, b.signer.keyId].sort());
  });

  it('refuses an unsigned manifest', async () => {
    const a = newKey();
    for (const input of [doc(), { ...doc(), signatures: [] }]) {
      const error = await refusal(() => verifyManifest(input, { trusted: [a.trusted], allowedSources: [SOURCE] }));
      expect(error.code).toBe(ErrorCodes.MANIFEST_UNSIGNED);
      expect(error.message).toMatch(/not signed/);
    }
  });

  it('refuses a manifest changed after it was signed', async () => {
    const a = newKey();
    const signed = signManifest(doc(), [a.signer]);
    const tampered = { ...signed, entries: [{ ...signed.entries[0]!, priority: 999 }] };
    const error = await refusal(() => verifyManifest(tampered, { trusted: [a.trusted], allowedSources: [SOURCE] }));
    expect(error.code).toBe(ErrorCodes.MANIFEST_SIGNATURE_INVALID);
    expect(error.message).toContain(a.signer.keyId);
  });

  it('refuses a signature that is not 64 bytes', async () => {
    const a = newKey();
    const signed = { ...doc(), signatures: [{ keyId: a.signer.keyId, signature: Buffer.alloc(10).toString('base64') }] };
    const error = await refusal(() => verifyManifest(signed, { trusted: [a.trusted], allowedSources: [SOURCE] }));
    expect(error.code).toBe(ErrorCodes.MANIFEST_SIGNATURE_INVALID);
  });

  it('refuses a manifest signed only by a key that is not trusted', async () => {
    const a = newKey();
    const stranger = newKey();
    const signed = signManifest(doc(), [stranger.signer]);
    const error = await refusal(() => verifyManifest(signed, { trusted: [a.trusted], allowedSources: [SOURCE] }));
    expect(error.code).toBe(ErrorCodes.MANIFEST_UNKNOWN_KEY);
    expect(error.message).toContain(stranger.signer.keyId);
  });

  it('counts one key once for a threshold of two, however many times it signs', async () => {
    const a = newKey();
    const b = newKey();
    const once = signManifest(doc(), [a.signer]);
    const twice = { ...once, signatures: [once.signatures![0]!, once.signatures![0]!] };
    const error = await refusal(() => verifyManifest(twice, { trusted: [a.trusted, b.trusted], threshold: 2, allowedSources: [SOURCE] }));
    expect(error.code).toBe(ErrorCodes.MANIFEST_THRESHOLD_NOT_MET);
    expect(error.message).toMatch(/1 distinct trusted key/);
    // signing with the same key twice adds one signature, not two
    expect(signManifest(doc(), [a.signer, a.signer]).signatures).toHaveLength(1);
  });

  it('counts one key listed twice among the trusted keys once', async () => {
    const a = newKey();
    const signed = signManifest(doc(), [a.signer]);
    const error = await refusal(() => verifyManifest(signed, { trusted: [a.trusted, a.trusted], threshold: 2, allowedSources: [SOURCE] }));
    expect(error.code).toBe(ErrorCodes.CONFIG);
    expect(error.message).toMatch(/only 1 distinct key/);
  });

  it('refuses an expired manifest', async () => {
    const a = newKey();
    const old = doc({ issuedAt: '2020-01-01T00:00:00Z', expiresAt: '2020-02-01T00:00:00Z' });
    const error = await refusal(() => verifyManifest(signManifest(old, [a.signer]), { trusted: [a.trusted], allowedSources: [SOURCE] }));
    expect(error.code).toBe(ErrorCodes.MANIFEST_EXPIRED);
    expect(error.message).toContain('2020-02-01T00:00:00Z');
  });

  it('refuses a source that is not on the allowlist', async () => {
    const a = newKey();
    const signed = signManifest(doc(), [a.signer]);
    const error = await refusal(() => verifyManifest(signed, { trusted: [a.trusted], allowedSources: ['https://other.example.com/m.json'] }));
    expect(error.code).toBe(ErrorCodes.MANIFEST_SOURCE_NOT_ALLOWED);
    expect(error.message).toContain(SOURCE);
  });

  it('refuses an older version than the one last accepted, and the same version with other content', async () => {
    const a = newKey();
    const v2 = signManifest(doc({ version: 2 }), [a.signer]);
    const accepted = { version: 2, digest: manifestDigest(v2) };
    const options = { trusted: [a.trusted], allowedSources: [SOURCE], lastAccepted: accepted };
    expect(verifyManifest(v2, options).document.version).toBe(2);

    const v1 = signManifest(doc({ version: 1 }), [a.signer]);
    const older = await refusal(() => verifyManifest(v1, options));
    expect(older.code).toBe(ErrorCodes.MANIFEST_ROLLBACK);
    expect(older.message).toMatch(/version 1 is older than version 2/);

    const other = signManifest(doc({ version: 2, entries: [thingEntry('other.mjs')] }), [a.signer]);
    const same = await refusal(() => verifyManifest(other, options));
    expect(same.code).toBe(ErrorCodes.MANIFEST_ROLLBACK);
  });
});

describe('the manifest format', () => {
  it.each(['node:child_process', './x', '../y', 'a/b', 'x.y', 'file:///etc/passwd'])('refuses the export %s, a module path', async (exportName) => {
    const error = await refusal(() => parseManifest(manifestDoc(SOURCE, [thingEntry('t.mjs', { export: exportName })]), 'test'));
    expect(error.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(error.message).toMatch(/never a module path/);
  });

  it.each(['domain', 'key', 'provider'] as const)('refuses a %s with ../ or /', async (field) => {
    for (const bad of ['../etc', 'a/b', '..', 'Upper']) {
      const error = await refusal(() => parseManifest(manifestDoc(SOURCE, [thingEntry('t.mjs', { [field]: bad })]), 'test'));
      expect(error.code).toBe(ErrorCodes.MANIFEST_INVALID);
      expect(error.message).toContain(`.${field}`);
    }
  });

  it('refuses unknown fields, a bad digest, a priority out of range and a non-http uri', async () => {
    for (const entry of [
      { ...thingEntry('t.mjs'), extra: 1 },
      thingEntry('t.mjs', { sha256: 'abc' }),
      thingEntry('t.mjs', { priority: 1001 }),
      thingEntry('file:///tmp/x.mjs'),
    ]) {
      const error = await refusal(() => parseManifest(manifestDoc(SOURCE, [entry]), 'test'));
      expect(error.code).toBe(ErrorCodes.MANIFEST_INVALID);
    }
  });

  it('refuses an entry listed twice', async () => {
    const error = await refusal(() => parseManifest(manifestDoc(SOURCE, [thingEntry('a.mjs'), thingEntry('b.mjs')]), 'test'));
    expect(error.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(error.message).toMatch(/listed twice/);
  });
});
