/**
 * One sync of a remote manifest: fetch it from an allowed http(s) URL, verify it (signatures, threshold, expiry,
 * rollback), fetch every artifact within its bounds and check its sha256, store each as `<cache>/<sha256>.mjs`, import
 * it from there and take the named export as the factory. All or nothing: a refusal anywhere yields no candidate.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import { ConfigError, ErrorCodes, StewardError } from '../errors.js';
import { artifactInvalid, digestMismatch, sourceNotAllowed } from './errors.js';
import { fetchBounded, type FetchFunction, type FetchLimits } from './fetch.js';
import type { TrustedKey } from './keys.js';
import type { ManifestEntry } from './manifest.js';
import { verifyManifest, type AcceptedVersion } from './signing.js';
import { ManifestStateFile } from './state.js';
import {
  DEFAULT_SYNC_SCHEDULE,
  initialSyncStatus,
  statusAfterFailure,
  statusAfterSuccess,
  statusAtAttempt,
  type SyncSchedule,
  type SyncStatus,
} from './sync-status.js';

/** A factory exported by an artifact: builds the provider's instance. */
export type RemoteFactory = (...args: unknown[]) => unknown;

/** A provider offered by a verified manifest, in the shape the registry accepts. */
export interface RemoteCandidate {
  domain: string;
  key: string;
  provider: string;
  priority: number;
  stackLevel: number;
  source: 'remote';
  factory: RemoteFactory;
  capabilities: string[];
  metadata: ManifestEntry['metadata'];
}

/** An entry as synced: where its artifact came from, where it is cached, and the candidate built from it. */
export interface SyncedEntry {
  uri: string;
  sha256: string;
  export: string;
  file: string;
  candidate: RemoteCandidate;
}

/** What a successful sync produced. */
export interface ManifestSyncResult {
  source: string;
  version: number;
  digest: string;
  signedBy: string[];
  expiresAt: string;
  entries: SyncedEntry[];
  candidates: RemoteCandidate[];
}

/** How to sync a manifest. */
export interface ManifestSyncOptions {
  /** The manifest's http(s) URL; it must be on `allowedSources`, and the manifest's `source` must equal it. */
  url: string;
  trusted: readonly TrustedKey[];
  /** Distinct trusted keys that must have signed (default 1). */
  threshold?: number;
  /** Sources (manifest URLs) that may be synced, compared exactly. */
  allowedSources: readonly string[];
  /** Where artifacts and the state file are kept. */
  cacheDir: string;
  /** Bounds of the manifest download (default 10 s, 5 s idle, 1 MiB). */
  manifestLimits?: Partial<FetchLimits>;
  /** Bounds of each artifact download (default 30 s, 10 s idle, 5 MiB). */
  artifactLimits?: Partial<FetchLimits>;
  /** When attempts are due, for the status (default DEFAULT_SYNC_SCHEDULE). */
  schedule?: Partial<SyncSchedule>;
  clock?: Clock;
  random?: () => number;
  fetch?: FetchFunction;
}

/** The resolved, frozen form of `ManifestSyncOptions`. */
export interface ManifestSyncConfig {
  readonly url: string;
  readonly trusted: readonly TrustedKey[];
  readonly threshold: number;
  readonly allowedSources: readonly string[];
  readonly cacheDir: string;
  readonly manifestLimits: Readonly<FetchLimits>;
  readonly artifactLimits: Readonly<FetchLimits>;
  readonly schedule: Readonly<SyncSchedule>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly fetch: FetchFunction;
}

/** The outcome of one attempt, with the status it left. */
export type SyncAttempt =
  | { ok: true; result: ManifestSyncResult; status: SyncStatus }
  | { ok: false; error: unknown; status: SyncStatus };

const DEFAULT_MANIFEST_LIMITS: FetchLimits = { timeoutMs: 10_000, idleTimeoutMs: 5_000, maxBytes: 1024 * 1024 };
const DEFAULT_ARTIFACT_LIMITS: FetchLimits = { timeoutMs: 30_000, idleTimeoutMs: 10_000, maxBytes: 5 * 1024 * 1024 };

/** Checks and defaults the options once. */
export function resolveManifestSyncConfig(options: ManifestSyncOptions): ManifestSyncConfig {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new ConfigError(`manifest URL "${options.url}" is not a URL`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`manifest URL ${options.url} must be http or https`);
  if (options.trusted.length === 0) throw new ConfigError('trust at least one public key to sync a manifest');
  const schedule: SyncSchedule = {
    intervalMs: options.schedule?.intervalMs ?? DEFAULT_SYNC_SCHEDULE.intervalMs,
    backoff: { ...DEFAULT_SYNC_SCHEDULE.backoff, ...options.schedule?.backoff },
    breaker: { ...DEFAULT_SYNC_SCHEDULE.breaker, ...options.schedule?.breaker },
  };
  return Object.freeze({
    url: options.url,
    trusted: Object.freeze([...options.trusted]),
    threshold: options.threshold ?? 1,
    allowedSources: Object.freeze([...options.allowedSources]),
    cacheDir: resolve(options.cacheDir),
    manifestLimits: Object.freeze(limits(DEFAULT_MANIFEST_LIMITS, options.manifestLimits, 'manifestLimits')),
    artifactLimits: Object.freeze(limits(DEFAULT_ARTIFACT_LIMITS, options.artifactLimits, 'artifactLimits')),
    schedule: Object.freeze(schedule),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    fetch: options.fetch ?? fetch,
  });
}

/** Syncs once and answers what it produced; a refusal is thrown (after it is recorded in the state file). */
export async function syncManifest(options: ManifestSyncOptions): Promise<ManifestSyncResult> {
  const attempt = await attemptManifestSync(resolveManifestSyncConfig(options));
  if (!attempt.ok) throw attempt.error;
  return attempt.result;
}

/** Syncs once, records the attempt in the state file, and answers the result or the error with the new status. */
export async function attemptManifestSync(config: ManifestSyncConfig): Promise<SyncAttempt> {
  const state = new ManifestStateFile(config.cacheDir);
  const start = config.clock.now();
  const before = await state.source(config.url);
  const attempting = statusAtAttempt(before.status ?? initialSyncStatus(config.url), start);
  try {
    const result = await syncOnce(config, before.accepted);
    const at = config.clock.now();
    const status = statusAfterSuccess(attempting, at, result.version, config.schedule);
    await state.update(config.url, () => ({ accepted: { version: result.version, digest: result.digest, acceptedAt: at }, status }));
    return { ok: true, result, status };
  } catch (error) {
    const status = statusAfterFailure(attempting, config.clock.now(), describeError(error), config.schedule, config.random);
    await state.update(config.url, (current) => ({ ...current, status }));
    return { ok: false, error, status };
  }
}

async function syncOnce(config: ManifestSyncConfig, accepted: AcceptedVersion | null): Promise<ManifestSyncResult> {
  if (!config.allowedSources.includes(config.url)) throw sourceNotAllowed(config.url, config.allowedSources);
  const url = new URL(config.url);
  const text = (await fetchBounded(url, 'manifest', config.manifestLimits, config.fetch)).toString('utf8');
  // the manifest must name the very URL it was fetched from, so a document signed for one source cannot be replayed at another
  const verified = verifyManifest(
    text,
    { trusted: config.trusted, threshold: config.threshold, allowedSources: [config.url], now: config.clock.now(), lastAccepted: accepted },
    config.url,
  );

  const artifacts: Array<{ entry: ManifestEntry; href: string; bytes: Buffer }> = [];
  for (const entry of verified.document.entries) {
    const href = new URL(entry.uri, url).href;
    const bytes = await fetchBounded(new URL(href), 'artifact', config.artifactLimits, config.fetch);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== entry.sha256) throw digestMismatch(href, entry.sha256, actual);
    artifacts.push({ entry, href, bytes });
  }

  const created: string[] = [];
  try {
    const entries: SyncedEntry[] = [];
    for (const { entry, href, bytes } of artifacts) {
      const file = await storeArtifact(config.cacheDir, entry.sha256, bytes, created);
      const factory = await loadFactory(file, href, entry.export);
      const candidate: RemoteCandidate = {
        domain: entry.domain,
        key: entry.key,
        provider: entry.provider,
        priority: entry.priority,
        stackLevel: entry.stackLevel,
        source: 'remote',
        factory,
        capabilities: [...entry.capabilities],
        metadata: entry.metadata,
      };
      entries.push({ uri: href, sha256: entry.sha256, export: entry.export, file, candidate });
    }
    return {
      source: verified.document.source,
      version: verified.document.version,
      digest: verified.digest,
      signedBy: verified.signedBy,
      expiresAt: verified.document.expiresAt,
      entries,
      candidates: entries.map((e) => e.candidate),
    };
  } catch (error) {
    await Promise.all(created.map((file) => rm(file, { force: true })));
    throw error;
  }
}

/**
 * Stores verified bytes as `<cache>/<sha256>.mjs`: the name comes only from the digest. A file already there is kept
 * when its bytes still hash to its name, and replaced otherwise. Written to a temporary file, then renamed.
 */
async function storeArtifact(cacheDir: string, sha256: string, bytes: Buffer, created: string[]): Promise<string> {
  const file = join(cacheDir, `${sha256}.mjs`);
  const existing = await readFile(file).catch(() => null);
  if (existing !== null && createHash('sha256').update(existing).digest('hex') === sha256) return file;
  await mkdir(cacheDir, { recursive: true });
  const temp = join(cacheDir, `.${sha256}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    await writeFile(temp, bytes, { mode: 0o644 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (existing === null) created.push(file);
  return file;
}

async function loadFactory(file: string, href: string, exportName: string): Promise<RemoteFactory> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw artifactInvalid(href, exportName, `it does not load as a JavaScript module (${(cause as Error).message})`, cause);
  }
  const value = Object.hasOwn(namespace, exportName) ? namespace[exportName] : undefined;
  if (typeof value !== 'function') {
    const found = value === undefined ? 'it has no such export' : `the export is a ${typeof value}`;
    throw artifactInvalid(href, exportName, found);
  }
  return value as RemoteFactory;
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof StewardError) return { code: error.code, message: error.message };
  return { code: ErrorCodes.INTERNAL, message: error instanceof Error ? error.message : String(error) };
}

function limits(defaults: FetchLimits, given: Partial<FetchLimits> | undefined, name: string): FetchLimits {
  const out = { ...defaults, ...given };
  for (const [field, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`${name}.${field} must be a whole number > 0, not ${value}`);
  }
  return out;
}

