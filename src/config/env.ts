/**
 * The `STEWARD_*` environment variables that stand for keys of the configuration file. Each is mapped onto the key it
 * replaces; the merged configuration is then checked as a whole, and a problem with a value that came from a variable
 * is reported under the variable's name.
 */
import type { ConfigIssue } from '../errors.js';
import { DOMAIN_PATTERN, KEY_PATTERN } from './file-schema.js';

/** The environment as a plain map; `process.env` is one. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** One variable's value, placed at the key path it replaces. */
export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

/** The prefix of the variables that select a component's provider: `STEWARD_COMPONENT__<DOMAIN>__<KEY>`. */
export const COMPONENT_VARIABLE_PREFIX = 'STEWARD_COMPONENT__';

/** The variable that selects the provider of a component (`store.default` → `STEWARD_COMPONENT__STORE__DEFAULT`). */
export function componentVariable(domain: string, key: string): string {
  const upper = (part: string): string => part.toUpperCase().replaceAll('-', '_');
  return `${COMPONENT_VARIABLE_PREFIX}${upper(domain)}__${upper(key)}`;
}

/** The overrides the environment makes, and the variables that cannot be read (each issue names its variable). */
export function readEnvironment(env: Environment): { overrides: EnvOverride[]; issues: ConfigIssue[] } {
  const overrides: EnvOverride[] = [];
  const issues: ConfigIssue[] = [];
  for (const variable of Object.keys(env).sort()) {
    const raw = env[variable];
    // an empty variable counts as unset, as it does for STEWARD_DATABASE_URL everywhere else
    if (raw === undefined || raw.trim() === '') continue;
    const value = raw.trim();
    if (variable === 'STEWARD_DATABASE_URL') overrides.push({ variable, path: ['store'], value });
    else if (variable === 'STEWARD_AUTONOMY') {
      if (/^\d+$/.test(value)) overrides.push({ variable, path: ['autonomy'], value: Number(value) });
      else issues.push({ source: variable, path: 'autonomy', message: `"${value}" is not a level: set 0, 1, 2 or 3` });
    } else if (variable === 'STEWARD_STACK_ORDER') overrides.push({ variable, path: ['stackOrder'], value: splitList(value) });
    else if (variable === 'STEWARD_PLUGINS_ALLOW') overrides.push({ variable, path: ['plugins', 'allow'], value: splitList(value) });
    else if (variable.toUpperCase().startsWith('STEWARD_COMPONENT')) {
      const name = componentOfVariable(variable);
      if (name === null) {
        issues.push({
          source: variable,
          path: '',
          message:
            'a component variable is named STEWARD_COMPONENT__<DOMAIN>__<KEY>, with "_" for each "-" of the domain and key ' +
            '(STEWARD_COMPONENT__STORE__DEFAULT=postgres selects components."store.default")',
        });
      } else overrides.push({ variable, path: ['components', name], value });
    }
  }
  return { overrides, issues };
}

/** `STEWARD_COMPONENT__LLM__FAST_2` → `llm.fast-2`, or null when the name does not have that form. */
function componentOfVariable(variable: string): string | null {
  if (!variable.toUpperCase().startsWith(COMPONENT_VARIABLE_PREFIX)) return null;
  const parts = variable.slice(COMPONENT_VARIABLE_PREFIX.length).split('__');
  if (parts.length !== 2) return null;
  const [domain, key] = parts.map((part) => part.toLowerCase().replaceAll('_', '-')) as [string, string];
  return DOMAIN_PATTERN.test(domain) && KEY_PATTERN.test(key) ? `${domain}.${key}` : null;
}

/** Places the overrides on a copy of the file's raw values. A component keeps the file's settings only for the same provider. */
export function applyOverrides(fileValue: Record<string, unknown>, overrides: readonly EnvOverride[]): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...fileValue };
  for (const { path, value } of overrides) {
    const [head, name] = path as [string, string | undefined];
    if (name === undefined) {
      merged[head] = value;
      continue;
    }
    const parent = merged[head] ?? {};
    // a parent that is not a table stays as written: the file's own error about it is the one to report
    if (!isPlainObject(parent)) continue;
    if (head === 'components') {
      const existing = parent[name];
      const keep = isPlainObject(existing) && existing.provider === value && existing.settings !== undefined;
      merged[head] = { ...parent, [name]: keep ? { provider: value, settings: existing.settings } : { provider: value } };
    } else merged[head] = { ...parent, [name]: value };
  }
  return merged;
}

/** Whether a value is a table/mapping/object as the parsers produce them. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
