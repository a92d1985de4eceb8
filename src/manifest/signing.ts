/**
 * Signing and verifying manifests. A signature covers the canonical JSON of the document without signatures; the
 * threshold counts DISTINCT trusted keys whose signature verifies, so a key listed twice, or signing twice, counts once.
 */
import { sign, verify } from 'node:crypto';
import { ConfigError } from '../errors.js';
import {
  manifestExpired,
  manifestRollback,
  manifestUnsigned,
  signatureInvalid,
  sourceNotAllowed,
  thresholdNotMet,
  unknownKey,
} from './errors.js';
import type { SigningKey, TrustedKey } from './keys.js';
import { manifestDigest, parseManifest, signingBytes, unsignedDocument, type ManifestDocument, type SignedManifest } from './manifest.js';

/** The version and digest last accepted from a source: what rollback protection compares against. */
export interface AcceptedVersion {
  version: number;
  digest: string;
}

/** How a manifest is verified. */
export interface VerifyOptions {
  /** The public keys trusted to sign; the same key given twice is one key. */
  trusted: readonly TrustedKey[];
  /** How many distinct trusted keys must have signed (default 1). */
  threshold?: number;
  /** The sources accepted, compared exactly; `'any'` skips the check (for inspecting a file by hand). */
  allowedSources: readonly string[] | 'any';
  /** The time to judge expiry by, in epoch milliseconds (default now). */
  now?: number;
  /** The last version accepted from this source, if any: an older version, or the same with other content, is refused. */
  lastAccepted?: AcceptedVersion | null;
}

/** A manifest that passed every check. */
export interface VerifiedManifest {
  document: ManifestDocument;
  /** sha256 (hex) of the signed bytes. */
  digest: string;
  /** The distinct trusted keys whose signatures verified, sorted. */
  signedBy: string[];
  /** Key ids of signatures by keys that are not trusted; they neither count nor refuse a manifest that meets the threshold. */
  untrustedKeyIds: string[];
  threshold: number;
}

/**
 * Adds a signature by each key (a key given twice signs once; a key that signed before is re-signed in place) and
 * returns the signed manifest, which verifies with the matching public keys.
 */
export function signManifest(input: unknown, keys: readonly SigningKey[], origin = 'document'): SignedManifest {
  if (keys.length === 0) throw new ConfigError('sign with at least one private key');
  const manifest = parseManifest(input, origin);
  const bytes = signingBytes(manifest);
  const byKey = new Map<string, string>((manifest.signatures ?? []).map((s) => [s.keyId, s.signature]));
  for (const key of keys) byKey.set(key.keyId, sign(null, bytes, key.privateKey).toString('base64'));
  const signatures = [...byKey].map(([keyId, signature]) => ({ keyId, signature }));
  return { ...unsignedDocument(manifest), signatures };
}

/**
 * Verifies a manifest: parses it strictly, then refuses a source off the allowlist, an unsigned document, a signature
 * of a trusted key that does not verify, fewer distinct trusted signers than the threshold (naming unknown keys when
 * only they signed), an expired document, and a rollback. Throws the refusal; returns what was verified.
 */
export function verifyManifest(input: unknown, options: VerifyOptions, origin = 'document'): VerifiedManifest {
  const trusted = distinctKeys(options.trusted);
  const threshold = options.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) throw new ConfigError(`the signature threshold must be a whole number ≥ 1, not ${threshold}`);
  if (threshold > trusted.size) {
    throw new ConfigError(`the signature threshold is ${threshold} but only ${trusted.size} distinct key(s) are trusted; trust more keys or lower it`);
  }
  const manifest = parseManifest(input, origin);
  if (options.allowedSources !== 'any' && !options.allowedSources.includes(manifest.source)) {
    throw sourceNotAllowed(manifest.source, options.allowedSources);
  }
  const signatures = manifest.signatures ?? [];
  if (signatures.length === 0) throw manifestUnsigned(origin);

  const bytes = signingBytes(manifest);
  const signedBy = new Set<string>();
  const untrusted = new Set<string>();
  for (const { keyId, signature } of signatures) {
    const key = trusted.get(keyId);
    if (key === undefined) {
      untrusted.add(keyId);
      continue;
    }
    const raw = Buffer.from(signature, 'base64');
    if (raw.length !== 64) throw signatureInvalid(origin, keyId, `an Ed25519 signature is 64 bytes, this one ${raw.length}`);
    if (!verify(null, bytes, key.publicKey, raw)) throw signatureInvalid(origin, keyId, 'it was not made over this document by this key');
    signedBy.add(keyId);
  }
  if (signedBy.size < threshold) {
    if (signedBy.size === 0 && untrusted.size > 0) throw unknownKey(origin, [...untrusted].sort(), [...trusted.keys()].sort());
    throw thresholdNotMet(origin, [...signedBy].sort(), threshold);
  }

  const now = options.now ?? Date.now();
  if (Date.parse(manifest.expiresAt) <= now) throw manifestExpired(origin, manifest.expiresAt, now);

  const digest = manifestDigest(manifest);
  const last = options.lastAccepted;
  if (last && (manifest.version < last.version || (manifest.version === last.version && digest !== last.digest))) {
    throw manifestRollback(manifest.source, manifest.version, last, digest);
  }
  return {
    document: unsignedDocument(manifest),
    digest,
    signedBy: [...signedBy].sort(),
    untrustedKeyIds: [...untrusted].sort(),
    threshold,
  };
}

function distinctKeys(keys: readonly TrustedKey[]): Map<string, TrustedKey> {
  const map = new Map<string, TrustedKey>();
  for (const key of keys) map.set(key.keyId, key);
  return map;
}
