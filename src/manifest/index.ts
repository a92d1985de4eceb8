/**
 * Signed remote manifests: providers published as artifacts, listed in a document signed with Ed25519 keys,
 * verified, fetched, checked against their sha256, cached by digest and loaded as factories for the registry.
 */
export { generateSigningKey, keyIdOf, parseSigningKey, parseTrustedKey, readSigningKey, readTrustedKey, writeKeyPair } from './keys.js';
export type { SigningKey, TrustedKey, WrittenKeyPair } from './keys.js';
export { parseManifest, manifestDigest, signingBytes, unsignedDocument } from './manifest.js';
export type { ManifestDocument, ManifestEntry, ManifestSignature, SignedManifest } from './manifest.js';
export { signManifest, verifyManifest } from './signing.js';
export type { AcceptedVersion, VerifiedManifest, VerifyOptions } from './signing.js';
export { attemptManifestSync, resolveManifestSyncConfig, syncManifest } from './sync.js';
export type { ManifestSyncConfig, ManifestSyncOptions, ManifestSyncResult, RemoteCandidate, RemoteFactory, SyncAttempt, SyncedEntry } from './sync.js';
export { DEFAULT_SYNC_SCHEDULE } from './sync-status.js';
export type { SyncBreakerState, SyncSchedule, SyncStatus } from './sync-status.js';
export { ManifestStateFile, STATE_FILE } from './state.js';
export { ManifestSyncer } from './syncer.js';
export type { ManifestAuditSink, ManifestSyncerOptions } from './syncer.js';
export type { FetchLimits, FetchFunction } from './fetch.js';
