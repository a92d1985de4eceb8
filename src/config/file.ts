/**
 * The configuration file and the environment, read into one checked, frozen configuration. A directory holds at most
 * one of `steward.config.toml`, `steward.config.yaml` (or `.yml`) and `steward.config.json`; `STEWARD_*` variables win
 * over the file. Every problem names the file or variable, the key path, and the line and column when the file has them.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigFileConflictError, ConfigInvalidError, type ConfigIssue } from '../errors.js';
import { applyOverrides, isPlainObject, readEnvironment, type Environment, type EnvOverride } from './env.js';
import { deepFreeze, fileConfigSchema, type FileConfig } from './file-schema.js';
import { parseConfigSyntax, type ConfigFormat, type Locate } from './file-syntax.js';

export type { ConfigFormat } from './file-syntax.js';
export type { ComponentSelection, FileConfig, FileConfigInput } from './file-schema.js';

/** The names a configuration file may have, and the format each is read as. */
export const CONFIG_FILE_NAMES: Readonly<Record<string, ConfigFormat>> = Object.freeze({
  'steward.config.toml': 'toml',
  'steward.config.yaml': 'yaml',
  'steward.config.yml': 'yaml',
  'steward.config.json': 'json',
});

/** A configuration as loaded: the checked values, and the file and content they came from. */
export interface LoadedConfig {
  readonly config: FileConfig;
  /** The file read, or null when the directory has none (the configuration is then the environment's alone). */
  readonly file: string | null;
  readonly format: ConfigFormat | null;
  /** The SHA-256 of the file's content, or null without a file. */
  readonly hash: string | null;
}

/** How to load a configuration. */
export interface LoadConfigOptions {
  /** The `STEWARD_*` variables to apply (default `process.env`). */
  env?: Environment;
}

/** The configuration file in `dir`, or null when there is none; two or more are a `ConfigFileConflictError` naming them. */
export async function findConfigFile(dir: string): Promise<string | null> {
  const names = (await readdir(dir)).filter((name) => Object.hasOwn(CONFIG_FILE_NAMES, name)).sort();
  if (names.length > 1) throw new ConfigFileConflictError(dir, names.map((name) => join(dir, name)));
  return names.length === 1 ? join(dir, names[0] as string) : null;
}

/** The format of a configuration file by its name. */
export function configFormatOf(file: string): ConfigFormat {
  const extension = /\.(toml|ya?ml|json)$/i.exec(basename(file))?.[1]?.toLowerCase();
  if (extension === 'toml' || extension === 'json') return extension;
  if (extension === 'yaml' || extension === 'yml') return 'yaml';
  throw new ConfigInvalidError([{ source: file, path: '', message: 'a configuration file ends in .toml, .yaml, .yml or .json' }]);
}

/** Loads the configuration of `dir`: its configuration file, if any, under the environment's overrides. */
export async function loadConfig(dir: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const file = await findConfigFile(dir);
  if (file === null) return parseConfigText(null, { dir, env: options.env });
  return parseConfigText(await readFile(file, 'utf8'), { file, env: options.env });
}

/** What `parseConfigText` reads: the file's name (for messages, format and relative paths), or the directory without a file. */
export interface ParseConfigOptions {
  file?: string;
  format?: ConfigFormat;
  /** The directory relative paths are resolved against when there is no file (default: the working directory). */
  dir?: string;
  env?: Environment;
}

/** Checks a configuration text (null: no file) under the environment; a bad one is a `ConfigInvalidError` listing every problem. */
export function parseConfigText(text: string | null, options: ParseConfigOptions = {}): LoadedConfig {
  const file = options.file ?? null;
  const source = file ?? 'configuration';
  const format = text === null ? null : (options.format ?? (file === null ? 'toml' : configFormatOf(file)));
  let value: Record<string, unknown> = {};
  let locate: Locate = () => undefined;
  if (text !== null && format !== null) {
    const parsed = parseConfigSyntax(text.replace(/^\uFEFF/, ''), format, source);
    locate = parsed.locate;
    if (isPlainObject(parsed.value)) value = parsed.value;
    else if (parsed.value !== null && parsed.value !== undefined) {
      throw new ConfigInvalidError([{ source, path: '', message: 'the configuration is a table of keys (an object), not a list or a single value', line: 1, column: 1 }]);
    }
  }
  const env = readEnvironment(options.env ?? process.env);
  const checked = fileConfigSchema.safeParse(applyOverrides(value, env.overrides));
  const issues: ConfigIssue[] = [...env.issues];
  if (!checked.success) issues.push(...checked.error.issues.flatMap((issue) => describeIssue(issue, source, locate, env.overrides)));
  if (issues.length > 0 || !checked.success) throw new ConfigInvalidError(inReadingOrder(issues));
  const baseDir = file === null ? resolve(options.dir ?? '.') : dirname(resolve(file));
  return Object.freeze({
    config: deepFreeze(resolvePaths(checked.data, baseDir)) as FileConfig,
    file,
    format,
    hash: text === null ? null : hashConfigText(text),
  });
}

/** The SHA-256 (hex) of a configuration file's content: how a rewrite with the same content is recognised. */
export function hashConfigText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Paths written in the file are relative to the file's directory. */
function resolvePaths(config: z.output<typeof fileConfigSchema>, baseDir: string): z.output<typeof fileConfigSchema> {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));
  return {
    ...config,
    ...(config.policy ? { policy: { files: config.policy.files.map(absolute) } } : {}),
    manifests: { ...config.manifests, sources: config.manifests.sources.map((s) => ({ ...s, trust: s.trust.map(absolute) })) },
  };
}

/** A zod issue as the user reads it: under the variable that set the value, else at its place in the file. */
function describeIssue(issue: z.core.$ZodIssue, file: string, locate: Locate, overrides: readonly EnvOverride[]): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => at([...issue.path, key], unknownKeyMessage(issue.path, key), true));
  }
  if (issue.code === 'invalid_key') return [at(issue.path, issue.issues.map((inner) => inner.message).join('; '), true)];
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    const name = issue.path[issue.path.length - 1];
    return [at(issue.path, `the key "${String(name)}" is missing and required here`, false)];
  }
  return [at(issue.path, issue.message.replace(/^Invalid input: /, ''), false)];

  function at(path: readonly PropertyKey[], message: string, atKey: boolean): ConfigIssue {
    const variable = overrides.find((o) => o.path.every((part, i) => path[i] === part));
    if (variable) return { source: variable.variable, path: formatKeyPath(path), message };
    const position = locate(path, atKey);
    return { source: file, path: formatKeyPath(path), message, ...(position ? { line: position.line, column: position.column } : {}) };
  }
}

/** The keys the schema allows where an unknown key was found, to say what was meant. */
function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const known = knownKeysAt(path);
  const near = known.find((candidate) => editDistance(candidate.toLowerCase(), key.toLowerCase()) <= 2);
  const hint = near === undefined ? `the keys here are ${known.join(', ')}` : `did you mean "${near}"?`;
  return `unknown key "${key}": ${hint}`;
}

/** The keys of the object the schema expects at `path` (through records, arrays, optionals and defaults). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = fileConfigSchema;
  let rest = [...path];
  while (schema !== undefined) {
    const def: z.core.$ZodTypeDef & Record<string, unknown> = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') {
      schema = def.innerType as z.core.$ZodType;
      continue;
    }
    if (rest.length === 0) return def.type === 'object' ? Object.keys(def.shape as object) : [];
    const [head, ...tail] = rest;
    rest = tail;
    if (def.type === 'object') schema = (def.shape as Record<string, z.core.$ZodType>)[String(head)];
    else if (def.type === 'record') schema = def.valueType as z.core.$ZodType;
    else if (def.type === 'array') schema = def.element as z.core.$ZodType;
    else return [];
  }
  return [];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** A key path as people write it: `components."store.default".provider`, `manifests.sources[0].url`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      const name = String(part);
      const quoted = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
      return index === 0 ? quoted : `.${quoted}`;
    })
    .join('');
}

/** Variables first, then the file's problems from top to bottom. */
function inReadingOrder(issues: ConfigIssue[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue): number => (issue.line === undefined ? (issue.source.startsWith('STEWARD_') ? -1 : Number.MAX_SAFE_INTEGER) : issue.line * 100_000 + (issue.column ?? 0));
  return [...issues].sort((a, b) => rank(a) - rank(b));
}
