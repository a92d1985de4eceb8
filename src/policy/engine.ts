/**
 * The policy engine: decisions from preparsed policy sets (no policy text is parsed per decision), a bounded decision
 * cache keyed by the whole canonical request and the policy-set version, and reloads that retire every cached decision.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { setFlagsFromString } from 'node:v8';
import { formatIssues, PolicyError, ValidationError } from '../errors.js';
import { requestKeyJson } from './canonical-json.js';
import { DecisionCache } from './decision-cache.js';
import { loadPolicySet, type LoadedPolicySet, type PolicySetOptions } from './loader.js';
import { policyRequestSchema, type PolicyDecision, type PolicyRequest } from './request.js';
import type { RouteRequest } from './route-request.js';

/**
 * V8 before Node 24 (seen on Node 20.20.2) can die with a fatal error in its deoptimiser when optimised code that
 * inlined a call into WebAssembly is deoptimised while the evaluator runs: a process making tens of thousands of
 * decisions crashed in most runs. Not inlining JS-to-WebAssembly calls avoids it (no crash in 16 runs) and costs a
 * call wrapper per decision. The flag is read when code is optimised, so setting it here, before any decision, is
 * enough.
 */
if (Number(process.versions.node.split('.')[0]) < 24) setFlagsFromString('--no-turbo-inline-js-wasm-calls');

/** Decisions kept unless `cacheSize` says otherwise. */
export const DEFAULT_DECISION_CACHE_SIZE = 10_000;

/** How an engine is made: where its policies come from and how many decisions it remembers (0: none). */
export interface PolicyEngineOptions extends PolicySetOptions {
  cacheSize?: number;
}

/** Counters of the decision cache, for metrics and tests. */
export interface DecisionCacheStats {
  size: number;
  capacity: number;
  hits: number;
  misses: number;
}

/** Authorises plan, apply and approve requests against a validated, preparsed policy set. */
export class PolicyEngine {
  private set: LoadedPolicySet;
  private readonly options: PolicySetOptions;
  private readonly cache: DecisionCache<PolicyDecision>;
  private hits = 0;
  private misses = 0;

  /** Reads and validates the default policies plus `options.paths`; throws `PolicyError` on a bad file. */
  static load(options: PolicyEngineOptions = {}): PolicyEngine {
    return new PolicyEngine(loadPolicySet(options), options);
  }

  /** An engine over an already loaded set; `reload()` without an argument re-reads `options.paths`. */
  constructor(set: LoadedPolicySet, options: PolicyEngineOptions = {}) {
    this.options = { ...(options.paths === undefined ? {} : { paths: [...options.paths] }), ...(options.defaults === undefined ? {} : { defaults: options.defaults }) };
    this.cache = new DecisionCache(options.cacheSize ?? DEFAULT_DECISION_CACHE_SIZE);
    this.set = set;
    preparse(set);
  }

  /** The version of the policy set deciding now (a sha256 of the schema and the policy texts). */
  get version(): string {
    return this.set.version;
  }

  /** The ids of the policies in force, in load order. */
  get policyIds(): string[] {
    return this.set.policies.map((p) => p.id);
  }

  /** Counters of the decision cache. */
  get cacheStats(): DecisionCacheStats {
    return { size: this.cache.size, capacity: this.cache.capacity, hits: this.hits, misses: this.misses };
  }

  /**
   * Swaps in a new policy set (the given one, or the configured files read again). The version changes with the
   * texts and every cached decision is dropped; on a bad file it throws `PolicyError` and the old set stays.
   */
  reload(set?: LoadedPolicySet): void {
    const next = set ?? loadPolicySet(this.options);
    preparse(next);
    this.set = next;
    this.cache.clear();
  }

  /** Decides a request; `ValidationError` when it does not fit the request schema. Same request, same version: cached. */
  authorize(input: unknown): PolicyDecision {
    const request = parseRequest(input);
    const key = `${this.set.version}\n${requestKeyJson(request)}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.hits += 1;
      return cached;
    }
    this.misses += 1;
    const decision = decide(this.set.version, request);
    this.cache.set(key, decision);
    return decision;
  }

  /** Decides whether a principal may use an HTTP API route (`Action::"http"`, resource `Route::"METHOD path"`). Cached. */
  authorizeRoute(request: RouteRequest): PolicyDecision {
    const roles = [...new Set(request.principal.roles)].sort();
    const { method, path, access } = request.route;
    const key = `${this.set.version}\nhttp\n${JSON.stringify([request.principal.type, request.principal.id, roles, method, path, access])}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.hits += 1;
      return cached;
    }
    this.misses += 1;
    const principalUid = { type: request.principal.type, id: request.principal.id };
    const resourceUid = { type: 'Route', id: `${method} ${path}` };
    const decision = evaluate(this.set.version, {
      principal: principalUid,
      action: { type: 'Action', id: 'http' },
      resource: resourceUid,
      context: {},
      entities: [
        { uid: principalUid, attrs: { roles }, parents: [] },
        { uid: resourceUid, attrs: { method, path, access }, parents: [] },
      ],
    });
    this.cache.set(key, decision);
    return decision;
  }

  /** Decides a request without looking in or filling the cache. */
  authorizeUncached(input: unknown): PolicyDecision {
    return decide(this.set.version, parseRequest(input));
  }
}

/** Checks a request at the boundary and brings it to its canonical form (roles sorted and unique, defaults filled). */
export function parseRequest(input: unknown): PolicyRequest {
  const parsed = policyRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`policy request: ${formatIssues(parsed.error.issues, 'request')}`, { cause: parsed.error });
  const { principal, action, resource, context } = parsed.data;
  const roles = 'roles' in principal && principal.roles !== undefined ? [...new Set(principal.roles)].sort() : [];
  return { principal: { type: principal.type, id: principal.id, roles }, action, resource, context };
}

function preparse(set: LoadedPolicySet): void {
  const staticPolicies = Object.fromEntries(set.policies.map((p) => [p.id, p.text]));
  const policies = cedar.preparsePolicySet(set.version, { staticPolicies });
  const schema = cedar.preparseSchema(set.version, set.schema);
  for (const answer of [policies, schema]) {
    if (answer.type === 'failure') {
      throw new PolicyError(`the policy set did not load into the evaluator: ${answer.errors.map((e) => e.message).join('; ')}`);
    }
  }
}

function decide(version: string, request: PolicyRequest): PolicyDecision {
  const { principal, resource } = request;
  const principalUid = { type: principal.type, id: principal.id };
  const resourceUid = { type: 'Resource', id: resource.name };
  return evaluate(version, {
    principal: principalUid,
    action: { type: 'Action', id: request.action },
    resource: resourceUid,
    context: request.context,
    entities: [
      { uid: principalUid, attrs: { roles: principal.roles }, parents: [] },
      { uid: resourceUid, attrs: { name: resource.name, category: resource.category, network: resource.network }, parents: [] },
    ],
  });
}

type Uid = { type: string; id: string };

function evaluate(
  version: string,
  call: { principal: Uid; action: Uid; resource: Uid; context: Record<string, unknown>; entities: Array<{ uid: Uid; attrs: Record<string, unknown>; parents: Uid[] }> },
): PolicyDecision {
  const answer = cedar.statefulIsAuthorized({
    principal: call.principal,
    action: call.action,
    resource: call.resource,
    context: call.context as cedar.Context,
    entities: call.entities as cedar.EntityJson[],
    preparsedPolicySetId: version,
    preparsedSchemaName: version,
    validateRequest: true,
  });
  if (answer.type === 'failure') {
    throw new ValidationError(`policy request does not fit the schema: ${answer.errors.map((e) => e.message).join('; ')}`);
  }
  const { decision, diagnostics } = answer.response;
  return Object.freeze({
    decision,
    policies: Object.freeze([...diagnostics.reason].sort()),
    errors: Object.freeze(diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`)),
    version,
  });
}
