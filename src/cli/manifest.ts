/**
 * `steward keys generate` and `steward manifest sign|verify|sync|status`: make signing keys, sign a manifest, check
 * one, and run one sync of a remote manifest, printing what would be registered.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { readSigningKey, readTrustedKey, writeKeyPair } from '../manifest/keys.js';
import { signManifest, verifyManifest } from '../manifest/signing.js';
import { ManifestStateFile } from '../manifest/state.js';
import { attemptManifestSync, resolveManifestSyncConfig, type ManifestSyncResult } from '../manifest/sync.js';
import type { SyncStatus } from '../manifest/sync-status.js';
import { UsageError } from './cli-errors.js';
import { formatStatus, formatSynced, formatVerified } from './manifest-format.js';
import { parseInteger } from './option-values.js';
import { printJson, printLine, printNote } from './output.js';

/** Where `manifest sync` keeps artifacts and its state file unless --cache says otherwise. */
const DEFAULT_CACHE = './.steward/manifests';

const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

interface GenerateFlags {
  out?: string;
  name?: string;
  json?: boolean;
}

interface SignFlags {
  key?: string[];
  out?: string;
}

interface TrustFlags {
  trust?: string[];
  threshold?: string;
  allowSource?: string[];
}

interface SyncFlags extends TrustFlags {
  cache?: string;
  timeout?: string;
  json?: boolean;
}

/** Adds the `keys` and `manifest` command groups to the program. */
export function registerManifestCommands(program: Command): void {
  const keys = program.command('keys').description('Ed25519 keys that sign remote manifests');
  keys
    .command('generate')
    .description('write a new key pair, NAME.key (private, mode 0600) and NAME.pub, and print its key id')
    .requiredOption('--out <dir>', 'the directory to write the key files into (created if missing)')
    .option('--name <name>', 'the base name of the files', 'manifest')
    .option('--json', 'print the key id and files as JSON')
    .action(async (flags: GenerateFlags) => {
      const dir = flags.out ?? '';
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const written = await writeKeyPair(dir, flags.name ?? 'manifest');
      if (flags.json) printJson(written);
      else {
        printLine(written.keyId);
        printNote(`wrote ${written.privateFile} (private: keep it secret) and ${written.publicFile} (trust it with --trust)`);
      }
    });

  const manifest = program.command('manifest').description('sign, verify and sync signed remote manifests of providers');
  manifest
    .command('sign')
    .description('sign a manifest with one or more private keys; the output verifies with the matching public keys')
    .argument('<file>', 'the manifest (JSON); signatures already in it are kept')
    .option('--key <file>', 'a private key file (NAME.key); repeatable', repeatable)
    .option('--out <file>', 'write the signed manifest here (default: standard output)')
    .action(async (file: string, flags: SignFlags) => {
      if (!flags.key || flags.key.length === 0) throw new UsageError('give at least one --key KEY.key to sign with');
      const signers = await Promise.all(flags.key.map((k) => readSigningKey(k)));
      const signed = signManifest(await readText(file), signers, file);
      const text = `${JSON.stringify(signed, null, 2)}\n`;
      if (flags.out) await writeFile(flags.out, text);
      else process.stdout.write(text);
      printNote(`signed ${file} with ${[...new Set(signers.map((s) => s.keyId))].join(', ')}${flags.out ? ` into ${flags.out}` : ''}`);
    });

  manifest
    .command('verify')
    .description('check a manifest file: format, signatures by distinct trusted keys, threshold, expiry and source')
    .argument('<file>', 'the signed manifest (JSON)')
    .option('--trust <file>', 'a trusted public key file (NAME.pub); repeatable', repeatable)
    .option('--threshold <n>', 'distinct trusted keys that must have signed', '1')
    .option('--allow-source <source>', 'a source the manifest may name; repeatable (default: the source is not checked)', repeatable)
    .action(async (file: string, flags: TrustFlags) => {
      const trust = await trustOf(flags);
      const allowed = flags.allowSource ?? [];
      const verified = verifyManifest(await readText(file), { ...trust, allowedSources: allowed.length > 0 ? allowed : 'any' }, file);
      printLine(formatVerified(verified, allowed.length > 0));
    });

  manifest
    .command('sync')
    .description('sync a remote manifest once: fetch, verify, fetch and check every artifact, and print what would be registered')
    .argument('<url>', 'the manifest URL (http or https)')
    .option('--trust <file>', 'a trusted public key file (NAME.pub); repeatable', repeatable)
    .option('--threshold <n>', 'distinct trusted keys that must have signed', '1')
    .option('--allow-source <source>', 'a manifest URL that may be synced; repeatable (default: the URL given)', repeatable)
    .option('--cache <dir>', 'where artifacts and the sync state are kept', DEFAULT_CACHE)
    .option('--timeout <ms>', 'the time limit of each download, in milliseconds')
    .option('--json', 'print the candidates and the status as JSON')
    .action(async (url: string, flags: SyncFlags) => {
      const trust = await trustOf(flags);
      const timeoutMs = parseInteger('--timeout', flags.timeout, 1, 3_600_000);
      const timeouts = timeoutMs === undefined ? undefined : { timeoutMs, idleTimeoutMs: timeoutMs };
      const config = resolveManifestSyncConfig({
        url,
        ...trust,
        allowedSources: flags.allowSource ?? [url],
        cacheDir: flags.cache ?? DEFAULT_CACHE,
        manifestLimits: timeouts,
        artifactLimits: timeouts,
      });
      const attempt = await attemptManifestSync(config);
      if (attempt.ok) {
        if (flags.json) printJson(syncJson(attempt.result, attempt.status));
        else printLine(formatSynced(attempt.result, attempt.status));
        return;
      }
      if (flags.json) printJson({ candidates: [], status: attempt.status });
      else printNote(`nothing would be registered; ${formatStatus(attempt.status)}`);
      throw attempt.error;
    });

  manifest
    .command('status')
    .description('print the recorded sync status of every source in a cache')
    .option('--cache <dir>', 'the cache directory', DEFAULT_CACHE)
    .option('--json', 'print the statuses as JSON')
    .action(async (flags: { cache?: string; json?: boolean }) => {
      const state = await new ManifestStateFile(flags.cache ?? DEFAULT_CACHE).read();
      const statuses = Object.values(state.sources).flatMap((s) => (s.status === null ? [] : [s.status]));
      if (flags.json) printJson(statuses);
      else printLine(statuses.length === 0 ? 'no manifest has been synced into this cache' : statuses.map(formatStatus).join('\n'));
    });
}

async function trustOf(flags: TrustFlags): Promise<{ trusted: Awaited<ReturnType<typeof readTrustedKey>>[]; threshold: number }> {
  if (!flags.trust || flags.trust.length === 0) throw new UsageError('give at least one --trust KEY.pub: the public keys whose signatures count');
  const threshold = parseInteger('--threshold', flags.threshold, 1, 64) ?? 1;
  return { trusted: await Promise.all(flags.trust.map((k) => readTrustedKey(k))), threshold };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
  }
}

function syncJson(result: ManifestSyncResult, status: SyncStatus): Record<string, unknown> {
  return {
    manifest: { source: result.source, version: result.version, digest: result.digest, signedBy: result.signedBy, expiresAt: result.expiresAt },
    candidates: result.entries.map((e) => {
      const { factory, ...candidate } = e.candidate;
      return { ...candidate, factory: factory.name || e.export, export: e.export, sha256: e.sha256, uri: e.uri, file: e.file };
    }),
    status,
  };
}
