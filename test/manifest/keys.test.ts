import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { parseTrustedKey, rawPublicKey, readSigningKey, readTrustedKey, writeKeyPair } from '../../src/manifest/keys.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';

describe('manifest signing keys', () => {
  it('writes a private key only its owner can read and a public key with the same key id', async () => {
    const dir = useTempDir();
    const written = await writeKeyPair(dir, 'release');
    expect(written.privateFile).toBe(join(dir, 'release.key'));
    expect(statSync(written.privateFile).mode & 0o777).toBe(0o600);
    const signer = await readSigningKey(written.privateFile);
    const trusted = await readTrustedKey(written.publicFile);
    expect(signer.keyId).toBe(written.keyId);
    expect(trusted.keyId).toBe(written.keyId);
    expect(written.keyId).toBe(createHash('sha256').update(rawPublicKey(trusted.publicKey)).digest('hex').slice(0, 16));
  });

  it('reads a public key given as base64 of its raw 32 bytes', async () => {
    const dir = useTempDir();
    const written = await writeKeyPair(dir, 'k');
    const trusted = await readTrustedKey(written.publicFile);
    const raw = rawPublicKey(trusted.publicKey).toString('base64');
    expect(parseTrustedKey(raw, 'inline').keyId).toBe(written.keyId);
  });

  it('refuses to overwrite a key, to trust a private key, and to sign with a public one', async () => {
    const dir = useTempDir();
    const written = await writeKeyPair(dir, 'k');
    expect((await rejectionOf(writeKeyPair(dir, 'k'))).code).toBe(ErrorCodes.KEY_INVALID);
    expect((await rejectionOf(readTrustedKey(written.privateFile))).message).toMatch(/holds a private key/);
    expect((await rejectionOf(readSigningKey(written.publicFile))).message).toMatch(/holds a public key/);
    const junk = join(dir, 'junk.pub');
    writeFileSync(junk, 'not a key!');
    expect((await rejectionOf(readTrustedKey(junk))).code).toBe(ErrorCodes.KEY_INVALID);
    expect((await rejectionOf(writeKeyPair(dir, '../escape'))).code).toBe(ErrorCodes.KEY_INVALID);
    expect(readFileSync(written.publicFile, 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
  });
});
