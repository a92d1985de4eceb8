/**
 * Watching the configuration file: an edit is read again (after a short quiet time, so an editor's several writes
 * count once), checked, and reported with the component selections it changes. A bad edit is reported and the
 * configuration in force stays. Content already in force — what Steward itself wrote through `writeConfig`, or a
 * rewrite with the same bytes — is recognised by its hash and does nothing, so a change never re-triggers itself.
 */
import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify as stringifyToml } from 'smol-toml';
import { stringify as stringifyYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { canonicalJson, diffComponents, type ConfigChange } from './changes.js';
import type { Environment } from './env.js';
import { CONFIG_FILE_NAMES, findConfigFile, hashConfigText, loadConfig, parseConfigText, type LoadedConfig } from './file.js';
import type { FileConfigInput } from './file-schema.js';
import type { ConfigFormat } from './file-syntax.js';

/** What `onChange` receives: the configuration before and after, and the component selections that differ. */
export interface ConfigChangeEvent {
  readonly previous: LoadedConfig;
  readonly next: LoadedConfig;
  readonly changes: readonly ConfigChange[];
}

/** How to watch a directory's configuration. */
export interface WatchConfigOptions {
  /** The directory that holds (or will hold) the configuration file. */
  dir: string;
  /** The `STEWARD_*` variables applied on every read (default `process.env`). */
  env?: Environment;
  /** How long the file must stay quiet before it is read (default 100 ms). */
  debounceMs?: number;
  /** Called with each new configuration that differs from the one in force; awaited before the next edit is read. */
  onChange(event: ConfigChangeEvent): void | Promise<void>;
  /** Called with a bad edit (a `ConfigInvalidError`…), a removed file, a failing `onChange`, or a watch failure. */
  onError(error: unknown): void;
}

/** A running watch of the configuration. */
export interface ConfigWatcher {
  /** The configuration in force. */
  current(): LoadedConfig;
  /**
   * Writes a new configuration (text as is, or values in the format of the file in force, TOML when there is none),
   * after checking it; it is in force when this resolves, and its own file event is ignored: `onChange` is not called.
   */
  writeConfig(content: string | FileConfigInput): Promise<LoadedConfig>;
  /** Resolves once every read already due has been handled. */
  settled(): Promise<void>;
  /** Stops watching; resolves after a read in progress has finished. */
  close(): Promise<void>;
}

/** Loads the configuration of `options.dir` (a bad one rejects) and watches it for edits. */
export async function watchConfig(options: WatchConfigOptions): Promise<ConfigWatcher> {
  const { dir, env } = options;
  const debounceMs = options.debounceMs ?? 100;
  let current = await loadConfig(dir, { env });
  let queue: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  const reread = async (): Promise<void> => {
    if (closed) return;
    let file: string | null;
    let text: string;
    try {
      file = await findConfigFile(dir);
      if (file === null) {
        if (current.file !== null) {
          options.onError(
            new ConfigError(`${current.file} was removed: the configuration read from it stays in force until a configuration file exists again`),
          );
        }
        return;
      }
      text = await readFile(file, 'utf8');
    } catch (error) {
      // the file went away between the directory listing and the read: the next event reads it again
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return schedule();
      options.onError(error);
      return;
    }
    if (file === current.file && hashConfigText(text) === current.hash) return;
    let next: LoadedConfig;
    try {
      next = parseConfigText(text, { file, env });
    } catch (error) {
      options.onError(error);
      return;
    }
    const previous = current;
    current = next;
    if (canonicalJson(previous.config) === canonicalJson(next.config)) return;
    try {
      await options.onChange({ previous, next, changes: diffComponents(previous.config, next.config) });
    } catch (error) {
      options.onError(error);
    }
  };

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void enqueue(reread), debounceMs);
  }

  const watcher: FSWatcher = watch(dir, (_event, name) => {
    // editors write beside the file and rename over it: only the configuration's own names matter
    if (name === null || Object.hasOwn(CONFIG_FILE_NAMES, basename(name))) schedule();
  });
  watcher.on('error', (error) => options.onError(error));

  return {
    current: () => current,
    writeConfig: (content) =>
      enqueue(async () => {
        if (closed) throw new ConfigError('the configuration watcher is closed: writeConfig needs a running watcher');
        const format: ConfigFormat = current.format ?? 'toml';
        const file = current.file ?? join(dir, `steward.config.${format}`);
        const text = typeof content === 'string' ? content : serialise(content, format);
        const next = parseConfigText(text, { file, env });
        await writeAtomically(file, text);
        current = next;
        return next;
      }),
    settled: () => queue,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      watcher.close();
      await queue;
    },
  };
}

/** Values as the text of a configuration file in `format`. */
function serialise(values: FileConfigInput, format: ConfigFormat): string {
  switch (format) {
    case 'toml':
      return `${stringifyToml(values)}\n`;
    case 'yaml':
      return stringifyYaml(values);
    case 'json':
      return `${JSON.stringify(values, null, 2)}\n`;
    default: {
      const never: never = format;
      throw new Error(`unknown configuration format ${String(never)}`);
    }
  }
}

/** Writes beside the file and renames over it, so a reader never sees half a file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
