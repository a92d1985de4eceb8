/**
 * Ed25519 keys for signing manifests: generate a pair, read one from a file (PEM, or base64 of the raw key or its
 * DER), and name a public key by its key id — the first 16 hex characters of the sha256 of its raw 32 bytes.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyInvalidError } from '../errors.js';

/** A private key that signs, with its public half and key id. */
export interface SigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A public key a verifier trusts. */
export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

/** What `writeKeyPair` wrote. */
export interface WrittenKeyPair {
  keyId: string;
  privateFile: string;
  publicFile: string;
}

// DER prefixes that wrap a raw 32-byte Ed25519 key as PKCS#8 (private) and SPKI (public)
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The key id of a public key: the first 16 hex characters of the sha256 of its raw 32 bytes. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

/** The raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/** A new Ed25519 key pair. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

/** Reads a private key from its text: PEM (PKCS#8), or base64 of the raw 32-byte seed or of the PKCS#8 DER. */
export function parseSigningKey(text: string, file: string): SigningKey {
  const trimmed = text.trim();
  let privateKey: KeyObject;
  try {
    if (trimmed.includes('PUBLIC KEY')) throw new KeyInvalidError(file, 'it holds a public key; sign with the private .key file');
    if (trimmed.startsWith('-----BEGIN')) privateKey = createPrivateKey({ key: trimmed, format: 'pem' });
    else {
      const der = decodeBase64(trimmed, file);
      const pkcs8 = der.length === 32 ? Buffer.concat([PKCS8_PREFIX, der]) : der;
      privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    }
  } catch (cause) {
    if (cause instanceof KeyInvalidError) throw cause;
    throw new KeyInvalidError(file, `not a private key in PEM or base64 (${(cause as Error).message})`, { cause });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyInvalidError(file, `it is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

/** Reads a public key from its text: PEM (SPKI), or base64 of the raw 32 bytes or of the SPKI DER. */
export function parseTrustedKey(text: string, file: string): TrustedKey {
  const trimmed = text.trim();
  if (trimmed.includes('PRIVATE KEY')) {
    throw new KeyInvalidError(file, 'it holds a private key; trust the public .pub file and keep the private key secret');
  }
  let publicKey: KeyObject;
  try {
    if (trimmed.startsWith('-----BEGIN')) publicKey = createPublicKey({ key: trimmed, format: 'pem' });
    else {
      const der = decodeBase64(trimmed, file);
      const spki = der.length === 32 ? Buffer.concat([SPKI_PREFIX, der]) : der;
      publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    }
  } catch (cause) {
    if (cause instanceof KeyInvalidError) throw cause;
    throw new KeyInvalidError(file, `not a public key in PEM or base64 (${(cause as Error).message})`, { cause });
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new KeyInvalidError(file, `it is a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return { keyId: keyIdOf(publicKey), publicKey };
}

/** Reads a private key file. */
export async function readSigningKey(file: string): Promise<SigningKey> {
  return parseSigningKey(await readKeyFile(file), file);
}

/** Reads a public key file. */
export async function readTrustedKey(file: string): Promise<TrustedKey> {
  return parseTrustedKey(await readKeyFile(file), file);
}

/**
 * Writes a new key pair as `NAME.key` (PKCS#8 PEM, mode 0600) and `NAME.pub` (SPKI PEM) in `dir`; refuses to overwrite
 * an existing file, so a key in use is never lost.
 */
export async function writeKeyPair(dir: string, name: string, key: SigningKey = generateSigningKey()): Promise<WrittenKeyPair> {
  if (!KEY_NAME.test(name)) {
    throw new KeyInvalidError(name, 'a key name is 1–64 letters, digits, ".", "-" or "_", starting with a letter or digit');
  }
  const privateFile = join(dir, `${name}.key`);
  const publicFile = join(dir, `${name}.pub`);
  const privatePem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  try {
    await writeFile(privateFile, privatePem, { mode: 0o600, flag: 'wx' });
    await writeFile(publicFile, publicPem, { mode: 0o644, flag: 'wx' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'EEXIST' ? 'a key file of that name exists already; pick another --name or --out' : `cannot write it (${code ?? (cause as Error).message})`;
    throw new KeyInvalidError(code === 'EEXIST' ? join(dir, name) : dir, reason, { cause });
  }
  return { keyId: key.keyId, privateFile, publicFile };
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new KeyInvalidError(file, `cannot read it (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
  }
}

function decodeBase64(text: string, file: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new KeyInvalidError(file, 'neither PEM nor base64');
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}
