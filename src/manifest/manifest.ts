/**
 * The signed remote manifest: a versioned document listing provider entries (where each artifact is, its sha256 and
 * the export that is its factory), with Ed25519 signatures over the RFC 8785 canonical JSON of the document without
 * its signatures. Parsing is strict: unknown fields, unsafe names and exports that name modules are refused.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../audit/canonical-json.js';
import { formatIssues } from '../errors.js';
import { manifestInvalid } from './errors.js';

/** A domain, key or provider name: lowercase words and digits joined by single `.`, `-` or `_` (so never `..` or `/`). */
export const MANIFEST_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** A capability: like a name, and `:` may join words too (`secrets:read`). */
const CAPABILITY = /^[a-z0-9]+(?:[._:-][a-z0-9]+)*$/;
/** An export is a plain JavaScript identifier (or `default`); anything with `:`, `/` or `.` would name a module instead. */
export const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{16}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const name = (what: string) =>
  z
    .string()
    .max(128, `${what} takes at most 128 characters`)
    .regex(MANIFEST_NAME, `${what} must be lowercase letters and digits joined by single ".", "-" or "_" (no "/", no "..")`);

const uri = z
  .string()
  .min(1)
  .max(2048)
  .refine((value) => {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) return true; // relative: resolved against the manifest's URL
    const protocol = value.slice(0, value.indexOf(':') + 1).toLowerCase();
    return protocol === 'http:' || protocol === 'https:';
  }, 'uri must be an http(s) URL, or a path relative to the manifest URL');

/** One provider an artifact offers: where to fetch it, its digest, and the export that builds it. */
export const manifestEntrySchema = z.strictObject({
  domain: name('domain'),
  key: name('key'),
  provider: name('provider'),
  priority: z.int().min(-1000).max(1000),
  stackLevel: z.int().min(0).max(1000),
  uri,
  sha256: z.string().regex(HEX_SHA256, 'sha256 must be 64 lowercase hex characters'),
  export: z
    .string()
    .max(128)
    .regex(EXPORT_NAME, 'export must name an export of the artifact (a JavaScript identifier such as makeThing), never a module path'),
  capabilities: z.array(z.string().max(128).regex(CAPABILITY, 'a capability is lowercase words joined by ".", "-", "_" or ":"')).max(64),
  metadata: z.record(z.string(), z.json()),
});

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2030-01-01T00:00:00Z' });

/** The signed part of a manifest. */
export const manifestDocumentSchema = z.strictObject({
  version: z.int().positive().max(Number.MAX_SAFE_INTEGER),
  issuedAt: isoDate,
  expiresAt: isoDate,
  source: z.string().min(1).max(2048),
  entries: z.array(manifestEntrySchema).max(1000),
});

/** One signature: the key id of the signer and the base64 Ed25519 signature of the canonical document. */
export const manifestSignatureSchema = z.strictObject({
  keyId: z.string().regex(KEY_ID, 'keyId must be 16 lowercase hex characters'),
  signature: z.string().max(128).regex(BASE64, 'signature must be base64'),
});

/** A manifest as published: the document and its signatures (absent or empty when unsigned). */
export const signedManifestSchema = manifestDocumentSchema.extend({
  signatures: z.array(manifestSignatureSchema).max(64).optional(),
});

/** An entry of a manifest. */
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;
/** The part of a manifest that is signed. */
export type ManifestDocument = z.infer<typeof manifestDocumentSchema>;
/** A signature of a manifest. */
export type ManifestSignature = z.infer<typeof manifestSignatureSchema>;
/** A manifest as published. */
export type SignedManifest = z.infer<typeof signedManifestSchema>;

/** Parses manifest text or data strictly; `origin` (a file or URL) names it in errors. */
export function parseManifest(input: unknown, origin: string): SignedManifest {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input) as unknown;
    } catch (cause) {
      throw manifestInvalid(origin, `not JSON (${(cause as Error).message})`, cause);
    }
  }
  const parsed = signedManifestSchema.safeParse(data);
  if (!parsed.success) throw manifestInvalid(origin, formatIssues(parsed.error.issues, 'manifest'));
  const manifest = parsed.data;
  if (Date.parse(manifest.expiresAt) <= Date.parse(manifest.issuedAt)) {
    throw manifestInvalid(origin, `expiresAt ${manifest.expiresAt} is not after issuedAt ${manifest.issuedAt}`);
  }
  const seen = new Set<string>();
  manifest.entries.forEach((entry, i) => {
    const id = `${entry.domain}/${entry.key}/${entry.provider}`;
    if (seen.has(id)) throw manifestInvalid(origin, `manifest.entries[${i}]: ${id} is listed twice`);
    seen.add(id);
  });
  return manifest;
}

/** The document without its signatures: exactly what is signed. */
export function unsignedDocument(manifest: SignedManifest): ManifestDocument {
  const { version, issuedAt, expiresAt, source, entries } = manifest;
  return { version, issuedAt, expiresAt, source, entries };
}

/** The bytes every signature covers: the RFC 8785 canonical JSON of the document without signatures, as UTF-8. */
export function signingBytes(manifest: SignedManifest): Buffer {
  return Buffer.from(canonicalJson(unsignedDocument(manifest)), 'utf8');
}

/** The sha256 (hex) of the signed bytes: the same document always has the same digest, whoever signed it. */
export function manifestDigest(manifest: SignedManifest): string {
  return createHash('sha256').update(signingBytes(manifest)).digest('hex');
}
