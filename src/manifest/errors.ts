/**
 * The refusals of a signed remote manifest, each with its stable code and a message that says what was refused and
 * how to mend it. All are `ManifestError`s (src/errors.ts); match them by `code`.
 */
import { ErrorCodes, ManifestError } from '../errors.js';

/** The document does not fit the manifest format: a field, a name, an export or a date. */
export function manifestInvalid(origin: string, problems: string, cause?: unknown): ManifestError {
  return new ManifestError(ErrorCodes.MANIFEST_INVALID, `manifest ${origin} is not valid: ${problems}`, { cause, details: { origin } });
}

/** The document carries no signature at all. */
export function manifestUnsigned(origin: string): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_UNSIGNED,
    `manifest ${origin} is not signed: sign it with \`steward manifest sign FILE --key KEY.key\` before publishing it`,
    { details: { origin } },
  );
}

/** A signature by a trusted key does not verify: the document was changed after signing, or the signature is corrupt. */
export function signatureInvalid(origin: string, keyId: string, reason: string): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_SIGNATURE_INVALID,
    `manifest ${origin}: the signature of trusted key ${keyId} does not verify (${reason}); the document was changed after it was signed, ` +
      'or the signature is damaged — sign the published document again',
    { details: { origin, keyId } },
  );
}

/** Every signature was made by a key that is not trusted. */
export function unknownKey(origin: string, keyIds: readonly string[], trusted: readonly string[]): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_UNKNOWN_KEY,
    `manifest ${origin} is signed only by key(s) ${keyIds.join(', ')}, none of which is trusted (trusted: ${trusted.join(', ') || 'none'}); ` +
      'trust the signer’s public key (--trust KEY.pub) or have it signed by a trusted key',
    { details: { origin, keyIds: [...keyIds], trusted: [...trusted] } },
  );
}

/** Fewer distinct trusted keys signed than the threshold asks. */
export function thresholdNotMet(origin: string, signedBy: readonly string[], threshold: number): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_THRESHOLD_NOT_MET,
    `manifest ${origin} is signed by ${signedBy.length} distinct trusted key(s) (${signedBy.join(', ') || 'none'}) but ${threshold} are required; ` +
      'a key counts once however many times it signs — add signatures by other trusted keys',
    { details: { origin, signedBy: [...signedBy], threshold } },
  );
}

/** The document's validity ended. */
export function manifestExpired(origin: string, expiresAt: string, now: number): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_EXPIRED,
    `manifest ${origin} expired at ${expiresAt} (now ${new Date(now).toISOString()}); publish a newly signed version with a later expiresAt`,
    { details: { origin, expiresAt } },
  );
}

/** The document is older than the one last accepted from its source, or the same version with other content. */
export function manifestRollback(source: string, version: number, accepted: { version: number; digest: string }, digest: string): ManifestError {
  const why =
    version < accepted.version
      ? `version ${version} is older than version ${accepted.version}, the last accepted from this source`
      : `version ${version} was accepted before with other content (digest ${accepted.digest.slice(0, 16)}…, now ${digest.slice(0, 16)}…)`;
  return new ManifestError(
    ErrorCodes.MANIFEST_ROLLBACK,
    `manifest from ${source} refused: ${why}; a changed manifest must carry a higher version`,
    { details: { source, version, acceptedVersion: accepted.version, acceptedDigest: accepted.digest, digest } },
  );
}

/** The document's source, or the URL it is fetched from, is not on the allowlist. */
export function sourceNotAllowed(source: string, allowed: readonly string[]): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_SOURCE_NOT_ALLOWED,
    `manifest source ${source} is not on the allowlist (${allowed.join(', ') || 'empty'}); add it with --allow-source if you mean to trust it`,
    { details: { source, allowed: [...allowed] } },
  );
}

/** A download failed: the network, or a status other than 2xx. */
export function fetchFailed(what: string, url: string, reason: string, cause?: unknown): ManifestError {
  return new ManifestError(ErrorCodes.MANIFEST_FETCH_FAILED, `cannot fetch ${what} ${url}: ${reason}`, {
    cause,
    details: { what, url },
  });
}

/** A download did not finish in time, or stalled. */
export function fetchTimeout(what: string, url: string, reason: string): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_FETCH_TIMEOUT,
    `fetching ${what} ${url} ${reason}; check the server, or raise the timeout if it is only slow`,
    { details: { what, url } },
  );
}

/** A download was larger than its cap. */
export function tooLarge(what: string, url: string, limit: number): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_TOO_LARGE,
    `${what} ${url} is larger than its ${limit}-byte cap; the download was stopped — raise the cap only if the size is expected`,
    { details: { what, url, limit } },
  );
}

/** An artifact's bytes do not hash to the digest its entry names. */
export function digestMismatch(url: string, expected: string, actual: string): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_DIGEST_MISMATCH,
    `artifact ${url} has sha256 ${actual}, not the ${expected} its signed entry names; it was not stored — the file changed after the manifest was signed`,
    { details: { url, expected, actual } },
  );
}

/** An artifact does not load, or its named export is not a function. */
export function artifactInvalid(url: string, exportName: string, reason: string, cause?: unknown): ManifestError {
  return new ManifestError(
    ErrorCodes.MANIFEST_ARTIFACT_INVALID,
    `artifact ${url}: ${reason}; its export "${exportName}" must be a factory function`,
    { cause, details: { url, export: exportName } },
  );
}
