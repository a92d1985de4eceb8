/**
 * Candidates: what a provider offers for one (domain, key), parsed with zod at the registry's edge and frozen.
 * Names (domain, key, provider) are kept to a small alphabet because they travel into config files, CLI arguments,
 * URLs and cache paths.
 */
import { z } from 'zod';
import { formatIssues } from '../errors.js';
import { ProviderInvalidError } from './errors.js';

/** Where a candidate came from: shipped with Steward, an installed package, the config, or a signed remote manifest. */
export type CandidateSource = 'builtin' | 'package' | 'config' | 'remote';

/** Every source, in no particular order. */
export const CANDIDATE_SOURCES: readonly CandidateSource[] = ['builtin', 'package', 'config', 'remote'];

/** The lowest and highest priority a candidate may have. */
export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;

/** The longest domain, key or provider name. */
export const NAME_MAX_LENGTH = 128;

/** What a factory is told about the instance it makes. */
export interface FactoryContext {
  domain: string;
  key: string;
  provider: string;
  /** The settings the selection of this provider carries (the configuration file's `settings`); `{}` otherwise. */
  settings: Readonly<Record<string, unknown>>;
  /** Aborted when the registry stops waiting for the factory (its init timeout). */
  signal: AbortSignal;
}

/** What a health check is given besides the instance. */
export interface HealthContext {
  /** Aborted when the registry stops waiting for the check (its health timeout). */
  signal: AbortSignal;
}

/** Makes an instance; may be async. */
export type Factory<T> = (context: FactoryContext) => T | Promise<T>;
/** Says whether an instance is fit to serve: `false` or a throw means not. */
export type HealthCheck<T> = (instance: T, context: HealthContext) => boolean | void | Promise<boolean | void>;
/** Releases what an instance holds; called once per instance, after its last use. */
export type Dispose<T> = (instance: T) => void | Promise<void>;

/** What `register` accepts. */
export interface CandidateInput<T = unknown> {
  domain: string;
  key: string;
  provider: string;
  /** −1000…1000; default 0. Higher wins. */
  priority?: number;
  /** Default 0; higher wins among equal priorities. `STEWARD_STACK_ORDER` may set it instead. */
  stackLevel?: number;
  /** Default `package`. */
  source?: CandidateSource;
  factory: Factory<T>;
  health?: HealthCheck<T>;
  dispose?: Dispose<T>;
  metadata?: Record<string, unknown>;
  capabilities?: readonly string[];
}

/** A registered candidate, frozen. */
export interface Candidate<T = unknown> {
  readonly domain: string;
  readonly key: string;
  readonly provider: string;
  readonly priority: number;
  /** The stack level it was registered with (the order of `STEWARD_STACK_ORDER` may override it; see `explain`). */
  readonly stackLevel: number;
  readonly source: CandidateSource;
  readonly factory: Factory<T>;
  readonly health: HealthCheck<T> | undefined;
  readonly dispose: Dispose<T> | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly capabilities: readonly string[];
  /** Its place in registration order (1 for the first registration of a registry); kept when re-registered. */
  readonly registration: number;
}

/** Why a domain, key or provider name is refused, or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > NAME_MAX_LENGTH) return `is ${name.length} characters long; at most ${NAME_MAX_LENGTH}`;
  if (name.includes('/') || name.includes('\\')) return `"${name}" contains a path separator`;
  if (name.includes('..')) return `"${name}" contains ".."`;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    return `"${name}" must be lowercase letters, digits, ".", "-" and "_", starting with a letter or a digit`;
  }
  return null;
}

/** A zod string that holds a valid name. */
export const nameSchema = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: `expected a function (${what})` });

const candidateSchema = z
  .object({
    domain: nameSchema,
    key: nameSchema,
    provider: nameSchema,
    priority: z
      .number()
      .int('must be a whole number')
      .min(PRIORITY_MIN, `must be at least ${PRIORITY_MIN}`)
      .max(PRIORITY_MAX, `must be at most ${PRIORITY_MAX}`)
      .default(0),
    stackLevel: z.number().int('must be a whole number').min(-1_000_000).max(1_000_000).default(0),
    source: z.enum(CANDIDATE_SOURCES as [CandidateSource, ...CandidateSource[]]).default('package'),
    factory: fn('the factory that makes an instance'),
    health: fn('a health check').optional(),
    dispose: fn('what releases an instance').optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
    capabilities: z.array(nameSchema).max(256).default([]),
  })
  .strict();

/** Parses what `register` was given, or throws naming every field that does not fit. */
export function parseCandidate<T>(input: unknown, registration: number): Candidate<T> {
  const parsed = candidateSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProviderInvalidError(`invalid candidate: ${formatIssues(parsed.error.issues, 'candidate')}`, { cause: parsed.error });
  }
  const c = parsed.data;
  return Object.freeze({
    domain: c.domain,
    key: c.key,
    provider: c.provider,
    priority: c.priority,
    stackLevel: c.stackLevel,
    source: c.source,
    factory: c.factory as Factory<T>,
    health: c.health as HealthCheck<T> | undefined,
    dispose: c.dispose as Dispose<T> | undefined,
    metadata: Object.freeze({ ...c.metadata }),
    capabilities: Object.freeze([...c.capabilities]),
    registration,
  });
}

/** Throws unless `name` is a valid domain, key or provider name; `what` names it in the message. */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string') throw new ProviderInvalidError(`invalid ${what}: expected a string, got ${typeof name}`);
  const problem = nameProblem(name);
  if (problem !== null) throw new ProviderInvalidError(`invalid ${what}: ${what} ${problem}`);
  return name;
}
