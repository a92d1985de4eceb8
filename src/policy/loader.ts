/**
 * Loads the policy set: the shipped schema and default policies, plus users' `.cedar` files, each validated against
 * the schema in strict mode. A file that does not parse or validate is a `PolicyError` naming file, policy and position.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { PolicyError } from '../errors.js';
import { lineColumnAt, policyAround, policyLabel } from './positions.js';

/** One policy of the set, named by its `@id` annotation. */
export interface LoadedPolicy {
  id: string;
  /** Where it came from: a path, or `<default>` for the shipped set. */
  file: string;
  text: string;
}

/** The text of one policy file and the name it is reported under. */
export interface PolicySource {
  file: string;
  text: string;
}

/** A validated policy set: what the engine preparses, and its version (a hash of the schema and policy texts). */
export interface LoadedPolicySet {
  schema: string;
  policies: readonly LoadedPolicy[];
  version: string;
}

/** Where to find policies: users' files and directories (`*.cedar` within, recursively), and whether to add the defaults. */
export interface PolicySetOptions {
  paths?: readonly string[];
  /** Include Steward's default policies (default true). */
  defaults?: boolean;
}

/** The name the shipped default policies are reported under. */
export const DEFAULT_POLICY_FILE = '<default>';

const CEDAR_DIR = fileURLToPath(new URL('./cedar/', import.meta.url));

/** The Cedar schema every policy is validated against. */
export const STEWARD_SCHEMA: string = readFileSync(join(CEDAR_DIR, 'steward.cedarschema'), 'utf8');

/** Steward's default policies (design §3's autonomy levels). */
export const DEFAULT_POLICIES: string = readFileSync(join(CEDAR_DIR, 'default.cedar'), 'utf8');

/** Reads and validates the default policies plus the files at `paths`; throws `PolicyError` on the first bad file. */
export function loadPolicySet(options: PolicySetOptions = {}): LoadedPolicySet {
  const sources = readPolicySources(options.paths ?? []);
  if (options.defaults !== false) sources.unshift({ file: DEFAULT_POLICY_FILE, text: DEFAULT_POLICIES });
  return compilePolicySet(sources);
}

/** Reads policy files: each path a `.cedar` file, or a directory whose `.cedar` files are read in name order. */
export function readPolicySources(paths: readonly string[]): PolicySource[] {
  const files: string[] = [];
  for (const path of paths) files.push(...cedarFilesAt(path));
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function cedarFilesAt(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new PolicyError(`${path}: cannot read policies (${code}); give a .cedar file or a directory of them`, { cause });
  }
  if (!isDirectory) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return cedarFilesAt(child);
      return entry.isFile() && entry.name.endsWith('.cedar') ? [child] : [];
    });
}

/** Validates each source against the schema and joins them into one set; policy ids must be unique across files. */
export function compilePolicySet(sources: readonly PolicySource[], schema: string = STEWARD_SCHEMA): LoadedPolicySet {
  const policies: LoadedPolicy[] = [];
  const seen = new Map<string, string>();
  for (const source of sources) {
    for (const policy of compilePolicyFile(source, schema)) {
      const earlier = seen.get(policy.id);
      if (earlier !== undefined) {
        throw new PolicyError(
          `${source.file}: policy "${policy.id}" has the same @id as a policy in ${earlier}; give every policy a unique @id`,
          { details: { file: source.file, policy: policy.id } },
        );
      }
      seen.set(policy.id, source.file);
      policies.push(policy);
    }
  }
  return { schema, policies, version: policySetVersion(schema, policies) };
}

/** Parses and validates one file; its policies are named by `@id`, else `FILE#N` (N from 1). */
export function compilePolicyFile(source: PolicySource, schema: string = STEWARD_SCHEMA): LoadedPolicy[] {
  const parsed = cedar.checkParsePolicySet({ staticPolicies: source.text });
  if (parsed.type === 'failure') throw fileError(source, parsed.errors[0], null);
  const parts = cedar.policySetTextToParts(source.text);
  if (parts.type === 'failure') throw fileError(source, parts.errors[0], null);
  if (parts.policy_templates.length > 0) {
    throw new PolicyError(`${source.file}: holds a policy template (a policy with ?principal or ?resource); Steward loads static policies only`, {
      details: { file: source.file },
    });
  }
  const ids = parts.policies.map(annotatedId);
  const validated = cedar.validate({ schema, policies: { staticPolicies: source.text }, validationSettings: { mode: 'strict' } });
  if (validated.type === 'failure') throw fileError(source, validated.errors[0], null);
  const invalid = validated.validationErrors[0];
  if (invalid !== undefined) {
    const index = indexOfCedarId(invalid.policyId);
    throw fileError(source, invalid.error, index === null ? null : { index, id: ids[index] ?? null });
  }
  return parts.policies.map((text, index) => ({ id: ids[index] ?? `${source.file}#${index + 1}`, file: source.file, text }));
}

/** Cedar names the policies of a text `policy0`, `policy1`, … in order. */
function indexOfCedarId(policyId: string): number | null {
  const match = /^policy(\d+)$/.exec(policyId);
  return match ? Number(match[1]) : null;
}

function annotatedId(text: string): string | null {
  const json = cedar.policyToJson(text);
  return json.type === 'success' ? (json.json.annotations?.id ?? null) : null;
}

/** The error for a file; `known` names the policy when Cedar did, else it is found around the error's position. */
function fileError(source: PolicySource, error: cedar.DetailedError | undefined, known: { index: number; id: string | null } | null): PolicyError {
  const offset = error?.sourceLocations?.[0]?.start;
  const where = offset === undefined ? null : lineColumnAt(source.text, offset);
  const { index: policyIndex, id } = known ?? (offset === undefined ? { index: 0, id: null } : policyAround(source.text, offset));
  const policy = policyLabel(id, policyIndex);
  const message = describe(error);
  const position = where === null ? '' : ` at ${where.line}:${where.column}`;
  return new PolicyError(`${source.file}: ${policy}${position}: ${message}`, {
    details: { file: source.file, policy: id ?? policyIndex + 1, line: where?.line, column: where?.column },
  });
}

function describe(error: cedar.DetailedError | undefined): string {
  if (error === undefined) return 'Cedar rejected the file without saying why';
  const message = error.message.replace(/^failed to parse policies from string: /, '').replace(/^for policy `[^`]*`, /, '');
  const label = error.sourceLocations?.[0]?.label;
  const help = error.help?.replace(/^for policy `[^`]*`, /, '');
  const extra = [label, help].filter((part): part is string => typeof part === 'string' && part.length > 0);
  return extra.length > 0 ? `${message} (${extra.join('; ')})` : message;
}

/** A hash of the schema and every policy's id and text: changes whenever what decides changes. */
export function policySetVersion(schema: string, policies: readonly LoadedPolicy[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([schema, policies.map((p) => [p.id, p.text])]));
  return hash.digest('hex');
}
