/** How manifest commands print what they verified and synced, and a source's sync status. */
import type { ManifestEntry } from '../manifest/manifest.js';
import type { VerifiedManifest } from '../manifest/signing.js';
import type { ManifestSyncResult } from '../manifest/sync.js';
import type { SyncStatus } from '../manifest/sync-status.js';
import { formatTable } from './table.js';

/** The summary and entries of a verified manifest. */
export function formatVerified(verified: VerifiedManifest, sourceChecked: boolean): string {
  const { document } = verified;
  const untrusted = verified.untrustedKeyIds.length > 0 ? `; ignored signatures of untrusted keys ${verified.untrustedKeyIds.join(', ')}` : '';
  const source = sourceChecked ? '' : ' (source not checked: give --allow-source to check it)';
  return [
    `verified manifest ${document.source}${source} version ${document.version}, digest ${verified.digest}`,
    `signed by ${verified.signedBy.join(', ')} (threshold ${verified.threshold})${untrusted}; expires ${document.expiresAt}`,
    document.entries.length === 0 ? 'no entries' : formatEntries(document.entries),
  ].join('\n');
}

/** What a sync would register, one row per entry, and the status it left. */
export function formatSynced(result: ManifestSyncResult, status: SyncStatus): string {
  const rows = result.entries.map((e) => [
    e.candidate.domain,
    e.candidate.key,
    e.candidate.provider,
    String(e.candidate.priority),
    String(e.candidate.stackLevel),
    e.export,
    e.sha256.slice(0, 16),
    e.candidate.capabilities.join(',') || '-',
  ]);
  return [
    `synced manifest ${result.source} version ${result.version}, digest ${result.digest}, signed by ${result.signedBy.join(', ')}`,
    rows.length === 0
      ? 'no entries: nothing would be registered'
      : `${rows.length} candidate(s) would be registered (source remote):\n` +
        formatTable(['DOMAIN', 'KEY', 'PROVIDER', 'PRIORITY', 'STACK', 'EXPORT', 'SHA256', 'CAPABILITIES'], rows),
    formatStatus(status),
  ].join('\n');
}

/** One line saying how the syncs of a source stand. */
export function formatStatus(status: SyncStatus): string {
  const at = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());
  const outcome =
    status.error === null
      ? `last success ${at(status.lastSuccessAt)}`
      : `${status.consecutiveFailures} consecutive failure(s), last ${status.error.code}`;
  const version = status.version === null ? 'no version accepted' : `version ${status.version} accepted`;
  return `status of ${status.source}: ${outcome}; ${version}; breaker ${status.breaker.replace('_', '-')}; last attempt ${at(status.lastAttemptAt)}; next due ${at(status.nextAttemptAt)}`;
}

function formatEntries(entries: readonly ManifestEntry[]): string {
  return formatTable(
    ['DOMAIN', 'KEY', 'PROVIDER', 'PRIORITY', 'STACK', 'EXPORT', 'SHA256', 'URI'],
    entries.map((e) => [e.domain, e.key, e.provider, String(e.priority), String(e.stackLevel), e.export, e.sha256.slice(0, 16), e.uri]),
  );
}
