/**
 * The shape of `steward.config.(toml|yaml|json)`: every key, its type and its bounds. The environment's `STEWARD_*`
 * variables are mapped onto the same shape before it is checked, so one schema judges both.
 */
import { z } from 'zod';
import { approvalsOptionsSchema } from './options.js';

/** A domain of components (`store`, `llm`, …): lowercase letters and digits, words joined by single hyphens. */
export const DOMAIN_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** A key within a domain (`default`, `fast-2`): lowercase letters and digits, words joined by single hyphens. */
export const KEY_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** An npm package name, scoped or not. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Splits a component key `<domain>.<key>` into its parts, or null when it is not one. */
export function splitComponentKey(name: string): { domain: string; key: string } | null {
  const dot = name.indexOf('.');
  if (dot === -1) return null;
  const domain = name.slice(0, dot);
  const key = name.slice(dot + 1);
  return DOMAIN_PATTERN.test(domain) && KEY_PATTERN.test(key) ? { domain, key } : null;
}

/** The explicit choice of a provider for one component, with the settings handed to that provider. */
const selectionSchema = z
  .object({
    provider: z.string().regex(/^\S+$/, 'a provider name is one or more characters without spaces'),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const componentKeySchema = z
  .string()
  .refine(
    (name) => splitComponentKey(name) !== null,
    {
      error: (issue) =>
        `"${String(issue.input)}" is not a component key: write "<domain>.<key>" in lowercase letters, digits and single hyphens, ` +
        'like "store.default" (in TOML quote it: [components."store.default"])',
    },
  );

const componentsSchema = z.record(componentKeySchema, selectionSchema);

/** Whether a manifest source URL may be fetched at all: https, or http to this machine only. */
function isFetchableUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

const sourceSchema = z
  .object({
    url: z.string().refine(isFetchableUrl, 'a manifest source is an https:// URL (http:// only to localhost)'),
    trust: z.array(z.string().min(1, 'a public key path is not empty')).min(1, 'name at least one trusted public key file'),
    threshold: z.number().int().min(1).default(1),
    refreshMs: z.number().int().min(1000).max(7 * 86_400_000).default(300_000),
  })
  .strict()
  .superRefine((source, ctx) => {
    if (source.trust.length > 0 && source.threshold > source.trust.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: `a threshold of ${source.threshold} needs at least ${source.threshold} trusted keys, and ${source.trust.length} are listed`,
      });
    }
  });

const manifestsSchema = z
  .object({
    sources: z.array(sourceSchema).default([]),
    allowSources: z.array(z.string().refine(isFetchableUrl, 'an allowed source is an https:// URL prefix (http:// only to localhost)')).default([]),
  })
  .strict()
  .superRefine((manifests, ctx) => {
    manifests.sources.forEach((source, index) => {
      if (isFetchableUrl(source.url) && !manifests.allowSources.some((prefix) => source.url.startsWith(prefix))) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'url'],
          message: `${source.url} is not under any of manifests.allowSources: add its URL (or a prefix of it) there`,
        });
      }
    });
  });

/** The configuration file's schema; unknown keys are refused at every level except a provider's `settings`. */
export const fileConfigSchema = z
  .object({
    /** The store URL: `sqlite:PATH` or `postgres://…`. */
    store: z
      .string()
      .refine((url) => /^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(url), 'a store URL is sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE')
      .optional(),
    workers: z.object({ concurrency: z.number().int().min(1).max(1024).optional() }).strict().optional(),
    autonomy: z.number().int().min(0).max(3).optional(),
    policy: z.object({ files: z.array(z.string().min(1)).default([]) }).strict().optional(),
    approvals: approvalsOptionsSchema.optional(),
    components: componentsSchema.default({}),
    stackOrder: z
      .array(z.string().regex(NAME, 'a stack level is letters, digits, ".", "_" or "-"'))
      .refine((levels) => new Set(levels).size === levels.length, 'a stack level is listed twice')
      .optional(),
    plugins: z
      .object({ allow: z.array(z.string().regex(PACKAGE_NAME, 'not an npm package name')).default([]) })
      .strict()
      .default({ allow: [] }),
    manifests: manifestsSchema.default({ sources: [], allowSources: [] }),
  })
  .strict();

/** What the file (and the environment) may say, before defaults. */
export type FileConfigInput = z.input<typeof fileConfigSchema>;

/** One component's selection: the provider chosen and its settings. */
export interface ComponentSelection {
  readonly provider: string;
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** The checked configuration, frozen all the way down. */
export type FileConfig = DeepReadonly<z.output<typeof fileConfigSchema>>;

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** Freezes a parsed value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
