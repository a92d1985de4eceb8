/**
 * Opening a Steward for one CLI command: the store from `--store`, `STEWARD_DATABASE_URL` or the default file,
 * a JSON logger on standard error (standard output stays for results), and the workflows the command needs.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { createSteward, type Steward } from '../engine/steward.js';
import { DEFAULT_STORE_URL } from '../store/open.js';
import { loadConfig } from '../config/file.js';
import { createLogger } from '../observability/logger.js';
import { UsageError } from './cli-errors.js';
import type { LoadedWorkflows } from './workflow-modules.js';

/** Options every command accepts. */
export interface GlobalOptions {
  store?: string;
  module: string[];
}

const globalSchema = z.object({
  store: z.string().min(1, 'the store URL is empty').optional(),
  module: z.array(z.string().min(1, 'a module path is empty')).default([]),
});

/** Parses the global options commander collected. */
export function parseGlobalOptions(raw: Record<string, unknown>): GlobalOptions {
  const parsed = globalSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`invalid global option: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** The global options as seen from a subcommand. */
export function globalsOf(cmd: Command): GlobalOptions {
  return parseGlobalOptions(cmd.optsWithGlobals());
}

/** The store URL a command uses. */
export function resolveStoreUrl(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return globals.store ?? (env.STEWARD_DATABASE_URL || DEFAULT_STORE_URL);
}

const levelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** What a command needs from its Steward. */
export interface SessionOptions {
  /** The log level unless `STEWARD_LOG_LEVEL` says otherwise. */
  logLevel: z.infer<typeof levelSchema>;
  /** The workflows to register (a command that only reads runs needs none). */
  workflows?: LoadedWorkflows;
  /** How often to look for changes made by other processes. */
  pollIntervalMs?: number;
  /** Watch the working directory's configuration file and swap the components whose selection changed (workers). */
  watchConfig?: boolean;
}

/** Opens a Steward for a command. */
export async function openSteward(globals: GlobalOptions, options: SessionOptions, env: NodeJS.ProcessEnv = process.env): Promise<Steward> {
  const level = levelSchema.safeParse(env.STEWARD_LOG_LEVEL ?? options.logLevel);
  if (!level.success) {
    throw new ConfigError(`STEWARD_LOG_LEVEL="${env.STEWARD_LOG_LEVEL}" is not a log level: use one of ${levelSchema.options.join(', ')}`);
  }
  return createSteward({
    // --store, then STEWARD_DATABASE_URL, then the working directory's configuration file, then the default
    ...(globals.store !== undefined || env.STEWARD_DATABASE_URL ? { store: resolveStoreUrl(globals, env) } : {}),
    configDir: process.cwd(),
    ...(options.watchConfig === true ? { watchConfig: true } : {}),
    logger: createLogger({ level: level.data, destination: process.stderr }),
    workflows: options.workflows?.workflows ?? [],
    schedules: options.workflows?.schedules ?? [],
    actions: options.workflows?.actions ?? [],
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });
}

/** Runs `work` with a Steward opened for it, and closes the Steward whatever happens. */
export async function withSteward<T>(globals: GlobalOptions, options: SessionOptions, work: (steward: Steward) => Promise<T>): Promise<T> {
  const steward = await openSteward(globals, options);
  try {
    return await work(steward);
  } finally {
    await steward.close();
  }
}


/** A worker's concurrency: `--concurrency`, else the configuration file's `workers.concurrency`, else undefined (the default). */
export async function workerConcurrency(flag: number | undefined): Promise<number | undefined> {
  return flag ?? (await loadConfig(process.cwd())).config.workers?.concurrency;
}
